package sqs

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// attrValue is a MessageAttributeValue, as the JSON protocol spells it.
type attrValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

// entry is one entry of a batch request.
type entry struct {
	ID                      string               `json:"Id"`
	MessageBody             *string              `json:"MessageBody"`
	DelaySeconds            *int                 `json:"DelaySeconds"`
	MessageAttributes       map[string]attrValue `json:"MessageAttributes"`
	MessageSystemAttributes map[string]attrValue `json:"MessageSystemAttributes"`
	MessageDeduplicationID  string               `json:"MessageDeduplicationId"`
	MessageGroupID          *string              `json:"MessageGroupId"`
	ReceiptHandle           *string              `json:"ReceiptHandle"`
	VisibilityTimeout       *int                 `json:"VisibilityTimeout"`
}

// input is every operation's input: each handler reads the members its
// operation has. Both protocols decode into it.
type input struct {
	QueueURL                    string            `json:"QueueUrl"`
	QueueName                   *string           `json:"QueueName"`
	QueueNamePrefix             string            `json:"QueueNamePrefix"`
	NextToken                   string            `json:"NextToken"`
	MaxResults                  *int              `json:"MaxResults"`
	Attributes                  map[string]string `json:"Attributes"`
	Tags                        map[string]string `json:"Tags"`
	CreateTags                  map[string]string `json:"tags"`
	TagKeys                     []string          `json:"TagKeys"`
	AttributeNames              []string          `json:"AttributeNames"`
	MessageSystemAttributeNames []string          `json:"MessageSystemAttributeNames"`
	MessageAttributeNames       []string          `json:"MessageAttributeNames"`
	MaxNumberOfMessages         *int              `json:"MaxNumberOfMessages"`
	VisibilityTimeout           *int              `json:"VisibilityTimeout"`
	WaitTimeSeconds             *int              `json:"WaitTimeSeconds"`
	ReceiveRequestAttemptID     string            `json:"ReceiveRequestAttemptId"`
	ReceiptHandle               *string           `json:"ReceiptHandle"`
	Entries                     []entry           `json:"Entries"`
	Label                       string            `json:"Label"`
	AWSAccountIDs               []string          `json:"AWSAccountIds"`
	Actions                     []string          `json:"Actions"`
	SourceArn                   string            `json:"SourceArn"`
	DestinationArn              string            `json:"DestinationArn"`
	TaskHandle                  string            `json:"TaskHandle"`
	MaxMovesPerSecond           *int              `json:"MaxNumberOfMessagesPerSecond"`
	entry
}

// decodeQuery reads a query-protocol request into in. Numbers that do not
// parse are InvalidParameterValue, as SQS answers them.
func decodeQuery(q *awsproto.Query, in *input) error {
	in.QueueURL = q.Get("QueueUrl")
	if v, ok := q.Lookup("QueueName"); ok {
		in.QueueName = &v
	}
	in.QueueNamePrefix = q.Get("QueueNamePrefix")
	in.NextToken = q.Get("NextToken")
	var err error
	num := func(name string) *int {
		v, ok := q.Lookup(name)
		if !ok || err != nil {
			return nil
		}
		n, e := strconv.Atoi(v)
		if e != nil {
			err = invalidParameter("Value " + v + " for parameter " + name + " is invalid. Reason: must be an integer.")
			return nil
		}
		return &n
	}
	in.MaxResults = num("MaxResults")
	in.Attributes = q.Map("Attribute", "Name", "Value")
	in.Tags = q.Map("Tag", "Key", "Value")
	in.CreateTags = in.Tags
	in.TagKeys = q.List("TagKey")
	in.AttributeNames = q.List("AttributeName")
	in.MessageSystemAttributeNames = q.List("MessageSystemAttributeName")
	in.MessageAttributeNames = q.List("MessageAttributeName")
	in.MaxNumberOfMessages = num("MaxNumberOfMessages")
	in.VisibilityTimeout = num("VisibilityTimeout")
	in.WaitTimeSeconds = num("WaitTimeSeconds")
	in.ReceiveRequestAttemptID = q.Get("ReceiveRequestAttemptId")
	in.Label = q.Get("Label")
	in.AWSAccountIDs = q.List("AWSAccountId")
	in.Actions = q.List("ActionName")
	in.SourceArn = q.Get("SourceArn")
	in.DestinationArn = q.Get("DestinationArn")
	in.TaskHandle = q.Get("TaskHandle")
	in.MaxMovesPerSecond = num("MaxNumberOfMessagesPerSecond")
	if e := decodeEntry(q, &in.entry); e != nil && err == nil {
		err = e
	}
	// input's own ReceiptHandle shadows the embedded entry's (as in JSON).
	in.ReceiptHandle = in.entry.ReceiptHandle
	for _, name := range []string{"SendMessageBatchRequestEntry", "DeleteMessageBatchRequestEntry", "ChangeMessageVisibilityBatchRequestEntry"} {
		for _, eq := range q.Entries(name) {
			var e entry
			e.ID = eq.Get("Id")
			if de := decodeEntry(eq, &e); de != nil && err == nil {
				err = de
			}
			in.Entries = append(in.Entries, e)
		}
	}
	return err
}

