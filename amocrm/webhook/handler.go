package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amokit/amokit/internal/optfunc"
)

// Defaults of a Handler.
const (
	// DefaultMaxBody bounds a request body. A delivery of 50 leads with custom fields is about
	// 100 KiB.
	DefaultMaxBody = 4 << 20
	// DefaultWarnFailures is how many failed answers within FailureWindow make the Handler log a
	// warning: amoCRM disables a webhook after more than DisableThreshold.
	DefaultWarnFailures = 50
	// DisableThreshold is amoCRM's limit: more than this many failed deliveries within
	// FailureWindow, the latest one failed too, and amoCRM switches the webhook off until an
	// administrator turns it on again.
	DisableThreshold = 100
	// FailureWindow is the span amoCRM counts failed deliveries over.
	FailureWindow = 2 * time.Hour
	// minSecret is the shortest secret WithSecret takes.
	minSecret = 16
)

// Func handles one delivery. With WithQueue it runs on a worker after amoCRM has had its answer;
// otherwise it runs inside the request and its error is answered with 500, so it must return
// well within amoCRM's 2-second timeout (store the delivery and return, for example).
type Func func(ctx context.Context, d *Delivery) error

// Connections says which accounts may deliver. amoCRM does not sign webhooks, so the account a
// payload names is a claim to check against the accounts the application is connected to.
type Connections interface {
	// Connected reports whether account (its ID and Subdomain, either of which may be empty in
	// an old-style payload) belongs to a connected account. It must answer false when the id
	// and the subdomain are of different accounts. An error answers 503: amoCRM tries again
	// later.
	Connected(ctx context.Context, account Account) (bool, error)
}

// ConnectionsFunc adapts a function to Connections.
type ConnectionsFunc func(ctx context.Context, account Account) (bool, error)

// Connected calls f.
func (f ConnectionsFunc) Connected(ctx context.Context, account Account) (bool, error) {
	return f(ctx, account)
}

// OneAccount accepts deliveries from the account with this id and subdomain only. A payload
// that names only one of the two must match that one.
func OneAccount(id int64, subdomain string) Connections {
	return ConnectionsFunc(func(_ context.Context, a Account) (bool, error) {
		if a.ID == 0 && a.Subdomain == "" {
			return false, nil
		}
		return (a.ID == 0 || a.ID == id) && (a.Subdomain == "" || a.Subdomain == subdomain), nil
	})
}

// Option configures a Handler.
type Option func(*options) error

type options struct {
	secret       []byte
	conns        Connections
	queue        int
	workers      int
	maxBody      int64
	warnFailures int
	logger       *slog.Logger
}

// WithSecret sets the secret amoCRM's requests must carry in the destination URL: as the query
// parameter "secret" (https://example.com/amocrm/hook?secret=…), or as the path value "secret"
// of an http.ServeMux pattern ("POST /amocrm/hook/{secret}"). It is compared in constant time.
// Use at least 16 random bytes, such as 32 hex digits.
func WithSecret(secret string) Option {
	return func(o *options) error {
		if len(secret) < minSecret {
			return fmt.Errorf("webhook: WithSecret: the secret must be at least %d bytes; use 32 random hex digits", minSecret)
		}
		o.secret = []byte(secret)
		return nil
	}
}

// WithConnections checks the account of every delivery; see Connections and OneAccount.
func WithConnections(c Connections) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("webhook: WithConnections: nil Connections")
		}
		o.conns = c
		return nil
	}
}

// WithQueue hands deliveries to workers through a queue of size deliveries, answering amoCRM at
// once. When the queue is full the Handler answers 503 without waiting, and amoCRM delivers
// again later. A delivery the function then fails on is counted and logged but not redelivered.
func WithQueue(size, workers int) Option {
	return func(o *options) error {
		if size < 1 || workers < 1 {
			return fmt.Errorf("webhook: WithQueue: size %d and workers %d must be positive", size, workers)
		}
		o.queue, o.workers = size, workers
		return nil
	}
}

// WithMaxBody bounds a request body; larger requests get 413. The default is DefaultMaxBody.
func WithMaxBody(n int64) Option {
	return func(o *options) error {
		if n < 1024 {
			return fmt.Errorf("webhook: WithMaxBody: %d bytes is too small for any delivery", n)
		}
		o.maxBody = n
		return nil
	}
}

// WithFailureWarning logs a warning once failed answers within FailureWindow reach n, and an
// error once they pass DisableThreshold. The default is DefaultWarnFailures.
func WithFailureWarning(n int) Option {
	return func(o *options) error {
		if n < 1 || n > DisableThreshold {
			return fmt.Errorf("webhook: WithFailureWarning: %d is not in 1..%d", n, DisableThreshold)
		}
		o.warnFailures = n
		return nil
	}
}

