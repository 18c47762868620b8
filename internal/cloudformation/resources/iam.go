package resources

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"
)

// Stratus serves no IAM API and does not enforce IAM, so these providers only
// give roles and policies the names, ARNs and ids CloudFormation would, and
// keep their properties with the stack for GetTemplate-like readers.

func init() {
	register("AWS::IAM::Role", iamRole{})
	register("AWS::IAM::Policy", iamPolicy{})
	register("AWS::IAM::ManagedPolicy", iamManagedPolicy{})
}

// iamEntity is what Result.State keeps for every IAM type.
type iamEntity struct {
	Name  string         `json:"name"`
	Path  string         `json:"path,omitempty"`
	ID    string         `json:"id"`
	Props map[string]any `json:"props"`
}

// iamID is an IAM unique id: a four-letter kind prefix and 17 characters.
func iamID(prefix string) string {
	b := make([]byte, 17)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(nameAlphabet))))
		b[i] = nameAlphabet[n.Int64()]
	}
	return prefix + string(b)
}

// iamPath is a path as IAM stores it ("/" when none) and fails as IAM does
// when it does not begin and end with a slash.
func iamPath(env Env, p props) (string, error) {
	path := p.str("Path")
	if path == "" {
		return "/", nil
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") {
		return "", &ValidationError{Message: "Properties validation failed for resource " + env.LogicalID +
			" with message: #/Path: failed validation constraint for keyword [pattern]"}
	}
	return path, nil
}

type iamRole struct{}

func (iamRole) Create(_ context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "AssumeRolePolicyDocument"); err != nil {
		return Result{}, err
	}
	path, err := iamPath(env, p)
	if err != nil {
		return Result{}, err
	}
	name := p.str("RoleName")
	if name == "" {
		name = physicalName(env, 64)
	}
	e := iamEntity{Name: name, Path: path, ID: iamID("AROA"), Props: in}
	return e.roleResult(env), nil
}

func (e iamEntity) roleResult(env Env) Result {
	return Result{
		PhysicalID: e.Name,
		Attrs: map[string]any{
			"Arn":    "arn:aws:iam::" + env.AccountID + ":role" + e.Path + e.Name,
			"RoleId": e.ID,
		},
		State: state(e),
	}
}

func (iamRole) Replaces(old, new map[string]any) bool {
	return changed(old, new, "RoleName", "Path")
}

func (iamRole) Update(_ context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	p := props(new)
	if err := requireProps(env, p, "AssumeRolePolicyDocument"); err != nil {
		return Result{}, err
	}
	var e iamEntity
	if err := loadState(cur, &e); err != nil {
		return Result{}, err
	}
	e.Props = new
	return e.roleResult(env), nil
}

func (iamRole) Delete(context.Context, Env, Result) error { return nil }

type iamPolicy struct{}

func (iamPolicy) validate(env Env, p props) error {
	if err := requireProps(env, p, "PolicyDocument", "PolicyName"); err != nil {
		return err
	}
	if len(p.strs("Groups"))+len(p.strs("Roles"))+len(p.strs("Users")) == 0 {
		return &ValidationError{Message: "At least one of [Groups,Roles,Users] must be non-empty."}
	}
	return nil
}

func (iamPolicy) Create(_ context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := (iamPolicy{}).validate(env, p); err != nil {
		return Result{}, err
	}
	// CloudFormation answers Ref on an inline policy with an id of its own
	// making, since the policy has no identity apart from its holders.
	id := physicalName(Env{StackName: env.StackName[:min(5, len(env.StackName))], LogicalID: env.LogicalID[:min(5, len(env.LogicalID))]}, 25)
	e := iamEntity{Name: p.str("PolicyName"), ID: id, Props: in}
	return Result{PhysicalID: id, Attrs: map[string]any{"Id": id}, State: state(e)}, nil
}

func (iamPolicy) Replaces(_, _ map[string]any) bool { return false }

func (iamPolicy) Update(_ context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	p := props(new)
	if err := (iamPolicy{}).validate(env, p); err != nil {
		return Result{}, err
	}
	var e iamEntity
	if err := loadState(cur, &e); err != nil {
		return Result{}, err
	}
	e.Name, e.Props = p.str("PolicyName"), new
	cur.State = state(e)
	return cur, nil
}

func (iamPolicy) Delete(context.Context, Env, Result) error { return nil }

type iamManagedPolicy struct{}

func (iamManagedPolicy) Create(_ context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "PolicyDocument"); err != nil {
		return Result{}, err
	}
	path, err := iamPath(env, p)
	if err != nil {
		return Result{}, err
	}
	name := p.str("ManagedPolicyName")
	if name == "" {
		name = physicalName(env, 128)
	}
	e := iamEntity{Name: name, Path: path, ID: iamID("ANPA"), Props: in}
	return e.managedResult(env, "v1"), nil
}

func (e iamEntity) managedResult(env Env, version string) Result {
	arn := "arn:aws:iam::" + env.AccountID + ":policy" + e.Path + e.Name
	return Result{
		PhysicalID: arn,
		Attrs: map[string]any{
			"PolicyArn": arn, "PolicyId": e.ID, "PolicyName": e.Name,
			"DefaultVersionId": version, "IsAttachable": true,
		},
		State: state(e),
	}
}

func (iamManagedPolicy) Replaces(old, new map[string]any) bool {
	return changed(old, new, "ManagedPolicyName", "Path", "Description")
}

func (iamManagedPolicy) Update(_ context.Context, env Env, cur Result, old, new map[string]any) (Result, error) {
	p := props(new)
	if err := requireProps(env, p, "PolicyDocument"); err != nil {
		return Result{}, err
	}
	var e iamEntity
	if err := loadState(cur, &e); err != nil {
		return Result{}, err
	}
	e.Props = new
	version, _ := cur.Attrs["DefaultVersionId"].(string)
	if changed(old, new, "PolicyDocument") {
		// IAM makes a new default version for every document change.
		n, _ := toInt(strings.TrimPrefix(version, "v"))
		version = "v" + scalarString(n+1)
	}
	return e.managedResult(env, version), nil
}

func (iamManagedPolicy) Delete(context.Context, Env, Result) error { return nil }
