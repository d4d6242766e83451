package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/internal/refreshtest"
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
	processes     []refreshtest.Report
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
		for _, e := range p.Errors[:min(len(p.Errors), 3)] { // the first three
			fmt.Fprintf(w, "    %s\n", e)
		}
	}
	fmt.Fprintf(w, "RESULT refreshstorm: procs=%d goroutines=%d expiries=%d refreshes=%d premature=%d refused=%d failed_calls=%d revoked=%d calls=%d targets_met=%t\n",
		c.procs, c.goroutines, c.expiries, r.refreshes, r.premature, r.refused, r.failed, r.revoked, r.calls, r.ok())
}

// storm runs one storm with exe as the child processes.
func storm(ctx context.Context, cfg config, exe string) (result, error) {
	res := result{cfg: cfg}
	if err := cfg.validate(); err != nil {
		return res, err
	}
	store, pool, err := refreshtest.OpenStore(ctx, cfg.dsn, 0)
	if err != nil {
		return res, err
	}
	defer pool.Close()

	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	fake := refreshtest.NewFake("storm-"+hex.EncodeToString(suffix), redirectURI, amocrmtest.WithAccessTokenTTL(cfg.ttl))
	defer fake.Close()
	defer func() { _ = store.Delete(context.WithoutCancel(ctx), fake.Account.Host) }()

	// Run until the fake has refreshed cfg.expiries times and every process has used the last
	// token; a run that stalls (the account locked out) ends a TTL after its token was due.
	run, err := refreshtest.Storm(ctx, refreshtest.StormConfig{
		Command: refreshtest.Command{Path: exe}, Procs: cfg.procs, Expiries: cfg.expiries, TTL: cfg.ttl,
		Child: refreshtest.Config{DSN: cfg.dsn, Goroutines: cfg.goroutines, Skew: cfg.skew, PerSecond: cfg.perSecond},
	}, fake, store)
	if run.Stalled {
		fmt.Fprintf(os.Stderr, "refreshstorm: the run stalled after %d refreshes\n", len(run.Refreshes))
	}
	if err != nil {
		return res, err
	}
	res.wall = run.Ended.Sub(run.Spawned)

	var first, last time.Time
	for _, r := range run.Reports {
		res.processes = append(res.processes, r)
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
	res.refreshes = fake.Server.Counters().Refreshes
	due := run.First.ExpiresAt.Add(-cfg.skew)
	for _, r := range run.Refreshes {
		if r.At.Before(due) {
			res.premature++
		}
		due = r.Expiry.Add(-cfg.skew)
	}
	for _, rr := range fake.TokenRequests() {
		if rr.Status != http.StatusOK {
			res.refused++
		}
	}
	for _, rr := range fake.APIRequests() {
		switch rr.Status {
		case http.StatusOK:
			res.api200++
		case http.StatusUnauthorized:
			res.replayed++
		}
	}
	return res, nil
}
