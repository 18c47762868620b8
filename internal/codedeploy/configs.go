package codedeploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	platformLambda = "Lambda"

	routingCanary    = "TimeBasedCanary"
	routingLinear    = "TimeBasedLinear"
	routingAllAtOnce = "AllAtOnce"

	predefinedPrefix = "CodeDeployDefault."
	defaultConfig    = "CodeDeployDefault.LambdaAllAtOnce"
)

// configRec is a deployment configuration as stored (custom ones) or built
// in (the predefined ones).
type configRec struct {
	ID      string               `json:"id"`
	Region  string               `json:"region"`
	Name    string               `json:"name"`
	Created time.Time            `json:"created"`
	Routing trafficRoutingConfig `json:"routing"`
}

func (c *configRec) info() deploymentConfigInfo {
	r := c.Routing
	return deploymentConfigInfo{DeploymentConfigID: c.ID, DeploymentConfigName: c.Name, CreateTime: at(c.Created),
		ComputePlatform: platformLambda, TrafficRoutingConfig: &r}
}

// predefinedCreated is when AWS introduced the Lambda configurations: the
// predefined ones carry it as their creation time.
var predefinedCreated = time.Date(2017, 11, 28, 0, 0, 0, 0, time.UTC)

func canary(pct, every int32) trafficRoutingConfig {
	return trafficRoutingConfig{Type: routingCanary, TimeBasedCanary: &timeBased{CanaryPercentage: pct, CanaryInterval: every}}
}

func linear(pct, every int32) trafficRoutingConfig {
	return trafficRoutingConfig{Type: routingLinear, TimeBasedLinear: &timeBased{LinearPercentage: pct, LinearInterval: every}}
}

// predefined are CodeDeploy's Lambda deployment configurations.
var predefined = func() map[string]*configRec {
	m := map[string]*configRec{}
	add := func(name string, r trafficRoutingConfig) {
		sum := sha256.Sum256([]byte(name))
		id := hex.EncodeToString(sum[:16])
		id = id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]
		m[name] = &configRec{ID: id, Name: name, Created: predefinedCreated, Routing: r}
	}
	add("CodeDeployDefault.LambdaAllAtOnce", trafficRoutingConfig{Type: routingAllAtOnce})
	for _, n := range []int32{5, 10, 15, 30} {
		add("CodeDeployDefault.LambdaCanary10Percent"+itoa(n)+"Minutes", canary(10, n))
	}
	add("CodeDeployDefault.LambdaLinear10PercentEvery1Minute", linear(10, 1))
	for _, n := range []int32{2, 3, 10} {
		add("CodeDeployDefault.LambdaLinear10PercentEvery"+itoa(n)+"Minutes", linear(10, n))
	}
	return m
}()

func itoa(n int32) string { return strconv.FormatInt(int64(n), 10) }

// lookupConfigLocked returns the named configuration, predefined or the
// region's own, or DeploymentConfigDoesNotExistException. Callers hold s.mu.
func (s *Service) lookupConfigLocked(region, name string) (*configRec, error) {
	if c, ok := predefined[name]; ok {
		return c, nil
	}
	if c, ok := s.configs[key(region, name)]; ok {
		return c, nil
	}
	return nil, errConfigNotFound(name)
}

// checkRouting validates a custom configuration's traffic routing as
// CodeDeploy does for the Lambda platform.
func checkRouting(r *trafficRoutingConfig) error {
	if r == nil || r.Type == "" {
		return errTrafficRouting("A traffic routing configuration with a type is required for the Lambda compute platform.")
	}
	switch r.Type {
	case routingAllAtOnce:
		r.TimeBasedCanary, r.TimeBasedLinear = nil, nil
	case routingCanary:
		b := r.TimeBasedCanary
		if b == nil || b.CanaryPercentage < 1 || b.CanaryPercentage > 99 || b.CanaryInterval < 1 {
			return errTrafficRouting("TimeBasedCanary needs a canaryPercentage from 1 to 99 and a canaryInterval of at least 1 minute.")
		}
		r.TimeBasedLinear = nil
	case routingLinear:
		b := r.TimeBasedLinear
		if b == nil || b.LinearPercentage < 1 || b.LinearPercentage > 99 || b.LinearInterval < 1 {
			return errTrafficRouting("TimeBasedLinear needs a linearPercentage from 1 to 99 and a linearInterval of at least 1 minute.")
		}
		r.TimeBasedCanary = nil
	default:
		return errTrafficRouting("The traffic routing type %s is not valid: it must be TimeBasedCanary, TimeBasedLinear or AllAtOnce.", r.Type)
	}
	return nil
}

