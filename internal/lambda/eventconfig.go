package lambda

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

// Event invoke config defaults and bounds, as Lambda's.
const (
	defaultMaxRetry  = 2
	defaultMaxAgeSec = 21600
	minMaxAgeSec     = 60
)

// eventConfig is a FunctionEventInvokeConfig as stored, one per function qualifier.
type eventConfig struct {
	Region       string    `json:"region"`
	Name         string    `json:"name"`
	Qualifier    string    `json:"qualifier"` // "$LATEST", a version or an alias
	MaxRetry     *int      `json:"maxRetry,omitempty"`
	MaxAge       *int      `json:"maxAge,omitempty"`
	OnSuccess    string    `json:"onSuccess,omitempty"`
	OnFailure    string    `json:"onFailure,omitempty"`
	LastModified time.Time `json:"lastModified"`
}

// retries and maxAge apply the defaults.
func (c *eventConfig) retries() int {
	if c == nil || c.MaxRetry == nil {
		return defaultMaxRetry
	}
	return *c.MaxRetry
}

func (c *eventConfig) maxAge(unit time.Duration) time.Duration {
	if c == nil || c.MaxAge == nil {
		return defaultMaxAgeSec * unit
	}
	return time.Duration(*c.MaxAge) * unit
}

// eventConfigKey is the bucket key; "$" may not appear in a key and "=" may not
// appear in a function name or alias, so $LATEST becomes "=LATEST".
func eventConfigKey(region, name, qualifier string) string {
	if qualifier == "" || qualifier == "$LATEST" {
		qualifier = "=LATEST"
	}
	return region + "/" + name + "/" + qualifier
}

// Wire shapes.
type (
	destination struct {
		Destination *string `json:"Destination,omitempty"`
	}
	destinationConfig struct {
		OnSuccess *destination `json:"OnSuccess,omitempty"`
		OnFailure *destination `json:"OnFailure,omitempty"`
	}
	eventConfigInput struct {
		MaximumRetryAttempts     *int               `json:"MaximumRetryAttempts"`
		MaximumEventAgeInSeconds *int               `json:"MaximumEventAgeInSeconds"`
		DestinationConfig        *destinationConfig `json:"DestinationConfig"`
	}
	eventConfigOutput struct {
		LastModified             float64           `json:"LastModified"` // epoch seconds
		FunctionArn              string            `json:"FunctionArn"`
		MaximumRetryAttempts     *int              `json:"MaximumRetryAttempts,omitempty"`
		MaximumEventAgeInSeconds *int              `json:"MaximumEventAgeInSeconds,omitempty"`
		DestinationConfig        destinationConfig `json:"DestinationConfig"`
	}
	eventConfigList struct {
		FunctionEventInvokeConfigs []eventConfigOutput `json:"FunctionEventInvokeConfigs"`
		NextMarker                 *string             `json:"NextMarker,omitempty"`
	}
)

func (s *Service) eventConfigOutput(c *eventConfig) eventConfigOutput {
	o := eventConfigOutput{
		LastModified:             float64(c.LastModified.UnixMilli()) / 1000,
		FunctionArn:              s.arn(c.Region, c.Name) + ":" + c.Qualifier,
		MaximumRetryAttempts:     c.MaxRetry,
		MaximumEventAgeInSeconds: c.MaxAge,
		DestinationConfig:        destinationConfig{OnSuccess: &destination{}, OnFailure: &destination{}},
	}
	if c.OnSuccess != "" {
		o.DestinationConfig.OnSuccess.Destination = &c.OnSuccess
	}
	if c.OnFailure != "" {
		o.DestinationConfig.OnFailure.Destination = &c.OnFailure
	}
	return o
}

// reDestination is the model's pattern for a destination ARN.
var reDestination = regexp.MustCompile(`^$|^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)$`)

const patternDestination = `Member must satisfy regular expression pattern: ^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)`

var errNoEventSetting = invalidParameter("You must specify at least one of error handling or destination setting.")

