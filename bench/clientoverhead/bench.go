package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/hashicorp/go-cleanhttp"
	"golang.org/x/time/rate"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/bench/internal/machine"
)

// The transports and clients the benchmarks combine.
const (
	transportLoopback = "loopback"
	transportMemory   = "memory"
	clientSDK         = "sdk"
	clientBaseline    = "baseline"
	// clientTwoPass is the baseline decoding the way amocrm's fetchPage did before it decoded pages in one pass: the envelope with
	// _embedded as map[string]json.RawMessage first, then the items from the raw bytes. It is
	// not a target; it shows how much of the SDK's cost is that second pass.
	clientTwoPass = "twopass"
)

var (
	transports = []string{transportLoopback, transportMemory}
	clients    = []string{clientSDK, clientBaseline, clientTwoPass}
)

// cpuMetric is the unit of the CPU time the benchmarks report.
const cpuMetric = "cpu-ns/op"

// env is the body, the server on loopback that serves it, and the in-memory transport.
type env struct {
	body []byte
	srv  *httptest.Server
}

func newEnv(ctx context.Context) (*env, error) {
	body, err := leadsPage(ctx)
	if err != nil {
		return nil, err
	}
	e := &env{body: body}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/hal+json")
		w.Write(body)
	}))
	return e, nil
}

func (e *env) close() { e.srv.Close() }

// token is the bearer token both clients send.
const token = "bench-token"

// listPath is the request both clients make.
const listPath = "/api/v4/leads?limit=250&with=contacts"

// transport returns a fresh transport of the kind named: its own connection pool on loopback.
func (e *env) transport(kind string) http.RoundTripper {
	if kind == transportMemory {
		return memoryTransport(e.body)
	}
	return cleanhttp.DefaultPooledTransport() // what amocrm.New uses when given no client
}

// memoryTransport answers every request with 200 and body, without a network.
type memoryTransport []byte

func (m memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/hal+json"}},
		Body:          io.NopCloser(bytes.NewReader(m)),
		ContentLength: int64(len(m)), Request: req,
	}, nil
}

// bench runs one benchmark: client cl over transport tr, reporting allocations and CPU time.
func (e *env) bench(b *testing.B, tr, cl string) {
	ctx := b.Context()
	hc := &http.Client{Transport: e.transport(tr)}
	var call func() (int, error)
	switch cl {
	case clientSDK:
		c, err := amocrm.New("bench.amocrm.ru", amocrm.WithBaseURL(e.srv.URL+"/"), amocrm.WithHTTPClient(hc),
			amocrm.WithAccessToken(token), amocrm.WithLimiter(rate.NewLimiter(rate.Inf, 1)))
		if err != nil {
			b.Fatal(err)
		}
		opts := &amocrm.LeadListOptions{Limit: pageSize, With: []amocrm.LeadWith{amocrm.LeadWithContacts}}
		call = func() (int, error) {
			page, err := c.Leads.List(ctx, opts)
			if err != nil {
				return 0, err
			}
			return len(page.Items), nil
		}
	case clientBaseline:
		url := e.srv.URL + listPath
		call = func() (int, error) {
			leads, err := baselineList(ctx, hc, url, false)
			return len(leads), err
		}
	case clientTwoPass:
		url := e.srv.URL + listPath
		call = func() (int, error) {
			leads, err := baselineList(ctx, hc, url, true)
			return len(leads), err
		}
	default:
		b.Fatalf("unknown client %q", cl)
	}
	if n, err := call(); err != nil || n != pageSize { // warm the connection up, and check
		b.Fatalf("%s over %s: %d leads, %v", cl, tr, n, err)
	}
	b.ReportAllocs()
	cpu0 := machine.CPUTime()
	for b.Loop() {
		if n, err := call(); err != nil || n != pageSize {
			b.Fatalf("%s over %s: %d leads, %v", cl, tr, n, err)
		}
	}
	b.ReportMetric(float64(machine.CPUTime()-cpu0)/float64(b.N), cpuMetric)
}

// plainLead is the SDK's Lead without its methods: a hand-written client's struct, decoded by
// encoding/json field by field in the one pass of the page (the fixture's prices are whole).
type plainLead amocrm.Lead

// baselinePage is the HAL page as a plain client decodes it, into the SDK's own Lead fields.
type baselinePage struct {
	Page  int `json:"_page"`
	Links struct {
		Next *struct {
			Href string `json:"href"`
		} `json:"next"`
	} `json:"_links"`
	Embedded struct {
		Leads []plainLead `json:"leads"`
	} `json:"_embedded"`
}

// twoPassPage is the envelope as amocrm's fetchPage decoded it before pages were decoded in one pass.
type twoPassPage struct {
	Page  int `json:"_page"`
	Links struct {
		Next *struct {
			Href string `json:"href"`
		} `json:"next"`
	} `json:"_links"`
	Embedded map[string]json.RawMessage `json:"_embedded"`
}

// baselineList is what a hand-written client does: one GET, one streaming decode. With twoPass it
// decodes in two passes instead, as amocrm's fetchPage did.
func baselineList(ctx context.Context, hc *http.Client, url string, twoPass bool) ([]amocrm.Lead, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/hal+json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	defer io.Copy(io.Discard, resp.Body)
	if twoPass {
		var env twoPassPage
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
			return nil, err
		}
		var leads []plainLead
		err := json.Unmarshal(env.Embedded["leads"], &leads)
		return sdkLeads(leads), err
	}
	var page baselinePage
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, err
	}
	return sdkLeads(page.Embedded.Leads), nil
}

// sdkLeads converts the plain structs back for comparison; the copy costs what the SDK's own
// conversion from its wire type costs.
func sdkLeads(ls []plainLead) []amocrm.Lead {
	out := make([]amocrm.Lead, len(ls))
	for i, l := range ls {
		out[i] = amocrm.Lead(l)
	}
	return out
}

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
