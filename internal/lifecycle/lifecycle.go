// Package lifecycle holds what services share when they stop.
package lifecycle

import "context"

// Wait runs wait (a WaitGroup's Wait, or the stops of a service's parts) and
// returns when it does, or with ctx's error when ctx ends first; wait then
// finishes in the background. It is the body of a Close(ctx) that must not
// outlast the shutdown deadline.
func Wait(ctx context.Context, wait func()) error {
	done := make(chan struct{})
	go func() {
		wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
