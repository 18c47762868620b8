package s3

import (
	"encoding/base64"
	"encoding/xml"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Lifecycle configuration (Put/Get/DeleteBucketLifecycleConfiguration) and the
// x-amz-expiration header. The worker that applies the rules is in expire.go.
//
// There is one storage class here, so Transition and NoncurrentVersionTransition
// actions are validated, kept and answered back, and do nothing.

const (
	maxLifecycleRules  = 1000
	maxLifecycleID     = 255
	maxLifecyclePrefix = 1024
	// configMinSize keeps x-amz-transition-default-minimum-object-size.
	configMinSize  = "lifecycle-transition-minimum-size"
	defaultMinSize = "all_storage_classes_128K"
	headerMinSize  = "X-Amz-Transition-Default-Minimum-Object-Size"
)

// transitionClasses are the storage classes a transition may name.
var transitionClasses = map[string]bool{
	"GLACIER": true, "STANDARD_IA": true, "ONEZONE_IA": true, "INTELLIGENT_TIERING": true,
	"DEEP_ARCHIVE": true, "GLACIER_IR": true,
}

// lifecycleConfiguration is the document of PutBucketLifecycleConfiguration and
// GetBucketLifecycleConfiguration.
type lifecycleConfiguration struct {
	XMLName xml.Name `xml:"LifecycleConfiguration"`
	xmlns
	Rules []lifecycleRule `xml:"Rule"`
}

type lifecycleRule struct {
	ID                    string                   `xml:"ID"`
	Filter                *lifecycleFilter         `xml:"Filter"`
	Prefix                *string                  `xml:"Prefix"` // legacy, instead of Filter
	Status                string                   `xml:"Status"`
	Transitions           []lcTransition           `xml:"Transition"`
	NoncurrentTransitions []lcNoncurrentTransition `xml:"NoncurrentVersionTransition"`
	Expiration            *lcExpiration            `xml:"Expiration"`
	NoncurrentExpiration  *lcNoncurrentExpiration  `xml:"NoncurrentVersionExpiration"`
	AbortIncomplete       *lcAbort                 `xml:"AbortIncompleteMultipartUpload"`
}

type lifecycleFilter struct {
	Prefix                *string       `xml:"Prefix"`
	Tag                   *lcTag        `xml:"Tag"`
	ObjectSizeGreaterThan *int64        `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64        `xml:"ObjectSizeLessThan"`
	And                   *lifecycleAnd `xml:"And"`
}

type lifecycleAnd struct {
	Prefix                *string `xml:"Prefix"`
	Tags                  []lcTag `xml:"Tag"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan"`
}

type lcTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type lcExpiration struct {
	Date                      string `xml:"Date,omitempty"`
	Days                      *int32 `xml:"Days"`
	ExpiredObjectDeleteMarker *bool  `xml:"ExpiredObjectDeleteMarker"`
}

type lcTransition struct {
	Date         string `xml:"Date,omitempty"`
	Days         *int32 `xml:"Days"`
	StorageClass string `xml:"StorageClass"`
}

type lcNoncurrentExpiration struct {
	NoncurrentDays          *int32 `xml:"NoncurrentDays"`
	NewerNoncurrentVersions *int32 `xml:"NewerNoncurrentVersions"`
}

type lcNoncurrentTransition struct {
	NoncurrentDays          *int32 `xml:"NoncurrentDays"`
	NewerNoncurrentVersions *int32 `xml:"NewerNoncurrentVersions"`
	StorageClass            string `xml:"StorageClass"`
}

type lcAbort struct {
	DaysAfterInitiation *int32 `xml:"DaysAfterInitiation"`
}

// lifecycleConfig is a configuration compiled for evaluation.
type lifecycleConfig struct {
	rules []lcRule
	// versions: some enabled rule expires objects, versions or delete markers;
	// uploads: some enabled rule aborts incomplete multipart uploads.
	versions, uploads bool
}

// lcRule is one rule's filter and actions.
type lcRule struct {
	id       string
	enabled  bool
	prefix   string
	tags     []objstore.Tag
	gt, lt   int64 // size bounds; gt -1 and lt MaxInt64 when absent
	sized    bool  // a size bound is set
	expDays  int   // 0 when absent
	expDate  time.Time
	hasDate  bool
	marker   bool // ExpiredObjectDeleteMarker
	ncDays   int
	ncNewer  int
	hasNC    bool
	abort    int // DaysAfterInitiation, 0 when absent
	hasTrans bool
}

// matches reports whether the rule's filter selects a version. Delete markers
// have no tags and no size, so only a rule filtering on the key alone selects
// them.
func (r *lcRule) matches(key string, tags []objstore.Tag, size int64, marker bool) bool {
	if !strings.HasPrefix(key, r.prefix) {
		return false
	}
	if marker {
		return len(r.tags) == 0 && !r.sized
	}
	if r.sized && (size <= r.gt || size >= r.lt) {
		return false
	}
	for _, want := range r.tags {
		found := false
		for _, t := range tags {
			if t.Key == want.Key && t.Value == want.Value {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func invalidLifecycle(msg string) error { return s3err(http.StatusBadRequest, "InvalidArgument", msg) }

// parseLifecycleDate reads an Expiration or Transition Date: ISO 8601 at
// midnight UTC, answered back with milliseconds.
func parseLifecycleDate(v string) (string, time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		if t, err = time.Parse("2006-01-02", v); err != nil {
			return "", time.Time{}, errMalformedXML
		}
	}
	t = t.UTC()
	if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
		return "", time.Time{}, invalidArgument("'Date' must be at midnight GMT", "Date", v)
	}
	return isoTime(t), t, nil
}

// newConfigID makes an Id as S3 makes one for a rule or a notification
// configuration sent without: a random UUID, base64.
func newConfigID() string {
	return base64.StdEncoding.EncodeToString([]byte(awsproto.NewRequestID()))
}

// parseLifecycle decodes and validates a configuration as S3 does, giving rules
// sent without an ID one, and returns the document to keep and its compiled form.
func parseLifecycle(body []byte) (*lifecycleConfiguration, *lifecycleConfig, error) {
	var doc lifecycleConfiguration
	if err := decodeXML(body, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Rules) == 0 || len(doc.Rules) > maxLifecycleRules {
		return nil, nil, errMalformedXML
	}
	cfg := &lifecycleConfig{}
	ids := map[string]bool{}
	for i := range doc.Rules {
		r := &doc.Rules[i]
		if r.ID == "" {
			r.ID = newConfigID()
		}
		if len(r.ID) > maxLifecycleID {
			return nil, nil, invalidArgument("ID length should not exceed allowed limit of 255", "ID", r.ID)
		}
		if ids[r.ID] {
			return nil, nil, invalidArgument("Rule ID must be unique. Found same ID for more than one rule", "ID", r.ID)
		}
		ids[r.ID] = true
		c, err := compileRule(r)
		if err != nil {
			return nil, nil, err
		}
		cfg.rules = append(cfg.rules, c)
		if c.enabled {
			cfg.versions = cfg.versions || c.expDays > 0 || c.hasDate || c.marker || c.hasNC
			cfg.uploads = cfg.uploads || c.abort > 0
		}
	}
	return &doc, cfg, nil
}

func compileRule(r *lifecycleRule) (lcRule, error) {
	c := lcRule{id: r.ID, gt: -1, lt: math.MaxInt64}
	switch r.Status {
	case "Enabled":
		c.enabled = true
	case "Disabled":
	default:
		return c, errMalformedXML
	}
	if err := compileFilter(r, &c); err != nil {
		return c, err
	}
	actions := 0
	if e := r.Expiration; e != nil {
		actions++
		set := 0
		if e.Days != nil {
			set++
			if *e.Days <= 0 {
				return c, invalidLifecycle("'Days' for Expiration action must be a positive integer")
			}
			c.expDays = int(*e.Days)
		}
		if e.Date != "" {
			set++
			d, t, err := parseLifecycleDate(e.Date)
			if err != nil {
				return c, err
			}
			e.Date, c.expDate, c.hasDate = d, t, true
		}
		if e.ExpiredObjectDeleteMarker != nil {
			if set > 0 {
				return c, errMalformedXML
			}
			c.marker = *e.ExpiredObjectDeleteMarker
			set++
		}
		if set != 1 {
			return c, errMalformedXML
		}
	}
	if n := r.NoncurrentExpiration; n != nil {
		actions++
		if n.NoncurrentDays == nil && n.NewerNoncurrentVersions == nil {
			return c, errMalformedXML
		}
		if n.NoncurrentDays != nil {
			if *n.NoncurrentDays <= 0 {
				return c, invalidLifecycle("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
			}
			c.ncDays = int(*n.NoncurrentDays)
		}
		if n.NewerNoncurrentVersions != nil {
			if *n.NewerNoncurrentVersions <= 0 {
				return c, invalidLifecycle("'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer")
			}
			c.ncNewer = int(*n.NewerNoncurrentVersions)
		}
		c.hasNC = true
	}
	if a := r.AbortIncomplete; a != nil {
		actions++
		if a.DaysAfterInitiation == nil {
			return c, errMalformedXML
		}
		if *a.DaysAfterInitiation <= 0 {
			return c, invalidLifecycle("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
		}
		if len(c.tags) > 0 {
			return c, invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.")
		}
		c.abort = int(*a.DaysAfterInitiation)
	}
	for i := range r.Transitions {
		actions++
		t := &r.Transitions[i]
		if !transitionClasses[t.StorageClass] || (t.Days == nil) == (t.Date == "") {
			return c, errMalformedXML
		}
		if t.Days != nil {
			if *t.Days < 0 {
				return c, invalidLifecycle("'Days' for Transition action must be a positive integer")
			}
			if (t.StorageClass == "STANDARD_IA" || t.StorageClass == "ONEZONE_IA") && *t.Days < 30 {
				return c, invalidLifecycle("'Days' in Transition action must be greater than or equal to 30 for storageClass '" + t.StorageClass + "'")
			}
		} else {
			d, _, err := parseLifecycleDate(t.Date)
			if err != nil {
				return c, err
			}
			t.Date = d
		}
	}
	for _, t := range r.NoncurrentTransitions {
		actions++
		if !transitionClasses[t.StorageClass] || t.NoncurrentDays == nil {
			return c, errMalformedXML
		}
		if *t.NoncurrentDays < 0 {
			return c, invalidLifecycle("'NoncurrentDays' for NoncurrentVersionTransition action must be a positive integer")
		}
	}
	c.hasTrans = len(r.Transitions)+len(r.NoncurrentTransitions) > 0
	if actions == 0 {
		return c, invalidRequest("At least one action needs to be specified in a rule.")
	}
	return c, nil
}

// compileFilter reads the rule's Filter (exactly one predicate, or none for
// every object) or its legacy Prefix.
func compileFilter(r *lifecycleRule, c *lcRule) error {
	if (r.Filter == nil) == (r.Prefix == nil) {
		return errMalformedXML
	}
	prefix := r.Prefix
	var tags []lcTag
	var gt, lt *int64
	if f := r.Filter; f != nil {
		n := 0
		for _, set := range []bool{f.Prefix != nil, f.Tag != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil, f.And != nil} {
			if set {
				n++
			}
		}
		if n > 1 {
			return errMalformedXML
		}
		prefix, gt, lt = f.Prefix, f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
		if f.Tag != nil {
			tags = []lcTag{*f.Tag}
		}
		if a := f.And; a != nil {
			prefix, tags, gt, lt = a.Prefix, a.Tags, a.ObjectSizeGreaterThan, a.ObjectSizeLessThan
			seen := map[string]bool{}
			for _, t := range tags {
				if seen[t.Key] {
					return invalidRequest("Duplicate Tag Keys are not allowed.")
				}
				seen[t.Key] = true
			}
		}
	}
	if prefix != nil {
		if len(*prefix) > maxLifecyclePrefix {
			return invalidRequest("The maximum size of a prefix is 1024")
		}
		c.prefix = *prefix
	}
	for _, t := range tags {
		if t.Key == "" {
			return errMalformedXML
		}
		c.tags = append(c.tags, objstore.Tag{Key: t.Key, Value: t.Value})
	}
	if gt != nil {
		if *gt < 0 {
			return errMalformedXML
		}
		c.gt, c.sized = *gt, true
	}
	if lt != nil {
		if *lt <= 0 {
			return errMalformedXML
		}
		c.lt, c.sized = *lt, true
	}
	return nil
}

// parseStoredLifecycle compiles a stored (validated) document.
func parseStoredLifecycle(raw []byte) (*lifecycleConfig, error) {
	_, cfg, err := parseLifecycle(raw)
	return cfg, err
}

// maxLifecycleDays is past any time this server will see.
const maxLifecycleDays = 1 << 20

// lifecycleDue returns when something dated t is days old for a rule. With
// 24-hour days it is S3's rule: t plus the days, rounded up to the next midnight
// UTC. With a shortened LifecycleDay (tests) it is t plus days of that length.
func (s *Service) lifecycleDue(t time.Time, days int) time.Time {
	if days > maxLifecycleDays {
		days = maxLifecycleDays
	}
	day := s.LifecycleDay
	if day <= 0 {
		day = 24 * time.Hour
	}
	if day != 24*time.Hour {
		return t.Add(time.Duration(days) * day)
	}
	due := t.UTC().AddDate(0, 0, days)
	if mid := due.Truncate(24 * time.Hour); mid.Before(due) {
		return mid.Add(24 * time.Hour)
	}
	return due
}

// expiration returns the x-amz-expiration header for an object (a current
// version) of b: when the enabled Expiration rule that selects it soonest will
// expire it, and that rule's ID, as
// `expiry-date="Fri, 23 Dec 2012 00:00:00 GMT", rule-id="picture-deletion-rule"`;
// "" when no rule expires it or o is a delete marker. It parses nothing on the
// request path (the configuration is cached).
func (s *Service) expiration(b *objstore.Bucket, o *objstore.Object) string {
	if o.DeleteMarker || b.Config[objstore.ConfigLifecycle] == nil {
		return ""
	}
	lc := s.lifecycleOf(b)
	if lc == nil {
		return ""
	}
	var best time.Time
	id := ""
	for i := range lc.rules {
		r := &lc.rules[i]
		if !r.enabled || r.expDays == 0 && !r.hasDate || !r.matches(o.Key, o.Tags, o.Size, false) {
			continue
		}
		at := r.expDate
		if !r.hasDate {
			at = s.lifecycleDue(o.LastModified, r.expDays)
		}
		if id == "" || at.Before(best) {
			best, id = at, r.id
		}
	}
	if id == "" {
		return ""
	}
	return `expiry-date="` + httpTime(best) + `", rule-id="` + id + `"`
}

// minSizeOf returns the bucket's x-amz-transition-default-minimum-object-size.
func minSizeOf(b *objstore.Bucket) string {
	if v := b.Config[configMinSize]; len(v) > 0 {
		return string(v)
	}
	return defaultMinSize
}

// getBucketLifecycle is GetBucketLifecycleConfiguration (and the older
// GetBucketLifecycle, which shares its request).
func (s *Service) getBucketLifecycle(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	doc := b.Config[objstore.ConfigLifecycle]
	if doc == nil {
		return noSuchConfig(errNoSuchLifecycle, c.bucket)
	}
	c.w.Header()[headerMinSize] = []string{minSizeOf(&b)}
	return writeDoc(c, doc)
}

// putBucketLifecycle is PutBucketLifecycleConfiguration: the configuration
// replaces any other.
func (s *Service) putBucketLifecycle(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	minSize := defaultMinSize
	if v, ok := c.r.Header[headerMinSize]; ok && len(v) > 0 {
		if v[0] != "varies_by_storage_class" && v[0] != defaultMinSize {
			return invalidArgument("Invalid value for x-amz-transition-default-minimum-object-size", "x-amz-transition-default-minimum-object-size", v[0])
		}
		minSize = v[0]
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	doc, _, err := parseLifecycle(body)
	if err != nil {
		return err
	}
	doc.xmlns = ns()
	raw, err := encodeXML(doc)
	if err != nil {
		return err
	}
	if err := s.updateBucket(c, func(b *objstore.Bucket) error {
		if b.Config == nil {
			b.Config = make(map[string][]byte)
		}
		b.Config[objstore.ConfigLifecycle] = raw
		b.Config[configMinSize] = []byte(minSize)
		return nil
	}); err != nil {
		return err
	}
	c.w.Header()[headerMinSize] = []string{minSize}
	return ok(c)
}

// deleteBucketLifecycle is DeleteBucketLifecycle: 204 whether there was one or
// not.
func (s *Service) deleteBucketLifecycle(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	if err := s.updateBucket(c, func(b *objstore.Bucket) error {
		delete(b.Config, objstore.ConfigLifecycle)
		delete(b.Config, configMinSize)
		return nil
	}); err != nil {
		return err
	}
	return noContent(c)
}
