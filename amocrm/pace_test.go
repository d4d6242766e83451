package amocrm_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// wire carries requests to a fake's handler inside a synctest bubble, each delayed by a random
// latency of up to jitter, so requests reach the fake in another rhythm than they left.
type wire struct {
	h      http.Handler
	jitter time.Duration
	// dial, when set, is how long a request waits for a connection before it is written.
	dial func() time.Duration
	// answered, when set, runs after the fake has answered and before the answer is returned.
	answered func()
}

func (w wire) RoundTrip(req *http.Request) (*http.Response, error) {
	if w.dial != nil {
		time.Sleep(w.dial())
	}
	if tr := httptrace.ContextClientTrace(req.Context()); tr != nil {
		if tr.WroteHeaders != nil {
			tr.WroteHeaders()
		}
		if tr.WroteRequest != nil {
			tr.WroteRequest(httptrace.WroteRequestInfo{})
		}
	}
	if w.jitter > 0 {
		time.Sleep(rand.N(w.jitter))
	}
	r := req.Clone(req.Context())
	r.Host = req.URL.Host
	r.RequestURI = req.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, r)
	if w.answered != nil {
		w.answered()
	}
	return rec.Result(), nil
}

// rig is a fake amoCRM in a bubble with one account and a client factory for it.
type rig struct {
	t    *testing.T
	fake *amocrmtest.Server
	host string
	tok  string
}

func newRig(t *testing.T, opts ...amocrmtest.Option) *rig {
	t.Helper()
	fake := amocrmtest.NewUnstartedServer(opts...)
	acct := fake.AddAccount("acme")
	integ := fake.AddIntegration(amocrmtest.Integration{Name: "pace", RedirectURI: "https://app.example/cb"})
	tok, err := fake.IssueToken(integ.ClientID, "acme")
	require.NoError(t, err)
	return &rig{t: t, fake: fake, host: acct.Host, tok: tok.AccessToken}
}

func (r *rig) client(jitter time.Duration, opts ...amocrm.Option) *amocrm.Client {
	r.t.Helper()
	return r.clientOn(wire{h: r.fake.Handler(), jitter: jitter}, opts...)
}

func (r *rig) clientOn(w wire, opts ...amocrm.Option) *amocrm.Client {
	r.t.Helper()
	base := []amocrm.Option{
		amocrm.WithHTTPClient(&http.Client{Transport: w}),
		amocrm.WithAccessToken(r.tok),
	}
	c, err := amocrm.New(r.host, append(base, opts...)...)
	require.NoError(r.t, err)
	return c
}

// arrivals returns when the fake saw each request and with what status.
func (r *rig) arrivals() ([]time.Time, []int) {
	var at []time.Time
	var status []int
	for _, req := range r.fake.Requests() {
		at = append(at, req.Time)
		status = append(status, req.Status)
	}
	return at, status
}

// traffic makes calls as services do: 16 goroutines at once, then single calls after quiet
// spells, then bursts again. It returns the calls that failed.
func traffic(ctx context.Context, c *amocrm.Client) int {
	var failed sync.WaitGroup
	var mu sync.Mutex
	n := 0
	call := func() {
		if _, err := c.Account.Get(ctx); err != nil {
			mu.Lock()
			n++
			mu.Unlock()
		}
	}
	for round := range 3 {
		for range 16 {
			failed.Go(func() {
				for range 3 {
					call()
				}
			})
		}
		failed.Wait()
		time.Sleep(time.Duration(round+1) * 700 * time.Millisecond)
		call()
		time.Sleep(2 * time.Second)
	}
	return n
}

func TestDefaultClientStaysUnderEveryReadingOfTheLimit(t *testing.T) {
	t.Parallel()
	readings := map[string]amocrmtest.Option{
		"7 in any sliding second":     amocrmtest.WithSlidingWindow(7, time.Second),
		"nginx spacing without burst": amocrmtest.WithSpacing(7, 0),
		"token bucket of 7":           amocrmtest.WithRateLimit(7, 7),
	}
	for name, reading := range readings {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, reading)
				failed := traffic(t.Context(), r.client(5*time.Millisecond))
				c := r.fake.Counters()
				assert.Zero(t, failed)
				assert.Zero(t, c.TooManyRequests)
				assert.Equal(t, 3*(16*3+1), c.ByStatus[http.StatusOK])
			})
		})
	}
}

func TestABurstyTokenBucketDrawsRefusalsFromTheStrictReading(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t) // the default: 7 in any sliding second
		traffic(t.Context(), r.client(5*time.Millisecond, amocrm.WithRateLimit(7, 3)))
		assert.Positive(t, r.fake.Counters().TooManyRequests, "7 a second with a burst of 3 overshoots some second")
	})
}

func TestA429PausesTheWholeClientAndItResumesGradually(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		var hold atomic.Pointer[chan struct{}]
		c := r.clientOn(wire{h: r.fake.Handler(), answered: func() {
			if release := hold.Swap(nil); release != nil {
				<-*release
			}
		}})
		ctx := t.Context()
		_, err := c.Account.Get(ctx)
		require.NoError(t, err)
		time.Sleep(time.Second)
		r.fake.ResetRequests()
		r.fake.Throttle(time.Nanosecond) // the next request is refused

		// The refusal's answer is held until the seven other calls wait for the pacer: they
		// passed the brake before the pause began, and the pause sends them back to it one by
		// one, the order that most delays the first request the brake lets go.
		release := make(chan struct{})
		hold.Store(&release)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				_, err := c.Account.Get(ctx)
				assert.NoError(t, err)
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()

		at, status := r.arrivals()
		require.Equal(t, http.StatusTooManyRequests, status[0])
		require.Len(t, at, 9, "one refusal, then each of the 8 calls once")
		for i, s := range status[1:] {
			assert.Equal(t, http.StatusOK, s, "request %d after the refusal", i+1)
		}
		assert.GreaterOrEqual(t, at[1].Sub(at[0]), time.Second, "nothing leaves for a second after a 429")
		assert.GreaterOrEqual(t, at[2].Sub(at[1]), 500*time.Millisecond, "then one request every half second")
		assert.GreaterOrEqual(t, at[3].Sub(at[2]), 250*time.Millisecond, "then twice as fast")
		assert.Less(t, at[8].Sub(at[7]), 200*time.Millisecond, "and back to the pacer's own pace")
	})
}

