package calculator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/demo"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

// The fault suite of a save: amoCRM (the fake) answers one of the writes with a 500, an HTML
// page, truncated JSON, or not at all, either refusing the write or after making it. The person
// must see which part failed, a retry with the same key must complete, and at the fake nothing
// may be written twice.
//
// The whole path runs in memory (the SDK's transport calls the fake's handler) inside a
// testing/synctest bubble, so timeouts cost no real time.

// faultSaveTimeout bounds a save's writes (calculator.Config.SaveTimeout).
const faultSaveTimeout = 20 * time.Second

// spoil is what the upstream does to an answer after the fake has handled the request.
type spoil int

const (
	// spoilTruncate cuts the body in the middle, as a dropped connection does.
	spoilTruncate spoil = iota + 1
	// spoilHang never answers: the caller's timeout ends the request.
	spoilHang
)

// upstream carries the SDK's requests to the fake's handler in memory, as one HTTP connection
// would: the request is sent (the trace hears its headers written), the fake handles it, and the
// answer comes back unless a rule spoils it.
type upstream struct {
	h http.Handler

	mu    sync.Mutex
	rules []spoilRule
}

type spoilRule struct {
	method, path string
	how          spoil
	left         int
}

// spoilNext spoils the answers of the next n requests with this method and path (exactly).
func (u *upstream) spoilNext(n int, method, path string, how spoil) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.rules = append(u.rules, spoilRule{method: method, path: path, how: how, left: n})
}

func (u *upstream) take(r *http.Request) spoil {
	u.mu.Lock()
	defer u.mu.Unlock()
	for i := range u.rules {
		ru := &u.rules[i]
		if ru.left > 0 && ru.method == r.Method && ru.path == r.URL.Path {
			ru.left--
			return ru.how
		}
	}
	return 0
}

func (u *upstream) RoundTrip(req *http.Request) (*http.Response, error) {
	if trace := httptrace.ContextClientTrace(req.Context()); trace != nil && trace.WroteHeaders != nil {
		trace.WroteHeaders() // the request is on the wire: a failure from here on may follow a write
	}
	how := u.take(req)
	// The request as a server receives it.
	in := req.Clone(req.Context())
	in.Host, in.RequestURI, in.RemoteAddr = req.URL.Host, req.URL.RequestURI(), "127.0.0.1:40000"
	in.Header.Set("X-Forwarded-Proto", req.URL.Scheme)
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	u.h.ServeHTTP(rec, in)
	if req.Body != nil {
		req.Body.Close()
	}
	if err := req.Context().Err(); err != nil {
		return nil, err // the caller gave up while the fake was still waiting
	}
	resp := rec.Result()
	resp.Request = req
	switch how {
	case spoilHang:
		<-req.Context().Done()
		return nil, req.Context().Err()
	case spoilTruncate:
		body := rec.Body.Bytes()
		resp.ContentLength = int64(len(body))
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body[:len(body)/2]), errReader{io.ErrUnexpectedEOF}))
	}
	return resp, nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// faultRig is the widget backend over the demo account of a fake, in memory.
type faultRig struct {
	t       *testing.T
	fake    *amocrmtest.Server
	up      *upstream
	demo    demo.Demo
	h       http.Handler
	signer  *widget.TicketSigner
	account string
	lead    int64

	faked map[string]int   // "METHOD path" → 2xx answers a fault gave without the fake handling them
	calc  savedCalculation // the calculation of the last save that answered one
}

