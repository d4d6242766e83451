package refreshtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/tokenstore"
)

// StormConfig is one storm.
type StormConfig struct {
	Command  Command       // how to run a child
	Procs    int           // processes sharing the store
	Expiries int           // access-token expiries to run through
	TTL      time.Duration // the access tokens' lifetime at the fake
	// Child is what every process gets: DSN, Goroutines, Skew, PerSecond and Max. Storm sets the
	// mode and the fake's URL, account and redirect URI.
	Child Config
}

// StormRun is what a storm saw.
type StormRun struct {
	First     amocrmtest.Token  // the pair the run started with
	Refreshes []Issued          // the pairs the fake issued during the run, in order
	Seen      []map[string]bool // per process, the access tokens it said it used
	Reports   []Report          // per process
	// Spawned is when the processes were started, Started when they were told to go, and Ended
	// when the last of them had exited.
	Spawned, Started, Ended time.Time
	// Stalled says the run ended a TTL after the token in use was due, without the expiries
	// done or every process on the last token (the account locked out, say).
	Stalled bool
}

// procLine is a line child proc printed.
type procLine struct {
	proc int
	text string
}

// Storm runs cfg.Procs storm children of cfg.Command on fake's account and store. Once every
// process is ready (so all of them see every expiry) it connects the account, tells them to go,
// and runs until the fake has refreshed cfg.Expiries times and every process has used the last
// access token, or until the run stalls. Then it stops the processes and collects their reports.
// The run is returned as far as it got, with the error that ended it.
func Storm(ctx context.Context, cfg StormConfig, fake *Fake, store tokenstore.Store) (StormRun, error) {
	run := StormRun{Spawned: time.Now()}
	cc := cfg.Child
	cc.Mode, cc.Fake, cc.Account, cc.RedirectURI = ModeStorm, fake.URL, fake.Account.Host, fake.Integration.RedirectURI
	childCtx, killAll := context.WithCancel(ctx)
	var children []*Child
	var forwarding sync.WaitGroup
	defer func() {
		killAll()
		for _, c := range children {
			<-c.exited
		}
		forwarding.Wait()
	}()
	for range cfg.Procs {
		c, err := Start(childCtx, cfg.Command, cc)
		if err != nil {
			return run, err
		}
		children = append(children, c)
	}
	for i, c := range children {
		if _, err := c.Await(LineReady, time.Minute); err != nil {
			return run, fmt.Errorf("process %d: %w", i+1, err)
		}
	}
	first, err := fake.Connect(ctx, store, time.Time{})
	if err != nil {
		return run, err
	}
	run.First, run.Started = first, time.Now()
	for _, c := range children {
		if err := c.Go(); err != nil {
			return run, err
		}
	}

	lines := make(chan procLine, 64)
	for i, c := range children {
		forwarding.Go(func() {
			for l := range c.lines {
				select {
				case lines <- procLine{i, l}:
				case <-childCtx.Done():
					return
				}
			}
		})
	}
	run.Seen = make([]map[string]bool, len(children))
	for i := range run.Seen {
		run.Seen[i] = map[string]bool{}
	}
	onLast := func() bool {
		if len(run.Refreshes) < cfg.Expiries {
			return false
		}
		last := run.Refreshes[len(run.Refreshes)-1].Access
		for _, s := range run.Seen {
			if !s[last] {
				return false
			}
		}
		return true
	}
	skew := cfg.Child.Skew
	stall := time.NewTimer(time.Until(first.ExpiresAt.Add(-skew)) + cfg.TTL)
	defer stall.Stop()
calling:
	for !onLast() {
		select {
		case ev := <-fake.events:
			run.Refreshes = append(run.Refreshes, ev)
			stall.Reset(time.Until(ev.Expiry.Add(-skew)) + cfg.TTL)
		case l := <-lines:
			if fp, ok := strings.CutPrefix(l.text, LineToken+" "); ok {
				run.Seen[l.proc][fp] = true
			}
		case <-stall.C:
			run.Stalled = true
			break calling
		case <-ctx.Done():
			return run, ctx.Err()
		}
	}

	for _, c := range children {
		if err := c.Stop(); err != nil {
			return run, err
		}
	}
	run.Reports = make([]Report, len(children))
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for got := 0; got < len(children); {
		select {
		case l := <-lines:
			if js, ok := strings.CutPrefix(l.text, LineReport+" "); ok {
				if err := json.Unmarshal([]byte(js), &run.Reports[l.proc]); err != nil {
					return run, fmt.Errorf("process %d: %w", l.proc+1, err)
				}
				got++
			}
		case <-timeout.C:
			return run, fmt.Errorf("the processes did not report within a minute (%d of %d reports)", got, len(children))
		}
	}
	for i, c := range children {
		if err := c.Wait(); err != nil {
			return run, fmt.Errorf("process %d: %w", i+1, err)
		}
	}
	run.Ended = time.Now()
	return run, nil
}
