package oauth_test

// Evidence for the token source against amocrmtest in strict single-use mode: several real
// processes (re-executions of this test binary) sharing one PostgreSQL store, and a store that
// fails right after amoCRM rotated the refresh token. The fault suite is in faults_test.go.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/time/rate"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/internal/pgtest"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/tokenstore/postgres"
)

const (
	redirectURI = "https://calc.example.com/oauth/callback"
	subdomain   = "acme"
	accountHost = "acme.amocrm.ru"
	tokenPath   = "/oauth2/access_token"
	accountPath = "/api/v4/account"
)

// Environment of a child process. envHelper selects what the child does: "storm" (goroutines
// making API calls until stdin closes) or "kill" (one refresh, then wait to be killed).
const (
	envHelper     = "AMOKIT_OAUTH_HELPER"
	envFake       = "AMOKIT_OAUTH_HELPER_FAKE"
	envDSN        = "AMOKIT_OAUTH_HELPER_DSN"
	envAccount    = "AMOKIT_OAUTH_HELPER_ACCOUNT"
	envGoroutines = "AMOKIT_OAUTH_HELPER_GOROUTINES"
	envSkew       = "AMOKIT_OAUTH_HELPER_SKEW"
	envRate       = "AMOKIT_OAUTH_HELPER_RATE"
	envMax        = "AMOKIT_OAUTH_HELPER_MAX"
)

// Lines a child prints on stdout.
const (
	lineReady  = "READY"  // set up; waiting for "go" on stdin
	lineToken  = "TOKEN"  // TOKEN <fingerprint>: first use of an access token
	lineReport = "REPORT" // REPORT <json>: what the child did
	lineDone   = "DONE"   // DONE ok|<error>: the kill child's refresh and call are over
)

// ---------------------------------------------------------------------------------------------
// The fake amoCRM, watched.

// issued is a token pair the fake's token endpoint handed out.
type issued struct {
	at      time.Time // when the token request arrived
	access  string    // amocrmtest.Fingerprint of the access token
	refresh string    // and of the refresh token
	expiry  time.Time // the access token's exp claim: when the token source considers it expired
}

// grant is one request to the fake's token endpoint.
type grant struct {
	presented string // fingerprint of the refresh token the request presented, "" for a code
	status    int
	issued    issued // when status is 200
}

// tokenWatch sits in front of the fake and records every token request and every pair issued. Its
// hooks run when a token request arrives and after a pair was issued, before the answer leaves.
type tokenWatch struct {
	mu     sync.Mutex
	grants []grant
	log    []issued
	events chan issued

	beforeGrant atomic.Pointer[func()]
	afterGrant  atomic.Pointer[func()]
}

func (w *tokenWatch) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != tokenPath {
			h.ServeHTTP(rw, r)
			return
		}
		at := time.Now()
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		var asked struct {
			RefreshToken string `json:"refresh_token"`
		}
		_ = json.Unmarshal(raw, &asked)
		g := grant{}
		if asked.RefreshToken != "" {
			g.presented = amocrmtest.Fingerprint(asked.RefreshToken)
		}
		if hook := w.beforeGrant.Swap(nil); hook != nil {
			(*hook)()
		}
		cw := &captureWriter{ResponseWriter: rw}
		h.ServeHTTP(cw, r)
		g.status = cw.status
		var body struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		ok := cw.status == http.StatusOK && json.Unmarshal(cw.body.Bytes(), &body) == nil
		if ok {
			g.issued = issued{at: at, access: amocrmtest.Fingerprint(body.AccessToken), refresh: amocrmtest.Fingerprint(body.RefreshToken)}
			if c, err := oauth.ParseClaims(body.AccessToken); err == nil {
				g.issued.expiry = c.Expiry
			}
		}
		w.mu.Lock()
		w.grants = append(w.grants, g)
		if ok {
			w.log = append(w.log, g.issued)
		}
		w.mu.Unlock()
		if !ok {
			return
		}
		select {
		case w.events <- g.issued:
		default:
		}
		if hook := w.afterGrant.Swap(nil); hook != nil {
			(*hook)()
		}
	})
}

