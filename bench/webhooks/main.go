// Command webhooks measures package amocrm/webhook against amoCRM's limits: decoding an
// update_lead delivery of 50 leads with custom fields (target ≤ 200 µs), and the Handler's answer
// time at 200 deliveries a second (target p99 ≤ 50 ms, against amoCRM's 2-second timeout).
//
//	go run ./bench/webhooks
//	go run ./bench/webhooks -rate 200 -duration 20s
//
// The decoder is timed with testing.Benchmark in wall and CPU time, next to net/url's ParseQuery
// of the same body (flat strings, no types) as a baseline measured at the same moment. The load
// is open-loop: a delivery starts every 1/rate seconds whether or not earlier ones were answered,
// as amoCRM sends them, so a slow answer shows as latency instead of slowing the sender.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amokit/amokit/amocrm/webhook"
	"github.com/amokit/amokit/bench/internal/machine"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "webhooks:", err)
			os.Exit(1)
		}
	}
}

// Targets.
const (
	decodeTarget = 200 * time.Microsecond
	p99Target    = 50 * time.Millisecond
)

const (
	secret  = "b7e3c1a9d5f2e8046a1c3e5f7b9d0e2a"
	account = 31415
)

var errMissed = errors.New("a target was missed")

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("webhooks", flag.ContinueOnError)
	rate := fs.Int("rate", 200, "deliveries a second in the load run")
	duration := fs.Duration("duration", 10*time.Second, "length of the load run")
	leads := fs.Int("leads", 1, "leads per delivery in the load run")
	work := fs.Duration("work", 20*time.Millisecond, "time the receiving function takes per delivery, on the queue's workers")
	benchtime := fs.Duration("benchtime", time.Second, "time per decoding benchmark run")
	rounds := fs.Int("rounds", 5, "interleaved rounds of the decoding benchmarks; the fastest is reported, as the least disturbed by other work")
	if err := fs.Parse(args); err != nil {
		return err
	}
	testing.Init()
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		return err
	}
	fmt.Fprintf(out, "webhooks: package amocrm/webhook at amoCRM's limits; GOMAXPROCS and load average: %d, %s\n\n", gomaxprocs(), machine.LoadAvg())

	body := updateLeads(50, account)
	var parse, flat measured
	for range *rounds {
		parse = parse.best(measure(func() error {
			d, err := webhook.Parse(body)
			if err == nil && len(d.Events) != 50 {
				err = fmt.Errorf("%d events, want 50", len(d.Events))
			}
			return err
		}))
		if parse.err != nil {
			return parse.err
		}
		flat = flat.best(measure(func() error { _, err := url.ParseQuery(string(body)); return err }))
	}
	fmt.Fprintf(out, "decode: update_lead of 50 leads with 5 custom fields each, %d bytes; fastest of %d interleaved rounds\n", len(body), *rounds)
	fmt.Fprintf(out, "  webhook.Parse      %8.1f µs wall  %8.1f µs CPU  %6d allocs  (target ≤ %v)\n", us(parse.wall), us(parse.cpu), parse.allocs, decodeTarget)
	fmt.Fprintf(out, "  url.ParseQuery     %8.1f µs wall  %8.1f µs CPU  %6d allocs  (baseline: flat strings, no types)\n", us(flat.wall), us(flat.cpu), flat.allocs)
	decodeRatio := float64(parse.cpu) / float64(decodeTarget)
	fmt.Fprintf(out, "  Parse / target %.2f (CPU); Parse / ParseQuery %.2f (CPU), %.2f (wall)\n\n",
		decodeRatio, float64(parse.cpu)/float64(flat.cpu), float64(parse.wall)/float64(flat.wall))

	lr, err := load(ctx, *rate, *duration, *leads, *work)
	if err != nil {
		return err
	}
	p99Ratio := float64(lr.p99) / float64(p99Target)
	fmt.Fprintf(out, "load: %d deliveries of %d lead(s) at %d/s (open loop) for %v to a Handler with a queue of 1024 and 4 workers, each taking %v\n",
		lr.sent, *leads, *rate, *duration, *work)
	fmt.Fprintf(out, "  answered 200      %d of %d; other answers %d; failed requests %d\n", lr.ok, lr.sent, lr.other, lr.failed)
	fmt.Fprintf(out, "  achieved rate     %.1f/s = %.3f × asked\n", lr.achieved, lr.achieved/float64(*rate))
	fmt.Fprintf(out, "  answer time       p50 %.2f ms, p99 %.2f ms, max %.2f ms (target p99 ≤ %v: ratio %.3f; amoCRM waits 2 s)\n",
		ms(lr.p50), ms(lr.p99), ms(lr.max), p99Target, p99Ratio)
	fmt.Fprintf(out, "  handler counters  %+v\n", lr.stats)
	fmt.Fprintf(out, "  load average      %s\n\n", machine.LoadAvg())

	met := decodeRatio <= 1 && p99Ratio <= 1 && lr.other == 0 && lr.failed == 0
	fmt.Fprintf(out, "RESULT webhooks: decode_us=%.1f decode_ratio=%.2f parse_vs_parsequery=%.2f p99_ms=%.2f p99_ratio=%.3f non200=%d targets_met=%t\n",
		us(parse.cpu), decodeRatio, float64(parse.cpu)/float64(flat.cpu), ms(lr.p99), p99Ratio, lr.other+lr.failed, met)
	if !met {
		return errMissed
	}
	return nil
}

