package cloudformation

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/cloudformation/template"
)

func (s *Service) describeStackEvents(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.findStackLocked(sc, q.Get("StackName"))
	if err != nil {
		return nil, err
	}
	evs := s.events[st.ID]
	ids := make([]string, len(evs))
	for i := range evs {
		ids[i] = evs[len(evs)-1-i].ID
	}
	lo, hi, next, err := s.page(q, ids, false)
	if err != nil {
		return nil, err
	}
	out := describeStackEventsResult{StackEvents: make([]xmlEvent, 0, hi-lo), NextToken: next}
	for i := len(evs) - 1 - lo; i >= len(evs)-hi; i-- {
		e := evs[i]
		out.StackEvents = append(out.StackEvents, xmlEvent{StackId: st.ID, EventId: e.ID, StackName: st.Name,
			LogicalResourceId: e.Logical, PhysicalResourceId: e.Physical, ResourceType: e.Type,
			Timestamp: ts(e.Time), ResourceStatus: e.Status, ResourceStatusReason: e.Reason})
	}
	return out, nil
}

// sortedResources lists a stack's resources by logical id.
func sortedResources(st *stack) []*res {
	out := make([]*res, 0, len(st.Resources))
	for _, r := range st.Resources {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Logical < out[j].Logical })
	return out
}

// stackOfPhysicalLocked finds the live stack that has a resource of this
// physical id.
func (s *Service) stackOfPhysicalLocked(sc scope, physical string) *stack {
	for _, st := range s.stacksLocked(sc) {
		if st.Status == statusDeleteComplete {
			continue
		}
		for _, r := range st.Resources {
			if r.Result.PhysicalID == physical {
				return st
			}
		}
	}
	return nil
}

func (s *Service) describeStackResources(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	var st *stack
	physical := q.Get("PhysicalResourceId")
	if name := q.Get("StackName"); name != "" {
		var err error
		if st, err = s.findStackLocked(sc, name); err != nil {
			return nil, err
		}
	} else if physical != "" {
		if st = s.stackOfPhysicalLocked(sc, physical); st == nil {
			return nil, validationError("Stack for %s does not exist", physical)
		}
	} else {
		return nil, validationError("Either StackName or PhysicalResourceId must be specified.")
	}
	logical := q.Get("LogicalResourceId")
	out := describeStackResourcesResult{StackResources: []xmlStackResource{}}
	for _, r := range sortedResources(st) {
		if (logical != "" && r.Logical != logical) || (physical != "" && r.Result.PhysicalID != physical) {
			continue
		}
		out.StackResources = append(out.StackResources, xmlStackResource{StackName: st.Name, StackId: st.ID,
			LogicalResourceId: r.Logical, PhysicalResourceId: r.Result.PhysicalID, ResourceType: r.Type,
			Timestamp: ts(r.Updated), ResourceStatus: r.Status, ResourceStatusReason: r.Reason,
			DriftInformation: xmlResourceDrift{StackResourceDriftStatus: "NOT_CHECKED"}})
	}
	return out, nil
}