// validateEventConfig checks the input as Lambda does: model constraints first
// (ValidationException), then the service's own rules.
func (s *Service) validateEventConfig(in *eventConfigInput, region, name string) error {
	if v := in.MaximumRetryAttempts; v != nil {
		if *v < 0 {
			return awsproto.Validation(*v, "maximumRetryAttempts", "Member must have value greater than or equal to 0")
		}
		if *v > 2 {
			return awsproto.Validation(*v, "maximumRetryAttempts", "Member must have value less than or equal to 2")
		}
	}
	if v := in.MaximumEventAgeInSeconds; v != nil {
		if *v < minMaxAgeSec {
			return awsproto.Validation(*v, "maximumEventAgeInSeconds", "Member must have value greater than or equal to 60")
		}
		if *v > defaultMaxAgeSec {
			return awsproto.Validation(*v, "maximumEventAgeInSeconds", "Member must have value less than or equal to 21600")
		}
	}
	if d := in.DestinationConfig; d != nil {
		for _, x := range []struct {
			field string
			d     *destination
		}{{"destinationConfig.onSuccess.destination", d.OnSuccess}, {"destinationConfig.onFailure.destination", d.OnFailure}} {
			if x.d != nil && x.d.Destination != nil && (len(*x.d.Destination) > 350 || !reDestination.MatchString(*x.d.Destination)) {
				return awsproto.Validation(*x.d.Destination, x.field, patternDestination)
			}
		}
	}
	if in.MaximumRetryAttempts == nil && in.MaximumEventAgeInSeconds == nil && in.DestinationConfig == nil {
		return errNoEventSetting
	}
	if d := in.DestinationConfig; d != nil {
		for _, x := range []*destination{d.OnSuccess, d.OnFailure} {
			if x != nil && x.Destination != nil && *x.Destination != "" {
				if err := s.checkDestination(*x.Destination, region, name, d); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// destinationServices names the services Lambda can deliver to, for the message
// that Stratus cannot yet.
var destinationServices = map[string]string{"sqs": "Amazon SQS", "sns": "Amazon SNS", "events": "Amazon EventBridge", "s3": "Amazon S3"}

// checkDestination accepts a destination Stratus can deliver to: a Lambda function
// other than this one. Services Stratus does not serve yet are refused, never
// accepted silently.
func (s *Service) checkDestination(arn, region, name string, d *destinationConfig) error {
	parts := strings.SplitN(arn, ":", 6)
	switch svc := parts[2]; svc {
	case "lambda":
		dr, dn, _, ok := s.parseLambdaArn(arn)
		if !ok || s.lookup(dr, dn) == nil {
			return invalidParameter("The destination ARN " + arn + " is invalid.")
		}
		if dr == region && dn == name {
			return invalidParameter("You can't specify the function as a destination for itself.")
		}
		return nil
	case "sqs", "sns", "events":
		if s.Targets != nil {
			return nil
		}
		return invalidParameter("Stratus cannot deliver to " + destinationServices[svc] + " destinations on this server (" + arn + ").")
	default:
		if full, ok := destinationServices[svc]; ok {
			return invalidParameter("Stratus cannot deliver to " + full + " destinations yet (" + arn + "); use a Lambda function ARN.")
		}
	}
	str := func(x *destination) string {
		if x == nil || x.Destination == nil || *x.Destination == "" {
			return "null"
		}
		return "(destination=" + *x.Destination + ")"
	}
	onS, onF := str(d.OnSuccess), str(d.OnFailure)
	if onS != "null" {
		onS = "OnSuccess" + onS
	}
	if onF != "null" {
		onF = "OnFailure" + onF
	}
	return invalidParameter("The provided destination config DestinationConfig(onSuccess=" + onS + ", onFailure=" + onF + ") is invalid.")
}

// parseLambdaArn splits arn:aws:lambda:region:account:function:name[:qualifier].
func (s *Service) parseLambdaArn(arn string) (region, name, qualifier string, ok bool) {
	p := strings.Split(arn, ":")
	if len(p) < 7 || len(p) > 8 || p[2] != "lambda" || p[5] != "function" || p[4] != s.Account || p[6] == "" {
		return "", "", "", false
	}
	if len(p) == 8 {
		qualifier = p[7]
	}
	return p[3], p[6], qualifier, true
}

// eventConfigTarget resolves the function and qualifier an event-invoke-config
// request names; a missing function or qualifier is "The function doesn't exist."
func (s *Service) eventConfigTarget(r *http.Request, ref string) (region, name, qualifier string, err error) {
	region = awsproto.Info(r.Context()).Region
	name, qualifier, err = s.invokeRef(r, ref, region)
	if err != nil {
		return "", "", "", err
	}
	if qualifier == "" {
		qualifier = "$LATEST"
	}
	return region, name, qualifier, nil
}

func errNoEventConfig(arn string) error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound,
		Message: "The function " + arn + " doesn't have an EventInvokeConfig"}
}

var errFunctionMissing = &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: "The function doesn't exist."}

// putEventConfig is PutFunctionEventInvokeConfig (replace=true: every setting not
// given is cleared) and UpdateFunctionEventInvokeConfig (only the given ones change).
func (s *Service) putEventConfig(replace bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) error {
		region, name, qualifier, err := s.eventConfigTarget(r, p.function)
		if err != nil {
			return err
		}
		var in eventConfigInput
		if err := decodeBody(r, 1<<16, "PutFunctionEventInvokeConfig", &in); err != nil {
			return err
		}
		if err := s.validateEventConfig(&in, region, name); err != nil {
			return err
		}
		if _, _, err := s.resolveInvoke(region, name, qualifier); err != nil {
			return errFunctionMissing
		}
		k := eventConfigKey(region, name, qualifier)
		for {
			old, rev, err := s.eventConfigs.Get(r.Context(), k)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			exists := err == nil
			if !replace && !exists {
				return errNoEventConfig(s.arn(region, name) + ":" + qualifier)
			}
			c := eventConfig{Region: region, Name: name, Qualifier: qualifier}
			if !replace {
				c = old
			}
			if in.MaximumRetryAttempts != nil || replace {
				c.MaxRetry = in.MaximumRetryAttempts
			}
			if in.MaximumEventAgeInSeconds != nil || replace {
				c.MaxAge = in.MaximumEventAgeInSeconds
			}
			if d := in.DestinationConfig; d != nil || replace {
				c.OnSuccess, c.OnFailure = "", ""
				if d != nil && d.OnSuccess != nil && d.OnSuccess.Destination != nil {
					c.OnSuccess = *d.OnSuccess.Destination
				}
				if d != nil && d.OnFailure != nil && d.OnFailure.Destination != nil {
					c.OnFailure = *d.OnFailure.Destination
				}
			}
			c.LastModified = time.Now().UTC()
			if exists {
				_, err = s.eventConfigs.Update(r.Context(), k, c, rev)
			} else {
				_, err = s.eventConfigs.Create(r.Context(), k, c)
			}
			if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) {
				continue // someone else wrote it first: apply ours on top of theirs
			}
			if err != nil {
				return err
			}
			// The watch brings the same value a moment later; events delivered
			// from now on see it already.
			s.eventCache.Store(k, &c)
			awsproto.WriteJSON(w, http.StatusOK, s.eventConfigOutput(&c))
			return nil
		}
	}
}

