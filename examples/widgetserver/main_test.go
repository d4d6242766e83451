package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/admin/admintest"
	"github.com/amokit/amokit/internal/serve"
)

// TestServeLetsRequestsFinish cancels the server's context (what SIGTERM does) while a request
// is in flight, as a slow save would be: the request still completes, /readyz turns 503 at
// once, and serve returns only afterwards.
func TestServeLetsRequestsFinish(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	stopping := newShutdownSignal()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slow-save", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		if r.Context().Err() != nil {
			http.Error(w, "cancelled", http.StatusServiceUnavailable) // shutdown must not cancel it
			return
		}
		io.WriteString(w, "saved")
	})
	mux.HandleFunc("GET /readyz", serve.Readyz(nil, stopping.begun, slog.New(slog.DiscardHandler)))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(t.Context())
	logs := &admintest.SyncBuffer{}
	srv := newHTTPServer(ctx, mux, serve.NewLogger(logs, slog.LevelInfo))
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, srv, ln, stopping, serve.NewLogger(logs, slog.LevelInfo)) }()

	type result struct {
		status int
		body   string
		err    error
	}
	saved := make(chan result, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, base+"/slow-save", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			saved <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		saved <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-started

	cancel() // SIGTERM
	select {
	case <-stopping.C():
	case err := <-done:
		t.Fatalf("serve returned with a request in flight: %v", err)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, mustRequest(t, http.MethodGet, "/readyz"))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "not ready once shutdown began")
	select {
	case err := <-done:
		t.Fatalf("serve returned with a request in flight: %v", err)
	default:
	}

	close(release)
	r := <-saved
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "saved", r.body)
	require.NoError(t, <-done)
	assert.Contains(t, logs.String(), "shutting down")

	_, err = http.Get(base + "/readyz")
	assert.Error(t, err, "the listener is closed")
}

func mustRequest(t *testing.T, method, target string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, nil)
	require.NoError(t, err)
	return req
}

func TestRunStopsOnBadConfiguration(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	err := run(t.Context(), []string{"-public-url", "http://calc.example.com"}, envOf(nil), &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "must start with https://")
	assert.Empty(t, stdout.String(), "nothing starts")

	err = run(t.Context(), []string{"-h"}, envOf(nil), &stdout, &stderr)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, stdout.String(), "AMOKIT_ENCRYPTION_KEY")

	// A taken port is named in the message.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	err = run(t.Context(), []string{"-demo", "-addr", ln.Addr().String()}, envOf(nil), &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot listen on "+ln.Addr().String())
	assert.Contains(t, err.Error(), "-addr")
}

func TestRunRealModePrintsTheGeneratedToken(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	out := newLineWriter()
	logs := &admintest.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-public-url", "https://calc.example.com"}, envOf(nil), out, logs)
	}()
	var token string
	for token == "" {
		select {
		case line := <-out.lines:
			if strings.HasPrefix(line, "Admin token (generated") {
				token = line[strings.LastIndex(line, " ")+1:]
			}
		case err := <-done:
			t.Fatalf("run returned: %v\n%s", err, logs.String())
		}
	}
	assert.Len(t, token, 64)
	assert.Contains(t, logs.String(), "no DATABASE_URL", "the memory store is announced")
	assert.NotContains(t, logs.String(), token, "the token is printed, never logged")
	cancel()
	require.NoError(t, <-done)
	assert.True(t, errors.Is(ctx.Err(), context.Canceled))
}
