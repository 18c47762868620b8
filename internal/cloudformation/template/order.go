package template

import "sort"

// Active reports whether a resource exists in this stack (no Condition, or
// its condition true).
func (s *Stack) Active(logical string) bool {
	r, ok := s.T.Resources[logical]
	if !ok {
		return false
	}
	return r.Condition == "" || s.Conditions[r.Condition]
}

// taken answers Fn::If's condition from the bound conditions.
func (s *Stack) taken(cond string) (bool, bool) {
	v, ok := s.Conditions[cond]
	return v, ok
}

// Deps returns the active resources a resource depends on: DependsOn, and
// every Ref, Fn::GetAtt and Fn::Sub ${X} / ${X.Attr} in its Properties (in
// the Fn::If branches taken), sorted.
func (s *Stack) Deps(logical string) []string {
	r, ok := s.T.Resources[logical]
	if !ok {
		return nil
	}
	var out []string
	for _, d := range s.T.resourceDeps(r, s.taken) {
		if s.Active(d) {
			out = append(out, d)
		}
	}
	return out
}

// Order returns the active resources in waves: every resource depends only on
// resources of earlier waves, so the resources of one wave can be created in
// parallel. Names in a wave are sorted. An active resource that depends on
// one whose condition is false, or a cycle, is an error.
func (s *Stack) Order() ([][]string, error) {
	graph := map[string][]string{}
	var missing []string
	for _, name := range sortedKeys(s.T.Resources) {
		if !s.Active(name) {
			continue
		}
		deps := s.T.resourceDeps(s.T.Resources[name], s.taken)
		for _, d := range deps {
			if !s.Active(d) {
				missing = append(missing, d)
			}
		}
		graph[name] = deps
	}
	if len(missing) > 0 {
		return nil, unresolved(missing, "Resources")
	}
	if cycle := cycles(graph); len(cycle) > 0 {
		return nil, validation("Circular dependency between resources: [%s]", list(cycle))
	}
	done := make(map[string]bool, len(graph))
	var waves [][]string
	for len(done) < len(graph) {
		var wave []string
		for name, deps := range graph {
			if done[name] {
				continue
			}
			ready := true
			for _, d := range deps {
				if !done[d] {
					ready = false
					break
				}
			}
			if ready {
				wave = append(wave, name)
			}
		}
		if len(wave) == 0 {
			// cycles found none, so this cannot happen; never spin.
			return nil, validation("Circular dependency between resources: [%s]", list(sortedKeys(graph)))
		}
		sort.Strings(wave)
		for _, name := range wave {
			done[name] = true
		}
		waves = append(waves, wave)
	}
	return waves, nil
}