// newFaultRig must run inside the bubble; fake is made outside it (its listener is not part of
// the bubble) and is otherwise untouched.
func newFaultRig(t *testing.T, fake *amocrmtest.Server) *faultRig {
	r := &faultRig{t: t, fake: fake, up: &upstream{h: fake.Handler()}, faked: map[string]int{}}
	r.demo = demo.Seed(fake)
	r.account = r.demo.Account.Host
	r.lead = r.demo.Leads[3].ID // no price, no products, no notes yet
	integ := fake.AddIntegration(amocrmtest.Integration{Name: "Калькулятор стекла", RedirectURI: "https://calc.example.com/oauth/callback"})
	tok, err := fake.IssueToken(integ.ClientID, r.demo.Account.Subdomain)
	require.NoError(t, err)
	conns := tokenstore.NewMemory()
	require.NoError(t, conns.Save(t.Context(), &tokenstore.Connection{
		Account: r.account, AccountID: r.demo.Account.ID, ClientID: integ.ClientID, ClientSecret: integ.ClientSecret,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.ExpiresAt,
	}))
	oc := oauth.Config{ClientID: integ.ClientID, ClientSecret: integ.ClientSecret, RedirectURL: integ.RedirectURI}
	states, err := oauth.NewStates([]byte("state-key-0123456789abcdef-0123456789"), 0)
	require.NoError(t, err)
	// The SDK as a server uses it: the default retry policy and rate limit, a 10 s timeout.
	clients := calculator.NewAmoCRMClients(t.Context(), oc, conns,
		amocrm.WithHTTPClient(&http.Client{Transport: r.up}), amocrm.WithTimeout(10*time.Second))
	r.h, err = calculator.NewHandler(calculator.Config{
		Config: widget.Config{
			PublicURL:   "https://calc.example.com",
			TicketKey:   fxTicketKey,
			OAuth:       oc,
			States:      states,
			Connections: conns,
			Page:        http.NotFoundHandler(),
		},
		Calculations: calculator.NewMemoryCalculations(),
		PriceList:    glass.DefaultPriceList(),
		CRMFor:       clients.CRM,
		SaveTimeout:  faultSaveTimeout,
	})
	require.NoError(t, err)
	r.signer, err = widget.NewTicketSigner(fxTicketKey)
	require.NoError(t, err)
	return r
}

// save posts save_calculation of fxOrder with key and returns the status and the answer.
func (r *faultRig) save(key string) (int, saveAnswer, string) {
	r.t.Helper()
	ticket := r.signer.Sign(widget.Ticket{Account: r.account, AccountID: r.demo.Account.ID, UserID: r.demo.Manager.ID, LeadID: r.lead})
	body := `{"action":"save_calculation","idempotency_key":"` + key + `","order":` + fxOrder + `}`
	req := httptest.NewRequestWithContext(r.t.Context(), http.MethodPost, "/widget/api", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ticket)
	w := httptest.NewRecorder()
	r.h.ServeHTTP(w, req)
	var a saveAnswer
	if w.Code == http.StatusOK || w.Code == http.StatusBadGateway {
		require.NoError(r.t, json.Unmarshal(w.Body.Bytes(), &a), w.Body.String())
		r.calc = a.Calculation
	}
	return w.Code, a, w.Body.String()
}

// noteText is the text of the note the last saved calculation adds for q: who saved it, the
// breakdown and the calculation's marker line.
func (r *faultRig) noteText(q *glass.Quote) string {
	r.t.Helper()
	require.NotEmpty(r.t, r.calc.ID, "a save answered with its calculation")
	text := r.calc.noteText(r.t, q)
	require.True(r.t, strings.HasPrefix(text, "Менеджер: "), "who saved it comes first")
	require.Contains(r.t, text, "\n"+q.NoteText(), "then the breakdown")
	return text
}

// failNext is fake.FailNext, remembering faults that answer 2xx without a write.
func (r *faultRig) failNext(n int, method, path string, f amocrmtest.Fault) {
	if f.Status >= 200 && f.Status < 300 {
		r.faked[method+" "+path] += n
	}
	r.fake.FailNext(n, method, path, f)
}

// landed counts, by "METHOD path", the writes the fake carried out: requests it answered 2xx,
// less the 2xx answers faults gave. A spoiled answer still counts: the write was made.
func (r *faultRig) landed() map[string]int {
	out := map[string]int{}
	for _, q := range r.fake.Requests() {
		if q.Method != http.MethodGet && q.Status >= 200 && q.Status < 300 {
			out[q.Method+" "+q.Path]++
		}
	}
	for k, n := range r.faked {
		out[k] -= n
	}
	return out
}

