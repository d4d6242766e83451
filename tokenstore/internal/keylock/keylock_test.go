package keylock

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMapForgetsIdleKeys(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var m Map
		unlockA, err := m.Lock(t.Context(), "a")
		require.NoError(t, err)
		unlockB, err := m.Lock(t.Context(), "b")
		require.NoError(t, err, "another key is free")
		assert.Equal(t, 2, m.Len())

		ctx, cancel := context.WithCancel(t.Context())
		got := make(chan error, 2)
		go func() {
			_, err := m.Lock(ctx, "a")
			got <- err
		}()
		var unlockWaiter func()
		go func() {
			var err error
			unlockWaiter, err = m.Lock(t.Context(), "a")
			got <- err
		}()
		synctest.Wait()
		assert.Empty(t, got, "both wait for a")
		cancel()
		synctest.Wait()
		require.Len(t, got, 1)
		assert.ErrorIs(t, <-got, context.Canceled)

		unlockA()
		unlockA() // a second call does nothing
		synctest.Wait()
		require.Len(t, got, 1)
		require.NoError(t, <-got)
		unlockWaiter()
		unlockB()
		assert.Zero(t, m.Len(), "no entries once nobody holds or waits")

		_, err = m.Lock(ctx, "c")
		assert.ErrorIs(t, err, context.Canceled, "a done context never takes the lock")
		assert.Zero(t, m.Len())
	})
}
