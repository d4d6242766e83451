// Command widgetload measures the widget backend over loopback HTTP.
//
// Without -mixed it builds the backend in this process, the way examples/widgetserver's demo mode
// does (amocrmtest with the demo account at amoCRM's 7 requests/second, memory stores), signs
// session tickets itself and measures:
//
//   - POST /widget/calculate: throughput and p50/p99 latency with 1, 16 and 64 clients sending
//     one request after another (a closed loop);
//   - save_calculation with 100 ms added by the fake to every amoCRM request: the price, the note
//     and the products are written at the same time, so a save should take about one upstream
//     round trip, not three (target p99 ≤ 2.5 × 100 ms).
//
// With -mixed it starts examples/widgetserver -demo as a child process on 127.0.0.1, connects the
// demo account through the admin page and the fake's consent page, opens sessions with disposable
// tokens as amoCRM's widget does, and sends mixed traffic (calculate, get_lead, save) at a fixed
// rate for a fixed time, whatever the answers, sampling the server's live heap and RSS every few
// seconds:
//
//	go run ./bench/widgetload
//	go run ./bench/widgetload -mixed -duration 60s -rate 200
//
// Every run is bounded in requests and time and stays on loopback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/amokit/amokit/bench/internal/machine"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "widgetload:", err)
			os.Exit(1)
		}
	}
}

type options struct {
	mixed bool
	start bool
	// calculate and save
	clients       []int
	warmup, level time.Duration
	latency       time.Duration
	saves         int
	saveGap       time.Duration
	// mixed
	duration    time.Duration
	rate        float64
	mix         [3]int // calculate, get_lead, save
	server      string
	serverBin   string
	sample      time.Duration
	settle      time.Duration
	maxInFlight int
}

func parseOptions(args []string) (options, error) {
	fs := flag.NewFlagSet("widgetload", flag.ContinueOnError)
	var o options
	fs.BoolVar(&o.mixed, "mixed", false, "send mixed traffic at -rate for -duration instead of the calculate and save benchmarks")
	fs.BoolVar(&o.start, "start", false, "time the calculator's start with -latency added to amoCRM and to the server, instead of the calculate and save benchmarks")
	clients := fs.String("clients", "1,16,64", "concurrent clients of the calculate benchmark")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up before each calculate level")
	fs.DurationVar(&o.level, "level-duration", 5*time.Second, "measured time of each calculate level")
	fs.DurationVar(&o.latency, "latency", 100*time.Millisecond, "latency the fake adds to every amoCRM request in the save benchmark")
	fs.IntVar(&o.saves, "saves", 40, "saves measured in the save benchmark (each way)")
	fs.DurationVar(&o.saveGap, "save-gap", 500*time.Millisecond, "pause between measured saves, so the 7 requests/second limiter has its burst back")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "length of the mixed run")
	fs.Float64Var(&o.rate, "rate", 200, "requests a second of the mixed run")
	mix := fs.String("mix", "198:1:1", "calculate:get_lead:save proportions of the mixed run")
	fs.StringVar(&o.server, "server", "demo", `mixed run against "demo" (examples/widgetserver -demo in a child process) or "inprocess"`)
	fs.StringVar(&o.serverBin, "server-bin", "", "a built examples/widgetserver; default: go build it")
	fs.DurationVar(&o.sample, "sample", 5*time.Second, "memory sampling interval of the mixed run")
	fs.DurationVar(&o.settle, "settle", 15*time.Second, "the mixed run's latencies are also given for requests due after this (caches warm, first products created)")
	fs.IntVar(&o.maxInFlight, "max-in-flight", 1000, "requests of the mixed run waiting at once before more count as errors")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, c := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > 1024 {
			return o, fmt.Errorf("-clients: %q is not a number of clients in 1..1024", c)
		}
		o.clients = append(o.clients, n)
	}
	parts := strings.Split(*mix, ":")
	if len(parts) != 3 {
		return o, fmt.Errorf("-mix %q: want calculate:get_lead:save", *mix)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return o, fmt.Errorf("-mix %q: %q is not a proportion", *mix, p)
		}
		o.mix[i] = n
	}
	switch {
	case o.mix[0]+o.mix[1]+o.mix[2] == 0:
		return o, errors.New("-mix: all proportions are zero")
	case o.rate <= 0 || o.rate > 5000:
		return o, fmt.Errorf("-rate %v is not in (0, 5000]", o.rate)
	case o.duration <= 0 || o.duration > 30*time.Minute:
		return o, fmt.Errorf("-duration %v is not in (0, 30m]", o.duration)
	case o.level <= 0 || o.level > 10*time.Minute || o.warmup < 0:
		return o, errors.New("-level-duration must be in (0, 10m] and -warmup not negative")
	case o.saves < 1 || o.saves > 1000:
		return o, errors.New("-saves must be in 1..1000")
	case o.server != "demo" && o.server != "inprocess":
		return o, fmt.Errorf(`-server %q: want "demo" or "inprocess"`, o.server)
	case o.sample <= 0 || o.settle < 0:
		return o, errors.New("-sample must be positive and -settle not negative")
	}
	return o, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	if o.mixed {
		return runMixed(ctx, o, out)
	}
	if o.start {
		met, err := runStart(ctx, o, out)
		if err == nil && !met {
			err = errors.New("a target was missed")
		}
		return err
	}
	okCalc, err := runCalculate(ctx, o, out)
	if err != nil {
		return err
	}
	okSave, err := runSave(ctx, o, out)
	if err != nil {
		return err
	}
	if !okCalc || !okSave {
		return errors.New("a target was missed")
	}
	return nil
}

