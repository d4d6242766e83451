package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
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

// The environment of a child process; envChild makes the program one.
const (
	envChild      = "REFRESHSTORM_CHILD"
	envFake       = "REFRESHSTORM_FAKE"
	envDSN        = "REFRESHSTORM_DSN"
	envAccount    = "REFRESHSTORM_ACCOUNT"
	envGoroutines = "REFRESHSTORM_GOROUTINES"
	envSkew       = "REFRESHSTORM_SKEW"
	envRate       = "REFRESHSTORM_RATE"
)

// Lines a child prints.
const (
	lineReady  = "READY"  // set up; waiting for "go" on stdin
	lineToken  = "TOKEN"  // TOKEN <fingerprint>: first use of an access token
	lineReport = "REPORT" // REPORT <json>: what the process did
)

// report is what one process did.
type report struct {
	Calls     int64     `json:"calls"`
	Failed    int64     `json:"failed"`
	Revoked   int64     `json:"revoked"` // failures that were oauth.ErrReauthorizationRequired
	FirstCall time.Time `json:"first_call"`
	LastCall  time.Time `json:"last_call"`
	Tokens    []string  `json:"tokens"`           // fingerprints of the access tokens used, sorted
	Errors    []string  `json:"errors,omitempty"` // the first few failures
}

// child is one process of the storm, as one replica of a service: its own pool, store, token
// source and client. It waits for "go" on stdin, makes API calls from its goroutines until stdin
// closes, and prints its report. It returns the exit status.
func child(stdin io.Reader, stdout, stderr io.Writer) int {
	if err := runChild(stdin, stdout); err != nil {
		fmt.Fprintln(stderr, "refreshstorm child:", err)
		return 1
	}
	return 0
}

func runChild(stdin io.Reader, stdout io.Writer) error {
	ctx := context.Background()
	fake, dsn, account := os.Getenv(envFake), os.Getenv(envDSN), os.Getenv(envAccount)
	goroutines, err := strconv.Atoi(os.Getenv(envGoroutines))
	if err != nil {
		return err
	}
	skew, err := time.ParseDuration(os.Getenv(envSkew))
	if err != nil {
		return err
	}
	perSecond, err := strconv.ParseFloat(os.Getenv(envRate), 64)
	if err != nil {
		return err
	}

	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return err
	}
	pcfg.MaxConns = 3 // the lock's connection and one for the work inside it, and a spare
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	store, err := postgres.New(ctx, pool)
	if err != nil {
		return err
	}
	ts, err := oauth.Config{RedirectURL: redirectURI, BaseURL: fake}.TokenSource(ctx, store, account, oauth.WithExpirySkew(skew))
	if err != nil {
		return err
	}
	var out sync.Mutex // one line at a time
	say := func(a ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintln(stdout, a...)
	}
	ws := &watchedSource{TokenSource: ts, seen: map[string]bool{}, say: say}
	limit := rate.Inf
	if perSecond > 0 {
		limit = rate.Limit(perSecond)
	}
	client, err := amocrm.New(account,
		amocrm.WithBaseURL(fake),
		amocrm.WithTokenSource(ws),
		amocrm.WithLimiter(rate.NewLimiter(limit, goroutines)),
		// A kept connection per goroutine: churning them would run out of local ports.
		amocrm.WithHTTPClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: goroutines}}),
	)
	if err != nil {
		return err
	}

	in := bufio.NewScanner(stdin)
	say(lineReady)
	if !in.Scan() || in.Text() != "go" {
		return errors.New("no go from the parent")
	}
	var stopped atomic.Bool
	go func() {
		for in.Scan() {
		}
		stopped.Store(true)
	}()

	var (
		mu  sync.Mutex
		rep report
		wg  sync.WaitGroup
	)
	var calls, failed, revoked atomic.Int64
	for range goroutines {
		wg.Go(func() {
			for !stopped.Load() {
				start := time.Now()
				mu.Lock()
				if rep.FirstCall.IsZero() || start.Before(rep.FirstCall) {
					rep.FirstCall = start
				}
				if start.After(rep.LastCall) {
					rep.LastCall = start
				}
				mu.Unlock()
				calls.Add(1)
				_, err := client.Account.Get(ctx)
				if err == nil {
					continue
				}
				failed.Add(1)
				if errors.Is(err, oauth.ErrReauthorizationRequired) {
					revoked.Add(1)
				}
				mu.Lock()
				if len(rep.Errors) < 3 {
					rep.Errors = append(rep.Errors, err.Error())
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	rep.Calls, rep.Failed, rep.Revoked = calls.Load(), failed.Load(), revoked.Load()
	rep.Tokens = ws.tokens()
	js, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	say(lineReport, string(js))
	return nil
}

// watchedSource is the token source as the client sees it; it prints "TOKEN <fingerprint>" the
// first time it hands out an access token, so the parent knows when every process has moved on.
type watchedSource struct {
	*oauth.TokenSource
	say func(...any)

	mu   sync.Mutex
	seen map[string]bool
}

func (w *watchedSource) Token() (*oauth2.Token, error) { return w.note(w.TokenSource.Token()) }

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
		w.say(lineToken, fp)
	}
	return tok, nil
}

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
