package tokenstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/amokit/amokit/tokenstore/internal/keylock"
)

// Memory is a Store and Locker that keeps connections in process memory: for tests, examples
// and single-process tools. Its lock serialises goroutines of one process only. Times are kept
// in UTC to the microsecond, like the postgres store. Create it with NewMemory.
type Memory struct {
	mu    sync.Mutex
	conns map[string]Connection
	locks keylock.Map
}

var (
	_ Store  = (*Memory)(nil)
	_ Locker = (*Memory)(nil)
)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{conns: make(map[string]Connection)}
}

// Load implements Store.
func (m *Memory) Load(ctx context.Context, account string) (*Connection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	c, ok := m.conns[account]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, account)
	}
	return &c, nil
}

// Save implements Store.
func (m *Memory) Save(ctx context.Context, c *Connection) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c == nil || c.Account == "" {
		return errNoAccount
	}
	stored := *c
	stored.Expiry = storedTime(c.Expiry)
	stored.RefreshedAt = storedTime(c.RefreshedAt)
	now := storedTime(time.Now())

	m.mu.Lock()
	defer m.mu.Unlock()
	stored.CreatedAt, stored.UpdatedAt = now, now
	if old, ok := m.conns[stored.Account]; ok {
		stored.CreatedAt = old.CreatedAt
		if !now.After(old.UpdatedAt) {
			stored.UpdatedAt = old.UpdatedAt.Add(time.Microsecond)
		}
	}
	m.conns[stored.Account] = stored
	c.CreatedAt, c.UpdatedAt = stored.CreatedAt, stored.UpdatedAt
	return nil
}

// storedTime is t as a timestamptz column returns it: UTC, microseconds, no monotonic reading.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, account string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.conns[account]; !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, account)
	}
	delete(m.conns, account)
	return nil
}

// List implements Store.
func (m *Memory) List(ctx context.Context) ([]Connection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	list := make([]Connection, 0, len(m.conns))
	for _, c := range m.conns {
		list = append(list, c)
	}
	m.mu.Unlock()
	slices.SortFunc(list, func(a, b Connection) int { return strings.Compare(a.Account, b.Account) })
	return list, nil
}

// FindByAccountID implements Finder.
func (m *Memory) FindByAccountID(ctx context.Context, accountID int64) ([]Connection, error) {
	list, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(c Connection) bool { return c.AccountID != accountID }), nil
}

// WithLock implements Locker for the goroutines of this process.
func (m *Memory) WithLock(ctx context.Context, account string, fn func(ctx context.Context) error) error {
	unlock, err := m.locks.Lock(ctx, account)
	if err != nil {
		return fmt.Errorf("tokenstore: waiting for the lock on %s: %w", account, err)
	}
	defer unlock()
	return fn(ctx)
}
