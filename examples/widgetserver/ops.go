package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/amokit/amokit/internal/httpx"
)

// Timeouts of the http.Server. WriteTimeout bounds a whole request, so it must exceed the
// slowest save (three amoCRM writes, each with retries under the 7 rps limit).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 90 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// shutdownTimeout is how long SIGTERM waits for in-flight requests (saves) to finish.
	shutdownTimeout = 60 * time.Second
	// readyTimeout bounds the database ping of /readyz.
	readyTimeout = 2 * time.Second
)

// requestIDHeader carries the request id in both directions.
const requestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// requestIDFrom returns the request id that withRequestID put into ctx, or "".
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validRequestID accepts an id from a proxy in front of us: 1 to 64 characters of letters,
// digits, '-', '_', '.' and ':'. Anything else is replaced, so logs cannot be forged through it.
func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// contextHandler adds the request id of the record's context to every log line.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := requestIDFrom(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// newLogger writes JSON lines to w at level, each with the request id of its context.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(contextHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// withRequestID gives every request an id (the proxy's X-Request-Id when sane), answers it in
// X-Request-Id, puts it into the context for the logs, and logs one line per request: method,
// path (never the query, which can hold tickets, codes and tokens), status, size and duration.
func withRequestID(logger *slog.Logger, now func() time.Time, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(requestIDHeader, id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		sw := &httpx.StatusWriter{ResponseWriter: w}
		start := now()
		defer func() {
			status := sw.Status
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			switch {
			case status >= 500:
				level = slog.LevelError
			case r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/favicon.ico":
				level = slog.LevelDebug
			}
			logger.LogAttrs(ctx, level, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int64("bytes", sw.Size),
				slog.Float64("duration_ms", float64(now().Sub(start).Microseconds())/1000),
			)
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// pinger is what /readyz asks: the database pool, or nothing.
type pinger interface {
	Ping(ctx context.Context) error
}

// healthz answers 200 while the process serves requests.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// readyz answers 200 when the database answers a ping (always, for the memory store) and 503
// otherwise, and once shutdown has begun, so a load balancer stops sending new work.
func readyz(db pinger, shuttingDown func() bool, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if shuttingDown() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "shutting_down"})
			return
		}
		if db != nil {
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			if err := db.Ping(ctx); err != nil {
				logger.WarnContext(r.Context(), "readyz: the database does not answer", slog.String("error", err.Error()))
				writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "down"})
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "database": "up"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "database": "memory"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// securityHeaders sets the headers every page of ours wants. The calculator's frame-ancestors
// policy comes from the widget package; everything else here may not be framed.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
