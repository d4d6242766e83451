package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/amokit/amokit/bench/internal/machine"
)

// startTarget is the longest the calculator may take, from the request for its frame to being
// ready, with the benchmark's latency added to every amoCRM request and to every answer of our
// server.
const startTarget = 450 * time.Millisecond

// runStart is the start benchmark: what happens from the moment the manager opens a lead card
// until the calculator in it is ready, against the backend with o.latency added by the fake to
// every amoCRM request and waited by the server before every answer. It follows what the widget
// script and the browser do:
//
//  1. the widget script asks POST /widget/session with amoCRM's disposable token; the backend
//     checks, as the manager, that the lead is theirs (one amoCRM read), issues the ticket and
//     starts reading the rest of the card for it;
//  2. the script creates the frame at once: the browser asks for its page, then its style and
//     script at the same time, then the calculator's one request, action=start.
//
// The frame's page and its two static files are requests that this backend answers without
// content (it serves no page), each costing the added latency like the real ones. The target is
// measured from the frame's request, the reading; the time from the session request is
// printed beside it.
func runStart(ctx context.Context, o options, out io.Writer) (bool, error) {
	env, err := newInProcessWith(ctx, envOptions{latency: o.latency, serverDelay: o.latency})
	if err != nil {
		return false, err
	}
	defer env.close()
	s := env.site()
	lead := s.leads[0] // the shower-screen lead: a contact and two products, so every read happens
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 30 * time.Second}

	do := func(req *http.Request) ([]byte, error) {
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
			return nil, fmt.Errorf("%s %s: %s: %.200s", req.Method, req.URL.Path, resp.Status, body)
		}
		return body, nil
	}
	get := func(path, ticket string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
		if err != nil {
			return err
		}
		if ticket != "" {
			req.Header.Set("Authorization", "Bearer "+ticket)
		}
		body, err := do(req)
		if err == nil && ticket != "" && !bytes.Contains(body, []byte(`"lead"`)) {
			err = fmt.Errorf("GET %s: no lead in %.200s", path, body)
		}
		return err
	}
	session := func() (iframe, ticket string, err error) {
		token, err := env.fake.DisposableToken(env.integ.ClientID, env.demo.Account.Subdomain, env.demo.Manager.ID, "")
		if err != nil {
			return "", "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/widget/session",
			bytes.NewReader([]byte(`{"lead_id":`+strconv.FormatInt(lead, 10)+`}`)))
		if err != nil {
			return "", "", err
		}
		req.Header.Set("X-Auth-Token", token)
		req.Header.Set("Origin", "https://"+env.account)
		req.Header.Set("Content-Type", "application/json")
		body, err := do(req)
		if err != nil {
			return "", "", err
		}
		var a struct {
			Ticket    string `json:"ticket"`
			IframeURL string `json:"iframe_url"`
		}
		if err := json.Unmarshal(body, &a); err != nil || a.Ticket == "" {
			return "", "", fmt.Errorf("session: no ticket in %.200s", body)
		}
		return a.IframeURL[len(s.base):], a.Ticket, nil
	}
	together := func(paths ...string) error {
		var wg sync.WaitGroup
		errs := make([]error, len(paths))
		for i, p := range paths {
			wg.Go(func() { errs[i] = get(p, "") })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}

	runs := max(o.saves/2, 5)
	var fromFrame, fromSession []time.Duration
	fmt.Fprintf(out, "widgetload: the calculator's start with %v added to every amoCRM request and to every answer of the server, %d runs\n", o.latency, runs)
	fmt.Fprintf(out, "  (the widget script's session request, then at once the frame: its page, its style and script together, then action=start)\n")
	env.fake.ResetRequests()
	for range runs {
		time.Sleep(time.Second) // the pacer idle, and the run before it done with amoCRM
		t0 := time.Now()
		iframe, ticket, err := session()
		if err != nil {
			return false, err
		}
		t1 := time.Now()
		if err := get(iframe, ""); err != nil {
			return false, err
		}
		if err := together("/static/calculator.css", "/static/calculator.js"); err != nil {
			return false, err
		}
		if err := get("/widget/api?action=start", ticket); err != nil {
			return false, err
		}
		end := time.Now()
		fromFrame = append(fromFrame, end.Sub(t1))
		fromSession = append(fromSession, end.Sub(t0))
	}
	time.Sleep(time.Second)
	amoPerStart := float64(len(env.fake.Requests())) / float64(runs)
	p := func(d []time.Duration, q float64) time.Duration {
		d = append([]time.Duration(nil), d...)
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[min(len(d)-1, int(q*float64(len(d))))]
	}
	p50, pmax := p(fromFrame, 0.5), p(fromFrame, 1)
	sp50, smax := p(fromSession, 0.5), p(fromSession, 1)
	fmt.Fprintf(out, "ready after the frame's request: p50 %.2f× the target (%s ms), max %.2f× (%s ms); target %s ms\n",
		float64(p50)/float64(startTarget), ms(p50), float64(pmax)/float64(startTarget), ms(pmax), ms(startTarget))
	fmt.Fprintf(out, "ready after the session request: p50 %s ms, max %s ms (%.2f× the added latency at p50)\n",
		ms(sp50), ms(smax), float64(sp50)/float64(o.latency))
	fmt.Fprintf(out, "  %.1f amoCRM requests a start, the session's included: the lead (the session's check, reused), then its contact and products, paced 150 ms apart, read while the frame loads\n", amoPerStart)
	fmt.Fprintf(out, "load average %s\n", machine.LoadAvg())
	met := pmax <= startTarget
	fmt.Fprintf(out, "RESULT widgetload/start: latency_ms=%.0f p50_ms=%s max_ms=%s target_ms=%s p50_over_target=%.2f max_over_target=%.2f session_p50_ms=%s amocrm_requests=%.1f target_met=%t\n\n",
		o.latency.Seconds()*1000, ms(p50), ms(pmax), ms(startTarget), float64(p50)/float64(startTarget), float64(pmax)/float64(startTarget), ms(sp50), amoPerStart, met)
	return met, nil
}
