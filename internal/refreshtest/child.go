package refreshtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/oauth2"
	"golang.org/x/time/rate"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore/postgres"
)

// What a child process does.
const (
	ModeStorm = "storm" // goroutines making API calls until stdin closes, then a REPORT
	ModeKill  = "kill"  // one call (a refresh, when the skew makes the token due), then wait to be killed
)

// Lines a child prints on stdout.
const (
	LineReady  = "READY"  // set up; waiting for "go" on stdin
	LineToken  = "TOKEN"  // TOKEN <fingerprint>: first use of an access token
	LineReport = "REPORT" // REPORT <json>: what a storm child did
	LineDone   = "DONE"   // DONE ok|<error>: a kill child's refresh and call are over
)

// EnvMode is the environment variable that holds a child's Config.Mode: set, it makes a process a
// child. The other fields travel in variables of the same prefix.
const EnvMode = "AMOKIT_REFRESHTEST_MODE"

const (
	envFake        = "AMOKIT_REFRESHTEST_FAKE"
	envRedirectURI = "AMOKIT_REFRESHTEST_REDIRECT_URI"
	envAccount     = "AMOKIT_REFRESHTEST_ACCOUNT"
	envDSN         = "AMOKIT_REFRESHTEST_DSN"
	envGoroutines  = "AMOKIT_REFRESHTEST_GOROUTINES"
	envSkew        = "AMOKIT_REFRESHTEST_SKEW"
	envRate        = "AMOKIT_REFRESHTEST_RATE"
	envMax         = "AMOKIT_REFRESHTEST_MAX"
)

// keptErrors is how many failures a Report keeps.
const keptErrors = 5

// Config is what a child process works with.
type Config struct {
	Mode        string // ModeStorm or ModeKill
	Fake        string // base URL of the watched fake, for the API and the token endpoint
	RedirectURI string // the integration's
	Account     string // the account host, as stored
	DSN         string // the PostgreSQL store's
	Goroutines  int    // goroutines making calls; also the client's kept connections
	// Skew is how long before expiry the token source refreshes.
	Skew time.Duration
	// PerSecond paces the process's API calls; 0 leaves them unpaced.
	PerSecond float64
	// Max stops a storm child's calls after this long even if stdin stays open; 0 for no limit.
	Max time.Duration
}

// Env returns c as environment variables, NAME=value, for a child process.
func (c Config) Env() []string {
	return []string{
		EnvMode + "=" + c.Mode, envFake + "=" + c.Fake, envRedirectURI + "=" + c.RedirectURI,
		envAccount + "=" + c.Account, envDSN + "=" + c.DSN,
		envGoroutines + "=" + strconv.Itoa(c.Goroutines), envSkew + "=" + c.Skew.String(),
		envRate + "=" + strconv.FormatFloat(c.PerSecond, 'f', -1, 64), envMax + "=" + c.Max.String(),
	}
}

// ConfigFromEnv reads the Config that Env wrote, through getenv (os.Getenv in a child).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Mode: getenv(EnvMode), Fake: getenv(envFake), RedirectURI: getenv(envRedirectURI),
		Account: getenv(envAccount), DSN: getenv(envDSN),
	}
	var errs []error
	var err error
	if c.Goroutines, err = strconv.Atoi(getenv(envGoroutines)); err != nil {
		errs = append(errs, err)
	}
	if c.Skew, err = time.ParseDuration(getenv(envSkew)); err != nil {
		errs = append(errs, err)
	}
	if c.PerSecond, err = strconv.ParseFloat(getenv(envRate), 64); err != nil {
		errs = append(errs, err)
	}
	if c.Max, err = time.ParseDuration(getenv(envMax)); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// Report is what a storm child did, printed as JSON on its REPORT line.
