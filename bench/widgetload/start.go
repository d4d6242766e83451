package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"
)

// startTarget is the longest the calculator may take, from the request for its frame to being
// ready, with the benchmark's latency added to every amoCRM request and to every answer of our
// server.
const startTarget = 450 * time.Millisecond

// runStart is the start benchmark: the chain of requests the calculator's frame makes before it
// is ready, timed against the backend with o.latency added by the fake to every amoCRM request
// and by the server to every answer. The frame's page and its two static files are requests that
// this backend answers without content (it serves no page), each costing the added latency like
// the real ones; the calculator's own requests are the real ones. It compares the calculator's
// start (page, then its style and script at the same time, then action=start) with the chain it
// replaced (page, style and script, get_lead, then the lead's calculations).
func runStart(ctx context.Context, o options, out io.Writer) (bool, error) {
	env, err := newInProcessWith(ctx, envOptions{latency: o.latency, serverDelay: o.latency})
	if err != nil {
		return false, err
	}
	defer env.close()
	s := env.site()
	lead := s.leads[0] // the shower-screen lead: a contact and two products, so every read happens
	ticket := s.tickets[lead]
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 30 * time.Second}

	get := func(path string, auth bool) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
		if err != nil {
			return err
		}
		if auth {
			req.Header.Set("Authorization", "Bearer "+ticket)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if auth && resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return nil
	}
	together := func(paths ...string) error {
		var wg sync.WaitGroup
		errs := make([]error, len(paths))
		for i, p := range paths {
			wg.Go(func() { errs[i] = get(p, false) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	page := "/widget/calculator?ticket=" + url.QueryEscape(ticket)
	flows := map[string][]func() error{
		"start": {
			func() error { return get(page, false) },
			func() error { return together("/static/calculator.css", "/static/calculator.js") },
			func() error { return get("/widget/api?action=start", true) },
		},
		"before": {
			func() error { return get(page, false) },
			func() error { return together("/static/calculator.css", "/static/calculator.js") },
			func() error { return get("/widget/api?action=get_lead", true) },
			func() error { return get(fmt.Sprintf("/widget/leads/%d/calculations", lead), true) },
		},
	}
	runs := max(o.saves/2, 5)
	times := map[string][]time.Duration{}
	fmt.Fprintf(out, "widgetload: the calculator's start with %v added to every amoCRM request and to every answer of the server, %d runs each\n", o.latency, runs)
	env.fake.ResetRequests()
	for i := range 2 * runs {
		name := "start"
		if i%2 == 1 {
			name = "before"
		}
		time.Sleep(400 * time.Millisecond) // the account's 7 requests/second limiter has its burst back
		t0 := time.Now()
		for _, step := range flows[name] {
			if err := step(); err != nil {
				return false, fmt.Errorf("%s: %w", name, err)
			}
		}
		times[name] = append(times[name], time.Since(t0))
	}
	amoPerStart := float64(len(env.fake.Requests())) / float64(2*runs)
	p := func(name string, q float64) time.Duration {
		d := append([]time.Duration(nil), times[name]...)
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[min(len(d)-1, int(q*float64(len(d))))]
	}
	startP50, startMax := p("start", 0.5), p("start", 1)
	beforeP50 := p("before", 0.5)
	fmt.Fprintf(out, "ready after the frame's request: p50 %s ms, max %s ms (target %s ms: %.2f× of it); the chain it replaced: p50 %s ms (%.2f× the new)\n",
		ms(startP50), ms(startMax), ms(startTarget), float64(startP50)/float64(startTarget), ms(beforeP50), float64(beforeP50)/float64(startP50))
	fmt.Fprintf(out, "  in added latencies: %.2f× (page, static files, then one request whose amoCRM reads are 2 deep: the lead, then its contact and products at once); %.1f amoCRM requests a start on average over both chains\n",
		float64(startP50)/float64(o.latency), amoPerStart)
	met := startMax <= startTarget
	fmt.Fprintf(out, "RESULT start latency_ms=%.0f p50_ms=%s max_ms=%s target_ms=%s p50_over_target=%.2f before_p50_ms=%s before_over_start=%.2f target_met=%t\n\n",
		o.latency.Seconds()*1000, ms(startP50), ms(startMax), ms(startTarget), float64(startP50)/float64(startTarget), ms(beforeP50), float64(beforeP50)/float64(startP50), met)
	return met, nil
}