// issuedSoFar returns a copy of the pairs issued so far.
func (w *tokenWatch) issuedSoFar() []issued {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.log)
}

// grantsSoFar returns a copy of the token requests so far.
func (w *tokenWatch) grantsSoFar() []grant {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.grants)
}

// connTracker counts the open connections of a server.
type connTracker struct {
	mu      sync.Mutex
	open    int
	waiters []chan struct{}
}

func (c *connTracker) state(_ net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s {
	case http.StateNew:
		c.open++
	case http.StateClosed, http.StateHijacked:
		c.open--
		if c.open == 0 {
			for _, w := range c.waiters {
				close(w)
			}
			c.waiters = nil
		}
	}
}

// closed returns a channel closed once no connection is open. A connection closes only after the
// server has read and answered everything sent on it.
func (c *connTracker) closed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	if c.open == 0 {
		close(ch)
	} else {
		c.waiters = append(c.waiters, ch)
	}
	return ch
}

// once arms hook to run once at the next token request (before) or issued pair (after).
func once(p *atomic.Pointer[func()], hook func()) { p.Store(&hook) }

// captureWriter keeps a copy of what the fake answers. The answer still leaves only when the
// handler returns, so an afterGrant hook runs before the client can read it.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets the fake hijack the connection for its Drop faults.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// fixture is a fake amoCRM (rate limit off, so that only the token source is under test) with one
// account and one integration, behind a tokenWatch.
type fixture struct {
	conns   *connTracker // of the watched fake
	fake    *amocrmtest.Server
	acct    *amocrmtest.Account
	integ   amocrmtest.Integration
	watch   *tokenWatch
	url     string // the watched fake
	cfg     oauth.Config
	account string
}

func newFixture(t *testing.T, opts ...amocrmtest.Option) *fixture {
	t.Helper()
	fake := amocrmtest.NewServer(append([]amocrmtest.Option{amocrmtest.WithRateLimit(0, 1)}, opts...)...)
	t.Cleanup(fake.Close)
	f := &fixture{
		fake:    fake,
		acct:    fake.AddAccount(subdomain),
		integ:   fake.AddIntegration(amocrmtest.Integration{RedirectURI: redirectURI}),
		watch:   &tokenWatch{events: make(chan issued, 1024)},
		account: accountHost,
	}
	f.conns = &connTracker{}
	srv := httptest.NewUnstartedServer(f.watch.wrap(fake.Handler()))
	srv.Config.ConnState = f.conns.state
	srv.Start()
	t.Cleanup(srv.Close)
	f.url = srv.URL
	f.cfg = oauth.Config{RedirectURL: redirectURI, BaseURL: srv.URL}
	return f
}

// connect authorises the integration in the account, as a person and the callback would, and saves
// the connection. expiry overrides the stored expiry when not zero. It returns the pair.
func (f *fixture) connect(t *testing.T, store tokenstore.Store, expiry time.Time) amocrmtest.Token {
	t.Helper()
	tok, err := f.fake.IssueToken(f.integ.ClientID, subdomain)
	require.NoError(t, err)
	if expiry.IsZero() {
		expiry = tok.ExpiresAt
	}
	require.NoError(t, store.Save(t.Context(), &tokenstore.Connection{
		Account: f.account, AccountID: f.acct.ID, ClientID: f.integ.ClientID, ClientSecret: f.integ.ClientSecret,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: expiry,
	}))
	return tok
}

// client is an amoCRM client for the fixture's account through ts, as an application builds it.
func (f *fixture) client(t *testing.T, ts oauth2.TokenSource) *amocrm.Client {
	t.Helper()
	c, err := newAPIClient(f.url, f.account, ts, 0, &http.Transport{MaxIdleConnsPerHost: 4})
	require.NoError(t, err)
	return c
}

// newAPIClient builds a client for account at base through ts and tr. perSecond 0 means no
// pacing.
func newAPIClient(base, account string, ts oauth2.TokenSource, perSecond float64, tr *http.Transport) (*amocrm.Client, error) {
	limit := rate.Inf
	if perSecond > 0 {
		limit = rate.Limit(perSecond)
	}
	return amocrm.New(account,
		amocrm.WithBaseURL(base),
		amocrm.WithTokenSource(ts),
		amocrm.WithLimiter(rate.NewLimiter(limit, max(tr.MaxIdleConnsPerHost, 1))),
		amocrm.WithHTTPClient(&http.Client{Transport: tr}),
	)
}