func TestRepeated429sPauseLonger(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		c := r.client(0)
		r.fake.Throttle(1500 * time.Millisecond)
		_, err := c.Account.Get(t.Context())
		require.NoError(t, err)
		at, status := r.arrivals()
		require.Equal(t, []int{429, 429, 200}, status)
		assert.GreaterOrEqual(t, at[1].Sub(at[0]), time.Second)
		assert.GreaterOrEqual(t, at[2].Sub(at[1]), 2*time.Second, "the second 429 in a row pauses twice as long")
	})
}

func TestABurstOf429sEndsWithoutABlockAndEveryCallDone(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t) // blocks after 10 refusals within a minute
		c := r.client(2 * time.Millisecond)
		ctx := t.Context()
		var wg sync.WaitGroup
		errs := make(chan error, 16*10)
		for range 16 {
			wg.Go(func() {
				for range 10 {
					_, err := c.Account.Get(ctx)
					errs <- err
				}
			})
		}
		time.Sleep(3 * time.Second)
		r.fake.Throttle(5 * time.Second)
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.NoError(t, err)
		}
		assert.False(t, r.fake.Blocked())
		refused := r.fake.Counters().TooManyRequests
		assert.Positive(t, refused)
		assert.Less(t, refused, 10)
	})
}

func TestABlockStopsEveryCallAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, amocrmtest.WithBlockAfter(1, time.Minute))
		c := r.client(0)
		ctx := t.Context()
		r.fake.Throttle(time.Nanosecond) // one refusal, and the server blocks
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		var ended []time.Time
		for range 16 {
			wg.Go(func() {
				_, err := c.Account.Get(ctx)
				mu.Lock()
				defer mu.Unlock()
				errs = append(errs, err)
				ended = append(ended, time.Now())
			})
		}
		wg.Wait()
		require.Len(t, errs, 16)
		for _, err := range errs {
			require.ErrorIs(t, err, amocrm.ErrBlocked)
		}
		var be *amocrm.BlockedError
		blocked := 0
		for _, err := range errs {
			if errors.As(err, &be) {
				blocked++
				assert.Contains(t, err.Error(), "amoCRM is blocking this client")
				assert.Contains(t, err.Error(), "Client.Unblock")
			}
		}
		assert.Equal(t, 15, blocked, "one call saw the 403 itself; the others were stopped before sending")
		assert.Equal(t, 1, r.fake.Counters().Forbidden, "no request went out after the block was seen")
		at, _ := r.arrivals()
		for _, e := range ended {
			assert.Equal(t, at[len(at)-1], e, "every call ended the moment the block came")
		}

		_, err := c.Account.Get(ctx)
		require.ErrorIs(t, err, amocrm.ErrBlocked, "new calls fail too")
		r.fake.ResetBlock()
		c.Unblock()
		_, err = c.Account.Get(ctx)
		assert.NoError(t, err)
	})
}

func TestLocalPacerTakesTurnsAndSpacesFromTheLastRelease(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := amocrm.NewLocalPacer(10)
		ctx := t.Context()
		require.NoError(t, p.Wait(ctx, "a"))
		start := time.Now()
		var order []int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() {
				require.NoError(t, p.Wait(ctx, "a"))
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
			})
			synctest.Wait() // goroutine i is queued before i+1
		}
		wg.Wait()
		assert.Equal(t, []int{0, 1, 2, 3, 4}, order, "first come, first served")
		assert.Equal(t, 500*time.Millisecond, time.Since(start))

		require.NoError(t, p.Wait(ctx, "b"), "accounts do not share a pace")
		assert.Equal(t, 500*time.Millisecond, time.Since(start))

		require.NoError(t, p.Pause(ctx, "a", 2*time.Second))
		require.NoError(t, p.Wait(ctx, "a"))
		assert.Equal(t, 2500*time.Millisecond, time.Since(start))

		cctx, cancel := context.WithCancel(ctx)
		cancel()
		assert.ErrorIs(t, p.Wait(cctx, "a"), context.Canceled)
	})
}

func TestARequestSlowToTheWireIsNotOvertaken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, amocrmtest.WithSpacing(7, 0)) // nginx without burst: the least forgiving reading
		var mu sync.Mutex
		dials := 0
		c := r.clientOn(wire{h: r.fake.Handler(), dial: func() time.Duration {
			mu.Lock()
			defer mu.Unlock()
			dials++
			if dials%3 == 1 {
				return 400 * time.Millisecond // a new TLS connection
			}
			return 0
		}})
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				_, err := c.Account.Get(t.Context())
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		at, status := r.arrivals()
		require.Len(t, at, 12)
		for i := 1; i < len(at); i++ {
			assert.GreaterOrEqual(t, at[i].Sub(at[i-1]), time.Second/7, "arrivals %d and %d", i-1, i)
			assert.Equal(t, http.StatusOK, status[i])
		}
	})
}
