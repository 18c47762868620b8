package objstoretest

import (
	"slices"
	"testing"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

var versioningTests = []test{
	{"NeverEnabled", testNeverEnabled},
	{"Enabled", testEnabled},
	{"EnabledDeleteMissing", testEnabledDeleteMissing},
	{"Suspended", testSuspended},
	{"SuspendedNullInMiddle", testSuspendedNullInMiddle},
	{"EnabledAfterNever", testEnabledAfterNever},
	{"DeleteNothing", testDeleteNothing},
	{"GetErrors", testGetErrors},
}

// wantVersions fails unless key's versions, newest first, are want (as ids
// makes them).
func (h *harness) wantVersions(bucket, key string, want ...string) []objstore.Object {
	h.t.Helper()
	vs := h.versions(bucket, key)
	if got := ids(vs); !slices.Equal(got, want) {
		h.t.Fatalf("versions of %s = %q, want %q", key, got, want)
	}
	return vs
}

func testNeverEnabled(t *testing.T, h *harness) {
	h.bucket("b", "")
	o1 := h.put("b", "k", "one")
	if o1.VersionID != objstore.NullVersion || !o1.IsLatest || o1.Seq == 0 || o1.LastModified.IsZero() {
		t.Fatalf("Put = %+v, want the latest null version with Seq and LastModified", o1)
	}
	o2 := h.put("b", "k", "two")
	if o2.VersionID != objstore.NullVersion || o2.Seq <= o1.Seq {
		t.Fatalf("second Put = %+v", o2)
	}
	h.wantVersions("b", "k", "null*")
	if got := h.body(h.get("b", "k", "")); got != "two" {
		t.Fatalf("body = %q", got)
	}
	if got := h.get("b", "k", objstore.NullVersion); got.Seq != o2.Seq || !got.IsLatest {
		t.Fatalf("Get null = %+v", got)
	}

	c := h.del("b", "k", "")
	if c.Kind != objstore.ChangeDelete || c.Object.VersionID != objstore.NullVersion || c.Object.Seq != o2.Seq {
		t.Fatalf("Delete = %+v, want the null version removed", c)
	}
	_, err := h.s.Get(h.ctx, "b", "k", "")
	wantErr(t, "Get after Delete", err, objstore.ErrNoSuchKey)
	h.wantVersions("b", "k")
	if c := h.del("b", "k", ""); !isZero(c) {
		t.Fatalf("Delete of nothing = %+v, want zero", c)
	}
	h.wantVersions("b", "k")
}

func testEnabled(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	v1 := h.put("b", "k", "one")
	v2 := h.put("b", "k", "two")
	if v1.VersionID == objstore.NullVersion || v1.VersionID == "" || v1.VersionID == v2.VersionID {
		t.Fatalf("version ids %q, %q", v1.VersionID, v2.VersionID)
	}
	h.wantVersions("b", "k", v2.VersionID+"*", v1.VersionID)
	if got := h.get("b", "k", ""); got.VersionID != v2.VersionID || !got.IsLatest || h.body(got) != "two" {
		t.Fatalf("Get latest = %+v", got)
	}
	if got := h.get("b", "k", v1.VersionID); got.IsLatest || h.body(got) != "one" {
		t.Fatalf("Get v1 = %+v", got)
	}

	dm := h.del("b", "k", "")
	if dm.Kind != objstore.ChangeDeleteMarker || !dm.Object.DeleteMarker || dm.Object.Key != "k" ||
		dm.Object.VersionID == "" || dm.Object.VersionID == objstore.NullVersion || dm.Object.Seq <= v2.Seq {
		t.Fatalf("Delete = %+v, want a new delete marker", dm)
	}
	h.wantVersions("b", "k", "DM:"+dm.Object.VersionID+"*", v2.VersionID, v1.VersionID)
	if got := h.get("b", "k", ""); !got.DeleteMarker || !got.IsLatest || got.VersionID != dm.Object.VersionID {
		t.Fatalf("Get latest = %+v, want the delete marker", got)
	}
	if p := h.list("b", objstore.ListQuery{MaxKeys: 10}); len(p.Objects) != 0 {
		t.Fatalf("List shows a key whose latest is a delete marker")
	}
	if got := h.get("b", "k", v2.VersionID); got.DeleteMarker || h.body(got) != "two" {
		t.Fatalf("Get v2 under a marker = %+v", got)
	}

	// Removing the marker brings the object back.
	c := h.del("b", "k", dm.Object.VersionID)
	if c.Kind != objstore.ChangeDelete || !c.Object.DeleteMarker || c.Object.VersionID != dm.Object.VersionID {
		t.Fatalf("Delete of the marker = %+v", c)
	}
	h.wantVersions("b", "k", v2.VersionID+"*", v1.VersionID)

	// Removing the latest makes the next newest latest.
	c = h.del("b", "k", v2.VersionID)
	if c.Kind != objstore.ChangeDelete || c.Object.VersionID != v2.VersionID || c.Object.DeleteMarker {
		t.Fatalf("Delete of v2 = %+v", c)
	}
	if got := h.get("b", "k", ""); got.VersionID != v1.VersionID || !got.IsLatest || h.body(got) != "one" {
		t.Fatalf("latest after deleting v2 = %+v", got)
	}
	h.wantVersions("b", "k", v1.VersionID+"*")

	// A noncurrent version goes without touching the latest.
	v3 := h.put("b", "k", "three")
	h.del("b", "k", v1.VersionID)
	h.wantVersions("b", "k", v3.VersionID+"*")

	h.del("b", "k", v3.VersionID)
	_, err := h.s.Get(h.ctx, "b", "k", "")
	wantErr(t, "Get after deleting every version", err, objstore.ErrNoSuchKey)
	h.wantVersions("b", "k")
}

func testEnabledDeleteMissing(t *testing.T, h *harness) {
	// As S3: with versioning Enabled a delete always adds a marker, even on
	// a key with no object, or on one whose latest is already a marker.
	h.bucket("b", objstore.VersioningEnabled)
	d1 := h.del("b", "k", "")
	d2 := h.del("b", "k", "")
	if d1.Kind != objstore.ChangeDeleteMarker || d2.Kind != objstore.ChangeDeleteMarker || d1.Object.VersionID == d2.Object.VersionID {
		t.Fatalf("Deletes = %+v, %+v", d1, d2)
	}
	h.wantVersions("b", "k", "DM:"+d2.Object.VersionID+"*", "DM:"+d1.Object.VersionID)
}

func testSuspended(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	v1 := h.put("b", "k", "one")
	h.setVersioning("b", objstore.VersioningSuspended)

	n1 := h.put("b", "k", "two")
	if n1.VersionID != objstore.NullVersion {
		t.Fatalf("Put while suspended made %q", n1.VersionID)
	}
	h.wantVersions("b", "k", "null*", v1.VersionID)
	n2 := h.put("b", "k", "three")
	h.wantVersions("b", "k", "null*", v1.VersionID)
	if got := h.get("b", "k", objstore.NullVersion); got.Seq != n2.Seq || h.body(got) != "three" {
		t.Fatalf("null version = %+v, want the second", got)
	}

	dm := h.del("b", "k", "")
	if dm.Kind != objstore.ChangeDeleteMarker || !dm.Object.DeleteMarker || dm.Object.VersionID != objstore.NullVersion {
		t.Fatalf("Delete while suspended = %+v, want a null delete marker", dm)
	}
	h.wantVersions("b", "k", "DM:null*", v1.VersionID)
	// Again: the null marker replaces the null marker.
	h.del("b", "k", "")
	h.wantVersions("b", "k", "DM:null*", v1.VersionID)
	// And an object replaces the null marker.
	h.put("b", "k", "four")
	h.wantVersions("b", "k", "null*", v1.VersionID)
	if got := h.get("b", "k", v1.VersionID); h.body(got) != "one" {
		t.Fatalf("v1 = %q", h.body(got))
	}
}

func testSuspendedNullInMiddle(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	v1 := h.put("b", "k", "one")
	h.setVersioning("b", objstore.VersioningSuspended)
	h.put("b", "k", "null-1")
	h.setVersioning("b", objstore.VersioningEnabled)
	v3 := h.put("b", "k", "three")
	h.wantVersions("b", "k", v3.VersionID+"*", "null", v1.VersionID)
	if got := h.get("b", "k", objstore.NullVersion); got.IsLatest || h.body(got) != "null-1" {
		t.Fatalf("null in the middle = %+v", got)
	}

	// A suspended write replaces the null version wherever it is.
	h.setVersioning("b", objstore.VersioningSuspended)
	n := h.put("b", "k", "null-2")
	h.wantVersions("b", "k", "null*", v3.VersionID, v1.VersionID)
	if got := h.get("b", "k", objstore.NullVersion); got.Seq != n.Seq || h.body(got) != "null-2" {
		t.Fatalf("null version = %+v", got)
	}

	// So does a suspended delete.
	h.setVersioning("b", objstore.VersioningEnabled)
	v5 := h.put("b", "k", "five")
	h.setVersioning("b", objstore.VersioningSuspended)
	c := h.del("b", "k", "")
	if c.Kind != objstore.ChangeDeleteMarker || c.Object.VersionID != objstore.NullVersion {
		t.Fatalf("Delete = %+v", c)
	}
	h.wantVersions("b", "k", "DM:null*", v5.VersionID, v3.VersionID, v1.VersionID)

	// Deleting the null marker by name makes v5 latest again.
	h.del("b", "k", objstore.NullVersion)
	h.wantVersions("b", "k", v5.VersionID+"*", v3.VersionID, v1.VersionID)
	// And a null version deleted by name from the middle.
	h.put("b", "k", "null-3")
	h.setVersioning("b", objstore.VersioningEnabled)
	v7 := h.put("b", "k", "seven")
	h.wantVersions("b", "k", v7.VersionID+"*", "null", v5.VersionID, v3.VersionID, v1.VersionID)
	h.del("b", "k", objstore.NullVersion)
	h.wantVersions("b", "k", v7.VersionID+"*", v5.VersionID, v3.VersionID, v1.VersionID)
	_, err := h.s.Get(h.ctx, "b", "k", objstore.NullVersion)
	wantErr(t, "Get of the deleted null version", err, objstore.ErrNoSuchVersion)
}

func testEnabledAfterNever(t *testing.T, h *harness) {
	h.bucket("b", "")
	h.put("b", "k", "before")
	h.setVersioning("b", objstore.VersioningEnabled)
	v2 := h.put("b", "k", "after")
	h.wantVersions("b", "k", v2.VersionID+"*", "null")
	if got := h.get("b", "k", objstore.NullVersion); h.body(got) != "before" {
		t.Fatalf("null version = %q", h.body(got))
	}
	h.del("b", "k", objstore.NullVersion)
	h.wantVersions("b", "k", v2.VersionID+"*")
}

func testDeleteNothing(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	h.bucket("other", objstore.VersioningEnabled)
	v1 := h.put("b", "k", "one")
	foreign := h.put("other", "k", "x")
	elsewhere := h.put("b", "j", "y")
	for _, id := range []string{"no-such-version", objstore.NullVersion, foreign.VersionID, elsewhere.VersionID} {
		if c := h.del("b", "k", id); !isZero(c) {
			t.Fatalf("Delete of version %q that k does not have = %+v", id, c)
		}
	}
	if c := h.del("b", "missing", v1.VersionID); !isZero(c) {
		t.Fatalf("Delete of a version of a missing key = %+v", c)
	}
	h.wantVersions("b", "k", v1.VersionID+"*")
	h.wantVersions("b", "j", elsewhere.VersionID+"*")
}

func testGetErrors(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	v := h.put("b", "k", "one")
	other := h.put("b", "j", "two")
	cases := []struct {
		key, version string
		want         error
	}{
		{"missing", "", objstore.ErrNoSuchKey},
		{"missing", v.VersionID, objstore.ErrNoSuchVersion},
		{"k", "bogus", objstore.ErrNoSuchVersion},
		{"k", objstore.NullVersion, objstore.ErrNoSuchVersion},
		{"k", other.VersionID, objstore.ErrNoSuchVersion},
	}
	for _, c := range cases {
		_, err := h.s.Get(h.ctx, "b", c.key, c.version)
		wantErr(t, "Get "+c.key+" "+c.version, err, c.want)
	}
}

// isZero reports whether c is the zero Change (what deleting nothing returns).
func isZero(c objstore.Change) bool {
	return c.Kind == "" && c.Object.Key == "" && c.Object.VersionID == "" && c.Object.Seq == 0
}
