package amocrmtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/amokit/amokit/internal/httpx"
	"github.com/amokit/amokit/internal/optfunc"
)

// Server is an in-process fake amoCRM: an httptest.Server plus the state
// behind it. All its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the listener, "http://127.0.0.1:port", with no
	// trailing slash.
	URL string

	ts      *httptest.Server
	cfg     config
	routes  *mux
	handler http.Handler

	jwtKey  []byte
	consent *template.Template

	mu sync.Mutex
	st *state

	edge edge // the rate limit and the block, under their own lock (limits.go)

	driveLose  int // Drive part answers still to lose (LoseDrivePartAnswers), under mu
	driveParts int // parts the Drive accepted (DrivePartsReceived), under mu
}

// RefreshReuse says what happens to a refresh token once it has been used.
type RefreshReuse int

const (
	// RefreshStrict is amoCRM's reading (docs/amocrm-reference.md#token-endpoint,
	// "globally single-use"): a refresh token works once; reusing it answers
	// 401 "Token has been revoked". This is the default. Whether the access
	// token issued with it survives the refresh is not documented; by default
	// it does not (see WithRevokeOnRefresh).
	RefreshStrict RefreshReuse = iota
	// RefreshKommoGrace is Kommo's reading: after a refresh the old refresh
	// token (and the old access token) keep working until the new access token
	// is first used, so a client that lost the response can retry.
	RefreshKommoGrace
)

// ErrorStyle is the body format of a 429 answer.
type ErrorStyle int

const (
	// StyleHTML is an nginx-style HTML page, what clients saw in production
	// (docs/amocrm-reference.md#errors). This is the default.
	StyleHTML ErrorStyle = iota
	// StyleJSON is Kommo's documented body:
	// {"title":"Too Many Requests","status":429,"retry_after":N}.
	StyleJSON
)

// Option configures a Server.
type Option func(*config) error

type config struct {
	clock            Clock
	accessTTL        time.Duration
	limit            limitRule
	block            blockRule
	style429         ErrorStyle
	retryAfterHeader bool
	refreshReuse     RefreshReuse
	revokeOnRefresh  bool
	latency          time.Duration
	baseDomain       string
	refreshRedirect  bool
	limitFallback    bool
	hookClient       *http.Client
	strict           strictConfig
}

func defaultConfig() config {
	limit, block := defaultLimits()
	return config{
		clock:           realClock{},
		accessTTL:       24 * time.Hour,
		limit:           limit,
		block:           block,
		style429:        StyleHTML,
		refreshReuse:    RefreshStrict,
		revokeOnRefresh: true,
		baseDomain:      "amocrm.ru",
		refreshRedirect: true,
	}
}

// WithClock makes the server read time from c (see Clock). It exists for tests that reach the
// server over its loopback listener and still need time to pass, for instance to expire the
// fake's access tokens without waiting: a testing/synctest bubble cannot serve them, since a
// goroutine waiting on network I/O never counts as blocked, so the bubble's clock never moves. A
// test that calls Handler in process can use synctest with the default clock instead.
func WithClock(c Clock) Option {
	return func(cfg *config) error {
		if c == nil {
			return errors.New("amocrmtest: WithClock: nil clock")
		}
		cfg.clock = c
		return nil
	}
}

// WithAccessTokenTTL sets the lifetime of issued access tokens (default 24h,
// docs/amocrm-reference.md#token-endpoint). NewServer panics if d is not positive.
func WithAccessTokenTTL(d time.Duration) Option {
	return func(cfg *config) error {
		if d <= 0 {
			return errors.New("amocrmtest: WithAccessTokenTTL: lifetime must be positive")
		}
		cfg.accessTTL = d
		return nil
	}
}

// With429Style sets the body of 429 answers and whether they carry a
// Retry-After header. The default, StyleHTML without the header, is what
// production sent (docs/amocrm-reference.md#errors).
func With429Style(style ErrorStyle, retryAfterHeader bool) Option {
	return func(cfg *config) error {
		cfg.style429 = style
		cfg.retryAfterHeader = retryAfterHeader
		return nil
	}
}

// WithRefreshReuse chooses how refresh tokens rotate (default RefreshStrict).
func WithRefreshReuse(r RefreshReuse) Option {
	return func(cfg *config) error { cfg.refreshReuse = r; return nil }
}

// WithRevokeOnRefresh sets whether, under RefreshStrict, a refresh also
// ends the access token it replaces. The default (true) is the stricter
// reading, and what the League OAuth server (whose error shape amoCRM's
// token endpoint answers with) does; false keeps the old access token
// working until it expires. Under RefreshKommoGrace the old pair lives until
// the new access token is used, whatever this says.
func WithRevokeOnRefresh(revoke bool) Option {
	return func(cfg *config) error { cfg.revokeOnRefresh = revoke; return nil }
}

// WithLatency delays every request by d, measured on the server's Clock.
func WithLatency(d time.Duration) Option {
	return func(cfg *config) error { cfg.latency = max(d, 0); return nil }
}

// WithBaseDomain sets the domain accounts live under (default "amocrm.ru";
// "kommo.com" for Kommo). An account "acme" then has the host
// "acme.<domain>", which is what the OAuth redirect sends as referer, and
// access tokens carry it as base_domain.
func WithBaseDomain(domain string) Option {
	domain = strings.Trim(strings.ToLower(domain), ".")
	return func(cfg *config) error {
		if domain == "" {
			return errors.New("amocrmtest: WithBaseDomain: empty domain")
		}
		cfg.baseDomain = domain
		return nil
	}
}