// WithLogger logs rejected deliveries at Info, failures of the function at Error and the
// approach of amoCRM's disable threshold at Warn. Payloads and secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("webhook: WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// Handler receives amoCRM's webhooks: it checks the secret and the account, decodes the payload
// with Parse and hands it to a Func, answering within amoCRM's timeout. Create it with New.
type Handler struct {
	fn      Func
	o       options
	secret  [sha256.Size]byte
	queue   chan *Delivery
	workers sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
	closing sync.Once
	closed  atomic.Bool
	sending sync.RWMutex // held for reading while a request puts on the queue

	received, accepted, rejected, unauthorized, queueFull, failed atomic.Uint64

	mu       sync.Mutex
	failures window
	warned   int // the last threshold logged: 0, warnFailures or DisableThreshold
}

// Stats are a Handler's counters since New.
type Stats struct {
	Received     uint64 // requests
	Accepted     uint64 // answered 200
	Rejected     uint64 // answered 4xx for the request itself: method, type, size, payload
	Unauthorized uint64 // answered 401 or 403: a wrong secret or an account not connected
	QueueFull    uint64 // answered 503 because the queue was full
	Failed       uint64 // deliveries the function returned an error for
	Queued       int    // deliveries waiting in the queue now
	// RecentFailures are the answers other than 200 within the last FailureWindow: what amoCRM
	// counts towards disabling the webhook.
	RecentFailures int
}

