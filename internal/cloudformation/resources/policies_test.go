package resources

import (
	"context"
	"reflect"
	"testing"
)

// TestTargetPolicyState checks that the state a policy stores keeps the shape
// stacks saved before targetPolicy have ({"topics":[…]}, {"queues":[…]}), and
// that Delete clears the policy from the targets it reads back.
func TestTargetPolicyState(t *testing.T) {
	for _, tc := range []struct {
		p    targetPolicy
		want string
	}{
		{snsTopicPolicy, `{"topics":["a","b"]}`},
		{sqsQueuePolicy, `{"queues":["a","b"]}`},
	} {
		t.Run(tc.p.list, func(t *testing.T) {
			if got := string(tc.p.state([]string{"a", "b"})); got != tc.want {
				t.Fatalf("state = %s, want %s", got, tc.want)
			}
			var cleared []string
			p := tc.p
			p.set = func(_ context.Context, _ Env, targets []string, doc string) error {
				if doc != "" {
					t.Errorf("Delete set doc %q, want it cleared", doc)
				}
				cleared = append(cleared, targets...)
				return nil
			}
			if err := p.Delete(context.Background(), Env{}, Result{State: []byte(tc.want)}); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cleared, []string{"a", "b"}) {
				t.Fatalf("Delete cleared %v, want [a b]", cleared)
			}
		})
	}
}
