package invoke

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// fnState is the engine's state for one function version: the function's shared
// concurrency count and the version's current pool of environments.
type fnState struct {
	group *group

	cur atomic.Pointer[pool] // the current pool; read without a lock
	mu  sync.Mutex           // serialises replacing cur
}

// group is what all versions of one function share: the count of their in-flight
// invocations, which reserved concurrency limits.
type group struct {
	inflight atomic.Int64
}

// poolFor returns the pool running fn's generation, replacing (and draining) an
// older pool. A request carrying an older generation than the current pool runs on
// the current one: newer code, never a mix of environments.
func (fs *fnState) poolFor(e *Engine, fn *Function) *pool {
	if p := fs.cur.Load(); p != nil && p.fn.Generation >= fn.Generation {
		return p
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	p := fs.cur.Load()
	if p != nil && p.fn.Generation >= fn.Generation {
		return p
	}
	np := newPool(e, fn)
	fs.cur.Store(np)
	if p != nil {
		go p.drain(context.Background())
	}
	return np
}

// pool holds the environments of one function generation.
type pool struct {
	e   *Engine
	fn  *Function
	env []string // the environment variables every runtime of this pool shares

	mu       sync.Mutex
	idle     []*env // LIFO: the most recently used environment is the warmest
	all      map[*env]struct{}
	draining bool
}

func newPool(e *Engine, fn *Function) *pool {
	return &pool{e: e, fn: fn, env: baseEnv(e, fn), all: make(map[*env]struct{})}
}

// dispatch hands c to a warm environment, or starts a new one for it.
func (p *pool) dispatch(c *call) {
	for {
		p.mu.Lock()
		if n := len(p.idle); n > 0 {
			ev := p.idle[n-1]
			p.idle[n-1] = nil
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			if ev.assign(c) {
				return
			}
			continue // it died while idle; take another
		}
		p.mu.Unlock()
		p.e.startEnv(p, c)
		return
	}
}

// add registers a new environment; false when the pool is draining.
func (p *pool) add(ev *env) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.draining {
		return false
	}
	p.all[ev] = struct{}{}
	return true
}

// release returns a healthy environment to the idle set, or stops it when the pool
// is draining.
func (p *pool) release(ev *env) {
	p.mu.Lock()
	if p.draining {
		delete(p.all, ev)
		p.mu.Unlock()
		go ev.stop(context.Background())
		return
	}
	ev.lastUsed = time.Now()
	p.idle = append(p.idle, ev)
	p.mu.Unlock()
}

// remove forgets a dead environment.
func (p *pool) remove(ev *env) {
	p.mu.Lock()
	delete(p.all, ev)
	for i, x := range p.idle {
		if x == ev {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
}

// drain stops the idle environments and has busy ones stopped when they finish.
func (p *pool) drain(ctx context.Context) {
	p.mu.Lock()
	p.draining = true
	idle := p.idle
	p.idle = nil
	for _, ev := range idle {
		delete(p.all, ev)
	}
	p.mu.Unlock()
	stopAll(ctx, idle)
}

// stopAll stops every environment of the pool, busy or not (server shutdown).
func (p *pool) stopAll(ctx context.Context) {
	p.mu.Lock()
	p.draining = true
	all := make([]*env, 0, len(p.all))
	for ev := range p.all {
		all = append(all, ev)
	}
	p.all = map[*env]struct{}{}
	p.idle = nil
	p.mu.Unlock()
	stopAll(ctx, all)
}

// reapIdle stops environments idle since before cutoff.
func (p *pool) reapIdle(cutoff time.Time) {
	p.mu.Lock()
	var old []*env
	keep := p.idle[:0]
	for _, ev := range p.idle {
		if ev.lastUsed.Before(cutoff) {
			old = append(old, ev)
			delete(p.all, ev)
		} else {
			keep = append(keep, ev)
		}
	}
	for i := len(keep); i < len(p.idle); i++ {
		p.idle[i] = nil
	}
	p.idle = keep
	p.mu.Unlock()
	stopAll(context.Background(), old)
}

func stopAll(ctx context.Context, envs []*env) {
	var wg sync.WaitGroup
	for _, ev := range envs {
		wg.Add(1)
		go func() { defer wg.Done(); ev.stop(ctx) }()
	}
	wg.Wait()
}
