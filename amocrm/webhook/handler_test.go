package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/webhook"
)

const secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

// tenants are two connected accounts with their own secrets, for the other-tenant tests.
var acme = webhook.OneAccount(12345678, "example")

func post(h http.Handler, target string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "amoCRM-WebHook-client/1.0")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type recorder struct {
	mu   sync.Mutex
	got  []*webhook.Delivery
	err  error
	wait chan struct{}
}

func (r *recorder) fn(ctx context.Context, d *webhook.Delivery) error {
	if r.wait != nil {
		select {
		case <-r.wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, d)
	return r.err
}

func (r *recorder) deliveries() []*webhook.Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*webhook.Delivery(nil), r.got...)
}

func TestNewRequiresSecretAndConnections(t *testing.T) {
	t.Parallel()
	_, err := webhook.New(func(context.Context, *webhook.Delivery) error { return nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithSecret")
	assert.Contains(t, err.Error(), "WithConnections")
	_, err = webhook.New(nil, webhook.WithSecret("short"), webhook.WithConnections(acme), webhook.WithQueue(0, 1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nil Func")
	assert.Contains(t, err.Error(), "at least 16 bytes")
	assert.Contains(t, err.Error(), "WithQueue")
}

func TestHandlerDelivers(t *testing.T) {
	t.Parallel()
	var r recorder
	h, err := webhook.New(r.fn, webhook.WithSecret(secret), webhook.WithConnections(acme))
	require.NoError(t, err)
	rec := post(h, "/amocrm/hook?secret="+secret, payload(t, "update_lead"))
	assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	got := r.deliveries()
	require.Len(t, got, 1)
	assert.Equal(t, int64(15318175), got[0].Events[0].ID)
	st := h.Stats()
	assert.Equal(t, uint64(1), st.Received)
	assert.Equal(t, uint64(1), st.Accepted)
	assert.Equal(t, 0, st.RecentFailures)
}

func TestHandlerSecretInPath(t *testing.T) {
	t.Parallel()
	var r recorder
	h, err := webhook.New(r.fn, webhook.WithSecret(secret), webhook.WithConnections(acme))
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("POST /amocrm/hook/{secret}", h)
	assert.Equal(t, http.StatusOK, post(mux, "/amocrm/hook/"+secret, payload(t, "update_lead")).Code)
	assert.Equal(t, http.StatusUnauthorized, post(mux, "/amocrm/hook/"+strings.Repeat("0", len(secret)), payload(t, "update_lead")).Code)
	assert.Len(t, r.deliveries(), 1)
}

func TestHandlerRefusesOtherTenants(t *testing.T) {
	t.Parallel()
	var r recorder
	h, err := webhook.New(r.fn, webhook.WithSecret(secret), webhook.WithConnections(acme))
	require.NoError(t, err)

	// The secret of another installation, valid there.
	other := "aaaabbbbccccddddeeeeffff00001111"
	assert.Equal(t, http.StatusUnauthorized, post(h, "/hook?secret="+other, payload(t, "update_lead")).Code)
	assert.Equal(t, http.StatusUnauthorized, post(h, "/hook", payload(t, "update_lead")).Code)
	assert.Equal(t, http.StatusUnauthorized, post(h, "/hook?secret="+secret[:len(secret)-1], payload(t, "update_lead")).Code)

	// The right secret, but a payload from an account that is not connected, or that mixes the
	// id of one account with the subdomain of another.
	for _, acc := range []string{
		"account[id]=32720107&account[subdomain]=intruder",
		"account[id]=12345678&account[subdomain]=intruder",
		"account[id]=32720107&account[subdomain]=example",
		"account[subdomain]=intruder",
	} {
		body := append(encodeLines("leads[add][0][id]=1"), "&"+acc...)
		assert.Equal(t, http.StatusForbidden, post(h, "/hook?secret="+secret, body).Code, acc)
	}
	assert.Empty(t, r.deliveries())
	st := h.Stats()
	assert.Equal(t, uint64(7), st.Unauthorized)
	assert.Equal(t, 7, st.RecentFailures)
}

func TestHandlerRefusesBadRequests(t *testing.T) {
	t.Parallel()
	var r recorder
	h, err := webhook.New(r.fn, webhook.WithSecret(secret), webhook.WithConnections(acme), webhook.WithMaxBody(4096))
	require.NoError(t, err)
	target := "/hook?secret=" + secret

	get := httptest.NewRecorder()
	h.ServeHTTP(get, httptest.NewRequest(http.MethodGet, target, nil))
	assert.Equal(t, http.StatusMethodNotAllowed, get.Code)
	assert.Equal(t, "POST", get.Header().Get("Allow"))

	js := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"leads":{}}`))
	js.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, js)
	assert.Equal(t, http.StatusUnsupportedMediaType, rec.Code)

	assert.Equal(t, http.StatusRequestEntityTooLarge, post(h, target, bytes.Repeat([]byte("a"), 5000)).Code)
	assert.Equal(t, http.StatusBadRequest, post(h, target, []byte("leads[add][0][id]=x&account[id]=12345678")).Code)
	assert.Equal(t, http.StatusBadRequest, post(h, target, []byte("leads[add][0][id]=1")).Code, "no account")
	assert.Empty(t, r.deliveries())
	assert.Equal(t, uint64(5), h.Stats().Rejected)
}

func TestHandlerSyncErrorsAnswer500(t *testing.T) {
	t.Parallel()
	r := recorder{err: errors.New("database down")}
	h, err := webhook.New(r.fn, webhook.WithSecret(secret), webhook.WithConnections(acme))
	require.NoError(t, err)
	assert.Equal(t, http.StatusInternalServerError, post(h, "/hook?secret="+secret, payload(t, "update_lead")).Code)
	assert.Equal(t, uint64(1), h.Stats().Failed)
}

func TestHandlerConnectionsErrorAnswers503(t *testing.T) {
	t.Parallel()
	var r recorder
	broken := webhook.ConnectionsFunc(func(context.Context, webhook.Account) (bool, error) { return false, errors.New("store down") })
	h, err := webhook.New(r.fn, webhook.WithSecret(secret), webhook.WithConnections(broken))
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, post(h, "/hook?secret="+secret, payload(t, "update_lead")).Code)
	assert.Empty(t, r.deliveries())
}

// A full queue answers 503 at once, without waiting for a worker.
func TestHandlerQueueFullAnswers503WithoutBlocking(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := recorder{wait: make(chan struct{})}
		h, err := webhook.New(r.fn, webhook.WithSecret(secret), webhook.WithConnections(acme), webhook.WithQueue(1, 1))
		require.NoError(t, err)
		body := payload(t, "update_lead")
		target := "/hook?secret=" + secret
		assert.Equal(t, http.StatusOK, post(h, target, body).Code) // taken by the worker, which waits
		synctest.Wait()
		assert.Equal(t, http.StatusOK, post(h, target, body).Code) // waits in the queue
		start := time.Now()
		assert.Equal(t, http.StatusServiceUnavailable, post(h, target, body).Code)
		assert.Zero(t, time.Since(start), "the full queue made the request wait")
		st := h.Stats()
		assert.Equal(t, uint64(1), st.QueueFull)
		assert.Equal(t, 1, st.Queued)

		close(r.wait)
		require.NoError(t, h.Close(t.Context()))
		assert.Len(t, r.deliveries(), 2)
		assert.Equal(t, http.StatusServiceUnavailable, post(h, target, body).Code, "after Close")
	})
}

// Close gives up waiting when its context ends and cancels the function's context.
func TestHandlerCloseCancelsSlowWork(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := recorder{wait: make(chan struct{})}
		h, err := webhook.New(r.fn, webhook.WithSecret(secret), webhook.WithConnections(acme), webhook.WithQueue(4, 1))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, post(h, "/hook?secret="+secret, payload(t, "update_lead")).Code)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		assert.ErrorIs(t, h.Close(ctx), context.DeadlineExceeded)
		assert.Equal(t, uint64(1), h.Stats().Failed)
	})
}

// Failures are counted over amoCRM's two-hour window, with a warning as they approach the
// threshold at which amoCRM disables the webhook, an error past it, and the count falling as
// failures age out.
func TestHandlerWarnsBeforeAmoCRMDisablesTheWebhook(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		var r recorder
		h, err := webhook.New(r.fn, webhook.WithSecret(secret), webhook.WithConnections(acme),
			webhook.WithFailureWarning(10), webhook.WithLogger(logger))
		require.NoError(t, err)
		bad := []byte("leads[add][0][id]=x")
		for range 9 {
			post(h, "/hook?secret="+secret, bad)
			time.Sleep(time.Minute)
		}
		assert.NotContains(t, logs.String(), "approaching")
		post(h, "/hook?secret="+secret, bad)
		assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), logs.String())
		assert.Contains(t, logs.String(), "failures_2h=10")
		for range 91 {
			post(h, "/hook?secret="+secret, bad)
		}
		assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), "warned once per crossing")
		assert.Equal(t, 1, strings.Count(logs.String(), "level=ERROR"), logs.String())
		assert.Contains(t, logs.String(), "failures_2h=101")
		assert.Equal(t, 101, h.Stats().RecentFailures)

		time.Sleep(webhook.FailureWindow)
		assert.Equal(t, 0, h.Stats().RecentFailures)
		assert.Equal(t, http.StatusOK, post(h, "/hook?secret="+secret, payload(t, "update_lead")).Code)
		assert.Equal(t, uint64(101), h.Stats().Rejected)
	})
}

// A panic-free answer for every fuzz seed, through the whole handler.
func TestHandlerNeverPanicsOnSeeds(t *testing.T) {
	t.Parallel()
	var r recorder
	h, err := webhook.New(r.fn, webhook.WithSecret(secret), webhook.WithConnections(webhook.ConnectionsFunc(func(context.Context, webhook.Account) (bool, error) { return true, nil })))
	require.NoError(t, err)
	for _, p := range allPayloads(t) {
		for cut := 0; cut < len(p); cut += 37 {
			code := post(h, "/hook?secret="+secret, p[:cut]).Code
			assert.Contains(t, []int{http.StatusOK, http.StatusBadRequest}, code)
		}
	}
}
