// Package resources creates, updates and deletes the resources of CloudFormation
// stacks, one Provider per resource type. Providers act through Stratus's own
// AWS APIs (aws-sdk-go-v2 clients pointed at the edge), so a resource a stack
// makes is exactly the one the API would make, with the same validation and
// errors.
package resources

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Env is what every provider call gets: clients' configuration (endpoint,
// credentials, region) and the stack it works for.
type Env struct {
	Config    aws.Config
	AccountID string
	Region    string
	StackName string
	StackID   string
	// LogicalID is the resource's name in the template, for physical names
	// generated as CloudFormation generates them (stack-logical-RANDOM).
	LogicalID string
}

// Result is a resource as it exists: what Ref answers, what Fn::GetAtt
// answers, and whatever the provider needs to update or delete it later. It is
// stored with the stack, so it must survive a JSON round trip.
type Result struct {
	PhysicalID string          `json:"physicalId"`
	Attrs      map[string]any  `json:"attrs,omitempty"`
	State      json.RawMessage `json:"state,omitempty"`
}

// Provider is one resource type. Properties arrive with every intrinsic
// function already evaluated (plain JSON values: string, float64, bool,
// []any, map[string]any). Errors are returned as the service answered them
// (their message becomes the stack event's reason).
type Provider interface {
	// Create makes the resource and returns when it is ready to be used.
	Create(ctx context.Context, env Env, props map[string]any) (Result, error)
	// Replaces reports whether changing old into new needs a new resource
	// (a property AWS documents as "Update requires: Replacement").
	Replaces(old, new map[string]any) bool
	// Update changes the resource in place.
	Update(ctx context.Context, env Env, cur Result, old, new map[string]any) (Result, error)
	// Delete removes it; a resource already gone is not an error.
	Delete(ctx context.Context, env Env, cur Result) error
}

var providers = map[string]Provider{}

// register adds a provider for typ; each provider file calls it from init.
func register(typ string, p Provider) { providers[typ] = p }

// Lookup returns the provider of a resource type.
func Lookup(typ string) (Provider, bool) {
	p, ok := providers[typ]
	return p, ok
}

// Types lists the resource types there are providers for, sorted.
func Types() []string {
	out := make([]string, 0, len(providers))
	for t := range providers {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
