package awsproto

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestReadQueryFlattenedShapes(t *testing.T) {
	body := url.Values{
		"Action":                          {"SendMessageBatch"},
		"Version":                         {"2012-11-05"},
		"Entry.1.Id":                      {"a"},
		"Entry.1.MessageAttribute.1.Name": {"k"},
		"Entry.1.MessageAttribute.1.Value.StringValue": {"v"},
		"Entry.2.Id":               {"b"},
		"Entry.4.Id":               {"after a gap: not read"},
		"AttributeName.1":          {"All"},
		"AttributeName.2":          {"Policy"},
		"Attributes.entry.1.key":   {"DisplayName"},
		"Attributes.entry.1.value": {"x"},
		"Attributes.entry.2.value": {"no key: skipped"},
	}.Encode()
	r := httptest.NewRequest(http.MethodPost, "/?QueueUrl=u", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if !IsQuery(r) {
		t.Fatal("IsQuery = false for a form POST")
	}
	q, err := ReadQuery(r)
	if err != nil {
		t.Fatal(err)
	}
	if q.Action != "SendMessageBatch" || q.Version != "2012-11-05" || q.Get("QueueUrl") != "u" {
		t.Fatalf("Action %q Version %q QueueUrl %q", q.Action, q.Version, q.Get("QueueUrl"))
	}
	if got := q.List("AttributeName"); !reflect.DeepEqual(got, []string{"All", "Policy"}) {
		t.Errorf("List = %q", got)
	}
	entries := q.Entries("Entry")
	if len(entries) != 2 || entries[0].Get("Id") != "a" || entries[1].Get("Id") != "b" {
		t.Fatalf("Entries = %d", len(entries))
	}
	attrs := entries[0].Entries("MessageAttribute")
	if len(attrs) != 1 || attrs[0].Get("Name") != "k" || attrs[0].Get("Value.StringValue") != "v" {
		t.Errorf("nested entries wrong")
	}
	if !entries[0].Has("MessageAttribute") || entries[1].Has("MessageAttribute") {
		t.Errorf("Has wrong")
	}
	if got := q.Map("Attributes.entry", "key", "value"); !reflect.DeepEqual(got, map[string]string{"DisplayName": "x"}) {
		t.Errorf("Map = %v", got)
	}
}

func TestWriteQueryResultAndError(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r = r.WithContext(WithInfo(r.Context(), &RequestInfo{RequestID: "rid"}))
	w := httptest.NewRecorder()
	WriteQueryResult(w, r, "http://queue.amazonaws.com/doc/2012-11-05/", "GetQueueUrl", struct {
		QueueUrl string
	}{"http://h/000000000000/q"})
	want := `<GetQueueUrlResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><GetQueueUrlResult><QueueUrl>http://h/000000000000/q</QueueUrl></GetQueueUrlResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetQueueUrlResponse>`
	if got := strings.TrimPrefix(w.Body.String(), xmlHeader); got != want {
		t.Errorf("result\n got %s\nwant %s", got, want)
	}

	w = httptest.NewRecorder()
	WriteQueryError(w, r, "http://queue.amazonaws.com/doc/2012-11-05/", &Error{Code: "QueueDoesNotExist",
		QueryCode: "AWS.SimpleQueueService.NonExistentQueue", Status: 400, Message: "The specified queue does not exist."})
	var doc struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Error     struct{ Type, Code, Message string }
		RequestId string
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if w.Code != 400 || doc.Error.Type != "Sender" || doc.Error.Code != "AWS.SimpleQueueService.NonExistentQueue" || doc.RequestId != "rid" {
		t.Errorf("error: %d %+v", w.Code, doc)
	}

	w = httptest.NewRecorder()
	WriteAWSJSONErrorNS(w, AWSJSON10, "com.amazonaws.sqs", &Error{Code: "QueueDoesNotExist",
		QueryCode: "AWS.SimpleQueueService.NonExistentQueue", Status: 400, Message: "m"})
	if h := w.Header().Get("X-Amzn-Query-Error"); h != "AWS.SimpleQueueService.NonExistentQueue;Sender" {
		t.Errorf("X-Amzn-Query-Error = %q", h)
	}
	if !strings.Contains(w.Body.String(), `"com.amazonaws.sqs#QueueDoesNotExist"`) {
		t.Errorf("body %s", w.Body)
	}
}

func FuzzReadQuery(f *testing.F) {
	f.Add("Action=X&Entry.1.Id=a&Entry.1.A.1.Name=n&Attributes.entry.1.key=k")
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		q, err := ReadQuery(r)
		if err != nil {
			return
		}
		for _, e := range q.Entries("Entry") {
			e.Entries("A")
			e.Map("A", "Name", "Value")
		}
		q.List("Entry")
		q.Names()
	})
}
