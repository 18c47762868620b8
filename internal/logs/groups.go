package logs

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

var groupNameRE = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)

const groupNamePattern = `[\.\-_/#A-Za-z0-9]+`

// checkGroupName validates a log group name as CreateLogGroup does.
func checkGroupName(name, field string) error {
	if len(name) > 512 {
		return errNameTooLong
	}
	if name == "" {
		return validation(name, field, "Member must have length greater than or equal to 1")
	}
	if !groupNameRE.MatchString(name) {
		return validation(name, field, "Member must satisfy regular expression pattern: "+groupNamePattern)
	}
	return nil
}

type createLogGroupInput struct {
	LogGroupName *string           `json:"logGroupName"`
	Tags         map[string]string `json:"tags"`
}

func (s *Service) createLogGroup(ctx context.Context, r *http.Request) (any, error) {
	var in createLogGroupInput
	if err := awsproto.ReadAWSJSON(r, &in); err != nil {
		return nil, err
	}
	if in.LogGroupName == nil {
		return nil, notNull("logGroupName")
	}
	if err := checkGroupName(*in.LogGroupName, "logGroupName"); err != nil {
		return nil, err
	}
	_, err := s.ensureGroup(ctx, awsproto.Info(ctx).Region, *in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// ensureGroup creates the group; errGroupExists if it is there already (the
// group is returned then too).
func (s *Service) ensureGroup(ctx context.Context, region, name string) (*groupState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := groupKey(region, name)
	if g := s.cache[k]; g != nil {
		return g, errGroupExists
	}
	rec := groupRecord{Region: region, Name: name, Created: s.nowMillis()}
	rev, err := s.groups.Create(ctx, k, rec)
	if errors.Is(err, store.ErrExists) {
		return nil, errGroupExists
	}
	if err != nil {
		return nil, err
	}
	g := &groupState{rec: rec, rev: rev, streams: map[string]*streamState{}}
	s.cache[k] = g
	return g, nil
}

type describeLogGroupsInput struct {
	LogGroupNamePrefix  *string `json:"logGroupNamePrefix"`
	LogGroupNamePattern *string `json:"logGroupNamePattern"`
	Limit               *int32  `json:"limit"`
	NextToken           *string `json:"nextToken"`
}

type logGroup struct {
	Arn                       string `json:"arn"`
	CreationTime              int64  `json:"creationTime"`
	DeletionProtectionEnabled bool   `json:"deletionProtectionEnabled"`
	LogGroupArn               string `json:"logGroupArn"`
	LogGroupClass             string `json:"logGroupClass"`
	LogGroupName              string `json:"logGroupName"`
	MetricFilterCount         int    `json:"metricFilterCount"`
	RetentionInDays           int32  `json:"retentionInDays,omitempty"`
	StoredBytes               int64  `json:"storedBytes"`
}

func (s *Service) describeLogGroups(ctx context.Context, r *http.Request) (any, error) {
	var in describeLogGroupsInput
	if err := awsproto.ReadAWSJSON(r, &in); err != nil {
		return nil, err
	}
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, errPrefixAndPattern
	}
	limit, err := checkLimit(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	after, err := decodeNameToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	region := awsproto.Info(ctx).Region
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := struct {
		LogGroups []logGroup `json:"logGroups"`
		NextToken string     `json:"nextToken,omitempty"`
	}{LogGroups: []logGroup{}}
	for _, g := range s.sortedGroupsLocked(region) {
		n := g.rec.Name
		if in.LogGroupNamePrefix != nil && !strings.HasPrefix(n, *in.LogGroupNamePrefix) {
			continue
		}
		if in.LogGroupNamePattern != nil && !strings.Contains(strings.ToLower(n), strings.ToLower(*in.LogGroupNamePattern)) {
			continue
		}
		if after != "" && n <= after {
			continue
		}
		if len(out.LogGroups) == limit {
			out.NextToken = encodeNameToken(out.LogGroups[limit-1].LogGroupName)
			break
		}
		arn := s.groupArn(region, n)
		out.LogGroups = append(out.LogGroups, logGroup{
			Arn: arn + ":*", CreationTime: g.rec.Created, LogGroupArn: arn, LogGroupClass: "STANDARD",
			LogGroupName: n, RetentionInDays: g.rec.Retention,
		})
	}
	return out, nil
}

// checkLimit validates an optional limit in 1..max, returning max when absent.
func checkLimit(limit *int32, max int) (int, error) {
	if limit == nil {
		return max, nil
	}
	if *limit < 1 {
		return 0, validation(*limit, "limit", "Member must have value greater than or equal to 1")
	}
	if int(*limit) > max {
		return 0, validation(*limit, "limit", "Member must have value less than or equal to "+strconv.Itoa(max))
	}
	return int(*limit), nil
}

func encodeNameToken(name string) string {
	return "n/" + base64.RawURLEncoding.EncodeToString([]byte(name))
}

func decodeNameToken(tok *string) (string, error) {
	if tok == nil {
		return "", nil
	}
	rest, ok := strings.CutPrefix(*tok, "n/")
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if !ok || err != nil || len(b) == 0 {
		return "", errBadToken
	}
	return string(b), nil
}

type groupNameInput struct {
	LogGroupName *string `json:"logGroupName"`
}

func (s *Service) deleteLogGroup(ctx context.Context, r *http.Request) (any, error) {
	var in groupNameInput
	if err := awsproto.ReadAWSJSON(r, &in); err != nil {
		return nil, err
	}
	if in.LogGroupName == nil {
		return nil, notNull("logGroupName")
	}
	region := awsproto.Info(ctx).Region
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.lookupGroupLocked(region, *in.LogGroupName)
	if err != nil {
		return nil, err
	}
	// The group goes first, so a crash half way leaves streams that Open cleans up.
	k := groupKey(region, g.rec.Name)
	if err := s.groups.Delete(ctx, k, 0); err != nil {
		return nil, err
	}
	delete(s.cache, k)
	for name := range g.streams {
		s.streams.Delete(ctx, streamKey(region, g.rec.Name, name), 0) //nolint:errcheck // Open removes strays
	}
	if err := s.events.Purge(ctx, jetstream.WithPurgeSubject(groupSubjects(region, g.rec.Name))); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// retentionDays are the values PutRetentionPolicy accepts.
var retentionDays = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

type putRetentionPolicyInput struct {
	LogGroupName    *string `json:"logGroupName"`
	RetentionInDays *int32  `json:"retentionInDays"`
}

func (s *Service) putRetentionPolicy(ctx context.Context, r *http.Request) (any, error) {
	var in putRetentionPolicyInput
	if err := awsproto.ReadAWSJSON(r, &in); err != nil {
		return nil, err
	}
	if in.LogGroupName == nil {
		return nil, notNull("logGroupName")
	}
	if in.RetentionInDays == nil {
		return nil, notNull("retentionInDays")
	}
	ok := false
	for _, d := range retentionDays {
		ok = ok || d == *in.RetentionInDays
	}
	if !ok {
		return nil, validation(*in.RetentionInDays, "retentionInDays",
			"Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
	}
	return struct{}{}, s.setRetention(ctx, awsproto.Info(ctx).Region, *in.LogGroupName, *in.RetentionInDays)
}

func (s *Service) deleteRetentionPolicy(ctx context.Context, r *http.Request) (any, error) {
	var in groupNameInput
	if err := awsproto.ReadAWSJSON(r, &in); err != nil {
		return nil, err
	}
	if in.LogGroupName == nil {
		return nil, notNull("logGroupName")
	}
	return struct{}{}, s.setRetention(ctx, awsproto.Info(ctx).Region, *in.LogGroupName, 0)
}

func (s *Service) setRetention(ctx context.Context, region, name string, days int32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.lookupGroupLocked(region, name)
	if err != nil {
		return err
	}
	rec := g.rec
	rec.Retention = days
	rev, err := s.groups.Update(ctx, groupKey(region, name), rec, g.rev)
	if err != nil {
		return err
	}
	g.rec, g.rev = rec, rev
	return nil
}