// runCalculate is the calculate benchmark; it reports whether every request succeeded.
func runCalculate(ctx context.Context, o options, out io.Writer) (bool, error) {
	env, err := newInProcess(ctx, 0)
	if err != nil {
		return false, err
	}
	defer env.close()
	s := env.site()
	fmt.Fprintf(out, "widgetload: POST /widget/calculate over loopback, %d orders in turn, each client one request after another\n", len(orders))
	fmt.Fprintf(out, "(the backend built in process as in demo mode; %v warm-up, %v measured per level; load average %s)\n", o.warmup, o.level, machine.LoadAvg())
	fmt.Fprintf(out, "CPU µs/req is this process's CPU time (server and load generator) per request: steadier than req/s on a busy machine\n")
	fmt.Fprintf(out, "%8s %10s %9s %9s %9s %7s %12s %11s\n", "clients", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "req/s ÷ 1st", "CPU µs/req")
	var first float64
	ok := true
	for _, c := range o.clients {
		hc := newLoadClient(c)
		lat, errs, took, cpu := closedLoop(ctx, s, hc, kindCalculate, c, o.warmup, o.level)
		hc.CloseIdleConnections()
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		st := summarize(lat, errs)
		rps := float64(len(lat)) / took.Seconds()
		if first == 0 {
			first = rps
		}
		cpuPer := float64(cpu.Microseconds()) / float64(max(st.n, 1))
		fmt.Fprintf(out, "%8d %10.0f %9s %9s %9s %7d %12.2f %11.0f\n", c, rps, ms(st.p50), ms(st.p99), ms(st.max), st.errors, rps/first, cpuPer)
		fmt.Fprintf(out, "RESULT widgetload/calculate: clients=%d rps=%.0f p50_ms=%s p99_ms=%s errors=%d scaling=%.2f cpu_us_per_req=%.0f\n", c, rps, ms(st.p50), ms(st.p99), st.errors, rps/first, cpuPer)
		if st.errors > 0 {
			ok = false
			fmt.Fprintln(out, "first error:", st.firstErr)
		}
	}
	fmt.Fprintf(out, "load average at the end: %s\n\n", machine.LoadAvg())
	return ok, nil
}

