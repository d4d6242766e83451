// Command bulkwrite measures bulk writes at amoCRM's rate limit: it creates 10,000 leads through
// amocrm.Client (Leads.Create, batches of 50, the client's default pacer) against an in-process
// amocrmtest server that enforces 7 requests/second per account with 429s, and prints the
// requests sent, the 429s received, the achieved rate as a ratio of the limit and the wall time
// against the ideal. The targets: no 429 and at least 0.93 × the limit.
//
//	go run ./bench/bulkwrite                     # 10,000 leads, one caller, 7 in any sliding second
//	go run ./bench/bulkwrite -workers 4          # the same leads split between 4 goroutines sharing the client
//	go run ./bench/bulkwrite -reading spacing    # nginx limit_req spacing, burst 0 (-burst k for more)
//	go run ./bench/bulkwrite -client bucket      # the client as a token bucket of 7/s, burst 3: draws 429s
//	go run ./bench/bulkwrite -throttle 5s        # every request refused for 5 s, 5 s in: no block, every lead made
//
// Everything runs on loopback; the run takes about 30 s (200 requests at 0.95 × 7 a second).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/bench/internal/machine"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bulkwrite:", err)
			os.Exit(1)
		}
	}
}

// limit is amoCRM's documented rate: 7 requests a second per account.
const limit = 7

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bulkwrite", flag.ContinueOnError)
	n := fs.Int("leads", 10000, "leads to create")
	workers := fs.Int("workers", 1, "goroutines sharing one client, each creating its share of the leads")
	batch := fs.Int("batch", amocrm.DefaultBatchSize, "leads per request (amocrm.WithBatchSize)")
	reading := fs.String("reading", "window", "how the fake counts: window (7 in any sliding second), spacing (nginx limit_req) or bucket (token bucket)")
	burst := fs.Int("burst", -1, "the fake's burst for -reading spacing (default 0) or bucket (default 7)")
	pacing := fs.String("client", "default", "the client's pacing: default, or bucket (a token bucket of 7/s with a burst of 3)")
	throttle := fs.Duration("throttle", 0, "refuse every request with 429 for this long, starting 5 s into the run (amocrmtest Server.Throttle)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *workers < 1 || *workers > *n {
		return fmt.Errorf("need 1 ≤ -workers ≤ -leads, got %d and %d", *workers, *n)
	}
	var counting amocrmtest.Option
	switch *reading {
	case "window":
		counting = amocrmtest.WithSlidingWindow(limit, time.Second)
		*reading = "at most 7 requests in any sliding second"
	case "spacing":
		*burst = max(*burst, 0)
		counting = amocrmtest.WithSpacing(limit, *burst)
		*reading = fmt.Sprintf("nginx limit_req spacing at 7 r/s, burst %d", *burst)
	case "bucket":
		if *burst < 1 {
			*burst = limit
		}
		counting = amocrmtest.WithRateLimit(limit, *burst)
		*reading = fmt.Sprintf("a token bucket of 7/s, burst %d", *burst)
	default:
		return fmt.Errorf("-reading %q: want window, spacing or bucket", *reading)
	}
	clientOpts := []amocrm.Option{amocrm.WithBatchSize(*batch)}
	switch *pacing {
	case "default":
		*pacing = fmt.Sprintf("default pacer: %.2f req/s, evenly spaced", amocrm.DefaultRate*amocrm.DefaultPace)
	case "bucket":
		clientOpts = append(clientOpts, amocrm.WithRateLimit(limit, 3))
		*pacing = "token bucket: 7 req/s, burst 3"
	default:
		return fmt.Errorf("-client %q: want default or bucket", *pacing)
	}

	// The fake as amoCRM behaves by default: 429 as an nginx HTML page without Retry-After, a
	// block after 10 refusals within a minute; the counting as chosen.
	fake := amocrmtest.NewServer(counting)
	defer fake.Close()
	acct := fake.AddAccount("bulk")
	integ := fake.AddIntegration(amocrmtest.Integration{Name: "bulkwrite", RedirectURI: "https://bench.example/oauth/callback"})
	tok, err := fake.IssueToken(integ.ClientID, acct.Subdomain)
	if err != nil {
		return err
	}
	client, err := amocrm.New(acct.Host, append(clientOpts, amocrm.WithHTTPClient(fake.Client()), amocrm.WithAccessToken(tok.AccessToken))...)
	if err != nil {
		return err
	}

	leads := make([]amocrm.CreateLeadRequest, *n)
	for i := range leads {
		leads[i] = amocrm.CreateLeadRequest{
			Name:  "Заказ №" + strconv.Itoa(i+1),
			Price: int64(1000 + i%50*100),
			Tags:  []amocrm.TagRef{amocrm.TagNamed("импорт")},
		}
	}
	fake.ResetRequests()

	fmt.Fprintf(out, "bulkwrite: %d leads, batches of %d, %d caller(s) sharing one amocrm.Client (%s)\n",
		*n, *batch, *workers, *pacing)
	fmt.Fprintf(out, "           against amocrmtest counting %s (429 as HTML, block after 10 refusals in a minute)\n", *reading)

	var (
		mu      sync.Mutex
		created int
		errs    []error
		wg      sync.WaitGroup
	)
	start := time.Now()
	if *throttle > 0 {
		t := time.AfterFunc(5*time.Second, func() { fake.Throttle(*throttle) })
		defer t.Stop()
	}
	for part := range slices.Chunk(leads, (len(leads)+*workers-1) / *workers) {
		wg.Go(func() {
			saved, err := client.Leads.Create(ctx, part)
			mu.Lock()
			defer mu.Unlock()
			created += len(saved)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)

	var sent []time.Time
	for _, r := range fake.Requests() {
		if r.Method == http.MethodPost && r.Path == "/api/v4/leads" {
			sent = append(sent, r.Time)
		}
	}
	c := fake.Counters()
	requests := len(sent)
	ideal := (*n + *batch - 1) / *batch
	idealWall := time.Duration(float64(ideal) / limit * float64(time.Second))
	rate := float64(requests) / wall.Seconds()
	atFake := len(fake.Leads(acct.Subdomain))

	fmt.Fprintf(out, "requests sent        %d (ideal %d)\n", requests, ideal)
	fmt.Fprintf(out, "429s received        %d (target 0 unless forced with -throttle)\n", c.TooManyRequests)
	fmt.Fprintf(out, "other errors         %d answers ≥ 400 besides 429, %d failed calls\n", errorAnswers(c.ByStatus), len(errs))
	fmt.Fprintf(out, "leads                %d confirmed by the SDK, %d stored at the fake (want %d each)\n", created, atFake, *n)
	fmt.Fprintf(out, "wall time            %.2f s, ideal %.2f s at %d req/s: ratio %.3f\n", wall.Seconds(), idealWall.Seconds(), limit, wall.Seconds()/idealWall.Seconds())
	fmt.Fprintf(out, "achieved rate        %.3f req/s = %.3f × limit (target ≥ 0.93)\n", rate, rate/limit)
	fmt.Fprintf(out, "busiest 1 s window   %d requests at the fake (limit %d)\n", busiest(sent, time.Second), limit)
	fmt.Fprintf(out, "closest two          %s apart at the fake (1/7 s = %s)\n", closest(sent).Round(time.Microsecond), (time.Second / limit).Round(time.Microsecond))
	fmt.Fprintf(out, "blocked              %t\n", fake.Blocked())
	fmt.Fprintf(out, "load average         %s\n", machine.LoadAvg())
	for _, err := range errs {
		fmt.Fprintln(out, "error:", err)
	}

	met := len(errs) == 0 && created == *n && atFake == *n && !fake.Blocked()
	if *throttle > 0 {
		// The 429s are forced: the targets are no block and every lead made, once.
		fmt.Fprintf(out, "RESULT bulkwrite: forced_429s=%d blocked=%t leads_ratio=%.3f failed_calls=%d rate_ratio=%.3f targets_met=%t\n",
			c.TooManyRequests, fake.Blocked(), float64(atFake)/float64(*n), len(errs), rate/limit, met)
	} else {
		met = met && c.TooManyRequests == 0 && rate/limit >= 0.93
		fmt.Fprintf(out, "RESULT bulkwrite: rate_ratio=%.3f wall_ratio=%.3f 429s=%d targets_met=%t\n", rate/limit, wall.Seconds()/idealWall.Seconds(), c.TooManyRequests, met)
	}
	if !met {
		return errors.New("a target was missed")
	}
	return nil
}

// errorAnswers counts the answers of 400 or more other than 429.
func errorAnswers(byStatus map[int]int) int {
	n := 0
	for status, k := range byStatus {
		if status >= 400 && status != http.StatusTooManyRequests {
			n += k
		}
	}
	return n
}

// closest returns the shortest gap between two consecutive times (times are sorted).
func closest(times []time.Time) time.Duration {
	best := time.Duration(math.MaxInt64)
	for i := 1; i < len(times); i++ {
		best = min(best, times[i].Sub(times[i-1]))
	}
	return best
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