// checkWrittenOnce checks the lead at the fake after a complete save of fxOrder: its price, one
// note with the calculation, each product linked once with its quantity, one catalog element per
// SKU; and that every kind of write landed exactly once.
func (r *faultRig) checkWrittenOnce(q *glass.Quote) {
	t := r.t
	t.Helper()
	lead, ok := r.fake.Lead(r.lead)
	require.True(t, ok)
	assert.Equal(t, q.LeadPrice, lead.Price)

	var texts []string
	want := r.noteText(q)
	for _, n := range r.fake.Notes("leads", r.lead) {
		if text, _ := n.Params["text"].(string); text == want {
			texts = append(texts, text)
		}
	}
	assert.Len(t, texts, 1, "one note with the calculation")
	r.checkProducts(q)

	id := strconv.FormatInt(r.lead, 10)
	for _, w := range []string{"PATCH /api/v4/leads/" + id, "POST /api/v4/leads/notes", "POST /api/v4/leads/" + id + "/link"} {
		assert.Equal(t, 1, r.landed()[w], "%s landed once", w)
	}
	assert.LessOrEqual(t, r.landed()["POST /api/v4/catalogs/"+strconv.FormatInt(r.demo.Products.ID, 10)+"/elements"], 1,
		"missing products created in one request at most")
}

// checkProducts checks that every product of q is linked to the lead once, with its quantity,
// and that the products catalog has one element per SKU.
func (r *faultRig) checkProducts(q *glass.Quote) {
	t := r.t
	t.Helper()
	elements := map[string]int{}
	for _, e := range r.fake.Elements(r.demo.Products.ID) {
		elements[fieldOf(e, "SKU")]++
	}
	linked := map[string]string{}
	for _, l := range r.fake.Links("leads", r.lead) {
		if l.ToEntityType != "catalog_elements" {
			continue
		}
		e, ok := r.fake.Element(l.ToEntityID)
		require.True(t, ok)
		qty, _ := l.Metadata["quantity"].(float64)
		linked[fieldOf(e, "SKU")] = strconv.FormatFloat(qty, 'f', -1, 64)
	}
	want := map[string]string{}
	for _, p := range q.Products() {
		want[p.SKU] = p.Quantity.String()
		assert.Equal(t, 1, elements[p.SKU], "one catalog element for %s", p.SKU)
	}
	assert.Equal(t, want, linked, "every product linked once, with its quantity")
}

// partNames are the words partialMessage uses for each part.
var partNames = map[calculator.Part]string{calculator.PartPrice: "цену сделки", calculator.PartNote: "примечание", calculator.PartProducts: "товары"}

// faultCase is one fault during the save of fxOrder, and the part it makes fail.
type faultCase struct {
	name   string
	failed calculator.Part
	fault  func(r *faultRig) // sets the fault up before the first save
}

// Paths of the writes of a save.
func leadPath(r *faultRig) string { return "/api/v4/leads/" + strconv.FormatInt(r.lead, 10) }
func notesPath(*faultRig) string  { return "/api/v4/leads/notes" }
func linkPath(r *faultRig) string { return leadPath(r) + "/link" }
func elementsPath(r *faultRig) string {
	return "/api/v4/catalogs/" + strconv.FormatInt(r.demo.Products.ID, 10) + "/elements"
}

// writeOf is the write ("METHOD path") that makes a part.
func writeOf(r *faultRig, p calculator.Part) string {
	switch p {
	case calculator.PartPrice:
		return http.MethodPatch + " " + leadPath(r)
	case calculator.PartNote:
		return http.MethodPost + " " + notesPath(r)
	}
	return http.MethodPost + " " + linkPath(r)
}

