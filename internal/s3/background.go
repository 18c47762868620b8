package s3

import "context"

// startBackground starts the service's background work, which runs until ctx
// ends and is waited for by Close: the notification outbox drain (notify.go)
// and lifecycle expiration (expire.go).
func (s *Service) startBackground(ctx context.Context) error {
	s.wg.Add(2)
	go s.drainOutbox(ctx)
	go s.expireLoop(ctx)
	return nil
}