// apiRequests returns the fake's log of API calls.
func apiRequests(fake *amocrmtest.Server) []amocrmtest.RecordedRequest {
	var out []amocrmtest.RecordedRequest
	for _, rr := range fake.Requests() {
		if strings.HasPrefix(rr.Path, "/api/") {
			out = append(out, rr)
		}
	}
	return out
}

// tokenRequests returns the fake's log of token requests.
func tokenRequests(fake *amocrmtest.Server) []amocrmtest.RecordedRequest {
	var out []amocrmtest.RecordedRequest
	for _, rr := range fake.Requests() {
		if rr.Path == tokenPath {
			out = append(out, rr)
		}
	}
	return out
}

// openStore opens a PostgreSQL store on dsn with a pool of its own, closed when t ends.
func openStore(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	store, err := postgres.New(t.Context(), pool)
	require.NoError(t, err)
	return store
}

// ---------------------------------------------------------------------------------------------
// Child processes.

// child is a re-execution of this test binary running TestRefreshHelperProcess.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // stdout, line by line; closed at EOF
	exited chan struct{}
	err    error        // cmd.Wait's result, once exited is closed
	stderr bytes.Buffer // complete once exited is closed
}

// startChild starts a child in mode with env. The child dies with ctx.
func startChild(ctx context.Context, mode string, env map[string]string) (*child, error) {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRefreshHelperProcess$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), envHelper+"="+mode)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	c := &child{cmd: cmd, lines: make(chan string, 256), exited: make(chan struct{})}
	cmd.Stderr = &c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// await reads lines until one starts with prefix, and returns the rest of it.
func (c *child) await(prefix string, timeout time.Duration) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				<-c.exited
				return "", fmt.Errorf("child exited (%v) before %s; stderr: %s", c.err, prefix, c.stderr.String())
			}
			if rest, found := strings.CutPrefix(line, prefix); found {
				return strings.TrimSpace(rest), nil
			}
		case <-deadline.C:
			return "", fmt.Errorf("no %s from the child within %v", prefix, timeout)
		}
	}
}

// kill ends the child with SIGKILL (os.Process.Kill) and waits for it.
func (c *child) kill() { c.killAndDrain() }

// killAndDrain ends the child with SIGKILL and returns what it printed and nobody read yet.
func (c *child) killAndDrain() []string {
	_ = c.cmd.Process.Kill()
	var lines []string
	for l := range c.lines {
		lines = append(lines, l)
	}
	<-c.exited
	return lines
}

// helperConfig is what a child reads from its environment.
type helperConfig struct {
	fake, dsn, account string
	goroutines         int
	skew               time.Duration
	perSecond          float64
	max                time.Duration
}

func readHelperConfig() (helperConfig, error) {
	h := helperConfig{fake: os.Getenv(envFake), dsn: os.Getenv(envDSN), account: os.Getenv(envAccount)}
	var errs []error
	var err error
	if h.goroutines, err = strconv.Atoi(os.Getenv(envGoroutines)); err != nil {
		errs = append(errs, err)
	}
	if h.skew, err = time.ParseDuration(os.Getenv(envSkew)); err != nil {
		errs = append(errs, err)
	}
	if h.perSecond, err = strconv.ParseFloat(os.Getenv(envRate), 64); err != nil {
		errs = append(errs, err)
	}
	if h.max, err = time.ParseDuration(os.Getenv(envMax)); err != nil {
		errs = append(errs, err)
	}
	return h, errors.Join(errs...)
}

func (h helperConfig) env() map[string]string {
	return map[string]string{
		envFake: h.fake, envDSN: h.dsn, envAccount: h.account,
		envGoroutines: strconv.Itoa(h.goroutines), envSkew: h.skew.String(),
		envRate: strconv.FormatFloat(h.perSecond, 'f', -1, 64), envMax: h.max.String(),
	}
}