// runSave is the save benchmark; it reports whether the target was met.
func runSave(ctx context.Context, o options, out io.Writer) (bool, error) {
	env, err := newInProcess(ctx, o.latency)
	if err != nil {
		return false, err
	}
	defer env.close()
	s := env.site()
	s.leads = s.leads[:1] // one lead, the worked example's order every time: the same writes
	hc := newLoadClient(4)
	saveOnce := func() (time.Duration, error) {
		t0 := time.Now()
		err := s.call(ctx, hc, kindSave, 0) // i = 0: the worked example
		return time.Since(t0), err
	}
	fmt.Fprintf(out, "widgetload: save_calculation with %v added by the fake to every amoCRM request (the worked example: price, note, products)\n", o.latency)

	first, err := measureFirstSave(ctx, o, out)
	if err != nil {
		return false, err
	}
	cold := first.paced
	if _, err := saveOnce(); err != nil { // this backend's first save: its catalog is found
		return false, fmt.Errorf("first save: %w", err)
	}

	measure := func(gap time.Duration) ([]time.Duration, int, error) {
		time.Sleep(time.Second) // the limiter's burst back
		env.fake.ResetRequests()
		var lat []time.Duration
		for i := range o.saves {
			if i > 0 && gap > 0 {
				time.Sleep(gap)
			}
			d, err := saveOnce()
			if err != nil {
				return nil, 0, err
			}
			lat = append(lat, d)
			if ctx.Err() != nil {
				return nil, 0, ctx.Err()
			}
		}
		return lat, len(env.fake.Requests()), nil
	}
	spaced, spacedReqs, err := measure(o.saveGap)
	if err != nil {
		return false, err
	}
	st := summarize(spaced, nil)
	perSave := float64(spacedReqs) / float64(o.saves)
	lim := o.latency.Seconds() * 1000
	p50r, p99r := float64(st.p50)/float64(o.latency), float64(st.p99)/float64(o.latency)
	fmt.Fprintf(out, "%d saves %v apart: p50 %s ms, p99 %s ms, max %s ms; %.1f amoCRM requests a save\n", o.saves, o.saveGap, ms(st.p50), ms(st.p99), ms(st.max), perSave)
	fmt.Fprintf(out, "  as a multiple of the added latency: p50 %.2f×, p99 %.2f× (target ≤ 2.5×; one write after another would be ≥ %.0f×)\n", p50r, p99r, perSave)
	met := p99r <= 2.5 && first.met()

	back, backReqs, err := measure(0)
	if err != nil {
		return false, err
	}
	bst := summarize(back, nil)
	fmt.Fprintf(out, "%d saves back to back: p50 %s ms, p99 %s ms (%.2f× and %.2f×): %.1f requests a save at 7 a second, so the limiter paces them\n",
		o.saves, ms(bst.p50), ms(bst.p99), float64(bst.p50)/float64(o.latency), float64(bst.p99)/float64(o.latency), float64(backReqs)/float64(o.saves))
	c := env.fake.Counters()
	fmt.Fprintf(out, "429s at the fake: %d\n", c.TooManyRequests)
	fmt.Fprintf(out, "RESULT widgetload/save: latency_ms=%.0f p50_ms=%s p99_ms=%s p50_ratio=%.2f p99_ratio=%.2f back_to_back_p99_ratio=%.2f cold_ms=%s targets_met=%t\n\n",
		lim, ms(st.p50), ms(st.p99), p50r, p99r, float64(bst.p99)/float64(o.latency), ms(cold), met)
	return met, nil
}

