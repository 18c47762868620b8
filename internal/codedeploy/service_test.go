package codedeploy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/store"
)

// fakeLambda is one function alias in memory, recording every change.
type fakeLambda struct {
	mu      sync.Mutex
	version string
	weights map[string]float64
	updates []string
	invoked chan []byte
}

func (f *fakeLambda) GetAlias(ctx context.Context, region, function, alias string) (Alias, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if function != "fn" || alias != "live" {
		return Alias{}, ErrNoAlias
	}
	return Alias{Version: f.version, Weights: f.weights}, nil
}

func (f *fakeLambda) UpdateAlias(ctx context.Context, region, function, alias, version string, weights map[string]float64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version, f.weights = version, weights
	f.updates = append(f.updates, fmt.Sprintf("%s %v", version, weights))
	return nil
}

func (f *fakeLambda) InvokeEvent(ctx context.Context, region, function string, payload []byte) error {
	f.invoked <- payload
	return nil
}

func openService(t *testing.T, lam Lambda) *Service {
	t.Helper()
	ctx := context.Background()
	st := &store.Store{Dir: t.TempDir()}
	if err := st.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) }) //nolint:errcheck
	s := &Service{Store: st, Lambda: lam, Minute: 40 * time.Millisecond}
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) }) //nolint:errcheck
	s.Resume()
	r := httptest.NewRequest("POST", "/", nil)
	name, group, role := "app", "group", "arn:aws:iam::000000000000:role/cd"
	if _, err := s.createApplication(ctx, r, &input{ApplicationName: &name, ComputePlatform: platformLambda}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.createDeploymentGroup(ctx, r, &input{ApplicationName: &name, DeploymentGroupName: &group, ServiceRoleArn: &role,
		AutoRollbackConfiguration: &autoRollbackConfiguration{Enabled: true, Events: []string{eventFailure}}}); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDeployFromGo runs deployments through the entry point CloudFormation
// uses: a canary moves the alias in CodeDeploy's two steps, and a failing
// BeforeAllowTraffic hook ends the deployment rolled back with the alias
// untouched.
func TestDeployFromGo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	lam := &fakeLambda{version: "1", invoked: make(chan []byte, 4)}
	s := openService(t, lam)

	id, err := s.Deploy(ctx, DeployInput{Application: "app", Group: "group", Config: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
		Function: "fn", Alias: "live", CurrentVersion: "1", TargetVersion: "2"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Wait(ctx, id)
	if err != nil || res.Status != statusSucceeded {
		t.Fatalf("Wait = %+v, %v", res, err)
	}
	lam.mu.Lock()
	got := fmt.Sprint(lam.updates)
	lam.mu.Unlock()
	if want := "[1 map[2:0.1] 2 map[]]"; got != want {
		t.Errorf("alias updates %s, want %s", got, want)
	}

	id, err = s.Deploy(ctx, DeployInput{Application: "app", Group: "group", Function: "fn", Alias: "live",
		CurrentVersion: "2", TargetVersion: "3", BeforeHook: "pre"})
	if err != nil {
		t.Fatal(err)
	}
	var ev struct{ DeploymentId, LifecycleEventHookExecutionId string }
	select {
	case b := <-lam.invoked:
		if err := json.Unmarshal(b, &ev); err != nil || ev.DeploymentId != id {
			t.Fatalf("hook payload %s", b)
		}
	case <-ctx.Done():
		t.Fatal("the hook was not invoked")
	}
	failed := evFailed
	r := httptest.NewRequest("POST", "/", nil)
	if _, err := s.putHookStatus(ctx, r, &input{DeploymentID: &id, HookExecutionID: &ev.LifecycleEventHookExecutionId, Status: &failed}); err != nil {
		t.Fatal(err)
	}
	res, err = s.Wait(ctx, id)
	if err != nil || res.Status != statusFailed || res.ErrorCode != "HOOK_EXECUTION_FAILURE" || res.RollbackID == "" {
		t.Fatalf("Wait = %+v, %v", res, err)
	}
	lam.mu.Lock()
	defer lam.mu.Unlock()
	if len(lam.updates) != 2 || lam.version != "2" {
		t.Errorf("a deployment failed before traffic moved the alias: %v", lam.updates)
	}
	if _, err := s.Deploy(ctx, DeployInput{Application: "app", Group: "nope", Function: "fn", Alias: "live", CurrentVersion: "2", TargetVersion: "3"}); err == nil {
		t.Error("Deploy to a missing group succeeded")
	}
}
