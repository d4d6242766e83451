package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/amokit/amokit/bench/internal/machine"
)

// site is a running widget backend: its base URL, the demo leads and a session ticket for each.
type site struct {
	base    string
	leads   []int64
	tickets map[int64]string
}

// Kinds of request.
const (
	kindCalculate = "calculate"
	kindGetLead   = "get_lead"
	kindSave      = "save"
	kindStart     = "start"
)

// orders are valid glass orders of different shapes; the first is the worked example of the glass
// domain (17 204 ₽).
var orders = []string{
	`{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1,"edge":"polish","tempered":true,"holes":[12,12],"cutouts":1,"rounded_corners":0}],"hardware":[{"code":"hinge_wall_glass","count":2}],"installation":true,"delivery":false,"urgent":false,"discount_percent":0}`,
	`{"pieces":[{"material":"mirror","thickness_mm":4,"width_mm":600,"height_mm":1600,"quantity":1,"edge":"facet","tempered":false,"holes":[],"cutouts":0,"rounded_corners":4}],"hardware":[{"code":"mirror_mount","count":1}],"installation":false,"delivery":true,"urgent":false,"discount_percent":5}`,
	`{"pieces":[{"material":"optiwhite","thickness_mm":6,"width_mm":3000,"height_mm":600,"quantity":1,"edge":"polish","tempered":true,"holes":[],"cutouts":3,"rounded_corners":0}],"installation":true,"delivery":true,"urgent":true,"discount_percent":0}`,
	`{"pieces":[{"material":"triplex","thickness_mm":10,"width_mm":1200,"height_mm":2500,"quantity":3,"edge":"grind","tempered":false,"holes":[],"cutouts":0,"rounded_corners":0}],"hardware":[{"code":"u_profile","count":8}],"installation":true,"delivery":true,"urgent":false,"discount_percent":10}`,
	`{"pieces":[{"material":"satin","thickness_mm":8,"width_mm":800,"height_mm":1900,"quantity":1,"edge":"polish","tempered":true,"holes":[14,14,14],"cutouts":0,"rounded_corners":2},{"material":"satin","thickness_mm":8,"width_mm":400,"height_mm":1900,"quantity":1,"edge":"polish","tempered":true,"holes":[],"cutouts":0,"rounded_corners":0}],"hardware":[{"code":"hinge_glass_glass","count":2},{"code":"handle_bar","count":1},{"code":"seal","count":4}],"installation":true,"delivery":false,"urgent":false,"discount_percent":0}`,
}

// newLoadClient is an HTTP client that keeps enough connections open for every worker.
func newLoadClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute, DisableCompression: true},
		Timeout:   2 * time.Minute,
	}
}

// request builds request number i of a kind.
func (s *site) request(ctx context.Context, kind string, i int) (*http.Request, error) {
	lead := s.leads[i%len(s.leads)]
	var (
		req *http.Request
		err error
	)
	switch kind {
	case kindCalculate:
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/widget/calculate", bytes.NewReader([]byte(orders[i%len(orders)])))
	case kindGetLead:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/widget/api?action=get_lead", nil)
	case kindStart:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/widget/api?action=start", nil)
	case kindSave:
		body := `{"action":"save_calculation","idempotency_key":"` + newUUID() + `","order":` + orders[i%len(orders)] + `}`
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/widget/api", bytes.NewReader([]byte(body)))
	default:
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	if err != nil {
		return nil, err
	}
	if req.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+s.tickets[lead])
	return req, nil
}

// call sends request number i of a kind and reads the answer; any status but 200 is an error.
func (s *site) call(ctx context.Context, hc *http.Client, kind string, i int) error {
	req, err := s.request(ctx, kind, i)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %.300s", kind, resp.Status, body)
	}
	return nil
}

// newUUID is a random UUID (version 4), the idempotency key a browser makes.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// stats are the figures of a set of latencies.
type stats struct {
	n, errors     int
	p50, p99, max time.Duration
	firstErr      error
}

