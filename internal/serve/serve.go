// Package serve holds what the widget server puts around its handlers: a request id on every
// request and log line, the access log, the health checks, the security headers every page wants
// and the pages' static files.
package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/amokit/amokit/internal/httpx"
	"github.com/amokit/amokit/widget"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

// readyTimeout bounds the database ping of Readyz.
const readyTimeout = 2 * time.Second

type requestIDKey struct{}

// requestIDFrom returns the request id that WithRequestID put into ctx, or "".
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

// NewLogger writes JSON lines to w at level, each with the request id of its context.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(contextHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// WithRequestID gives every request an id (the proxy's X-Request-Id when sane), answers it in
// X-Request-Id, puts it into the context for the logs, and logs one line per request: method,
// path (never the query, which can hold tickets, codes and tokens), status, size and duration.
func WithRequestID(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		sw := &httpx.StatusWriter{ResponseWriter: w}
		start := time.Now()
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
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			)
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// Pinger is what Readyz asks: the database pool, or nothing.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Healthz answers 200 while the process serves requests.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	widget.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// Readyz answers 200 when the database answers a ping (always, for the memory store) and 503
// otherwise, and once shutdown has begun, so a load balancer stops sending new work.
func Readyz(db Pinger, shuttingDown func() bool, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if shuttingDown() {
			widget.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "shutting_down"})
			return
		}
		if db != nil {
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			if err := db.Ping(ctx); err != nil {
				logger.WarnContext(r.Context(), "readyz: the database does not answer", slog.String("error", err.Error()))
				widget.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "down"})
				return
			}
			widget.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok", "database": "up"})
			return
		}
		widget.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok", "database": "memory"})
	}
}

// SecurityHeaders sets the headers every answer of ours wants: no MIME sniffing, no Referer.
// Framing is each page's own policy: the calculator's frame-ancestors comes from the widget
// package, the admin pages forbid frames in their Content-Security-Policy.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// Static serves the pages' stylesheets and scripts, the .css and .js files at the top of each
// of fsyses (the first that has the name wins), and nothing else.
func Static(fsyses ...fs.FS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path
		ctype := ""
		switch {
		case strings.HasSuffix(name, ".css"):
			ctype = "text/css; charset=utf-8"
		case strings.HasSuffix(name, ".js"):
			ctype = "text/javascript; charset=utf-8"
		}
		if ctype == "" || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		for _, fsys := range fsyses {
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				continue
			}
			w.Header().Set("Content-Type", ctype)
			w.Header().Set("Cache-Control", "no-cache")
			w.Write(data)
			return
		}
		http.NotFound(w, r)
	})
}
