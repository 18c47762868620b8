package s3

import (
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

func lifecycleDoc(t *testing.T, xmlBody string) []byte {
	t.Helper()
	doc, _, err := parseLifecycle([]byte(xmlBody))
	if err != nil {
		t.Fatal(err)
	}
	doc.xmlns = ns()
	raw, err := encodeXML(doc)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestExpirationHeader(t *testing.T) {
	s := &Service{LifecycleDay: 24 * time.Hour}
	b := objstore.Bucket{Name: "pictures", Config: map[string][]byte{objstore.ConfigLifecycle: lifecycleDoc(t, `<LifecycleConfiguration>
		<Rule><ID>picture-deletion-rule</ID><Filter><Prefix>pics/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>
		<Rule><ID>sooner</ID><Filter><And><Prefix>pics/</Prefix><Tag><Key>t</Key><Value>tmp</Value></Tag></And></Filter><Status>Enabled</Status>
			<Expiration><Days>1</Days></Expiration></Rule>
		<Rule><ID>dated</ID><Filter><ObjectSizeGreaterThan>1000</ObjectSizeGreaterThan></Filter><Status>Enabled</Status>
			<Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration></Rule>
		<Rule><ID>off</ID><Filter><Prefix>off/</Prefix></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>
		<Rule><ID>noncurrent-only</ID><Filter><Prefix>nc/</Prefix></Filter><Status>Enabled</Status>
			<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule>
	</LifecycleConfiguration>`)}}
	made := time.Date(2012, 12, 20, 10, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		o    objstore.Object
		want string
	}{
		// Three days after 20 Dec 10:30 is 23 Dec 10:30, rounded up to the next midnight.
		{objstore.Object{Key: "pics/cat.jpg", LastModified: made},
			`expiry-date="Mon, 24 Dec 2012 00:00:00 GMT", rule-id="picture-deletion-rule"`},
		{objstore.Object{Key: "pics/cat.jpg", LastModified: made, Tags: []objstore.Tag{{Key: "t", Value: "tmp"}}},
			`expiry-date="Sat, 22 Dec 2012 00:00:00 GMT", rule-id="sooner"`},
		{objstore.Object{Key: "big", Size: 5000, LastModified: made}, `expiry-date="Tue, 01 Jan 2030 00:00:00 GMT", rule-id="dated"`},
		{objstore.Object{Key: "big", Size: 1000, LastModified: made}, ""},
		{objstore.Object{Key: "off/x", LastModified: made}, ""},
		{objstore.Object{Key: "nc/x", LastModified: made}, ""},
		{objstore.Object{Key: "pics/x", DeleteMarker: true, LastModified: made}, ""},
	} {
		if got := s.expiration(&b, &tc.o); got != tc.want {
			t.Errorf("%s (size %d, tags %v) = %q, want %q", tc.o.Key, tc.o.Size, tc.o.Tags, got, tc.want)
		}
	}
	if got := s.expiration(&objstore.Bucket{Name: "none"}, &objstore.Object{Key: "pics/x"}); got != "" {
		t.Errorf("no configuration: %q", got)
	}

	// A midnight plus whole days stays that midnight.
	if got := s.lifecycleDue(time.Date(2012, 12, 20, 0, 0, 0, 0, time.UTC), 2); !got.Equal(time.Date(2012, 12, 22, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("midnight due = %v", got)
	}
	// Shortened days are plain multiples, without rounding.
	short := &Service{LifecycleDay: time.Second}
	if got := short.lifecycleDue(made, 3); !got.Equal(made.Add(3 * time.Second)) {
		t.Errorf("short due = %v", got)
	}
}

func TestLifecycleRuleMatches(t *testing.T) {
	_, cfg, err := parseLifecycle([]byte(`<LifecycleConfiguration>
		<Rule><ID>r</ID><Filter><And><Prefix>p/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag>
			<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter>
			<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>
		<Rule><ID>legacy</ID><Prefix>old/</Prefix><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>
	</LifecycleConfiguration>`))
	if err != nil {
		t.Fatal(err)
	}
	r, legacy := &cfg.rules[0], &cfg.rules[1]
	tags := []objstore.Tag{{Key: "b", Value: "2"}, {Key: "a", Value: "1"}, {Key: "c", Value: "3"}}
	for _, tc := range []struct {
		key    string
		tags   []objstore.Tag
		size   int64
		marker bool
		want   bool
	}{
		{"p/x", tags, 50, false, true},
		{"p/x", tags[:1], 50, false, false},
		{"p/x", tags, 10, false, false},
		{"p/x", tags, 100, false, false},
		{"q/x", tags, 50, false, false},
		{"p/x", nil, 0, true, false},
	} {
		if got := r.matches(tc.key, tc.tags, tc.size, tc.marker); got != tc.want {
			t.Errorf("matches(%s, %v, %d, marker %v) = %v", tc.key, tc.tags, tc.size, tc.marker, got)
		}
	}
	if !legacy.matches("old/x", nil, 0, true) || legacy.matches("new/x", nil, 0, true) || !cfg.versions || cfg.uploads {
		t.Errorf("legacy prefix rule: %+v, config %+v", legacy, cfg)
	}
}