// getEventConfig is GetFunctionEventInvokeConfig.
func (s *Service) getEventConfig(w http.ResponseWriter, r *http.Request, p params) error {
	region, name, qualifier, err := s.eventConfigTarget(r, p.function)
	if err != nil {
		return err
	}
	c, _, err := s.eventConfigs.Get(r.Context(), eventConfigKey(region, name, qualifier))
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.lookup(region, name) == nil) {
		return errNoEventConfig(s.arn(region, name) + ":" + qualifier)
	}
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, s.eventConfigOutput(&c))
	return nil
}

// deleteEventConfig is DeleteFunctionEventInvokeConfig.
func (s *Service) deleteEventConfig(w http.ResponseWriter, r *http.Request, p params) error {
	region, name, qualifier, err := s.eventConfigTarget(r, p.function)
	if err != nil {
		return err
	}
	k := eventConfigKey(region, name, qualifier)
	_, rev, err := s.eventConfigs.Get(r.Context(), k)
	if errors.Is(err, store.ErrNotFound) {
		return errNoEventConfig(s.arn(region, name) + ":" + qualifier)
	}
	if err != nil {
		return err
	}
	if err := s.eventConfigs.Delete(r.Context(), k, rev); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	s.eventCache.Delete(k)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listEventConfigs is ListFunctionEventInvokeConfigs, in qualifier order; the
// marker is the index of the next item.
func (s *Service) listEventConfigs(w http.ResponseWriter, r *http.Request, p params) error {
	region := awsproto.Info(r.Context()).Region
	name, qualifier, err := s.parseFunctionRef(p.function, region, "functionName", 140)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	maxItems := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return awsproto.Validation(v, "maxItems", "Member must have value greater than or equal to 1")
		}
		if n > 50 {
			return awsproto.Validation(v, "maxItems", "Member must have value less than or equal to 50")
		}
		maxItems = n
	}
	if qualifier != "" || s.lookup(region, name) == nil {
		return errFunctionMissing
	}
	configs, err := s.eventConfigsOf(r.Context(), region, name)
	if err != nil {
		return err
	}
	start := 0
	if m := q.Get("Marker"); m != "" {
		if start, err = strconv.Atoi(m); err != nil || start < 0 || start > len(configs) {
			return invalidParameter("The marker " + m + " is invalid.")
		}
	}
	out := eventConfigList{FunctionEventInvokeConfigs: []eventConfigOutput{}}
	end := min(start+maxItems, len(configs))
	for i := start; i < end; i++ {
		out.FunctionEventInvokeConfigs = append(out.FunctionEventInvokeConfigs, s.eventConfigOutput(&configs[i]))
	}
	if end < len(configs) {
		m := strconv.Itoa(end)
		out.NextMarker = &m
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

// eventConfigsOf returns a function's configs, ordered by qualifier.
func (s *Service) eventConfigsOf(ctx context.Context, region, name string) ([]eventConfig, error) {
	keys, err := s.eventConfigs.Keys(ctx)
	if err != nil {
		return nil, err
	}
	prefix := region + "/" + name + "/"
	var out []eventConfig
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		c, _, err := s.eventConfigs.Get(ctx, k)
		if err == nil {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Qualifier < out[j].Qualifier })
	return out, nil
}