// New returns a Handler that passes every authenticated delivery to fn. WithSecret and
// WithConnections are required. With WithQueue, call Close to stop the workers.
func New(fn Func, opts ...Option) (*Handler, error) {
	o := options{maxBody: DefaultMaxBody, warnFailures: DefaultWarnFailures}
	var errs []error
	if fn == nil {
		errs = append(errs, errors.New("webhook: New: nil Func"))
	}
	errs = append(errs, optfunc.Apply(&o, opts)...)
	if o.secret == nil {
		errs = append(errs, errors.New("webhook: no secret: amoCRM does not sign deliveries, so put a secret in the destination URL and give it to WithSecret"))
	}
	if o.conns == nil {
		errs = append(errs, errors.New("webhook: no Connections: give WithConnections the accounts that may deliver (OneAccount for a single one)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	h := &Handler{fn: fn, o: o, secret: sha256.Sum256(o.secret)}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	if o.queue > 0 {
		h.queue = make(chan *Delivery, o.queue)
		for range o.workers {
			h.workers.Go(h.work)
		}
	}
	return h, nil
}

func (h *Handler) work() {
	for d := range h.queue {
		if err := h.fn(h.ctx, d); err != nil {
			h.failed.Add(1)
			h.log(slog.LevelError, "webhook: handling a delivery failed", slog.Int64("account_id", d.Account.ID), slog.String("error", err.Error()))
		}
	}
}

// Close stops taking deliveries (later requests get 503) and waits for the queue to drain, or for
// ctx to end, after which the context given to the function is cancelled.
func (h *Handler) Close(ctx context.Context) error {
	h.closing.Do(func() {
		h.sending.Lock()
		h.closed.Store(true)
		if h.queue != nil {
			close(h.queue)
		}
		h.sending.Unlock()
	})
	done := make(chan struct{})
	go func() { h.workers.Wait(); close(done) }()
	select {
	case <-done:
		h.cancel()
		return nil
	case <-ctx.Done():
		h.cancel()
		<-done
		return ctx.Err()
	}
}

// Stats returns the counters.
func (h *Handler) Stats() Stats {
	s := Stats{
		Received:     h.received.Load(),
		Accepted:     h.accepted.Load(),
		Rejected:     h.rejected.Load(),
		Unauthorized: h.unauthorized.Load(),
		QueueFull:    h.queueFull.Load(),
		Failed:       h.failed.Load(),
		Queued:       len(h.queue),
	}
	h.mu.Lock()
	s.RecentFailures = h.failures.count(time.Now())
	h.mu.Unlock()
	return s
}

// ServeHTTP answers one delivery.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.received.Add(1)
	code, msg := h.serve(r)
	if code != http.StatusOK {
		h.fail(code)
		if code == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		http.Error(w, msg, code)
		return
	}
	h.accepted.Add(1)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// bodies holds the buffers request bodies are read into. Parse keeps nothing of the body it
// decodes, so a buffer serves the next request once the delivery is decoded.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody is the largest buffer kept for the next request; a rare huge body is left to the
// garbage collector.
const maxPooledBody = 1 << 20

func putBody(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBody {
		b.Reset()
		bodies.Put(b)
	}
}

// readBody reads r into buf, sized at once from the request's Content-Length (at most limit), so
// that a large delivery is not copied as the buffer grows.
func readBody(buf *bytes.Buffer, r io.Reader, length, limit int64) ([]byte, error) {
	if length > 0 {
		buf.Grow(int(min(length, limit)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

func (h *Handler) serve(r *http.Request) (int, string) {
	if r.Method != http.MethodPost {
		h.rejected.Add(1)
		return http.StatusMethodNotAllowed, "webhooks are POST requests"
	}
	if !h.authentic(r) {
		h.unauthorized.Add(1)
		h.log(slog.LevelInfo, "webhook: refused a request without the right secret")
		return http.StatusUnauthorized, "the destination URL does not carry the right secret"
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		h.rejected.Add(1)
		return http.StatusUnsupportedMediaType, "a webhook is application/x-www-form-urlencoded"
	}
	buf := bodies.Get().(*bytes.Buffer)
	defer putBody(buf)
	body, err := readBody(buf, http.MaxBytesReader(nil, r.Body, h.o.maxBody), r.ContentLength, h.o.maxBody)
	if err != nil {
		h.rejected.Add(1)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", h.o.maxBody)
		}
		return http.StatusBadRequest, "reading the body failed"
	}
	d, err := Parse(body)
	if err != nil {
		h.rejected.Add(1)
		h.log(slog.LevelInfo, "webhook: refused a malformed payload", slog.String("error", err.Error()))
		return http.StatusBadRequest, err.Error()
	}
	if d.Account.ID == 0 && d.Account.Subdomain == "" {
		h.rejected.Add(1)
		return http.StatusBadRequest, "the payload names no account (account[id], account[subdomain])"
	}
	ok, err := h.o.conns.Connected(r.Context(), d.Account)
	if err != nil {
		h.log(slog.LevelError, "webhook: checking the account failed", slog.Int64("account_id", d.Account.ID), slog.String("error", err.Error()))
		return http.StatusServiceUnavailable, "checking the account failed; try again later"
	}
	if !ok {
		h.unauthorized.Add(1)
		h.log(slog.LevelInfo, "webhook: refused a delivery from an account that is not connected", slog.Int64("account_id", d.Account.ID), slog.String("subdomain", d.Account.Subdomain))
		return http.StatusForbidden, "the account is not connected"
	}
	if h.queue == nil {
		if h.closed.Load() {
			return http.StatusServiceUnavailable, "shutting down"
		}
		if err := h.fn(r.Context(), d); err != nil {
			h.failed.Add(1)
			h.log(slog.LevelError, "webhook: handling a delivery failed", slog.Int64("account_id", d.Account.ID), slog.String("error", err.Error()))
			return http.StatusInternalServerError, "handling the delivery failed"
		}
		return http.StatusOK, ""
	}
	h.sending.RLock()
	defer h.sending.RUnlock()
	if h.closed.Load() {
		return http.StatusServiceUnavailable, "shutting down"
	}
	select {
	case h.queue <- d:
		return http.StatusOK, ""
	default:
		h.queueFull.Add(1)
		return http.StatusServiceUnavailable, "the queue is full; try again later"
	}
}

// authentic compares the request's secret with the Handler's in constant time; hashing both
// first keeps the length of the secret from showing either.
func (h *Handler) authentic(r *http.Request) bool {
	got := r.PathValue("secret")
	if got == "" {
		got = r.URL.Query().Get("secret")
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], h.secret[:]) == 1
}

// fail records a failed answer and warns as the count nears amoCRM's disable threshold.
func (h *Handler) fail(code int) {
	now := time.Now()
	h.mu.Lock()
	h.failures.add(now)
	n := h.failures.count(now)
	level, threshold := slog.Level(0), 0
	switch {
	case n > DisableThreshold && h.warned < DisableThreshold:
		level, threshold = slog.LevelError, DisableThreshold
	case n >= h.o.warnFailures && h.warned < h.o.warnFailures:
		level, threshold = slog.LevelWarn, h.o.warnFailures
	case n < h.o.warnFailures:
		h.warned = 0
	}
	if threshold > 0 {
		h.warned = threshold
	}
	h.mu.Unlock()
	if threshold > 0 {
		h.log(level, "webhook: failed answers are approaching amoCRM's limit: more than 100 in 2 hours disables the webhook",
			slog.Int("failures_2h", n), slog.Int("last_status", code))
	}
}

func (h *Handler) log(level slog.Level, msg string, attrs ...slog.Attr) {
	if h.o.logger != nil {
		h.o.logger.LogAttrs(context.Background(), level, msg, attrs...)
	}
}

// window counts events over FailureWindow in one-minute buckets.
type window struct {
	buckets [120]struct {
		minute int64
		n      int
	}
}

func (w *window) add(now time.Time) {
	m := now.Unix() / 60
	b := &w.buckets[m%int64(len(w.buckets))]
	if b.minute != m {
		b.minute, b.n = m, 0
	}
	b.n++
}

func (w *window) count(now time.Time) int {
	m := now.Unix() / 60
	n := 0
	for _, b := range w.buckets {
		if b.n > 0 && m-b.minute < int64(len(w.buckets)) && b.minute <= m {
			n += b.n
		}
	}
	return n
}
