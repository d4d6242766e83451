package tokenstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/tokenstore/tokenstoretest"
)

func TestMemoryContract(t *testing.T) {
	t.Parallel()
	tokenstoretest.Run(t, func(*testing.T) tokenstore.Store { return tokenstore.NewMemory() })
}

// TestMemoryLockWaits checks, with the waiter provably blocked, that WithLock waits for the
// holder and then either runs or gives up when its context ends.
func TestMemoryLockWaits(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		m := tokenstore.NewMemory()
		release := make(chan struct{})
		go func() {
			_ = m.WithLock(t.Context(), "acme.amocrm.ru", func(context.Context) error {
				<-release
				return nil
			})
		}()
		synctest.Wait() // the holder is inside fn

		var ran atomic.Bool
		cancelled := make(chan error, 1)
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			cancelled <- m.WithLock(ctx, "acme.amocrm.ru", func(context.Context) error {
				ran.Store(true)
				return nil
			})
		}()
		waited := make(chan error, 1)
		go func() {
			waited <- m.WithLock(t.Context(), "acme.amocrm.ru", func(context.Context) error { return nil })
		}()
		deadline := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
			defer cancel()
			deadline <- m.WithLock(ctx, "acme.amocrm.ru", func(context.Context) error { return nil })
		}()
		synctest.Wait() // all three are blocked on the lock
		assert.Empty(t, cancelled)
		assert.Empty(t, waited)

		cancel()
		synctest.Wait()
		require.Len(t, cancelled, 1)
		assert.ErrorIs(t, <-cancelled, context.Canceled)
		assert.False(t, ran.Load())

		time.Sleep(time.Hour) // fake time inside the bubble
		synctest.Wait()
		require.Len(t, deadline, 1)
		assert.ErrorIs(t, <-deadline, context.DeadlineExceeded)
		assert.Empty(t, waited, "still waiting for the holder")

		close(release)
		synctest.Wait()
		require.Len(t, waited, 1)
		assert.NoError(t, <-waited)
	})
}

// TestMemoryTimes checks that times are stored as a timestamptz column returns them, and that
// UpdatedAt grows even when the clock does not move.
func TestMemoryTimes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		m := tokenstore.NewMemory()
		in := tokenstore.Connection{
			Account: "acme.amocrm.ru",
			Expiry:  time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.FixedZone("MSK", 3*3600)),
		}
		require.NoError(t, m.Save(t.Context(), &in))
		first, err := m.Load(t.Context(), "acme.amocrm.ru")
		require.NoError(t, err)
		assert.Equal(t, time.Date(2030, 1, 2, 0, 4, 5, 123456000, time.UTC), first.Expiry)
		assert.Equal(t, time.UTC, first.CreatedAt.Location())
		assert.Equal(t, first.CreatedAt, first.UpdatedAt)

		created := first.CreatedAt
		// The fake clock has not moved.
		require.NoError(t, m.Save(t.Context(), first))
		assert.Equal(t, created, first.CreatedAt, "Save writes the kept CreatedAt back")
		assert.Equal(t, created.Add(time.Microsecond), first.UpdatedAt, "and the new UpdatedAt")
		second, err := m.Load(t.Context(), "acme.amocrm.ru")
		require.NoError(t, err)
		assert.Equal(t, created, second.CreatedAt)
		assert.Equal(t, created.Add(time.Microsecond), second.UpdatedAt)

		time.Sleep(time.Second)
		require.NoError(t, m.Save(t.Context(), second))
		assert.Equal(t, created.Add(time.Second), second.UpdatedAt, "the clock moved past the last UpdatedAt")
	})
}

func TestMemoryContextDone(t *testing.T) {
	t.Parallel()
	m := tokenstore.NewMemory()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c := tokenstore.Connection{Account: "acme.amocrm.ru"}
	assert.ErrorIs(t, m.Save(ctx, &c), context.Canceled)
	_, err := m.Load(ctx, "acme.amocrm.ru")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = m.List(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, m.Delete(ctx, "acme.amocrm.ru"), context.Canceled)
	list, err := m.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, list, "a cancelled Save stores nothing")
}
