package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/tokenstore/postgres"
)

const redirectURI = "https://storm.example.com/oauth/callback"

// config is one storm.
type config struct {
	dsn                         string
	procs, goroutines, expiries int
	ttl, skew                   time.Duration
	perSecond                   float64
}

func (c config) validate() error {
	var errs []error
	if c.dsn == "" {
		errs = append(errs, errors.New("no -dsn and no AMOKIT_POSTGRES_URL"))
	}
	if c.procs < 1 || c.goroutines < 1 || c.expiries < 1 {
		errs = append(errs, errors.New("-procs, -goroutines and -expiries must be at least 1"))
	}
	if c.ttl < time.Second || c.ttl%time.Second != 0 {
		errs = append(errs, fmt.Errorf("-ttl %v must be whole seconds", c.ttl))
	}
	if c.skew < 0 || c.skew >= c.ttl-time.Second {
		errs = append(errs, fmt.Errorf("-skew %v must leave a token at least a second of use", c.skew))
	}
	return errors.Join(errs...)
}

// result is what a storm measured.
type result struct {
	cfg config
	// refreshes is how many refreshes the fake performed; premature counts those that came before
	// the token they replaced was due (a duplicate refresh would).
	refreshes, premature int
	// refused counts token requests the fake refused (a reused refresh token).
	refused int
	// calls, failed and revoked add up the processes' reports; revoked counts failures that were
	// oauth.ErrReauthorizationRequired.
	calls, failed, revoked int64
	// replayed counts the 401s the fake answered: each was a call with an access token a refresh
	// had just ended, replayed by the client with the new one.
	replayed int
	// api200 counts the fake's successful API answers; it equals calls when nothing failed.
	api200 int
	// wall is the whole run; calling is from the first call to the last.
	wall, calling time.Duration
	processes     []report
}

func (r result) ok() bool {
	return r.refreshes == r.cfg.expiries && r.premature == 0 && r.refused == 0 && r.failed == 0 && r.revoked == 0
}

func (r result) print(w io.Writer) {
	c := r.cfg
	fmt.Fprintf(w, "refreshstorm: %d processes × %d goroutines on one PostgreSQL store; amocrmtest in strict single-use mode\n", c.procs, c.goroutines)
	fmt.Fprintf(w, "access tokens live %v and are refreshed %v before expiry; %d expiries during the run\n\n", c.ttl, c.skew, c.expiries)
	rate := float64(r.calls) / r.calling.Seconds()
	rows := []struct{ name, value, note string }{
		{"refreshes seen by the fake", strconv.Itoa(r.refreshes), fmt.Sprintf("target %d, one per expiry", c.expiries)},
		{"refreshes before their token was due", strconv.Itoa(r.premature), "target 0"},
		{"refresh tokens refused by the fake", strconv.Itoa(r.refused), "target 0"},
		{"failed calls", strconv.FormatInt(r.failed, 10), "target 0"},
		{"revoked-token errors", strconv.FormatInt(r.revoked, 10), "target 0"},
		{"calls made", strconv.FormatInt(r.calls, 10), fmt.Sprintf("%.0f per second; %d answered 200 at the fake", rate, r.api200)},
		{"401s replayed after a refresh", strconv.Itoa(r.replayed), "the old access token dies at each refresh"},
		{"wall time", r.wall.Round(time.Millisecond).String(), fmt.Sprintf("calls ran %v", r.calling.Round(time.Millisecond))},
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%-38s %10s   (%s)\n", row.name, row.value, row.note)
	}
	for i, p := range r.processes {
		fmt.Fprintf(w, "  process %d: %d calls, %d failed, %d access tokens used\n", i+1, p.Calls, p.Failed, len(p.Tokens))
		for _, e := range p.Errors {
			fmt.Fprintf(w, "    %s\n", e)
		}
	}
	verdict := "PASS"
	if !r.ok() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "result: %s\n", verdict)
}

