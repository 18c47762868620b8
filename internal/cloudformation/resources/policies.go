package resources

import "context"

// targetPolicy is a resource that sets one policy document on each target a
// list property names (AWS::SNS::TopicPolicy on Topics, AWS::SQS::QueuePolicy
// on Queues). An update clears the policy from targets no longer listed;
// delete clears it from all of them.
type targetPolicy struct {
	// list is the property naming the targets, required on create.
	list string
	// stateKey names the targets in the stored state, so stacks saved
	// before keep loading.
	stateKey string
	// set puts doc on every target; an empty doc clears the policy, and a
	// target already gone is then not an error.
	set func(ctx context.Context, env Env, targets []string, doc string) error
}

var _ Provider = targetPolicy{}

func (tp targetPolicy) state(targets []string) []byte {
	return state(map[string][]string{tp.stateKey: targets})
}

func (tp targetPolicy) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "PolicyDocument", tp.list); err != nil {
		return Result{}, err
	}
	doc, err := p.jsonDoc("PolicyDocument")
	if err != nil {
		return Result{}, err
	}
	if err := tp.set(ctx, env, p.strs(tp.list), doc); err != nil {
		return Result{}, err
	}
	id := physicalName(env, 128)
	return Result{PhysicalID: id, Attrs: map[string]any{"Id": id}, State: tp.state(p.strs(tp.list))}, nil
}

func (targetPolicy) Replaces(_, _ map[string]any) bool { return false }

func (tp targetPolicy) Update(ctx context.Context, env Env, cur Result, old, new map[string]any) (Result, error) {
	p := props(new)
	doc, err := p.jsonDoc("PolicyDocument")
	if err != nil {
		return cur, err
	}
	// Targets the policy no longer covers lose it.
	keep := map[string]bool{}
	for _, t := range p.strs(tp.list) {
		keep[t] = true
	}
	var dropped []string
	for _, t := range props(old).strs(tp.list) {
		if !keep[t] {
			dropped = append(dropped, t)
		}
	}
	if err := tp.set(ctx, env, dropped, ""); err != nil {
		return cur, err
	}
	if err := tp.set(ctx, env, p.strs(tp.list), doc); err != nil {
		return cur, err
	}
	cur.State = tp.state(p.strs(tp.list))
	return cur, nil
}

func (tp targetPolicy) Delete(ctx context.Context, env Env, cur Result) error {
	var st map[string][]string
	if err := loadState(cur, &st); err != nil {
		return err
	}
	return tp.set(ctx, env, st[tp.stateKey], "")
}
