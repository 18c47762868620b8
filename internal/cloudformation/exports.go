package cloudformation

import (
	"context"
	"sort"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// export is one exported output of a stack.
type export struct {
	StackID, StackName, Name, Value string
}

// exportsLocked lists the exports of a region's live stacks, by name.
func (s *Service) exportsLocked(sc scope) []export {
	var out []export
	for _, st := range s.stacksLocked(sc) {
		if st.Status == statusDeleteComplete {
			continue
		}
		for _, o := range st.Outputs {
			if o.ExportName != "" {
				out = append(out, export{StackID: st.ID, StackName: st.Name, Name: o.ExportName, Value: o.Value})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Service) exportLocked(sc scope, name string) (export, bool) {
	for _, e := range s.exportsLocked(sc) {
		if e.Name == name {
			return e, true
		}
	}
	return export{}, false
}

// importersLocked names the live stacks other than self that import name.
func (s *Service) importersLocked(sc scope, name, self string) []string {
	var out []string
	for _, st := range s.stacksLocked(sc) {
		if st.ID == self || st.Status == statusDeleteComplete {
			continue
		}
		for _, imp := range st.Imports {
			if imp == name {
				out = append(out, st.Name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

func (s *Service) listExports(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	exps := s.exportsLocked(sc)
	names := make([]string, len(exps))
	for i, e := range exps {
		names[i] = e.Name
	}
	lo, hi, next, err := s.page(q, names, true)
	if err != nil {
		return nil, err
	}
	out := listExportsResult{Exports: []xmlExport{}, NextToken: next}
	for _, e := range exps[lo:hi] {
		out.Exports = append(out.Exports, xmlExport{ExportingStackId: e.StackID, Name: e.Name, Value: e.Value})
	}
	return out, nil
}

func (s *Service) listImports(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	name := q.Get("ExportName")
	if name == "" {
		return nil, missing("exportName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	users := s.importersLocked(sc, name, "")
	if len(users) == 0 {
		return nil, validationError("Export '%s' is not imported by any stack.", name)
	}
	lo, hi, next, err := s.page(q, users, true)
	if err != nil {
		return nil, err
	}
	return listImportsResult{Imports: users[lo:hi], NextToken: next}, nil
}