type measured struct {
	wall, cpu time.Duration
	allocs    int64
	err       error
}

// best keeps the lower wall and CPU time of m and n.
func (m measured) best(n measured) measured {
	if m.wall == 0 {
		return n
	}
	if n.err != nil {
		return n
	}
	m.wall, m.cpu, m.allocs = min(m.wall, n.wall), min(m.cpu, n.cpu), min(m.allocs, n.allocs)
	return m
}

// measure times f per call with testing.Benchmark; the CPU time is the process's over the runs,
// divided by their count (the function runs on one goroutine).
func measure(f func() error) measured {
	var m measured
	var calls atomic.Int64
	var cpu time.Duration
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		start := machine.CPUTime()
		for b.Loop() {
			if err := f(); err != nil {
				m.err = err
				b.FailNow()
			}
		}
		cpu = machine.CPUTime() - start
		calls.Store(int64(b.N))
	})
	if r.N == 0 {
		if m.err == nil {
			m.err = errors.New("the benchmark did not run")
		}
		return m
	}
	m.wall = time.Duration(r.NsPerOp())
	m.cpu = cpu / time.Duration(calls.Load())
	m.allocs = r.AllocsPerOp()
	return m
}

type loadResult struct {
	sent, ok, other, failed int
	achieved                float64
	p50, p99, max           time.Duration
	stats                   webhook.Stats
}

// load sends deliveries at rate for d to a Handler behind a loopback server and records each
// answer's time, from the start of the request to the end of the answer.
func load(ctx context.Context, rate int, d time.Duration, leads int, work time.Duration) (loadResult, error) {
	var res loadResult
	h, err := webhook.New(func(ctx context.Context, _ *webhook.Delivery) error {
		select { // the receiving application's own work, off the request
		case <-time.After(work):
		case <-ctx.Done():
		}
		return nil
	}, webhook.WithSecret(secret), webhook.WithConnections(webhook.OneAccount(account, "example")), webhook.WithQueue(1024, 4))
	if err != nil {
		return res, err
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	target := srv.URL + "/amocrm/hook?secret=" + secret
	body := updateLeads(leads, account)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 2 * time.Second}

	n := int(d.Seconds() * float64(rate))
	lat := make([]time.Duration, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var ok, other, failed atomic.Int64
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		wg.Go(func() {
			t0 := time.Now()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("User-Agent", "amoCRM-WebHook-client/1.0")
			resp, err := hc.Do(req)
			if err != nil {
				failed.Add(1)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			took := time.Since(t0)
			if resp.StatusCode == http.StatusOK {
				ok.Add(1)
			} else {
				other.Add(1)
			}
			mu.Lock()
			lat = append(lat, took)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := h.Close(ctx); err != nil {
		return res, err
	}
	res.sent, res.ok, res.other, res.failed = n, int(ok.Load()), int(other.Load()), int(failed.Load())
	res.achieved = float64(n) / elapsed.Seconds()
	res.stats = h.Stats()
	if len(lat) == 0 {
		return res, errors.New("no delivery was answered")
	}
	slices.Sort(lat)
	res.p50 = lat[len(lat)/2]
	res.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	res.max = lat[len(lat)-1]
	return res, nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
