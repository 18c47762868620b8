package codedeploy

import "time"

// shift is one traffic step of a deployment: the percentage of the alias's
// traffic the target version gets, and how long (in schedule time) that
// holds before the next step.
type shift struct {
	Percent int32
	Hold    time.Duration
}

// shifts is the traffic plan of a Lambda deployment configuration, as
// CodeDeploy carries it out: a canary sends its percentage for its interval,
// then everything; a linear one adds its percentage every interval until
// everything; all-at-once sends everything at once. The last step is always
// 100% and holds for nothing.
func shifts(c trafficRoutingConfig) []shift {
	switch c.Type {
	case routingCanary:
		if b := c.TimeBasedCanary; b != nil && b.CanaryPercentage > 0 && b.CanaryPercentage < 100 {
			return []shift{{b.CanaryPercentage, minutes(b.CanaryInterval)}, {100, 0}}
		}
	case routingLinear:
		if b := c.TimeBasedLinear; b != nil && b.LinearPercentage > 0 && b.LinearPercentage < 100 {
			var out []shift
			for p := b.LinearPercentage; p < 100; p += b.LinearPercentage {
				out = append(out, shift{p, minutes(b.LinearInterval)})
			}
			return append(out, shift{100, 0})
		}
	}
	return []shift{{100, 0}}
}

func minutes(n int32) time.Duration { return time.Duration(n) * time.Minute }

// hasEvent reports whether rollback on ev (DEPLOYMENT_FAILURE,
// DEPLOYMENT_STOP_ON_ALARM) is configured.
func (c *autoRollbackConfiguration) hasEvent(ev string) bool {
	if c == nil || !c.Enabled {
		return false
	}
	for _, e := range c.Events {
		if e == ev {
			return true
		}
	}
	return false
}

// alarmNames returns the alarms a deployment watches: none when the
// configuration is missing or disabled.
func (c *alarmConfiguration) alarmNames() []string {
	if c == nil || !c.Enabled {
		return nil
	}
	var names []string
	for _, a := range c.Alarms {
		if a.Name != "" {
			names = append(names, a.Name)
		}
	}
	return names
}
