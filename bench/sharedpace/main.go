// Command sharedpace measures one amoCRM account shared by several processes: it starts an
// amocrmtest server that counts strictly (at most 7 requests in any sliding second), then 4 child
// processes of itself, each with its own amocrm.Client and 2 goroutines calling the account as
// fast as their pacer lets them for 20 s. With -pacing shared (the default) the children share one
// budget through PostgreSQL (package amocrm/postgres); with -pacing local each paces itself alone,
// which is what replicas without a shared pacer do. It prints the 429s at the fake and the
// aggregate rate of accepted requests as a ratio of the limit. The targets, for -pacing shared: no
// 429 and at least 0.90 × the limit; -pacing local is expected to miss the first.
//
//	go run ./bench/sharedpace -dsn "$AMOKIT_POSTGRES_URL"
//	go run ./bench/sharedpace -dsn "$AMOKIT_POSTGRES_URL" -pacing local
//
// -dsn defaults to $AMOKIT_POSTGRES_URL; the program creates the pacing table in that database.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/amocrm/postgres"
	"github.com/amokit/amokit/bench/internal/machine"
)

// limit is amoCRM's documented rate: 7 requests a second per account.
const limit = 7

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sharedpace:", err)
			os.Exit(1)
		}
	}
}

type config struct {
	dsn      string
	pacing   string
	procs    int
	workers  int
	duration time.Duration
	// child only
	child bool
	url   string
	host  string
	token string
	start int64
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sharedpace", flag.ContinueOnError)
	var cfg config
	fs.StringVar(&cfg.dsn, "dsn", os.Getenv("AMOKIT_POSTGRES_URL"), "PostgreSQL connection string (default $AMOKIT_POSTGRES_URL)")
	fs.StringVar(&cfg.pacing, "pacing", "shared", "shared: one budget through PostgreSQL; local: each process paces itself")
	fs.IntVar(&cfg.procs, "procs", 4, "processes sharing the account")
	fs.IntVar(&cfg.workers, "workers", 2, "goroutines calling in each process")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long every process calls")
	fs.BoolVar(&cfg.child, "child", false, "run as a child (internal)")
	fs.StringVar(&cfg.url, "url", "", "the fake's URL (child)")
	fs.StringVar(&cfg.host, "host", "", "the account's host (child)")
	fs.StringVar(&cfg.token, "token", "", "the access token (child)")
	fs.Int64Var(&cfg.start, "start", 0, "when to start calling, Unix nanoseconds (child)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.pacing != "shared" && cfg.pacing != "local" {
		return fmt.Errorf("-pacing %q: want shared or local", cfg.pacing)
	}
	if cfg.pacing == "shared" && cfg.dsn == "" {
		return errors.New("no -dsn and no AMOKIT_POSTGRES_URL")
	}
	if cfg.child {
		return child(ctx, cfg, out)
	}
	if cfg.procs < 1 || cfg.workers < 1 || cfg.duration <= 0 {
		return errors.New("-procs, -workers and -duration must be positive")
	}
	return parent(ctx, cfg, out)
}