func (s *Service) createDeploymentConfig(ctx context.Context, r *http.Request, in *input) (any, error) {
	if in.DeploymentConfigName == nil || *in.DeploymentConfigName == "" {
		return nil, errDeploymentConfigNameReq
	}
	name := *in.DeploymentConfigName
	if len(name) > 100 {
		return nil, errInvalidConfigName("The deployment configuration name %s is longer than 100 characters.", name)
	}
	if strings.HasPrefix(name, predefinedPrefix) {
		return nil, errInvalidConfigName("The deployment configuration name %s is reserved: names starting with %s are CodeDeploy's own.", name, predefinedPrefix)
	}
	if in.ComputePlatform != platformLambda {
		return nil, errComputePlatform(in.ComputePlatform)
	}
	if len(in.MinimumHealthyHosts) > 0 && string(in.MinimumHealthyHosts) != "null" {
		return nil, errInvalidInput("minimumHealthyHosts applies to the Server compute platform, not Lambda.")
	}
	if err := checkRouting(in.TrafficRoutingConfig); err != nil {
		return nil, err
	}
	region := s.region(r)
	c := configRec{ID: newUUID(), Region: region, Name: name, Created: s.Now().UTC(), Routing: *in.TrafficRoutingConfig}
	k := key(region, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.configs[k]; ok {
		return nil, errConfigExists(name)
	}
	if err := createRecLocked(ctx, s.configTable, s.configs, k, c, errConfigExists(name)); err != nil {
		return nil, err
	}
	return map[string]string{"deploymentConfigId": c.ID}, nil
}

func (s *Service) getDeploymentConfig(ctx context.Context, r *http.Request, in *input) (any, error) {
	if in.DeploymentConfigName == nil || *in.DeploymentConfigName == "" {
		return nil, errDeploymentConfigNameReq
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lookupConfigLocked(s.region(r), *in.DeploymentConfigName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deploymentConfigInfo": c.info()}, nil
}

func (s *Service) listDeploymentConfigs(ctx context.Context, r *http.Request, in *input) (any, error) {
	region := s.region(r)
	s.mu.Lock()
	names := make([]string, 0, len(predefined)+len(s.configs))
	for n := range predefined {
		names = append(names, n)
	}
	for _, c := range s.configs {
		if c.Region == region {
			names = append(names, c.Name)
		}
	}
	s.mu.Unlock()
	sort.Strings(names)
	page, next, err := paginate(names, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deploymentConfigsList": page, "nextToken": omitEmpty(next)}, nil
}

func (s *Service) deleteDeploymentConfig(ctx context.Context, r *http.Request, in *input) (any, error) {
	if in.DeploymentConfigName == nil || *in.DeploymentConfigName == "" {
		return nil, errDeploymentConfigNameReq
	}
	name := *in.DeploymentConfigName
	if _, ok := predefined[name]; ok {
		return nil, errPredefinedConfig
	}
	region := s.region(r)
	k := key(region, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	// CodeDeploy answers a missing custom configuration with success.
	if _, ok := s.configs[k]; !ok {
		return struct{}{}, nil
	}
	for _, g := range s.groups {
		if g.Region == region && g.Config == name {
			return nil, errConfigInUse(name)
		}
	}
	if err := deleteRecLocked(ctx, s.configTable, s.configs, k); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
