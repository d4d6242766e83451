package calculator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
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

const (
	fxAdminToken = "admin-0123456789abcdef0123456789abcdef"
	fxPage       = "<!doctype html><title>Калькулятор</title>"
)

var fxTicketKey = []byte("ticket-key-0123456789abcdef-0123456789")

// fxOrder is the worked example of the glass domain: 17 204 ₽.
const fxOrder = `{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1,
"edge":"polish","tempered":true,"holes":[12,12],"cutouts":1,"rounded_corners":0}],
"hardware":[{"code":"hinge_wall_glass","count":2}],"installation":true,"delivery":false,"urgent":false,"discount_percent":0}`

// fixture is the widget backend served over HTTP, talking to a fake amoCRM with the demo account,
// an integration whose redirect URI is the backend, and (unless disconnected) a connection with
// tokens the fake issued. Every answer of the backend goes through the scanner.
type fixture struct {
	t       *testing.T
	fake    *amocrmtest.Server
	demo    demo.Demo
	integ   amocrmtest.Integration
	account string // "steklo.amocrm.ru"
	srv     *httptest.Server
	conns   *tokenstore.Memory
	calcs   *calculator.MemoryCalculations
	signer  *widget.TicketSigner
	scan    *scanner
	oauth   oauth.Config
	cfg     calculator.Config // what the handler was made with
}

type fixtureOptions struct {
	disconnected bool
	// crm replaces the amoCRM clients, for tests that need a CRM of their own.
	crm calculator.CRMSource
	// prices replaces the default price list.
	prices calculator.PriceSource
	// wrap, when set, wraps every CRM the source returns.
	wrap func(calculator.CRM) calculator.CRM
	// proposals serves commercial proposals.
	proposals *calculator.Proposals
}

func newFixture(t *testing.T, opts ...fixtureOptions) *fixture {
	t.Helper()
	var o fixtureOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	f := &fixture{t: t, conns: tokenstore.NewMemory(), calcs: calculator.NewMemoryCalculations(), scan: &scanner{}}
	f.fake = amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 1))
	t.Cleanup(f.fake.Close)
	f.demo = demo.Seed(f.fake)
	f.account = demo.Subdomain + ".amocrm.ru"

	var h http.Handler
	f.srv = httptest.NewServer(f.scan.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })))
	t.Cleanup(f.srv.Close)
	f.integ = f.fake.AddIntegration(amocrmtest.Integration{
		RedirectURI: f.srv.URL + widget.CallbackPath, RevokeHookURL: f.srv.URL + widget.RevokePath, Name: "Калькулятор стекла",
	})
	f.scan.secret(f.integ.ClientSecret)
	f.scan.secret(fxAdminToken)
	f.scan.secret(string(fxTicketKey))

	if !o.disconnected {
		tok, err := f.fake.IssueToken(f.integ.ClientID, demo.Subdomain)
		require.NoError(t, err)
		f.scan.secret(tok.AccessToken)
		f.scan.secret(tok.RefreshToken)
		require.NoError(t, f.conns.Save(t.Context(), &tokenstore.Connection{
			Account: f.account, AccountID: f.demo.Account.ID, ClientID: f.integ.ClientID, ClientSecret: f.integ.ClientSecret,
			AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.ExpiresAt,
		}))
	}

	f.oauth = oauth.Config{
		ClientID: f.integ.ClientID, ClientSecret: f.integ.ClientSecret, RedirectURL: f.integ.RedirectURI,
		AuthURL: f.fake.URL + "/oauth", HTTPClient: f.fake.Client(),
	}
	states, err := oauth.NewStates([]byte("state-key-0123456789abcdef-0123456789"), 0)
	require.NoError(t, err)
	source := o.crm
	if source == nil {
		source = calculator.NewAmoCRMClients(t.Context(), f.oauth, f.conns,
			amocrm.WithHTTPClient(f.fake.Client()), amocrm.WithRateLimit(1000, 100),
			amocrm.WithRetry(amocrm.RetryPolicy{Attempts: 1})).CRM // no backoff sleeps in tests
	}
	f.cfg = calculator.Config{
		Config: widget.Config{
			PublicURL:   f.srv.URL,
			TicketKey:   fxTicketKey,
			OAuth:       f.oauth,
			States:      states,
			Connections: f.conns,
			AdminToken:  fxAdminToken,
			Logger:      slog.New(slog.NewTextHandler(f.scan.logs(), &slog.HandlerOptions{Level: slog.LevelDebug})),
			Page: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				io.WriteString(w, fxPage)
			}),
		},
		Calculations: f.calcs,
		PriceList:    glass.DefaultPriceList(),
		CRMFor:       source,
	}
	if o.prices != nil {
		f.cfg.PriceList, f.cfg.Prices = nil, o.prices
	}
	if o.wrap != nil {
		f.cfg.CRMFor = func(ctx context.Context, account string) (calculator.CRM, error) {
			c, err := source(ctx, account)
			if err != nil {
				return nil, err
			}
			return o.wrap(c), nil
		}
	}
	f.cfg.Proposals = o.proposals
	h, err = calculator.NewHandler(f.cfg)
	require.NoError(t, err)
	f.signer, err = widget.NewTicketSigner(fxTicketKey)
	require.NoError(t, err)

	// Registered last, so it runs first: the servers are still up, the store still readable.
	t.Cleanup(func() { f.scan.check(t, f.storeSecrets()) })
	return f
}