// runMixed is the load run.
func runMixed(ctx context.Context, o options, out io.Writer) error {
	var (
		s       *site
		sampler func() memSample
		what    string
		report  func()
	)
	switch o.server {
	case "demo":
		bin := o.serverBin
		if bin == "" {
			dir, err := os.MkdirTemp("", "widgetload")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			if bin, err = buildWidgetserver(ctx, dir); err != nil {
				return err
			}
		}
		d, links, err := startDemoServer(ctx, bin)
		if err != nil {
			return err
		}
		defer d.stop()
		if s, err = d.connect(ctx, links); err != nil {
			return fmt.Errorf("connecting the demo account: %w", err)
		}
		sampler, what = d.memory, "widgetserver -demo (child process, pid "+strconv.Itoa(d.cmd.Process.Pid)+")"
		report = func() {
			logs, last := d.warnings()
			fmt.Fprintf(out, "server log lines at WARN or ERROR: %d\n", total(logs))
			for _, k := range slices.Sorted(maps.Keys(logs)) {
				fmt.Fprintf(out, "  %5d %s\n", logs[k], k)
			}
			for _, l := range last {
				fmt.Fprintln(out, "  e.g.", l)
			}
		}
	case "inprocess":
		env, err := newInProcess(ctx, 0)
		if err != nil {
			return err
		}
		defer env.close()
		s = env.site()
		env.fake.ResetRequests()
		sampler, what = selfMemory, "this process (server and load generator together)"
		report = func() {
			c := env.fake.Counters()
			fmt.Fprintf(out, "amoCRM requests at the fake: %d, 429s: %d, statuses: %v\n", c.Requests, c.TooManyRequests, c.ByStatus)
		}
	}

	pick := mixer(o.mix)
	cycle := o.mix[0] + o.mix[1] + o.mix[2]
	fmt.Fprintf(out, "widgetload -mixed: %v at %.0f req/s against %s at %s\n", o.duration, o.rate, o.server, s.base)
	fmt.Fprintf(out, "mix calculate:get_lead:save = %d:%d:%d (%.1f get_lead/s and %.1f save/s: about 3 amoCRM requests each, under the account's 7 a second)\n",
		o.mix[0], o.mix[1], o.mix[2], o.rate*float64(o.mix[1])/float64(cycle), o.rate*float64(o.mix[2])/float64(cycle))
	fmt.Fprintf(out, "%d demo leads, a session ticket for each; load average %s\n\n", len(s.leads), machine.LoadAvg())

	// Memory: once idle, then every o.sample while the load runs, and once at the end.
	var samples []memSample
	var smu sync.Mutex
	start := time.Now()
	take := func() {
		m := sampler()
		m.at = time.Since(start)
		smu.Lock()
		samples = append(samples, m)
		smu.Unlock()
	}
	if o.server == "inprocess" {
		runtime.GC() // the live heap is known only once a GC has run
	}
	take()
	stopSampling := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(o.sample)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				take()
			case <-stopSampling:
				return
			}
		}
	})
	hc := newLoadClient(o.maxInFlight)
	lat, errs := openLoop(ctx, s, hc, o.rate, o.duration, o.maxInFlight, pick)
	took := time.Since(start)
	close(stopSampling)
	wg.Wait()
	take()
	if ctx.Err() != nil {
		return ctx.Err()
	}

	fmt.Fprintf(out, "%-10s %8s %8s %9s %9s %9s   %s\n", "kind", "sent", "errors", "p50 ms", "p99 ms", "max ms", "from "+o.settle.String()+" on: p50, p99, max ms")
	sent, failed := 0, 0
	var firstErr error
	for _, kind := range []string{kindCalculate, kindGetLead, kindSave} {
		st := summarize(since(lat[kind], 0), errs[kind])
		late := summarize(since(lat[kind], o.settle), nil)
		sent += st.n
		failed += st.errors
		if firstErr == nil {
			firstErr = st.firstErr
		}
		fmt.Fprintf(out, "%-10s %8d %8d %9s %9s %9s   %s, %s, %s\n", kind, st.n, st.errors, ms(st.p50), ms(st.p99), ms(st.max), ms(late.p50), ms(late.p99), ms(late.max))
	}
	fmt.Fprintf(out, "%-10s %8d %8d   achieved %.1f req/s of %.0f asked (%.3f)\n\n", "all", sent, failed, float64(sent)/took.Seconds(), o.rate, float64(sent)/took.Seconds()/o.rate)
	if firstErr != nil {
		fmt.Fprintln(out, "first error:", firstErr)
	}
	report()
	fmt.Fprintln(out)
	mem := printMemory(out, what, samples)
	fmt.Fprintf(out, "load average at the end: %s\n", machine.LoadAvg())
	fmt.Fprintf(out, "RESULT widgetload/mixed: server=%s duration=%v rate=%.0f sent=%d errors=%d heap_end_over_start=%s rss_end_over_start=%s memory_flat=%t\n",
		o.server, o.duration, o.rate, sent, failed, ratioText(mem.heapRatio), ratioText(mem.rssRatio), mem.flat)
	if failed > 0 || !mem.flat {
		return errors.New("a target was missed")
	}
	return nil
}