// dropEventConfigs removes a deleted function's configs, so a function created
// later under the same name starts without them.
func (s *Service) dropEventConfigs(ctx context.Context, region, name string) {
	configs, err := s.eventConfigsOf(ctx, region, name)
	if err != nil {
		return
	}
	for _, c := range configs {
		s.eventConfigs.Delete(ctx, eventConfigKey(region, name, c.Qualifier), 0) //nolint:errcheck
	}
}

// openEventConfigs binds the configs bucket and keeps an in-memory copy of it
// fresh through a watch, so delivering an event reads no store.
func (s *Service) openEventConfigs(ctx context.Context) error {
	t, err := store.OpenTable[eventConfig](ctx, s.Store, "lambda_event_invoke_configs", 1)
	if err != nil {
		return err
	}
	s.eventConfigs = t
	ready := make(chan struct{})
	var once sync.Once
	wctx, cancel := context.WithCancel(context.Background())
	prev := s.watchCx
	s.watchCx = func() {
		cancel()
		if prev != nil {
			prev()
		}
	}
	err = t.Watch(wctx, func(c store.Change[eventConfig], ok bool) {
		switch {
		case !ok:
			once.Do(func() { close(ready) })
		case c.Deleted:
			s.eventCache.Delete(c.Key)
		default:
			v := c.Value
			s.eventCache.Store(c.Key, &v)
		}
	})
	if err != nil {
		return err
	}
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// eventConfigFor is the config an event of name:qualifier is handled with, or nil
// for the defaults. It reads the in-memory copy.
func (s *Service) eventConfigFor(_ context.Context, region, name, qualifier string) *eventConfig {
	if v, ok := s.eventCache.Load(eventConfigKey(region, name, qualifier)); ok {
		return v.(*eventConfig)
	}
	return nil
}