func summarize(lat []time.Duration, errs []error) stats {
	s := stats{n: len(lat) + len(errs), errors: len(errs)}
	if len(errs) > 0 {
		s.firstErr = errs[0]
	}
	if len(lat) == 0 {
		return s
	}
	slices.Sort(lat)
	s.p50, s.p99, s.max = percentile(lat, 0.50), percentile(lat, 0.99), lat[len(lat)-1]
	return s
}

// percentile returns the nearest-rank percentile p (0 < p ≤ 1) of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

// closedLoop runs c workers, each sending kind requests one after another for d (after a warm-up
// that is not measured), and returns the latencies, the errors, the measured time and the CPU time
// the process used meanwhile.
func closedLoop(ctx context.Context, s *site, hc *http.Client, kind string, c int, warmup, d time.Duration) ([]time.Duration, []error, time.Duration, time.Duration) {
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs []error
		wg   sync.WaitGroup
	)
	begin := time.Now()
	measureFrom, until := begin.Add(warmup), begin.Add(warmup+d)
	cpuStart := make(chan time.Duration, 1)
	cpuTimer := time.AfterFunc(warmup, func() { cpuStart <- machine.CPUTime() })
	for w := range c {
		wg.Go(func() {
			var mine []time.Duration
			var myErrs []error
			for i := w; ctx.Err() == nil; i += c {
				t0 := time.Now()
				if !t0.Before(until) {
					break
				}
				err := s.call(ctx, hc, kind, i)
				if t0.Before(measureFrom) {
					continue
				}
				if err != nil {
					myErrs = append(myErrs, err)
				} else {
					mine = append(mine, time.Since(t0))
				}
			}
			mu.Lock()
			lat, errs = append(lat, mine...), append(errs, myErrs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	took := time.Since(measureFrom)
	cpuTimer.Stop()
	var cpu0 time.Duration
	select {
	case cpu0 = <-cpuStart:
	default: // cancelled during the warm-up
		cpu0 = machine.CPUTime()
	}
	return lat, errs, took, machine.CPUTime() - cpu0
}

// errOverload is the error of a request the open loop could not send because maxInFlight
// requests were already waiting.
var errOverload = errors.New("not sent: too many requests in flight")

// timed is the latency of a request that was due at offset at of the run.
type timed struct{ at, took time.Duration }

// since returns the latencies of the requests due at from or later.
func since(ts []timed, from time.Duration) []time.Duration {
	var out []time.Duration
	for _, t := range ts {
		if t.at >= from {
			out = append(out, t.took)
		}
	}
	return out
}

// openLoop sends requests at rate a second for d whatever the answers, kind by kind as pick
// says, at most maxInFlight at a time, and measures each latency from the moment it was due, so
// that a slow server cannot hide its slowness by slowing the sender down. It returns the
// latencies and errors by kind.
func openLoop(ctx context.Context, s *site, hc *http.Client, rate float64, d time.Duration, maxInFlight int, pick func(i int) string) (map[string][]timed, map[string][]error) {
	var (
		mu   sync.Mutex
		lat  = map[string][]timed{}
		errs = map[string][]error{}
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, maxInFlight)
	start := time.Now()
	total := int(rate * d.Seconds())
	perKind := map[string]int{}
	for i := range total {
		due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if wait := time.Until(due); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		kind := pick(i)
		n := perKind[kind]
		perKind[kind]++
		select {
		case sem <- struct{}{}:
		default:
			mu.Lock()
			errs[kind] = append(errs[kind], errOverload)
			mu.Unlock()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			err := s.call(ctx, hc, kind, n)
			took := time.Since(due)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[kind] = append(errs[kind], err)
				return
			}
			lat[kind] = append(lat[kind], timed{at: due.Sub(start), took: took})
		})
	}
	wg.Wait()
	return lat, errs
}