// mixer returns which kind request i is, for proportions calculate:get_lead:save. Within each
// cycle the get_leads are spread evenly and the saves evenly between them, so that the amoCRM
// requests of a get_lead and of a save do not arrive together at the account's rate limiter.
func mixer(mix [3]int) func(i int) string {
	n := mix[0] + mix[1] + mix[2]
	slots := make([]string, n)
	place := func(kind string, count int, offset float64) {
		for k := range count {
			p := int((float64(k)+offset)*float64(n)/float64(count)) % n
			for slots[p] != "" {
				p = (p + 1) % n
			}
			slots[p] = kind
		}
	}
	place(kindGetLead, mix[1], 0)
	place(kindSave, mix[2], 0.5)
	for p := range slots {
		if slots[p] == "" {
			slots[p] = kindCalculate
		}
	}
	return func(i int) string { return slots[i%n] }
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// firstSaveTarget is the most levels of amoCRM requests, one waiting for another, that the first
// save of an order may take.
const firstSaveTarget = 3

// firstSave is what measureFirstSave found.
type firstSave struct {
	depth    int           // levels of dependent amoCRM requests
	unpaced  time.Duration // the save's time without pacing
	paced    time.Duration // the save's time under the default pacer
	requests int
}

func (f firstSave) met() bool { return f.depth <= firstSaveTarget }

// measureFirstSave times the first save of the worked example on an account as a manager makes
// it: the calculator starts (action=start, which also finds the account's products catalog once
// it has answered), the manager fills the form, then saves. It runs twice, each on a fresh
// backend: without pacing, where requests made at the same time arrive together, to count the
// levels of dependent requests from their arrivals; and with the default pacer (at most one
// request per 150 ms), for the time a manager waits.
func measureFirstSave(ctx context.Context, o options, out io.Writer) (firstSave, error) {
	var f firstSave
	for _, unpaced := range []bool{true, false} {
		env, err := newInProcessWith(ctx, envOptions{latency: o.latency, unpaced: unpaced})
		if err != nil {
			return f, err
		}
		s := env.site()
		s.leads = s.leads[:1]
		hc := newLoadClient(4)
		if err := s.call(ctx, hc, kindStart, 0); err != nil {
			env.close()
			return f, fmt.Errorf("start: %w", err)
		}
		time.Sleep(2 * time.Second) // the manager fills the form; the start's catalog look-up ends
		env.fake.ResetRequests()
		t0 := time.Now()
		err = s.call(ctx, hc, kindSave, 0)
		took := time.Since(t0)
		reqs := env.fake.Requests()
		env.close()
		if err != nil {
			return f, fmt.Errorf("first save: %w", err)
		}
		if unpaced {
			f.unpaced, f.requests = took, len(reqs)
			var arrivals []time.Time
			for _, r := range reqs {
				arrivals = append(arrivals, r.Time)
			}
			f.depth = levels(arrivals, o.latency)
		} else {
			f.paced = took
		}
	}
	fmt.Fprintf(out, "first save after the calculator's start (the start found the products catalog; the save reads its elements once, creates the missing products, links them):\n")
	fmt.Fprintf(out, "  %d amoCRM round trips deep (target ≤ %d), %d requests; %.2f× the added latency without pacing (%s ms)\n",
		f.depth, firstSaveTarget, f.requests, float64(f.unpaced)/float64(o.latency), ms(f.unpaced))
	fmt.Fprintf(out, "  under the default pacer (one request per 150 ms): %.2f× the added latency (%s ms)\n",
		float64(f.paced)/float64(o.latency), ms(f.paced))
	fmt.Fprintf(out, "RESULT widgetload/firstsave: depth=%d depth_target=%d requests=%d unpaced_ratio=%.2f paced_ratio=%.2f paced_ms=%s targets_met=%t\n",
		f.depth, firstSaveTarget, f.requests, float64(f.unpaced)/float64(o.latency), float64(f.paced)/float64(o.latency), ms(f.paced), f.met())
	return f, nil
}

// levels counts the levels of dependent requests among arrivals at the fake, when every request
// takes latency and nothing paces them: a request arriving at least nine tenths of latency after
// the first of the current level waited for an answer, so it starts the next level.
func levels(arrivals []time.Time, latency time.Duration) int {
	if len(arrivals) == 0 {
		return 0
	}
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	n, first := 1, arrivals[0]
	for _, t := range arrivals[1:] {
		if t.Sub(first) >= latency*9/10 {
			n++
			first = t
		}
	}
	return n
}
