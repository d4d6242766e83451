package keylock

import (
	"context"
	"sync"
)

// Map is a set of mutexes, one per key, created on first use and dropped when nobody holds or
// waits for them. The zero value is ready to use. A Map must not be copied after first use.
type Map struct {
	mu    sync.Mutex
	locks map[string]*entry
}

type entry struct {
	sem  chan struct{} // capacity 1: full while the key is held
	refs int           // holders and waiters
}

// Lock waits until key is free or ctx is done. On success it returns the function that releases
// the key; it must be called exactly once. On failure it returns ctx.Err() and holds nothing.
func (m *Map) Lock(ctx context.Context, key string) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := m.acquire(key)
	select {
	case e.sem <- struct{}{}:
		var once sync.Once
		return func() {
			once.Do(func() {
				<-e.sem
				m.release(key, e)
			})
		}, nil
	case <-ctx.Done():
		m.release(key, e)
		return nil, ctx.Err()
	}
}

func (m *Map) acquire(key string) *entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locks == nil {
		m.locks = make(map[string]*entry)
	}
	e := m.locks[key]
	if e == nil {
		e = &entry{sem: make(chan struct{}, 1)}
		m.locks[key] = e
	}
	e.refs++
	return e
}

func (m *Map) release(key string, e *entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(m.locks, key)
	}
}

// Len reports how many keys are currently held or waited for.
func (m *Map) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.locks)
}
