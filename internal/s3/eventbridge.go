package s3

import (
	"strings"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// S3's events on EventBridge: with EventBridgeConfiguration set, every event
// of the bucket goes to the account's default bus, whatever the other
// configurations select, as S3 sends them: source aws.s3, the bucket as the
// resource, and a detail of its own shape (not the notification record).

type busDetail struct {
	Version         string    `json:"version"`
	Bucket          busBucket `json:"bucket"`
	Object          busObject `json:"object"`
	RequestID       string    `json:"request-id"`
	Requester       string    `json:"requester"`
	SourceIPAddress string    `json:"source-ip-address,omitempty"`
	Reason          string    `json:"reason,omitempty"`
	DeletionType    string    `json:"deletion-type,omitempty"`
}

type busBucket struct {
	Name string `json:"name"`
}

type busObject struct {
	Key       string `json:"key"`
	Size      *int64 `json:"size,omitempty"`
	ETag      string `json:"etag,omitempty"`
	VersionID string `json:"version-id,omitempty"`
	Sequencer string `json:"sequencer,omitempty"`
}

// busEvent maps a notification event name to EventBridge's detail-type and
// reason (and deletion-type for deletions).
func busEvent(name string) (detailType, reason, deletion string) {
	how, _ := strings.CutPrefix(name, "ObjectCreated:")
	switch {
	case strings.HasPrefix(name, "ObjectCreated:"):
		reasons := map[string]string{"Put": "PutObject", "Post": "POST Object", "Copy": "CopyObject",
			"CompleteMultipartUpload": "CompleteMultipartUpload"}
		return "Object Created", reasons[how], ""
	case name == "ObjectRemoved:Delete":
		return "Object Deleted", "DeleteObject", "Permanently Deleted"
	case name == "ObjectRemoved:DeleteMarkerCreated":
		return "Object Deleted", "DeleteObject", "Delete Marker Created"
	case name == "LifecycleExpiration:Delete":
		return "Object Deleted", "Lifecycle Expiration", "Permanently Deleted"
	case name == "LifecycleExpiration:DeleteMarkerCreated":
		return "Object Deleted", "Lifecycle Expiration", "Delete Marker Created"
	case name == tagPut:
		return "Object Tags Added", "", ""
	case name == tagDelete:
		return "Object Tags Deleted", "", ""
	}
	return "", "", ""
}

// busRecord is the outbox record of one change for the default bus.
func (s *Service) busRecord(b *objstore.Bucket, o eventOrigin, name string, ch *objstore.Change) ([]byte, error) {
	detailType, reason, deletion := busEvent(name)
	obj := &ch.Object
	d := busDetail{Version: "0", Bucket: busBucket{Name: b.Name},
		Object:    busObject{Key: obj.Key, Sequencer: sequencer(ch.Seq)},
		RequestID: o.requestID, Requester: o.principal, SourceIPAddress: o.sourceIP,
		Reason: reason, DeletionType: deletion}
	switch ch.Kind {
	case objstore.ChangePut:
		size := obj.Size
		d.Object.Size, d.Object.ETag = &size, strings.Trim(obj.ETag, `"`)
	case objstore.ChangeTags:
		d.Object.ETag = strings.Trim(obj.ETag, `"`)
	}
	if b.Versioning != "" {
		d.Object.VersionID = obj.VersionID
	}
	ev, err := encodeJSON(d)
	if err != nil {
		return nil, err
	}
	return encodeJSON(outboxRecord{Kind: destBus, Target: "arn:aws:events:" + b.Region + ":" + s.Account + ":event-bus/default",
		Bucket: b.Name, Key: obj.Key, Trace: o.trace, Event: ev, DetailType: detailType})
}