// storeSecrets returns every secret in the connection store: tokens the backend got from the
// fake by exchanging codes or refreshing, too.
func (f *fixture) storeSecrets() []string {
	conns, err := f.conns.List(context.Background()) // t.Context is done during cleanup
	require.NoError(f.t, err)
	var out []string
	for _, c := range conns {
		out = append(out, c.ClientSecret, c.AccessToken, c.RefreshToken)
	}
	return out
}

// connectTenant adds another account to the fake and connects it through the same
// integration, its tokens watched for leaks: a tenant whose tickets must not reach the demo
// account's data.
func (f *fixture) connectTenant(subdomain string) *amocrmtest.Account {
	f.t.Helper()
	tenant := f.fake.AddAccount(subdomain)
	tok, err := f.fake.IssueToken(f.integ.ClientID, subdomain)
	require.NoError(f.t, err)
	f.scan.secret(tok.AccessToken)
	f.scan.secret(tok.RefreshToken)
	require.NoError(f.t, f.conns.Save(f.t.Context(), &tokenstore.Connection{
		Account: tenant.Host, AccountID: tenant.ID, ClientID: f.integ.ClientID, ClientSecret: f.integ.ClientSecret,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.ExpiresAt,
	}))
	return tenant
}

// ticket signs a session ticket for the demo manager and the lead.
func (f *fixture) ticket(leadID int64) string {
	return f.signer.Sign(widget.Ticket{Account: f.account, AccountID: f.demo.Account.ID, UserID: f.demo.Manager.ID, LeadID: leadID})
}

// answer is a response of the backend, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(a.body, v), "body: %s", a.body)
}

// errorCode returns error.code of an error answer.
func (a answer) errorCode(t *testing.T) string {
	t.Helper()
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	a.decode(t, &e)
	return e.Error.Code
}

// do sends a request to the backend; headers are name, value pairs.
func (f *fixture) do(method, path, body string, headers ...string) answer {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.srv.URL+path, rd)
	require.NoError(f.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// savedCalculation is the calculation of a save_calculation answer.
type savedCalculation struct {
	ID        string           `json:"id"`
	LeadID    int64            `json:"lead_id"`
	UserID    int64            `json:"user_id"`
	UserName  string           `json:"user_name"`
	TimeZone  string           `json:"time_zone"`
	Created   string           `json:"created_local"`
	CreatedAt string           `json:"created_at"`
	Order     glass.Order      `json:"order"`
	Quote     glass.Quote      `json:"quote"`
	Parts     calculator.Parts `json:"parts"`
	Complete  bool             `json:"complete"`
	Number    int              `json:"number"`
}

// noteText is the note a save of this calculation writes for q.
func (s savedCalculation) noteText(t *testing.T, q *glass.Quote) string {
	t.Helper()
	created, err := time.Parse(time.RFC3339, s.CreatedAt)
	require.NoError(t, err)
	require.Positive(t, s.Number, "a saved calculation has its number in the lead")
	return calculator.Calculation{ID: s.ID, Quote: *q, Number: s.Number, CreatedAt: created,
		UserID: s.UserID, UserName: s.UserName, TimeZone: s.TimeZone}.NoteText()
}

type saveAnswer struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Calculation savedCalculation `json:"calculation"`
}

