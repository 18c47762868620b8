package logs

import "encoding/base32"

// Names are encoded for KV keys and subjects with base32 (extended hex, no
// padding): the alphabet 0-9A-V is safe in both, whatever the name holds.
var enc = base32.HexEncoding.WithPadding(base32.NoPadding)

func token(s string) string {
	if s == "" {
		return "_"
	}
	return enc.EncodeToString([]byte(s))
}

// groupKey is a group's key in the groups bucket and the cache.
func groupKey(region, group string) string { return token(region) + "." + token(group) }

// streamKey is a stream's key in the streams bucket.
func streamKey(region, group, stream string) string {
	return groupKey(region, group) + "." + token(stream)
}

// groupSubjects matches every event subject of a group.
func groupSubjects(region, group string) string { return "logs." + groupKey(region, group) + ".*" }

// streamSubject is the subject a stream's events are published on.
func streamSubject(region, group, stream string) string {
	return "logs." + streamKey(region, group, stream)
}

// streamOfSubject returns the stream name a subject encodes.
func streamOfSubject(subject string) string {
	i := len(subject) - 1
	for i >= 0 && subject[i] != '.' {
		i--
	}
	t := subject[i+1:]
	if t == "_" {
		return ""
	}
	b, err := enc.DecodeString(t)
	if err != nil {
		return ""
	}
	return string(b)
}