func decodeEntry(q *awsproto.Query, e *entry) error {
	if v, ok := q.Lookup("MessageBody"); ok {
		e.MessageBody = &v
	}
	if v, ok := q.Lookup("ReceiptHandle"); ok {
		e.ReceiptHandle = &v
	}
	if v, ok := q.Lookup("MessageGroupId"); ok {
		e.MessageGroupID = &v
	}
	e.MessageDeduplicationID = q.Get("MessageDeduplicationId")
	for _, p := range []struct {
		name string
		dst  **int
	}{{"DelaySeconds", &e.DelaySeconds}, {"VisibilityTimeout", &e.VisibilityTimeout}} {
		if v, ok := q.Lookup(p.name); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return invalidParameter("Value " + v + " for parameter " + p.name + " is invalid. Reason: must be an integer.")
			}
			*p.dst = &n
		}
	}
	var err error
	e.MessageAttributes, err = decodeAttrs(q, "MessageAttribute")
	if err != nil {
		return err
	}
	e.MessageSystemAttributes, err = decodeAttrs(q, "MessageSystemAttribute")
	return err
}

func decodeAttrs(q *awsproto.Query, name string) (map[string]attrValue, error) {
	var out map[string]attrValue
	for _, a := range q.Entries(name) {
		n, ok := a.Lookup("Name")
		if !ok {
			continue
		}
		v := attrValue{DataType: a.Get("Value.DataType")}
		if s, ok := a.Lookup("Value.StringValue"); ok {
			v.StringValue = &s
		}
		if b, ok := a.Lookup("Value.BinaryValue"); ok {
			d, err := base64.StdEncoding.DecodeString(b)
			if err != nil {
				return nil, invalidParameter("Value " + b + " for parameter BinaryValue is invalid. Reason: not base64.")
			}
			v.BinaryValue = d
		}
		v.StringListValues = a.List("Value.StringListValue")
		if out == nil {
			out = map[string]attrValue{}
		}
		out[n] = v
	}
	return out, nil
}

// md5OfAttributes is SQS's digest of message attributes: for each name in
// byte order, the length-prefixed (4 bytes, big endian) name and data type,
// then 1 and the length-prefixed string value, or 2 and the binary value.
func md5OfAttributes(attrs map[string]attrValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	put := func(b []byte) {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(b)))
		h.Write(l[:])
		h.Write(b)
	}
	for _, n := range names {
		a := attrs[n]
		put([]byte(n))
		put([]byte(a.DataType))
		if a.StringValue != nil {
			h.Write([]byte{1})
			put([]byte(*a.StringValue))
		} else {
			h.Write([]byte{2})
			put(a.BinaryValue)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func itoa(n int) string { return strconv.Itoa(n) }

// validChars reports whether s holds only the characters SQS accepts:
// #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
func validChars(s string) bool {
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return utf8.ValidString(s)
}