// save posts save_calculation for lead with the idempotency key and order.
func (f *fixture) save(lead int64, key, order string, headers ...string) (answer, saveAnswer) {
	f.t.Helper()
	body := `{"action":"save_calculation","idempotency_key":"` + key + `","order":` + order + `}`
	a := f.do(http.MethodPost, "/widget/api", body, append([]string{"Authorization", "Bearer " + f.ticket(lead)}, headers...)...)
	var s saveAnswer
	if a.status == http.StatusOK || a.status == http.StatusBadGateway {
		a.decode(f.t, &s)
	}
	return a, s
}

// writes counts the requests of the fake's log that write: anything but GET.
func writes(reqs []amocrmtest.RecordedRequest) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		if r.Method != http.MethodGet && r.Status > 0 {
			out[r.Method+" "+r.Path]++
		}
	}
	return out
}

// quoteOf prices an order with the default price list.
func quoteOf(t *testing.T, order string) *glass.Quote {
	t.Helper()
	o, err := glass.DecodeOrder([]byte(order))
	require.NoError(t, err)
	q, err := glass.DefaultPriceList().Quote(o)
	require.NoError(t, err)
	return q
}

// scanner keeps every answer of the backend and, when the test ends, fails it if any answer
// (status line aside: headers and body) holds one of the secrets: access and refresh tokens the
// fake issued, client secrets, the admin token, the ticket key.
type scanner struct {
	mu      sync.Mutex
	secrets []string
	answers []answer
	paths   []string
}

// logs returns a writer whose output is scanned like an answer.
func (s *scanner) logs() io.Writer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, answer{header: http.Header{}})
	s.paths = append(s.paths, "the handler's log")
	return &logWriter{s: s, i: len(s.answers) - 1}
}

type logWriter struct {
	s *scanner
	i int
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.s.answers[w.i].body = append(w.s.answers[w.i].body, p...)
	return len(p), nil
}

func (s *scanner) secret(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = append(s.secrets, v)
}

func (s *scanner) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		res := rec.Result()
		body := rec.Body.Bytes()
		s.mu.Lock()
		s.answers = append(s.answers, answer{status: res.StatusCode, header: res.Header.Clone(), body: bytes.Clone(body)})
		s.paths = append(s.paths, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		for k, vs := range res.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(res.StatusCode)
		w.Write(body)
	})
}

// leaks returns, for each answer holding a secret, its request line.
func (s *scanner) leaks(extra []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []string
	for _, secret := range append(append([]string(nil), s.secrets...), extra...) {
		if len(secret) < 8 {
			continue
		}
		for i, a := range s.answers {
			hit := bytes.Contains(a.body, []byte(secret))
			for _, vs := range a.header {
				for _, v := range vs {
					hit = hit || strings.Contains(v, secret)
				}
			}
			if hit {
				found = append(found, s.paths[i]+" (answer "+strconv.Itoa(i)+")")
			}
		}
	}
	return found
}

func (s *scanner) check(t *testing.T, extra []string) {
	t.Helper()
	s.mu.Lock()
	n := len(s.answers)
	s.mu.Unlock()
	assert.Empty(t, s.leaks(extra), "answers that hold a token or a secret (%d answers scanned)", n)
}