type Report struct {
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

// RunChild is a child process: it opens what c names, as one replica of a service would (its own
// pool, store, token source and client), prints READY, and waits for "go" on stdin. Then in
// ModeStorm it makes API calls from c.Goroutines goroutines until stdin closes (or c.Max passes)
// and prints its REPORT; in ModeKill it makes one call, prints DONE and reads stdin to its end.
func RunChild(ctx context.Context, c Config, stdin io.Reader, stdout io.Writer) error {
	if c.Mode != ModeStorm && c.Mode != ModeKill {
		return fmt.Errorf("unknown mode %q", c.Mode)
	}
	var out sync.Mutex // one line at a time
	say := func(a ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintln(stdout, a...)
	}
	// Three connections: the lock's and one for the work inside it, and a spare.
	store, pool, err := OpenStore(ctx, c.DSN, 3)
	if err != nil {
		return err
	}
	defer pool.Close()
	ts, err := oauth.Config{RedirectURL: c.RedirectURI, BaseURL: c.Fake}.TokenSource(ctx, store, c.Account, oauth.WithExpirySkew(c.Skew))
	if err != nil {
		return err
	}
	ws := &watchedSource{Refresher: ts, say: say, seen: map[string]bool{}}
	// A kept connection per goroutine: churning them would run out of local ports.
	client, err := NewClient(c.Fake, c.Account, ws, c.PerSecond, &http.Transport{MaxIdleConnsPerHost: c.Goroutines})
	if err != nil {
		return err
	}

	in := bufio.NewScanner(stdin)
	say(LineReady)
	if c.Mode == ModeKill {
		if !in.Scan() {
			return nil // released before it started
		}
		if _, err := client.Account.Get(ctx); err != nil {
			say(LineDone, err)
		} else {
			say(LineDone, "ok")
		}
		for in.Scan() {
		}
		return nil
	}

	if !in.Scan() || in.Text() != "go" {
		return errors.New("no go from the parent")
	}
	var stopped atomic.Bool
	go func() {
		for in.Scan() {
		}
		stopped.Store(true)
	}()
	var deadline time.Time
	if c.Max > 0 {
		deadline = time.Now().Add(c.Max)
	}
	report := callWhile(ctx, client, c.Goroutines, func() bool {
		return !stopped.Load() && (deadline.IsZero() || time.Now().Before(deadline))
	})
	report.Tokens = ws.tokens()
	js, err := json.Marshal(report)
	if err != nil {
		return err
	}
	say(LineReport, string(js))
	return nil
}

// callWhile makes API calls from goroutines while running reports true.
func callWhile(ctx context.Context, client *amocrm.Client, goroutines int, running func() bool) Report {
	var (
		mu     sync.Mutex
		report Report
		wg     sync.WaitGroup
	)
	var calls, ok, failed, revoked atomic.Int64
	for range goroutines {
		wg.Go(func() {
			for running() {
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
				_, err := client.Account.Get(ctx)
				if err == nil {
					ok.Add(1)
					continue
				}
				failed.Add(1)
				if errors.Is(err, oauth.ErrReauthorizationRequired) {
					revoked.Add(1)
				}
				mu.Lock()
				if len(report.Errors) < keptErrors {
					report.Errors = append(report.Errors, err.Error())
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	report.Calls, report.OK, report.Failed, report.Revoked = calls.Load(), ok.Load(), failed.Load(), revoked.Load()
	return report
}

// OpenStore opens a PostgreSQL token store on dsn with a pool of its own, of at most maxConns
// connections (0 keeps pgx's default). The caller closes the pool.
func OpenStore(ctx context.Context, dsn string, maxConns int32) (*postgres.Store, *pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, nil, err
	}
	if maxConns > 0 {
		pcfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, nil, err
	}
	store, err := postgres.New(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return store, pool, nil
}

// NewClient builds an amoCRM client for account at base through ts and tr, as an application
// builds it. perSecond 0 leaves the calls unpaced; the limiter's burst is tr's kept connections
// per host, at least 1.
func NewClient(base, account string, ts oauth2.TokenSource, perSecond float64, tr *http.Transport) (*amocrm.Client, error) {
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

// watchedSource is the token source as the client sees it; it says "TOKEN <fingerprint>" the
// first time it hands out an access token, so the parent knows when every process has moved on.
type watchedSource struct {
	amocrm.Refresher
	say func(...any)

	mu   sync.Mutex
	seen map[string]bool
}

func (w *watchedSource) Token() (*oauth2.Token, error) { return w.note(w.Refresher.Token()) }

func (w *watchedSource) Refresh(ctx context.Context, refused *oauth2.Token) (*oauth2.Token, error) {
	return w.note(w.Refresher.Refresh(ctx, refused))
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
		w.say(LineToken, fp)
	}
	return tok, nil
}

// tokens returns the fingerprints of the access tokens handed out, sorted.
func (w *watchedSource) tokens() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for fp := range w.seen {
		out = append(out, fp)
	}
	slices.Sort(out)
	return out
}
