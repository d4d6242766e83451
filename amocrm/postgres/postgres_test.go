package postgres

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/internal/pgtest"
)

func newPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func TestNewChecksItsOptions(t *testing.T) {
	t.Parallel()
	_, err := New(t.Context(), nil)
	require.ErrorContains(t, err, "nil pool")
	pool := pgtest.Pool(t)
	_, err = New(t.Context(), pool, WithRate(0), WithFallbackShare(2), WithQueryTimeout(0), WithLogger(nil))
	require.Error(t, err)
	for _, want := range []string{"WithRate", "WithFallbackShare", "WithQueryTimeout", "WithLogger"} {
		assert.Contains(t, err.Error(), want, "every problem is reported at once")
	}
}

func TestReplicasReserveMomentsOneIntervalApart(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	const replicas, each = 4, 25
	var mu sync.Mutex
	var moments []time.Time
	var wg sync.WaitGroup
	for range replicas {
		// A pool of its own per replica, as separate processes have; New migrates concurrently.
		p, err := New(t.Context(), newPool(t, dsn))
		require.NoError(t, err)
		require.NoError(t, p.Ping(t.Context()))
		for range 2 {
			wg.Go(func() {
				for range each / 2 {
					r, err := p.store.reserve(t.Context(), "acme.amocrm.ru", p.interval)
					if !assert.NoError(t, err) {
						return
					}
					mu.Lock()
					moments = append(moments, r.at)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	require.Len(t, moments, replicas*(each/2)*2)
	slices.SortFunc(moments, time.Time.Compare)
	rate := amocrm.DefaultRate * DefaultPace
	interval := time.Duration(float64(time.Second) / rate)
	for i := 1; i < len(moments); i++ {
		assert.GreaterOrEqual(t, moments[i].Sub(moments[i-1]), interval-time.Microsecond, "moments %d and %d", i-1, i)
	}

	other, err := New(t.Context(), newPool(t, dsn))
	require.NoError(t, err)
	r, err := other.store.reserve(t.Context(), "beta.amocrm.ru", other.interval)
	require.NoError(t, err)
	assert.Less(t, r.at.Sub(r.now), time.Millisecond, "another account has a budget of its own")
}

func TestPauseHoldsBackEveryReplica(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	a, err := New(t.Context(), newPool(t, dsn))
	require.NoError(t, err)
	b, err := New(t.Context(), newPool(t, dsn))
	require.NoError(t, err)
	require.NoError(t, a.Pause(t.Context(), "acme.amocrm.ru", time.Hour))
	r, err := b.store.reserve(t.Context(), "acme.amocrm.ru", b.interval)
	require.NoError(t, err)
	assert.Greater(t, r.at.Sub(r.now), 59*time.Minute)
	require.NoError(t, b.Pause(t.Context(), "acme.amocrm.ru", time.Second), "a shorter pause does not cut a longer one")
	r, err = a.store.reserve(t.Context(), "acme.amocrm.ru", a.interval)
	require.NoError(t, err)
	assert.Greater(t, r.at.Sub(r.now), 59*time.Minute)
}

// stub is a database on a clock skewed from ours, which can be taken down.
type stub struct {
	mu   sync.Mutex
	skew time.Duration
	next time.Time
	down bool
	hits int
}

func (s *stub) reserve(_ context.Context, _ string, interval time.Duration) (reservation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits++
	if s.down {
		return reservation{}, errors.New("connection refused")
	}
	now := time.Now().Add(s.skew)
	at := now
	if s.next.After(now) {
		at = s.next
	}
	s.next = at.Add(interval)
	return reservation{at: at, now: now}, nil
}

func (s *stub) pause(context.Context, string, time.Duration) error { return nil }
func (s *stub) ping(context.Context) error                         { return nil }

func (s *stub) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func TestWaitSleepsUntilTheMomentOnThisMachinesClock(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		db := &stub{skew: 3 * time.Hour} // the database's clock is three hours ahead
		p := newPacer(db, options{rate: 10, share: 0.25, timeout: time.Second})
		start := time.Now()
		for range 5 {
			require.NoError(t, p.Wait(t.Context(), "acme.amocrm.ru"))
		}
		assert.Equal(t, 400*time.Millisecond, time.Since(start), "five moments 100 ms apart, whatever the skew")
	})
}

func TestAnOutageFallsBackToALocalShareAndRecovers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		db := &stub{down: true}
		p := newPacer(db, options{rate: 8, share: 0.25, timeout: time.Second,
			logger: slog.New(slog.NewTextHandler(&logs, nil))})
		ctx := t.Context()
		start := time.Now()
		for range 5 {
			require.NoError(t, p.Wait(ctx, "acme.amocrm.ru"), "an outage never stops the client")
		}
		assert.Equal(t, 2*time.Second, time.Since(start), "alone at a quarter of 8 a second: 500 ms apart")
		assert.Equal(t, 1, db.hits, "the database is asked once, then again only after a while")
		assert.Equal(t, 1, strings.Count(logs.String(), "does not answer"), "said once: %s", logs.String())
		assert.Contains(t, logs.String(), "share=0.25")

		db.setDown(false)
		time.Sleep(retryAfter)
		start = time.Now()
		for range 5 {
			require.NoError(t, p.Wait(ctx, "acme.amocrm.ru"))
		}
		assert.Less(t, time.Since(start), 600*time.Millisecond, "back at the shared rate of 8 a second")
		assert.Contains(t, logs.String(), "answers again")
		assert.Equal(t, 6, db.hits)
	})
}