func parent(ctx context.Context, cfg config, out io.Writer) error {
	fake := amocrmtest.NewServer() // the default: 7 in any sliding second, block after 10 refusals in a minute
	defer fake.Close()
	// A fresh account per run, so the shared budget starts empty.
	acct := fake.AddAccount("pace" + strconv.FormatInt(time.Now().UnixNano(), 36))
	integ := fake.AddIntegration(amocrmtest.Integration{Name: "sharedpace", RedirectURI: "https://bench.example/oauth/callback"})
	tok, err := fake.IssueToken(integ.ClientID, acct.Subdomain)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if cfg.pacing == "shared" {
		// Migrate once here, so the children's start is not spent on it.
		pool, err := pgxpool.New(ctx, cfg.dsn)
		if err != nil {
			return err
		}
		_, err = postgres.New(ctx, pool)
		pool.Close()
		if err != nil {
			return err
		}
	}

	fmt.Fprintf(out, "sharedpace: %d processes × %d goroutines on one account for %s, pacing %s\n", cfg.procs, cfg.workers, cfg.duration, cfg.pacing)
	fmt.Fprintf(out, "            against amocrmtest counting at most %d requests in any sliding second\n", limit)
	start := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	var calls, failed atomic.Int64
	errs := make(chan error, cfg.procs)
	for range cfg.procs {
		cmd := exec.CommandContext(ctx, self, "-child", "-pacing", cfg.pacing, "-dsn", cfg.dsn, "-workers", strconv.Itoa(cfg.workers),
			"-duration", cfg.duration.String(), "-url", fake.URL, "-host", acct.Host, "-token", tok.AccessToken,
			"-start", strconv.FormatInt(start.UnixNano(), 10))
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		wg.Go(func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				var ok, bad int64
				if _, err := fmt.Sscanf(sc.Text(), "calls ok=%d failed=%d", &ok, &bad); err == nil {
					calls.Add(ok)
					failed.Add(bad)
				}
			}
			if err := cmd.Wait(); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return fmt.Errorf("a child failed: %w", err)
	}

	var accepted []time.Time
	for _, r := range fake.Requests() {
		if r.Status == http.StatusOK {
			accepted = append(accepted, r.Time)
		}
	}
	c := fake.Counters()
	var rate float64
	if n := len(accepted); n > 1 {
		rate = float64(n-1) / accepted[n-1].Sub(accepted[0]).Seconds()
	}
	fmt.Fprintf(out, "requests at the fake %d, of which %d accepted\n", c.Requests, len(accepted))
	fmt.Fprintf(out, "429s received        %d (target 0)\n", c.TooManyRequests)
	fmt.Fprintf(out, "403s, blocked        %d, %t\n", c.Forbidden, fake.Blocked())
	fmt.Fprintf(out, "calls                %d completed, %d failed\n", calls.Load(), failed.Load())
	fmt.Fprintf(out, "aggregate rate       %.3f req/s = %.3f × limit (target ≥ 0.90)\n", rate, rate/limit)
	fmt.Fprintf(out, "busiest 1 s window   %d accepted requests (limit %d)\n", busiest(accepted, time.Second), limit)
	fmt.Fprintf(out, "load average         %s\n", machine.LoadAvg())
	met := c.TooManyRequests == 0 && rate/limit >= 0.90 && failed.Load() == 0 && !fake.Blocked()
	fmt.Fprintf(out, "RESULT sharedpace: pacing=%s rate_ratio=%.3f 429s=%d blocked=%t failed=%d targets_met=%t\n",
		cfg.pacing, rate/limit, c.TooManyRequests, fake.Blocked(), failed.Load(), met)
	if !met {
		return errors.New("a target was missed")
	}
	return nil
}

func child(ctx context.Context, cfg config, out io.Writer) error {
	opts := []amocrm.Option{amocrm.WithBaseURL(cfg.url), amocrm.WithAccessToken(cfg.token)}
	if cfg.pacing == "shared" {
		pool, err := pgxpool.New(ctx, cfg.dsn)
		if err != nil {
			return err
		}
		defer pool.Close()
		pacer, err := postgres.New(ctx, pool)
		if err != nil {
			return err
		}
		opts = append(opts, amocrm.WithPacer(pacer))
	}
	client, err := amocrm.New(cfg.host, opts...)
	if err != nil {
		return err
	}
	time.Sleep(time.Until(time.Unix(0, cfg.start)))
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var ok, failed atomic.Int64
	var said sync.Once
	var wg sync.WaitGroup
	for range cfg.workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, err := client.Account.Get(ctx)
				switch {
				case err == nil:
					ok.Add(1)
				case ctx.Err() == nil:
					failed.Add(1)
					said.Do(func() { fmt.Fprintln(os.Stderr, "sharedpace child:", strings.TrimSpace(err.Error())) })
					if errors.Is(err, amocrm.ErrBlocked) {
						return // a blocked client sends nothing more
					}
				}
			}
		})
	}
	wg.Wait()
	fmt.Fprintf(out, "calls ok=%d failed=%d\n", ok.Load(), failed.Load())
	return nil
}

// busiest returns the most times that fall in any window of length w (times are sorted).
func busiest(times []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range times {
		for times[i].Sub(times[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}
