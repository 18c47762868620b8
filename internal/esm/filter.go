package esm

import (
	"log/slog"

	"github.com/stratus-run/stratus/internal/eventpattern"
)

// filters are a mapping's FilterCriteria, compiled. A record is delivered when
// any filter matches it (Lambda ORs a mapping's filters); with none, every
// record is. For a stream record the pattern is matched against the record
// object itself (eventName, dynamodb, ...), as Lambda does for DynamoDB.
type filters struct {
	patterns []*eventpattern.Pattern
}

// compileFilter compiles one FilterCriteria pattern, or fails for a pattern
// Lambda would refuse.
func compileFilter(pattern string) (*eventpattern.Pattern, error) {
	return eventpattern.Compile([]byte(pattern), eventpattern.Options{})
}

// compileFilters compiles patterns that were validated when they were stored.
func compileFilters(patterns []string) *filters {
	f := &filters{}
	for _, p := range patterns {
		c, err := compileFilter(p)
		if err != nil {
			// Stored patterns were compiled when they were accepted; one that no
			// longer compiles matches nothing rather than everything.
			slog.Error("esm: stored filter pattern does not compile", "pattern", p, "err", err)
			f.patterns = append(f.patterns, nil)
			continue
		}
		f.patterns = append(f.patterns, c)
	}
	return f
}

// match reports whether data passes the filters.
func (f *filters) match(data []byte) bool {
	if f == nil || len(f.patterns) == 0 {
		return true
	}
	for _, p := range f.patterns {
		if p != nil && p.Match(data) {
			return true
		}
	}
	return false
}