func TestScannerFindsALeak(t *testing.T) {
	t.Parallel()
	s := &scanner{}
	s.secret("super-secret-refresh-token")
	h := s.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/header":
			w.Header().Set("Location", "/x?t=super-secret-refresh-token")
		case "/body":
			io.WriteString(w, `{"token":"super-secret-refresh-token"}`)
		default:
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	for _, p := range []string{"/body", "/header", "/clean"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	assert.Len(t, s.leaks(nil), 2)
	assert.Len(t, s.leaks([]string{`{"token"`}), 3, "extra secrets are scanned too")
	fmt.Fprintf(s.logs(), "level=INFO token=%s\n", "super-secret-refresh-token")
	assert.Len(t, s.leaks(nil), 3, "logs are scanned too")
}

func TestNewHandlerValidatesConfig(t *testing.T) {
	t.Parallel()
	_, err := calculator.NewHandler(calculator.Config{
		Config: widget.Config{},
	})
	require.Error(t, err)
	for _, want := range []string{"PublicURL", "ticket key", "RedirectURL", "States", "Connections", "Calculations", "PriceList", "CRMFor", "Page is nil"} {
		assert.Contains(t, err.Error(), want)
	}

	f := newFixture(t)
	states, err := oauth.NewStates([]byte("state-key-0123456789abcdef-0123456789"), 0)
	require.NoError(t, err)
	good := calculator.Config{
		Config: widget.Config{
			PublicURL:   f.srv.URL,
			TicketKey:   fxTicketKey,
			OAuth:       f.oauth,
			States:      states,
			Connections: f.conns,
			Page:        http.NotFoundHandler(),
		},
		Calculations: f.calcs,
		PriceList:    glass.DefaultPriceList(),
		CRMFor:       func(ctx context.Context, account string) (calculator.CRM, error) { return nil, widget.ErrNotConnected },
	}
	_, err = calculator.NewHandler(good)
	require.NoError(t, err, "AdminToken is optional")

	for name, edit := range map[string]func(c *calculator.Config){
		"short admin token":       func(c *calculator.Config) { c.AdminToken = "short" },
		"redirect elsewhere":      func(c *calculator.Config) { c.OAuth.RedirectURL = f.srv.URL + "/amocrm/oauth" },
		"secret without id":       func(c *calculator.Config) { c.OAuth.ClientID = "" },
		"public URL not absolute": func(c *calculator.Config) { c.PublicURL = "calc.example.com" },
		"bad consent mode":        func(c *calculator.Config) { c.ConsentMode = "redirect" },
		"bad frame ancestor":      func(c *calculator.Config) { c.FrameAncestors = []string{"https://x.example/path"} },
		"negative save timeout":   func(c *calculator.Config) { c.SaveTimeout = -time.Second },
		"short ticket key":        func(c *calculator.Config) { c.TicketKey = []byte("short") },
	} {
		c := good
		edit(&c)
		_, err := calculator.NewHandler(c)
		assert.Error(t, err, name)
	}
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	a := f.do(http.MethodGet, "/widget/nothing", "")
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Equal(t, widget.CodeNotFound, a.errorCode(t))
	assert.Contains(t, a.header.Get("Content-Type"), "application/json")

	a = f.do(http.MethodDelete, "/widget/calculate", "")
	assert.Equal(t, http.StatusMethodNotAllowed, a.status)
	assert.Equal(t, widget.CodeMethodNotAllowed, a.errorCode(t))
	assert.Equal(t, "POST", a.header.Get("Allow"))

	a = f.do(http.MethodGet, "/widget/api?action=delete_everything", "", "Authorization", "Bearer "+f.ticket(f.demo.Leads[0].ID))
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, widget.CodeUnknownAction, a.errorCode(t))

	a = f.do(http.MethodPost, "/widget/api", `{"action":"drop_tables"}`, "Authorization", "Bearer "+f.ticket(f.demo.Leads[0].ID))
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, widget.CodeUnknownAction, a.errorCode(t))

	a = f.do(http.MethodPost, "/widget/api", `not json`, "Authorization", "Bearer "+f.ticket(f.demo.Leads[0].ID))
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, widget.CodeInvalidJSON, a.errorCode(t))
}

func TestBodiesAreCapped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tk := "Bearer " + f.ticket(f.demo.Leads[0].ID)
	big := `{"action":"save_calculation","pad":"` + strings.Repeat("x", widget.MaxBodySize) + `"}`
	for _, path := range []string{"/widget/api", "/widget/calculate"} {
		a := f.do(http.MethodPost, path, big, "Authorization", tk)
		assert.Equal(t, http.StatusRequestEntityTooLarge, a.status, path)
		assert.Equal(t, widget.CodeBodyTooLarge, a.errorCode(t), path)
	}
	// Just under the cap is read (and then refused for what it says).
	under := `{"action":"nothing","pad":"` + strings.Repeat("x", widget.MaxBodySize-40) + `"}`
	require.Less(t, len(under), widget.MaxBodySize)
	a := f.do(http.MethodPost, "/widget/api", under, "Authorization", tk)
	assert.Equal(t, widget.CodeUnknownAction, a.errorCode(t))
}

func TestCalculatorPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.do(http.MethodGet, "/widget/page?ticket="+f.ticket(f.demo.Leads[0].ID), "")
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, fxPage, string(a.body))
	assert.Contains(t, a.header.Get("Content-Security-Policy"), "frame-ancestors https://*.amocrm.ru")
	assert.Equal(t, "no-referrer", a.header.Get("Referrer-Policy"), "the URL holds the ticket")
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	assert.Empty(t, a.header.Get("X-Frame-Options"))
}