// runFaultCase saves with the fault, checks what the person sees, saves again with the same key
// and checks that the retry completes the same calculation. It returns the rig for the checks at
// the fake.
func runFaultCase(t *testing.T, fake *amocrmtest.Server, tc faultCase) *faultRig {
	r := newFaultRig(t, fake)
	tc.fault(r)

	status, first, body := r.save(fxKey1)
	require.Equal(t, http.StatusBadGateway, status, body)
	require.NotNil(t, first.Error, body)
	assert.Equal(t, calculator.CodePartialSave, first.Error.Code)
	want := calculator.Parts{Price: calculator.PartDone, Note: calculator.PartDone, Products: calculator.PartDone}
	want.Set(tc.failed, calculator.PartFailed)
	assert.Equal(t, want, first.Calculation.Parts, "the person sees which part failed")
	assert.False(t, first.Calculation.Complete)
	for part, name := range partNames {
		if part == tc.failed {
			assert.Contains(t, first.Error.Message, name)
		} else {
			assert.NotContains(t, first.Error.Message, name)
		}
	}
	for _, leak := range []string{"<", "html", "nginx", "500", "503", "eof", "timeout", "deadline", "json"} {
		assert.NotContains(t, strings.ToLower(first.Error.Message), leak, "the message is for people, not a transcript")
	}

	status, retry, body := r.save(fxKey1)
	require.Equal(t, http.StatusOK, status, body)
	assert.True(t, retry.Calculation.Complete)
	assert.Equal(t, first.Calculation.ID, retry.Calculation.ID, "the retry completes the same calculation")

	// A third save with the key writes nothing at all.
	before := len(r.fake.Requests())
	status, _, body = r.save(fxKey1)
	require.Equal(t, http.StatusOK, status, body)
	assert.Len(t, r.fake.Requests(), before)
	return r
}

// TestSaveUpstreamFaults covers faults after which the write did not happen: amoCRM refused it
// (500, an HTML error page), something between answered in its place (an HTML page or cut JSON
// with 200), or it never got there before the timeout. The retry writes the failed part once and
// nothing else.
func TestSaveUpstreamFaults(t *testing.T) {
	t.Parallel()
	cases := []faultCase{
		{"500 on the price", calculator.PartPrice, func(r *faultRig) {
			r.failNext(1, http.MethodPatch, leadPath(r), amocrmtest.Fault{Status: http.StatusInternalServerError,
				Body: `{"title":"Internal Server Error","status":500,"detail":"Internal error"}`})
		}},
		{"503 nginx HTML page on the note", calculator.PartNote, func(r *faultRig) {
			r.failNext(1, http.MethodPost, notesPath(r), amocrmtest.Fault{Status: http.StatusServiceUnavailable})
		}},
		{"502 HTML page on creating the products", calculator.PartProducts, func(r *faultRig) {
			r.failNext(1, http.MethodPost, elementsPath(r), amocrmtest.Fault{Status: http.StatusBadGateway})
		}},
		{"200 with an HTML page on the products link", calculator.PartProducts, func(r *faultRig) {
			r.failNext(1, http.MethodPost, linkPath(r), amocrmtest.Fault{Status: http.StatusOK,
				Body: "<!doctype html><html><head><title>Проверка браузера</title></head><body>Подождите…</body></html>"})
		}},
		{"200 with truncated JSON from a proxy on the note", calculator.PartNote, func(r *faultRig) {
			r.failNext(1, http.MethodPost, notesPath(r), amocrmtest.Fault{Status: http.StatusOK,
				Body: `{"_embedded":{"notes":[{"id":42,"entity_id":`, ContentType: "application/hal+json"})
		}},
		{"500s on every try of a search of the products catalog", calculator.PartProducts, func(r *faultRig) {
			// GETs are retried: fail every try of one search.
			r.failNext(amocrm.DefaultRetryPolicy().Attempts, http.MethodGet, elementsPath(r), amocrmtest.Fault{Status: http.StatusInternalServerError})
		}},
		{"timeout before amoCRM took the price", calculator.PartPrice, func(r *faultRig) {
			r.failNext(1, http.MethodPatch, leadPath(r), amocrmtest.Fault{Delay: time.Hour})
		}},
		{"timeout before amoCRM took the products link", calculator.PartProducts, func(r *faultRig) {
			r.failNext(1, http.MethodPost, linkPath(r), amocrmtest.Fault{Delay: time.Hour})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 1)) // its clock is not the bubble's, so it cannot judge pacing
			t.Cleanup(fake.Close)
			synctest.Test(t, func(t *testing.T) {
				r := runFaultCase(t, fake, tc)
				r.checkWrittenOnce(quoteOf(t, fxOrder))
			})
		})
	}
}