// openChild opens what a child process works with: its own pool, store, token source and client,
// as one replica of a service would.
func openChild(t *testing.T, h helperConfig) (*watchedSource, *amocrm.Client) {
	t.Helper()
	pcfg, err := pgxpool.ParseConfig(h.dsn)
	require.NoError(t, err)
	pcfg.MaxConns = 3
	pool, err := pgxpool.NewWithConfig(t.Context(), pcfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	store, err := postgres.New(t.Context(), pool)
	require.NoError(t, err)
	ts, err := oauth.Config{RedirectURL: redirectURI, BaseURL: h.fake}.TokenSource(t.Context(), store, h.account, oauth.WithExpirySkew(h.skew))
	require.NoError(t, err)
	ws := &watchedSource{TokenSource: ts, seen: map[string]bool{}}
	// A kept connection per goroutine: churning them would run out of local ports.
	client, err := newAPIClient(h.fake, h.account, ws, h.perSecond, &http.Transport{MaxIdleConnsPerHost: max(h.goroutines, 2)})
	require.NoError(t, err)
	return ws, client
}

// watchedSource is the token source as the client sees it; it prints "TOKEN <fingerprint>" the
// first time it hands out an access token.
type watchedSource struct {
	*oauth.TokenSource
	mu   sync.Mutex
	seen map[string]bool
}

func (w *watchedSource) Token() (*oauth2.Token, error) {
	return w.note(w.TokenSource.Token())
}

func (w *watchedSource) Refresh(ctx context.Context, refused *oauth2.Token) (*oauth2.Token, error) {
	return w.note(w.TokenSource.Refresh(ctx, refused))
}

func (w *watchedSource) note(tok *oauth2.Token, err error) (*oauth2.Token, error) {
	if err != nil {
		return tok, err
	}
	fp := amocrmtest.Fingerprint(tok.AccessToken)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.seen[fp] {
		w.seen[fp] = true
		fmt.Println(lineToken, fp)
	}
	return tok, nil
}

// TestRefreshHelperProcess is the child process of the multi-process tests: they run this test
// binary again with AMOKIT_OAUTH_HELPER set. Run on its own it has nothing to do.
func TestRefreshHelperProcess(t *testing.T) {
	mode := os.Getenv(envHelper)
	if mode == "" {
		t.Skip("the child process of TestRefreshAcrossProcesses and TestRefreshSurvivesSIGKILL; runs only when they start it")
	}
	h, err := readHelperConfig()
	require.NoError(t, err)
	switch mode {
	case "storm":
		stormChild(t, h)
	case "kill":
		killChild(t, h)
	default:
		t.Fatalf("unknown %s=%q", envHelper, mode)
	}
}

// stormReport is what a storm child did, printed as JSON on its REPORT line.
type stormReport struct {
	Calls   int64 `json:"calls"`
	OK      int64 `json:"ok"`
	Failed  int64 `json:"failed"`
	Revoked int64 `json:"revoked"` // failures that were oauth.ErrReauthorizationRequired
	// FirstCall and LastCall are when the first and the last call started.
	FirstCall time.Time `json:"first_call"`
	LastCall  time.Time `json:"last_call"`
	// Tokens are the fingerprints of the access tokens the client was given, sorted.
	Tokens []string `json:"tokens"`
	// Errors are the first few failures.
	Errors []string `json:"errors,omitempty"`
}

// stormChild waits for "go" on stdin, then runs h.goroutines goroutines making API calls until
// stdin closes (or h.max passes), and prints its REPORT.
func stormChild(t *testing.T, h helperConfig) {
	ws, client := openChild(t, h)
	in := bufio.NewScanner(os.Stdin)
	fmt.Println(lineReady)
	if !in.Scan() || in.Text() != "go" {
		t.Fatal("no go from the parent")
	}
	var stopped atomic.Bool
	go func() {
		for in.Scan() {
		}
		stopped.Store(true)
	}()
	deadline := time.Now().Add(h.max)

	var (
		mu     sync.Mutex
		report stormReport
		wg     sync.WaitGroup
	)
	var calls, ok, failed, revoked atomic.Int64
	for range h.goroutines {
		wg.Go(func() {
			for !stopped.Load() && time.Now().Before(deadline) {
				start := time.Now()
				mu.Lock()
				if report.FirstCall.IsZero() || start.Before(report.FirstCall) {
					report.FirstCall = start
				}
				if start.After(report.LastCall) {
					report.LastCall = start
				}
				mu.Unlock()
				calls.Add(1)
				_, err := client.Account.Get(t.Context())
				if err == nil {
					ok.Add(1)
					continue
				}
				failed.Add(1)
				if errors.Is(err, oauth.ErrReauthorizationRequired) {
					revoked.Add(1)
				}
				mu.Lock()
				if len(report.Errors) < 5 {
					report.Errors = append(report.Errors, err.Error())
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	report.Calls, report.OK, report.Failed, report.Revoked = calls.Load(), ok.Load(), failed.Load(), revoked.Load()
	ws.mu.Lock()
	for fp := range ws.seen {
		report.Tokens = append(report.Tokens, fp)
	}
	ws.mu.Unlock()
	slices.Sort(report.Tokens)
	out, err := json.Marshal(report)
	require.NoError(t, err)
	fmt.Println(lineReport, string(out))
}

// ---------------------------------------------------------------------------------------------
// Three processes, 64 goroutines each, one store.

// TestRefreshAcrossProcesses runs 3 processes × 64 goroutines making API calls through one
// PostgreSQL store while the access token (3 s) expires twice. amoCRM is strict: a refresh token
// works once, and the access token it replaced dies at once. The fake must see exactly one refresh
// per expiry, no process may ever be refused, and every call must succeed.
func TestRefreshAcrossProcesses(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	const (
		procs      = 3
		goroutines = 64
		expiries   = 2
		ttl        = 3 * time.Second
		skew       = 500 * time.Millisecond
	)
	f := newFixture(t, amocrmtest.WithAccessTokenTTL(ttl))
	store := openStore(t, dsn)
	h := helperConfig{fake: f.url, dsn: dsn, account: f.account, goroutines: goroutines, skew: skew, perSecond: 300, max: time.Minute}

	children := make([]*child, procs)
	for i := range children {
		c, err := startChild(t.Context(), "storm", h.env())
		require.NoError(t, err)
		children[i] = c
		t.Cleanup(c.kill)
	}
	for _, c := range children {
		_, err := c.await(lineReady, time.Minute)
		require.NoError(t, err)
	}
	first := f.connect(t, store, time.Time{})
	start := time.Now()
	for _, c := range children {
		_, err := io.WriteString(c.stdin, "go\n")
		require.NoError(t, err)
	}

	// Run until the fake has refreshed `expiries` times and every process has used the last token.
	type childLine struct {
		i    int
		line string
	}
	lines := make(chan childLine)
	for i, c := range children {
		go func() {
			for l := range c.lines {
				select {
				case lines <- childLine{i, l}:
				case <-t.Context().Done():
					return
				}
			}
		}()
	}
	var refreshes []issued
	seen := make([]map[string]bool, procs)
	for i := range seen {
		seen[i] = map[string]bool{}
	}
	everyoneOnLast := func() bool {
		if len(refreshes) < expiries {
			return false
		}
		last := refreshes[len(refreshes)-1].access
		for _, s := range seen {
			if !s[last] {
				return false
			}
		}
		return true
	}
	// A run that stalls (a process locked out, say) ends a TTL after the token in use was due.
	due := first.ExpiresAt.Add(-skew)
	stall := time.NewTimer(time.Until(due) + ttl)
	defer stall.Stop()
run:
	for !everyoneOnLast() {
		select {
		case ev := <-f.watch.events:
			refreshes = append(refreshes, ev)
			stall.Reset(time.Until(ev.expiry.Add(-skew)) + ttl)
		case cl := <-lines:
			if fp, ok := strings.CutPrefix(cl.line, lineToken+" "); ok {
				seen[cl.i][fp] = true
			}
		case <-stall.C:
			t.Errorf("the run stalled after %d refreshes; tokens used per process: %v", len(refreshes), seen)
			break run
		}
	}
	for _, c := range children {
		require.NoError(t, c.stdin.Close())
	}
	reports := make([]stormReport, procs)
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for got := 0; got < procs; {
		select {
		case cl := <-lines:
			if js, ok := strings.CutPrefix(cl.line, lineReport+" "); ok {
				require.NoError(t, json.Unmarshal([]byte(js), &reports[cl.i]))
				got++
			}
		case <-timeout.C:
			t.Fatalf("after a minute: %d of %d reports", got, procs)
		}
	}
	for i, c := range children {
		<-c.exited
		require.NoError(t, c.err, "child %d; stderr: %s", i, c.stderr.String())
	}
	wall := time.Since(start)

	var calls, ok int64
	for i, r := range reports {
		assert.Positive(t, r.Calls, "process %d made calls", i)
		assert.Zero(t, r.Failed, "process %d: failed calls; first errors: %q", i, r.Errors)
		assert.Zero(t, r.Revoked, "process %d: revoked-token errors", i)
		assert.Equal(t, r.Calls, r.OK, "process %d: every call succeeded", i)
		calls += r.Calls
		ok += r.OK
	}

	// Exactly one refresh per expiry: the fake refreshed `expiries` times, each refresh came after
	// the token it replaced was due, and the last token was not due yet when the calls stopped.
	counters := f.fake.Counters()
	assert.Equal(t, expiries, counters.Refreshes, "refreshes seen by the fake")
	require.Len(t, refreshes, expiries)
	for i, r := range refreshes {
		assert.False(t, r.at.Before(due), "refresh %d came %v before its token was due", i+1, due.Sub(r.at))
		due = r.expiry.Add(-skew)
	}
	chain := []string{amocrmtest.Fingerprint(first.AccessToken)}
	for _, r := range refreshes {
		chain = append(chain, r.access)
	}
	slices.Sort(chain)
	for i, r := range reports {
		assert.True(t, r.FirstCall.Before(refreshes[0].at), "process %d was calling before the first expiry", i)
		assert.True(t, r.LastCall.Before(due), "process %d stopped before the last token was due", i)
		assert.Equal(t, chain, r.Tokens, "process %d used every token of the chain and no other", i)
	}

	// The fake agrees: every successful call is one 200 at the API, no refresh was refused.
	var api200 int
	for _, rr := range apiRequests(f.fake) {
		if rr.Path == accountPath && rr.Status == http.StatusOK {
			api200++
		}
	}
	assert.Equal(t, ok, int64(api200), "successful calls at the fake")
	for _, rr := range tokenRequests(f.fake) {
		assert.Equal(t, http.StatusOK, rr.Status, "every token request succeeded")
	}
	conn, err := store.Load(t.Context(), f.account)
	require.NoError(t, err)
	assert.False(t, conn.ReauthRequired)
	assert.Equal(t, refreshes[len(refreshes)-1].refresh, amocrmtest.Fingerprint(conn.RefreshToken), "the store holds the last refresh token")
	t.Logf("%d processes × %d goroutines: %d refreshes for %d expiries, %d calls, %d failed, %d answered 401 and replayed, %v",
		procs, goroutines, counters.Refreshes, expiries, calls, calls-ok, counters.ByStatus[http.StatusUnauthorized], wall.Round(time.Millisecond))
}

// ---------------------------------------------------------------------------------------------
// A store that fails right after a refresh.

// failingStore wraps a store; while down, Save fails as it would with the database gone. It
// remembers when each access token was first saved.
type failingStore struct {
	tokenstore.Store
	down atomic.Bool

	mu    sync.Mutex
	saved map[string]time.Time // access-token fingerprint → first successful save
}

func newFailingStore(s tokenstore.Store) *failingStore {
	return &failingStore{Store: s, saved: map[string]time.Time{}}
}

func (s *failingStore) Save(ctx context.Context, c *tokenstore.Connection) error {
	if s.down.Load() {
		return errors.New("store unavailable: connection refused")
	}
	if err := s.Store.Save(ctx, c); err != nil {
		return err
	}
	fp := amocrmtest.Fingerprint(c.AccessToken)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.saved[fp]; !ok {
		s.saved[fp] = time.Now()
	}
	return nil
}

// WithLock keeps the wrapped store's lock, so the token source serialises refreshes through it.
func (s *failingStore) WithLock(ctx context.Context, account string, fn func(context.Context) error) error {
	if l, ok := s.Store.(tokenstore.Locker); ok {
		return l.WithLock(ctx, account, fn)
	}
	return fn(ctx)
}

func (s *failingStore) savedAt(fp string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.saved[fp]
	return at, ok
}

// TestRefreshNeverUsesAnUnsavedToken: amoCRM rotates the tokens, and the store fails its Save right
// then. The new pair must not reach amoCRM's API before it is saved (strict mode has already
// killed the old one, so calls fail meanwhile, with a clear error), and once the store is back the
// pair held in memory is saved and the account works without anyone authorising again.
func TestRefreshNeverUsesAnUnsavedToken(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(*testing.T) tokenstore.Store{
		"memory":   func(*testing.T) tokenstore.Store { return tokenstore.NewMemory() },
		"postgres": func(t *testing.T) tokenstore.Store { return openStore(t, pgtest.DSN(t)) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testUnsavedToken(t, newFailingStore(open(t)))
		})
	}
}

func testUnsavedToken(t *testing.T, store *failingStore) {
	f := newFixture(t)
	// Stored as expiring within the default 5-minute skew: the first call refreshes.
	first := f.connect(t, store, time.Now().Add(time.Minute))
	ts, err := f.cfg.TokenSource(t.Context(), store, f.account)
	require.NoError(t, err)
	client := f.client(t, ts)

	once(&f.watch.afterGrant, func() { store.down.Store(true) })
	_, err = client.Account.Get(t.Context())
	require.Error(t, err, "the refreshed pair could not be saved")
	assert.NotErrorIs(t, err, oauth.ErrReauthorizationRequired)
	assert.ErrorContains(t, err, "refreshed, but saving the new tokens failed")
	assert.ErrorContains(t, err, "store unavailable")
	rotated := f.watch.issuedSoFar()
	require.Len(t, rotated, 1)
	unsaved := rotated[0]

	_, err = client.Account.Get(t.Context())
	require.Error(t, err, "still unsaved, still not used")
	assert.ErrorContains(t, err, "still not saved")
	for _, secret := range []string{first.AccessToken, first.RefreshToken, f.integ.ClientSecret} {
		assert.NotContains(t, err.Error(), secret)
	}
	assert.Equal(t, 1, f.fake.Counters().Refreshes, "the held-back pair is not refreshed again")
	assert.Empty(t, apiRequests(f.fake), "no API call while the new pair is unsaved")

	store.down.Store(false)
	_, err = client.Account.Get(t.Context())
	require.NoError(t, err, "the store is back: the held pair is saved and used")
	conn, err := store.Load(t.Context(), f.account)
	require.NoError(t, err)
	assert.Equal(t, unsaved.access, amocrmtest.Fingerprint(conn.AccessToken))
	assert.Equal(t, unsaved.refresh, amocrmtest.Fingerprint(conn.RefreshToken))
	assert.False(t, conn.ReauthRequired)

	// Another process starting now finds the pair in the store and needs no refresh.
	other, err := f.cfg.TokenSource(t.Context(), store, f.account)
	require.NoError(t, err)
	_, err = f.client(t, other).Account.Get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, f.fake.Counters().Refreshes)

	// At the fake: every API call carried a token that was saved before the call was made.
	calls := apiRequests(f.fake)
	require.Len(t, calls, 2)
	for _, rr := range calls {
		assert.Equal(t, unsaved.access, rr.Token)
		assert.Equal(t, http.StatusOK, rr.Status)
		if at, ok := store.savedAt(rr.Token); assert.True(t, ok, "a call used a token never saved") {
			assert.False(t, rr.Time.Before(at), "a call used its token before it was saved")
		}
	}
	for _, rr := range tokenRequests(f.fake) {
		assert.Equal(t, http.StatusOK, rr.Status, "no refresh token was refused")
	}
}
