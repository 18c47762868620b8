package template

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// validation returns CloudFormation's ValidationError with msg as it is. Every
// error of this package is one of these, so the API layer renders it unchanged.
func validation(format string, args ...any) *awsproto.Error {
	return &awsproto.Error{Code: "ValidationError", Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// formatError is a "Template format error: ..." (the template's shape is wrong).
func formatError(format string, args ...any) *awsproto.Error {
	return validation("Template format error: "+format, args...)
}

// templateError is a "Template error: ..." (an intrinsic function cannot be evaluated).
func templateError(format string, args ...any) *awsproto.Error {
	return validation("Template error: "+format, args...)
}

// unresolved is the error CloudFormation gives for references to names the
// template does not define, in block ("Resources" or "Outputs").
func unresolved(names []string, block string) *awsproto.Error {
	return formatError("Unresolved resource dependencies [%s] in the %s block of the template", list(names), block)
}

// list renders names sorted and without repeats, as CloudFormation's bracketed lists.
func list(names []string) string {
	seen := map[string]bool{}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
