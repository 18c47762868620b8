package events

import (
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/delivery"
)

// bus is one event bus as stored.
type bus struct {
	Name        string
	Description string    `json:",omitempty"`
	Created     time.Time // also LastModifiedTime: buses are not updated here
}

// rule is one rule as stored, with its targets.
type rule struct {
	Name        string
	Bus         string
	Pattern     string `json:",omitempty"`
	Schedule    string `json:",omitempty"`
	State       string
	Description string `json:",omitempty"`
	RoleArn     string `json:",omitempty"`
	Created     time.Time
	Targets     []target `json:",omitempty"`
}

// target is a rule target, in the wire shape of EventBridge's Target. Target
// parameters of services Stratus does not deliver to are not kept.
type target struct {
	Id               string                `json:"Id"`
	Arn              string                `json:"Arn"`
	RoleArn          string                `json:"RoleArn,omitempty"`
	Input            *string               `json:"Input,omitempty"`
	InputPath        *string               `json:"InputPath,omitempty"`
	InputTransformer *inputTransformer     `json:"InputTransformer,omitempty"`
	RetryPolicy      *delivery.RetryPolicy `json:"RetryPolicy,omitempty"`
	DeadLetterConfig *deadLetter           `json:"DeadLetterConfig,omitempty"`
	SqsParameters    *sqsParameters        `json:"SqsParameters,omitempty"`
}

type inputTransformer struct {
	InputPathsMap map[string]string `json:"InputPathsMap,omitempty"`
	InputTemplate *string           `json:"InputTemplate"`
}

type deadLetter struct {
	Arn string `json:"Arn,omitempty"`
}

type sqsParameters struct {
	MessageGroupId string `json:"MessageGroupId,omitempty"`
}

// tick is the last schedule tick fired for a rule, recorded before its event
// is published so that a restart never fires it twice.
type tick struct {
	Rule string    // rule ARN
	At   time.Time // schedule (virtual) time of the tick
}

// ruleKey is a rule's key in memory and in the rules table: KV keys allow
// few characters, so the names are hex-encoded.
func ruleKey(busName, name string) string {
	return hex.EncodeToString([]byte(busName)) + "." + hex.EncodeToString([]byte(name))
}

// key hex-encodes an ARN for a KV key; unkey reverses it.
func key(s string) string { return hex.EncodeToString([]byte(s)) }

func unkey(k string) (string, bool) {
	b, err := hex.DecodeString(k)
	return string(b), err == nil
}

func (s *Service) busArn(name string) string {
	return "arn:aws:events:" + s.Region + ":" + s.Account + ":event-bus/" + name
}

func (s *Service) ruleArn(busName, name string) string {
	if busName == defaultBus {
		return "arn:aws:events:" + s.Region + ":" + s.Account + ":rule/" + name
	}
	return "arn:aws:events:" + s.Region + ":" + s.Account + ":rule/" + busName + "/" + name
}

var (
	ruleNameRe = regexp.MustCompile(`^[\.\-_A-Za-z0-9]+$`)
	busNameRe  = regexp.MustCompile(`^[/\.\-_A-Za-z0-9]+$`)
	busRefRe   = regexp.MustCompile(`^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/)?[/\.\-_A-Za-z0-9]+$`)
	targetIDRe = regexp.MustCompile(`^[\.\-_A-Za-z0-9]+$`)
)

// Constraint sentences of EventBridge's model, as its validation errors quote them.
const (
	cPattern = "Member must satisfy regular expression pattern: "
	cMax64   = "Member must have length less than or equal to 64"
	cMax256  = "Member must have length less than or equal to 256"
	cMax512  = "Member must have length less than or equal to 512"
	cMax1600 = "Member must have length less than or equal to 1600"
	cMax2048 = "Member must have length less than or equal to 2048"
	cMin1    = "Member must have length greater than or equal to 1"
)

// validName checks a rule name at field.
func validRuleName(v, field string) error {
	switch {
	case len(v) > 64:
		return awsproto.Validation(v, field, cMax64)
	case len(v) < 1:
		return awsproto.Validation(v, field, cMin1)
	case !ruleNameRe.MatchString(v):
		return awsproto.Validation(v, field, cPattern+`[\.\-_A-Za-z0-9]+`)
	}
	return nil
}

// busName resolves an EventBusName member (a name or an ARN; "" is the
// default bus) after checking it as the model does.
func busName(v, field string) (string, error) {
	if v == "" {
		return defaultBus, nil
	}
	switch {
	case len(v) > 1600:
		return "", awsproto.Validation(v, field, cMax1600)
	case !busRefRe.MatchString(v):
		return "", awsproto.Validation(v, field, cPattern+`(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/)?[/\.\-_A-Za-z0-9]+`)
	}
	if i := strings.Index(v, ":event-bus/"); i >= 0 {
		return v[i+len(":event-bus/"):], nil
	}
	return v, nil
}

// epoch renders a time as awsJson timestamps are: seconds since the epoch,
// to the millisecond.
func epoch(t time.Time) json.Number {
	return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
}
