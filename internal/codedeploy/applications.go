package codedeploy

import (
	"context"
	"net/http"
	"sort"
	"time"
)

// appRec is an application as stored.
type appRec struct {
	ID       string    `json:"id"`
	Region   string    `json:"region"`
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Platform string    `json:"platform"`
	Tags     []tag     `json:"tags,omitempty"`
}

func (a *appRec) info() applicationInfo {
	return applicationInfo{ApplicationID: a.ID, ApplicationName: a.Name, CreateTime: at(a.Created), ComputePlatform: a.Platform}
}

// checkName validates an application or deployment group name: 1 to 100
// characters.
func checkName(p *string, required, invalid func(string) error) (string, error) {
	if p == nil || *p == "" {
		return "", required("")
	}
	if len(*p) > 100 {
		return "", invalid(*p)
	}
	return *p, nil
}

func appName(p *string) (string, error) {
	return checkName(p, func(string) error { return errApplicationNameRequired },
		func(n string) error { return errInvalidApplicationName(n) })
}

func groupName(p *string) (string, error) {
	return checkName(p, func(string) error { return errDeploymentGroupNameRequired },
		func(n string) error { return errInvalidGroupName(n) })
}

// appAndGroupName validates the application and deployment group names a
// request gives, the application's first.
func appAndGroupName(app, group *string) (string, string, error) {
	a, err := appName(app)
	if err != nil {
		return "", "", err
	}
	g, err := groupName(group)
	if err != nil {
		return "", "", err
	}
	return a, g, nil
}

// lookupAppLocked returns the region's application or
// ApplicationDoesNotExistException. Callers hold s.mu.
func (s *Service) lookupAppLocked(region, name string) (*appRec, error) {
	if a, ok := s.apps[key(region, name)]; ok {
		return a, nil
	}
	return nil, errApplicationNotFound(name)
}

func (s *Service) createApplication(ctx context.Context, r *http.Request, in *input) (any, error) {
	name, err := appName(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	// CodeDeploy's default platform is Server, which Stratus does not serve.
	platform := in.ComputePlatform
	if platform == "" {
		platform = "Server"
	}
	if platform != platformLambda {
		return nil, errComputePlatform(platform)
	}
	region := s.region(r)
	a := appRec{ID: newUUID(), Region: region, Name: name, Created: s.Now().UTC(), Platform: platform, Tags: in.Tags}
	k := key(region, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.apps[k]; ok {
		return nil, errApplicationExists(name)
	}
	if err := createRecLocked(ctx, s.appTable, s.apps, k, a, errApplicationExists(name)); err != nil {
		return nil, err
	}
	return map[string]string{"applicationId": a.ID}, nil
}

func (s *Service) getApplication(ctx context.Context, r *http.Request, in *input) (any, error) {
	name, err := appName(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupAppLocked(s.region(r), name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"application": a.info()}, nil
}

func (s *Service) batchGetApplications(ctx context.Context, r *http.Request, in *input) (any, error) {
	if len(in.ApplicationNames) == 0 {
		return nil, errApplicationNameRequired
	}
	if len(in.ApplicationNames) > 100 {
		return nil, errBatchLimit
	}
	region := s.region(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []applicationInfo{}
	for _, n := range in.ApplicationNames {
		a, err := s.lookupAppLocked(region, n)
		if err != nil {
			return nil, err
		}
		out = append(out, a.info())
	}
	return map[string]any{"applicationsInfo": out}, nil
}

func (s *Service) listApplications(ctx context.Context, r *http.Request, in *input) (any, error) {
	region := s.region(r)
	s.mu.Lock()
	names := []string{}
	for _, a := range s.apps {
		if a.Region == region {
			names = append(names, a.Name)
		}
	}
	s.mu.Unlock()
	sort.Strings(names)
	page, next, err := paginate(names, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return map[string]any{"applications": page, "nextToken": omitEmpty(next)}, nil
}

// updateApplication renames an application, with its deployment groups.
func (s *Service) updateApplication(ctx context.Context, r *http.Request, in *input) (any, error) {
	name, err := appName(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	region := s.region(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupAppLocked(region, name)
	if err != nil {
		return nil, err
	}
	if in.NewApplicationName == nil || *in.NewApplicationName == name {
		return struct{}{}, nil
	}
	newName, err := appName(in.NewApplicationName)
	if err != nil {
		return nil, err
	}
	nk := key(region, newName)
	if _, ok := s.apps[nk]; ok {
		return nil, errApplicationExists(newName)
	}
	na := *a
	na.Name = newName
	if _, err := s.appTable.Create(ctx, nk, na); err != nil {
		return nil, err
	}
	for k, g := range s.groupsOfLocked(region, name) {
		ng := *g
		ng.Application = newName
		gk := key(region, newName, g.Name)
		if _, err := s.groupTable.Create(ctx, gk, ng); err != nil {
			return nil, err
		}
		s.groups[gk] = &ng
		if err := deleteRecLocked(ctx, s.groupTable, s.groups, k); err != nil {
			return nil, err
		}
	}
	if err := deleteRecLocked(ctx, s.appTable, s.apps, key(region, name)); err != nil {
		return nil, err
	}
	s.apps[nk] = &na
	return struct{}{}, nil
}

// deleteApplication deletes an application and its deployment groups; as on
// CodeDeploy, deleting one that does not exist succeeds.
func (s *Service) deleteApplication(ctx context.Context, r *http.Request, in *input) (any, error) {
	name, err := appName(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	region := s.region(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.apps[key(region, name)]; !ok {
		return struct{}{}, nil
	}
	for k := range s.groupsOfLocked(region, name) {
		if err := deleteRecLocked(ctx, s.groupTable, s.groups, k); err != nil {
			return nil, err
		}
	}
	if err := deleteRecLocked(ctx, s.appTable, s.apps, key(region, name)); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// groupsOfLocked returns the application's deployment groups by key.
// Callers hold s.mu.
func (s *Service) groupsOfLocked(region, app string) map[string]*groupRec {
	out := map[string]*groupRec{}
	for k, g := range s.groups {
		if g.Region == region && g.Application == app {
			out[k] = g
		}
	}
	return out
}