func (s *Service) describeStackResource(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	logical := q.Get("LogicalResourceId")
	if logical == "" {
		return nil, missing("logicalResourceId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.findStackLocked(sc, q.Get("StackName"))
	if err != nil {
		return nil, err
	}
	r := st.Resources[logical]
	if r == nil {
		return nil, validationError("Resource %s does not exist for stack %s", logical, st.Name)
	}
	d := xmlStackResourceDetail{StackName: st.Name, StackId: st.ID, LogicalResourceId: r.Logical,
		PhysicalResourceId: r.Result.PhysicalID, ResourceType: r.Type, LastUpdatedTimestamp: ts(r.Updated),
		ResourceStatus: r.Status, ResourceStatusReason: r.Reason,
		DriftInformation: xmlResourceDrift{StackResourceDriftStatus: "NOT_CHECKED"}}
	if t, err := loadConfig(st.Config); err == nil {
		if md := t.Resources[logical].Metadata; md != nil {
			if b, err := json.Marshal(md); err == nil {
				d.Metadata = string(b)
			}
		}
	}
	return describeStackResourceResult{StackResourceDetail: d}, nil
}

func (s *Service) listStackResources(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.findStackLocked(sc, q.Get("StackName"))
	if err != nil {
		return nil, err
	}
	rs := sortedResources(st)
	keys := make([]string, len(rs))
	for i, r := range rs {
		keys[i] = r.Logical
	}
	lo, hi, next, err := s.page(q, keys, true)
	if err != nil {
		return nil, err
	}
	out := listStackResourcesResult{StackResourceSummaries: []xmlResourceSummary{}, NextToken: next}
	for _, r := range rs[lo:hi] {
		out.StackResourceSummaries = append(out.StackResourceSummaries, xmlResourceSummary{LogicalResourceId: r.Logical,
			PhysicalResourceId: r.Result.PhysicalID, ResourceType: r.Type, LastUpdatedTimestamp: ts(r.Updated),
			ResourceStatus: r.Status, ResourceStatusReason: r.Reason,
			DriftInformation: xmlResourceDrift{StackResourceDriftStatus: "NOT_CHECKED"}})
	}
	return out, nil
}

// templateOf answers a configuration's template at a stage: Original as it
// was given, Processed after its transforms (the same text when there were
// none).
func templateOf(c stackConfig, stage string) (string, error) {
	if stage == "Processed" && c.Transformed {
		b, err := json.Marshal(c.Processed)
		return string(b), err
	}
	return c.Body, nil
}

func (s *Service) getTemplate(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	stage := q.Get("TemplateStage")
	if stage == "" {
		stage = "Original"
	}
	if stage != "Original" && stage != "Processed" {
		return nil, validationError("1 validation error detected: Value '%s' at 'templateStage' failed to satisfy constraint: Member must satisfy enum value set: [Original, Processed]", stage)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var cfg stackConfig
	if csName := q.Get("ChangeSetName"); csName != "" {
		cs, err := s.findChangeSetLocked(sc, q.Get("StackName"), csName)
		if err != nil {
			return nil, err
		}
		cfg = cs.Config
	} else {
		st, err := s.findStackLocked(sc, q.Get("StackName"))
		if err != nil {
			return nil, err
		}
		cfg = st.Config
	}
	body, err := templateOf(cfg, stage)
	if err != nil {
		return nil, err
	}
	return getTemplateResult{TemplateBody: body, StagesAvailable: []string{"Original", "Processed"}}, nil
}

// templateInput loads the template a ValidateTemplate or GetTemplateSummary
// names: a body or URL, or (GetTemplateSummary) a stack's.
func (s *Service) templateInput(ctx context.Context, sc scope, q *awsproto.Query, allowStack bool) (*template.Template, *loaded, error) {
	if name := q.Get("StackName"); allowStack && name != "" {
		s.mu.Lock()
		st, err := s.findStackLocked(sc, name)
		var cfg stackConfig
		if err == nil {
			cfg = st.Config
		}
		s.mu.Unlock()
		if err != nil {
			return nil, nil, err
		}
		t, err := template.Parse([]byte(cfg.Body))
		if err != nil {
			return nil, nil, err
		}
		pt, err := loadConfig(cfg)
		if err != nil {
			return nil, nil, err
		}
		return t, &loaded{t: pt, processed: cfg.Processed, transformed: cfg.Transformed, transforms: t.Transforms}, nil
	}
	body, err := s.templateSource(ctx, sc, q, nil)
	if err != nil {
		return nil, nil, err
	}
	t, err := template.Parse([]byte(body))
	if err != nil {
		return nil, nil, err
	}
	l, err := s.load(sc, "stack", body, nil)
	if err != nil {
		return nil, nil, err
	}
	return t, l, nil
}

func (s *Service) validateTemplate(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	orig, l, err := s.templateInput(ctx, sc, q, false)
	if err != nil {
		return nil, err
	}
	out := validateTemplateResult{Description: orig.Description, DeclaredTransforms: orig.Transforms}
	for _, k := range sortedKeys(orig.Parameters) {
		p := orig.Parameters[k]
		x := xmlTemplateParam{ParameterKey: k, NoEcho: p.NoEcho, Description: p.Description}
		if p.Default != nil {
			x.DefaultValue = *p.Default
		}
		out.Parameters = append(out.Parameters, x)
	}
	out.Capabilities, out.CapabilitiesReason = requiredCapabilities(l.t)
	if len(orig.Transforms) > 0 {
		out.Capabilities = append(out.Capabilities, "CAPABILITY_AUTO_EXPAND")
	}
	return out, nil
}

func (s *Service) getTemplateSummary(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	orig, l, err := s.templateInput(ctx, sc, q, true)
	if err != nil {
		return nil, err
	}
	out := getTemplateSummaryResult{Description: orig.Description, Version: orig.Version, DeclaredTransforms: orig.Transforms}
	for _, k := range sortedKeys(orig.Parameters) {
		p := orig.Parameters[k]
		x := xmlParamDeclaration{ParameterKey: k, ParameterType: p.Type, NoEcho: p.NoEcho, Description: p.Description,
			ParameterConstraints: xmlConstraints{AllowedValues: p.AllowedValues}}
		if p.Default != nil {
			x.DefaultValue = *p.Default
		}
		out.Parameters = append(out.Parameters, x)
	}
	out.Capabilities, out.CapabilitiesReason = requiredCapabilities(l.t)
	if len(orig.Transforms) > 0 {
		out.Capabilities = append(out.Capabilities, "CAPABILITY_AUTO_EXPAND")
	}
	types := map[string]bool{}
	for _, r := range l.t.Resources {
		types[r.Type] = true
	}
	out.ResourceTypes = sortedKeys(types)
	if md, ok := orig.Doc["Metadata"]; ok {
		if b, err := json.Marshal(md); err == nil {
			out.Metadata = string(b)
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