// TestSaveAnswerLostAfterTheWrite covers the harder faults: amoCRM made the write, and then its
// answer was cut short or never came. amoCRM has no idempotency keys, so the SDK does not resend
// such a write and the part is reported failed. The retry looks at amoCRM before writing the part
// again (the lead's price, the calculation's marker among its newest notes, its product links),
// so that what must hold here is what holds for any fault: the person sees the part, the retry
// completes, the parts that were done are not written again, the lead ends as it should (its
// price, one note with the calculation, each product linked once with its quantity, one catalog
// element per SKU), and every write landed exactly once.
func TestSaveAnswerLostAfterTheWrite(t *testing.T) {
	t.Parallel()
	cases := []faultCase{
		{"truncated JSON after amoCRM set the price", calculator.PartPrice, func(r *faultRig) {
			r.up.spoilNext(1, http.MethodPatch, leadPath(r), spoilTruncate)
		}},
		{"truncated JSON after amoCRM created the products", calculator.PartProducts, func(r *faultRig) {
			r.up.spoilNext(1, http.MethodPost, elementsPath(r), spoilTruncate)
		}},
		{"truncated JSON after amoCRM linked the products", calculator.PartProducts, func(r *faultRig) {
			r.up.spoilNext(1, http.MethodPost, linkPath(r), spoilTruncate)
		}},
		{"truncated JSON after amoCRM added the note", calculator.PartNote, func(r *faultRig) {
			r.up.spoilNext(1, http.MethodPost, notesPath(r), spoilTruncate)
		}},
		{"no answer after amoCRM set the price", calculator.PartPrice, func(r *faultRig) {
			r.up.spoilNext(1, http.MethodPatch, leadPath(r), spoilHang)
		}},
		{"no answer after amoCRM added the note", calculator.PartNote, func(r *faultRig) {
			r.up.spoilNext(1, http.MethodPost, notesPath(r), spoilHang)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 1)) // its clock is not the bubble's, so it cannot judge pacing
			t.Cleanup(fake.Close)
			synctest.Test(t, func(t *testing.T) {
				r := runFaultCase(t, fake, tc)
				q := quoteOf(t, fxOrder)
				failed := writeOf(r, tc.failed)
				landed := r.landed()
				for _, p := range calculator.AllParts() {
					if w := writeOf(r, p); w != failed {
						assert.Equal(t, 1, landed[w], "%s, done the first time, is not written again", w)
					}
				}
				lead, ok := r.fake.Lead(r.lead)
				require.True(t, ok)
				assert.Equal(t, q.LeadPrice, lead.Price)
				notes := 0
				want := r.noteText(q)
				for _, n := range r.fake.Notes("leads", r.lead) {
					if text, _ := n.Params["text"].(string); text == want {
						notes++
					}
				}
				assert.Equal(t, landed[http.MethodPost+" "+notesPath(r)], notes, "a note for every note write")
				assert.Equal(t, 1, landed[failed], "%s, made although its answer was lost, is not written again", failed)
				r.checkProducts(q)
				r.checkWrittenOnce(q)
			})
		})
	}
}

// TestSaveFaultRigIsFaithful checks the rig itself: without faults a save writes each part once,
// and a spoiled answer fails the call although the fake made the write.
func TestSaveFaultRigIsFaithful(t *testing.T) {
	t.Parallel()
	fake := amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 1)) // its clock is not the bubble's, so it cannot judge pacing
	t.Cleanup(fake.Close)
	synctest.Test(t, func(t *testing.T) {
		r := newFaultRig(t, fake)
		status, s, body := r.save(fxKey1)
		require.Equal(t, http.StatusOK, status, body)
		assert.True(t, s.Calculation.Complete)
		r.checkWrittenOnce(quoteOf(t, fxOrder))

		r.up.spoilNext(1, http.MethodGet, "/api/v4/account", spoilTruncate)
		hc := &http.Client{Transport: r.up}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+r.account+"/api/v4/account", nil)
		require.NoError(t, err)
		tok, err := fake.IssueToken(fake.AddIntegration(amocrmtest.Integration{RedirectURI: "https://x.example/cb"}).ClientID, r.demo.Account.Subdomain)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.True(t, errors.Is(err, io.ErrUnexpectedEOF), "%v", err)
		assert.Equal(t, http.StatusOK, fake.Requests()[len(fake.Requests())-1].Status, "the fake answered in full")

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		r.up.spoilNext(1, http.MethodGet, "/api/v4/account", spoilHang)
		_, err = hc.Do(req.WithContext(ctx))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}