// storm runs one storm with exe as the child processes.
func storm(ctx context.Context, cfg config, exe string) (result, error) {
	res := result{cfg: cfg}
	if err := cfg.validate(); err != nil {
		return res, err
	}
	pool, err := pgxpool.New(ctx, cfg.dsn)
	if err != nil {
		return res, err
	}
	defer pool.Close()
	store, err := postgres.New(ctx, pool)
	if err != nil {
		return res, err
	}

	fake := amocrmtest.NewServer(amocrmtest.WithAccessTokenTTL(cfg.ttl), amocrmtest.WithRateLimit(0, 1))
	defer fake.Close()
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	acct := fake.AddAccount("storm-" + hex.EncodeToString(suffix))
	integ := fake.AddIntegration(amocrmtest.Integration{RedirectURI: redirectURI})
	watch := &tokenWatch{events: make(chan issued, 64)}
	srv := httptest.NewServer(watch.wrap(fake.Handler()))
	defer srv.Close()
	defer func() { _ = store.Delete(context.WithoutCancel(ctx), acct.Host) }()

	start := time.Now()
	childCtx, killAll := context.WithCancel(ctx)
	defer killAll()
	env := []string{
		envChild + "=1", envFake + "=" + srv.URL, envDSN + "=" + cfg.dsn, envAccount + "=" + acct.Host,
		envGoroutines + "=" + strconv.Itoa(cfg.goroutines), envSkew + "=" + cfg.skew.String(),
		envRate + "=" + strconv.FormatFloat(cfg.perSecond, 'f', -1, 64),
	}
	lines := make(chan procLine, 64)
	procs := make([]*proc, cfg.procs)
	for i := range procs {
		p, err := startProc(childCtx, exe, env, i, lines)
		if err != nil {
			return res, err
		}
		procs[i] = p
	}
	defer func() {
		killAll()
		for _, p := range procs {
			<-p.exited
		}
	}()
	// Every process is ready before the first token is issued, so all of them see every expiry.
	for ready := 0; ready < len(procs); {
		select {
		case l := <-lines:
			if l.text == lineReady {
				ready++
			}
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	tok, err := fake.IssueToken(integ.ClientID, acct.Subdomain)
	if err != nil {
		return res, err
	}
	err = store.Save(ctx, &tokenstore.Connection{
		Account: acct.Host, AccountID: acct.ID, ClientID: integ.ClientID, ClientSecret: integ.ClientSecret,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.ExpiresAt,
	})
	if err != nil {
		return res, err
	}
	for _, p := range procs {
		if _, err := io.WriteString(p.stdin, "go\n"); err != nil {
			return res, err
		}
	}

	// Run until the fake has refreshed cfg.expiries times and every process has used the last
	// token; a run that stalls (the account locked out) ends a TTL after its token was due.
	var refreshes []issued
	seen := make([]map[string]bool, len(procs))
	for i := range seen {
		seen[i] = map[string]bool{}
	}
	onLast := func() bool {
		if len(refreshes) < cfg.expiries {
			return false
		}
		for _, s := range seen {
			if !s[refreshes[len(refreshes)-1].access] {
				return false
			}
		}
		return true
	}
	due := tok.ExpiresAt.Add(-cfg.skew)
	stall := time.NewTimer(time.Until(due) + cfg.ttl)
	defer stall.Stop()
	reports := make([]*report, len(procs))
run:
	for !onLast() {
		select {
		case ev := <-watch.events:
			refreshes = append(refreshes, ev)
			stall.Reset(time.Until(ev.expiry.Add(-cfg.skew)) + cfg.ttl)
		case l := <-lines:
			if fp, ok := strings.CutPrefix(l.text, lineToken+" "); ok {
				seen[l.proc][fp] = true
			}
		case <-stall.C:
			fmt.Fprintf(os.Stderr, "refreshstorm: the run stalled after %d refreshes\n", len(refreshes))
			break run
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	for _, p := range procs {
		_ = p.stdin.Close()
	}
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for got := 0; got < len(procs); {
		select {
		case l := <-lines:
			if js, ok := strings.CutPrefix(l.text, lineReport+" "); ok {
				var r report
				if err := json.Unmarshal([]byte(js), &r); err != nil {
					return res, fmt.Errorf("process %d: %w", l.proc+1, err)
				}
				reports[l.proc] = &r
				got++
			}
		case <-timeout.C:
			return res, errors.New("the processes did not report within a minute")
		}
	}
	for i, p := range procs {
		<-p.exited
		if p.err != nil {
			return res, fmt.Errorf("process %d: %v; stderr: %s", i+1, p.err, p.stderr.String())
		}
	}
	res.wall = time.Since(start)

	var first, last time.Time
	for _, r := range reports {
		res.processes = append(res.processes, *r)
		res.calls += r.Calls
		res.failed += r.Failed
		res.revoked += r.Revoked
		if first.IsZero() || r.FirstCall.Before(first) {
			first = r.FirstCall
		}
		if r.LastCall.After(last) {
			last = r.LastCall
		}
	}
	res.calling = last.Sub(first)
	c := fake.Counters()
	res.refreshes = c.Refreshes
	due = tok.ExpiresAt.Add(-cfg.skew)
	for _, r := range refreshes {
		if r.at.Before(due) {
			res.premature++
		}
		due = r.expiry.Add(-cfg.skew)
	}
	for _, rr := range fake.Requests() {
		switch {
		case rr.Path == "/oauth2/access_token" && rr.Status != http.StatusOK:
			res.refused++
		case strings.HasPrefix(rr.Path, "/api/") && rr.Status == http.StatusOK:
			res.api200++
		case strings.HasPrefix(rr.Path, "/api/") && rr.Status == http.StatusUnauthorized:
			res.replayed++
		}
	}
	return res, nil
}

// issued is a token pair the fake's token endpoint handed out.
type issued struct {
	at     time.Time // when the token request arrived
	access string    // amocrmtest.Fingerprint of the access token
	expiry time.Time // the access token's exp claim, which the token source goes by
}

// tokenWatch sits in front of the fake and reports every pair its token endpoint issues.
type tokenWatch struct {
	events chan issued
}

func (w *tokenWatch) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/oauth2/access_token" {
			h.ServeHTTP(rw, r)
			return
		}
		at := time.Now()
		cw := &captureWriter{ResponseWriter: rw}
		h.ServeHTTP(cw, r)
		var body struct {
			AccessToken string `json:"access_token"`
		}
		if cw.status != http.StatusOK || json.Unmarshal(cw.body.Bytes(), &body) != nil {
			return
		}
		ev := issued{at: at, access: amocrmtest.Fingerprint(body.AccessToken)}
		if c, err := oauth.ParseClaims(body.AccessToken); err == nil {
			ev.expiry = c.Expiry
		}
		select {
		case w.events <- ev:
		default:
		}
	})
}

// captureWriter keeps a copy of what the fake answers.
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

// proc is one child process.
type proc struct {
	stdin  io.WriteCloser
	exited chan struct{}
	err    error        // the process's exit, once exited is closed
	stderr bytes.Buffer // complete once exited is closed
}

// procLine is a line a child printed.
type procLine struct {
	proc int
	text string
}

// startProc starts exe as child i; its stdout lines go to lines. The child dies with ctx.
func startProc(ctx context.Context, exe string, env []string, i int, lines chan<- procLine) (*proc, error) {
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{exited: make(chan struct{})}
	cmd.Stderr = &p.stderr
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var forwarding sync.WaitGroup
	forwarding.Go(func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- procLine{i, sc.Text()}:
			case <-ctx.Done():
			}
		}
	})
	go func() {
		forwarding.Wait()
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}