// WithRefreshRedirectURI sets whether a refresh_token grant must carry the
// integration's redirect_uri. Every documented example sends it; whether the
// server insists is not documented, so by default (true) it does: a refresh
// without redirect_uri is refused with 400.
func WithRefreshRedirectURI(required bool) Option {
	return func(cfg *config) error { cfg.refreshRedirect = required; return nil }
}

// WithPageLimitFallback sets what a list request with limit over 250 gets. By
// default it is refused with 422 "Limit 250 per page"; with fallback true the
// server silently uses 50 instead, as one user suspected production does
// (docs/amocrm-reference.md#pagination, UNVERIFIED).
func WithPageLimitFallback(fallback bool) Option {
	return func(cfg *config) error { cfg.limitFallback = fallback; return nil }
}

// WithHookClient sets the client InstallWidget and RevokeIntegration use to
// call the integration's URLs (default: a client with amoCRM's 3 s timeout).
func WithHookClient(c *http.Client) Option {
	return func(cfg *config) error {
		if c == nil {
			return errors.New("amocrmtest: WithHookClient: nil client")
		}
		cfg.hookClient = c
		return nil
	}
}

// NewServer starts a fake amoCRM on a local port. Call Close when done.
// It starts with no accounts: add them with AddAccount. It panics with every
// problem of opts at once.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.Start()
	return s
}

// NewUnstartedServer returns a fake amoCRM that does not serve on its port
// until Start is called. Until then URL is empty, but Handler works: this
// is the constructor to use inside a testing/synctest bubble, where a
// listening goroutine would keep the bubble's clock from moving.
func NewUnstartedServer(opts ...Option) *Server {
	cfg := defaultConfig()
	if err := errors.Join(optfunc.Apply(&cfg, opts)...); err != nil {
		panic(err) // a test server has no error to return, as httptest.NewServer
	}
	if cfg.hookClient == nil {
		cfg.hookClient = &http.Client{Timeout: 3 * time.Second}
	}
	s := &Server{cfg: cfg, st: newState(), jwtKey: []byte(randHex(32)), consent: newConsentTemplate()}
	s.routes = s.newMux()
	s.handler = http.HandlerFunc(s.serve)
	s.ts = httptest.NewUnstartedServer(s.handler)
	return s
}

// Start starts serving on the server's port and sets URL.
func (s *Server) Start() {
	s.ts.Start()
	s.URL = s.ts.URL
}

// Close shuts the listener down and blocks until all requests have finished.
func (s *Server) Close() { s.ts.Close() }

// Handler returns the server's http.Handler, for mounting in another server
// (a demo, say). Mount it at the root of a host: links in list pages are
// built from the request's Host and path.
func (s *Server) Handler() http.Handler { return s.handler }

// Transport returns a RoundTripper that sends requests for any host under
// the base domain (acme.amocrm.ru, www.amocrm.ru, api-b.amocrm.ru) to this
// server, keeping the Host header and telling the server the original scheme,
// so code under test can use real-looking https URLs. Requests for other hosts
// go out unchanged.
func (s *Server) Transport() http.RoundTripper {
	if s.URL == "" {
		return &hostRewriter{s: s, base: http.DefaultTransport}
	}
	return &hostRewriter{s: s, base: s.ts.Client().Transport}
}

// Client returns an *http.Client that uses Transport.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: s.Transport()}
}

type hostRewriter struct {
	s    *Server
	base http.RoundTripper
}

func (h *hostRewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	host := strings.ToLower(req.URL.Hostname())
	d := h.s.cfg.baseDomain
	if h.s.URL == "" || host != d && !strings.HasSuffix(host, "."+d) {
		return h.base.RoundTrip(req)
	}
	target, err := url.Parse(h.s.URL)
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Host = req.URL.Host
	r.URL.Scheme = target.Scheme
	r.URL.Host = target.Host
	r.Header.Set("X-Forwarded-Proto", req.URL.Scheme)
	return h.base.RoundTrip(r)
}

// maxBody bounds what the server reads of a request body.
const maxBody = 8 << 20

// serve is the outermost handler: it records the request, applies latency,
// faults and the block, then routes.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// A request arrives when its headers do, before its body is read or any lock is taken, as
	// at a gateway; the rate limit counts it then.
	arrived := s.now()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "Request body could not be read")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sw := &httpx.StatusWriter{ResponseWriter: w}
	entry := s.record(r, body, arrived)
	finished := false
	defer func() {
		if !finished {
			s.finish(entry, sw)
		}
	}()

	if s.cfg.latency > 0 {
		if !s.wait(r.Context(), s.cfg.latency) {
			return
		}
		arrived = s.now()
	}
	// A drop is counted before the connection closes: the client may send its next request (and
	// a test read the counters) as soon as it sees the connection go.
	beforeDrop := func() { s.finish(entry, sw); finished = true }
	if f, ok := s.takeFault(r); ok && s.applyFault(sw, r, f, beforeDrop) {
		return
	}
	if s.atEdge(sw, r, arrived) {
		return
	}
	s.routes.ServeHTTP(sw, r)
}

// wait waits d on the server's clock; it reports false if the request was
// cancelled first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	select {
	case <-s.cfg.clock.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) now() time.Time { return s.cfg.clock.Now() }

// Now is the time on the server's Clock, for seeding data relative to it.
func (s *Server) Now() time.Time { return s.now() }

// baseURL is scheme://host of the request, as the client addressed it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

func (s *Server) requestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.reqSeq++
	return fmt.Sprintf("%016x", s.st.reqSeq)
}
