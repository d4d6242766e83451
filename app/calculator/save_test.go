package calculator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

const (
	fxKey1 = "0b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b"
	fxKey2 = "9f8e7d6c-5b4a-4321-8fed-cba987654321"
)

// fieldOf returns the first value of the custom field code of a fake element.
func fieldOf(e amocrmtest.Element, code string) string {
	for _, f := range e.CustomFields {
		if f.FieldCode == code && len(f.Values) > 0 {
			return f.Values[0].Value
		}
	}
	return ""
}

// linkedProducts returns the lead's product links at the fake, by SKU: quantity and price_id.
func (f *fixture) linkedProducts(leadID int64) map[string][2]string {
	f.t.Helper()
	out := map[string][2]string{}
	for _, l := range f.fake.Links("leads", leadID) {
		if l.ToEntityType != "catalog_elements" {
			continue
		}
		e, ok := f.fake.Element(l.ToEntityID)
		require.True(f.t, ok)
		q, _ := l.Metadata["quantity"].(float64)
		p, _ := l.Metadata["price_id"].(float64)
		out[fieldOf(e, "SKU")] = [2]string{strconv.FormatFloat(q, 'f', -1, 64), strconv.FormatInt(int64(p), 10)}
	}
	return out
}

func TestSaveWritesPriceNoteAndProducts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[1] // a mirror, 5 600 ₽, no products yet
	notesBefore := len(f.fake.Notes("leads", lead.ID))
	f.fake.ResetRequests()

	a, s := f.save(lead.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	q := quoteOf(t, fxOrder)
	c := s.Calculation
	assert.Nil(t, s.Error)
	assert.True(t, c.Complete)
	assert.Equal(t, calculator.Parts{Price: calculator.PartDone, Note: calculator.PartDone, Products: calculator.PartDone}, c.Parts)
	assert.NotEmpty(t, c.ID)
	assert.Equal(t, lead.ID, c.LeadID)
	assert.Equal(t, f.demo.Manager.ID, c.UserID)
	assert.Equal(t, int64(17204), c.Quote.LeadPrice)
	assert.Equal(t, q.Lines, c.Quote.Lines)

	// At the fake: the price, one note with the breakdown, a link per product.
	got, ok := f.fake.Lead(lead.ID)
	require.True(t, ok)
	assert.Equal(t, int64(17204), got.Price)
	notes := f.fake.Notes("leads", lead.ID)
	require.Len(t, notes, notesBefore+1)
	assert.Equal(t, "common", notes[len(notes)-1].NoteType)
	assert.Equal(t, c.noteText(t, q), notes[len(notes)-1].Params["text"])
	text, _ := notes[len(notes)-1].Params["text"].(string)
	assert.True(t, strings.HasPrefix(text, "Менеджер: "+f.demo.Manager.Name+"\n"+q.NoteText()), "who saved it, then the breakdown: %q", text)
	assert.Contains(t, text, "\n\nРасчёт №1 от ", "the calculation's number and date last: %q", text)
	assert.True(t, strings.HasSuffix(text, " МСК · "+c.ID[:8]), "%q", text)

	priceField, ok := f.demo.Products.Field("PRICE")
	require.True(t, ok)
	want := map[string][2]string{}
	for _, p := range q.Products() {
		want[p.SKU] = [2]string{p.Quantity.String(), strconv.FormatInt(priceField.ID, 10)}
	}
	assert.Equal(t, want, f.linkedProducts(lead.ID))
	require.Contains(t, want, "float-8")
	assert.Equal(t, "1.8", want["float-8"][0])

	// The product already in the catalog (float-8) was found, the others created with their
	// price in roubles.
	bySKU := map[string]amocrmtest.Element{}
	for _, e := range f.fake.Elements(f.demo.Products.ID) {
		bySKU[fieldOf(e, "SKU")] = e
	}
	assert.Equal(t, f.demo.ProductElements[0].ID, bySKU["float-8"].ID, "an element with the SKU is reused")
	for _, p := range q.Products() {
		e, ok := bySKU[p.SKU]
		require.True(t, ok, p.SKU)
		if p.SKU != "float-8" {
			assert.Equal(t, p.Name, e.Name)
			price, err := strconv.ParseFloat(fieldOf(e, "PRICE"), 64)
			require.NoError(t, err)
			assert.InDelta(t, float64(p.UnitPrice)/100, price, 0.001, p.SKU)
		}
	}

	// And in the request log: exactly one write of each kind.
	created := len(q.Products()) - 1
	require.Positive(t, created)
	assert.Equal(t, map[string]int{
		"PATCH /api/v4/leads/" + strconv.FormatInt(lead.ID, 10):              1,
		"POST /api/v4/leads/notes":                                           1,
		"POST /api/v4/leads/" + strconv.FormatInt(lead.ID, 10) + "/link":     1,
		fmt.Sprintf("POST /api/v4/catalogs/%d/elements", f.demo.Products.ID): 1,
	}, writes(f.fake.Requests()))
	id := strconv.FormatInt(lead.ID, 10)
	for _, r := range f.fake.Requests() {
		read := r.Method + " " + r.Path
		assert.NotContains(t, []string{"GET /api/v4/leads/" + id, "GET /api/v4/leads/notes", "GET /api/v4/leads/" + id + "/links"}, read,
			"a first save checks nothing at amoCRM before writing")
	}

	list, err := f.calcs.List(t.Context(), f.account, lead.ID, 0)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.True(t, list[0].Complete())
	assert.Equal(t, c.ID, list[0].ID)
}

func TestSaveRetryWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[2]
	a, first := f.save(lead.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	notes := len(f.fake.Notes("leads", lead.ID))

	f.fake.ResetRequests()
	// The same key with upper-case hex is the same key.
	a, again := f.save(lead.ID, "0B6E4F1A-3C2D-4E5F-8A9B-0C1D2E3F4A5B", fxOrder)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, first.Calculation, again.Calculation, "the first result, unchanged")
	assert.Empty(t, f.fake.Requests(), "a retry of a complete save sends nothing to amoCRM")
	assert.Len(t, f.fake.Notes("leads", lead.ID), notes)

	// A new key is a new calculation.
	a, other := f.save(lead.ID, fxKey2, fxOrder)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.NotEqual(t, first.Calculation.ID, other.Calculation.ID)
	assert.Len(t, f.fake.Notes("leads", lead.ID), notes+1)
}

func TestSavePartialFailureThenRetryCompletes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[3] // no price yet
	id := strconv.FormatInt(lead.ID, 10)
	notes := len(f.fake.Notes("leads", lead.ID))
	f.fake.FailNext(1, http.MethodPost, "/api/v4/leads/notes", amocrmtest.Fault{Status: http.StatusInternalServerError})
	f.fake.ResetRequests()

	a, s := f.save(lead.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusBadGateway, a.status, "%s", a.body)
	require.NotNil(t, s.Error)
	assert.Equal(t, calculator.CodePartialSave, s.Error.Code)
	assert.Contains(t, s.Error.Message, "примечание")
	assert.False(t, s.Calculation.Complete)
	assert.Equal(t, calculator.Parts{Price: calculator.PartDone, Note: calculator.PartFailed, Products: calculator.PartDone}, s.Calculation.Parts)
	got, _ := f.fake.Lead(lead.ID)
	assert.Equal(t, int64(17204), got.Price)
	assert.Len(t, f.fake.Notes("leads", lead.ID), notes, "the note was refused")
	assert.Equal(t, 1, writes(f.fake.Requests())["PATCH /api/v4/leads/"+id])

	f.fake.ResetRequests()
	a, retry := f.save(lead.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.True(t, retry.Calculation.Complete)
	assert.Equal(t, s.Calculation.ID, retry.Calculation.ID)
	assert.Equal(t, map[string]int{"POST /api/v4/leads/notes": 1}, writes(f.fake.Requests()),
		"the retry writes the note only: the price is not written twice, the products not linked again")
	require.Len(t, f.fake.Notes("leads", lead.ID), notes+1)
	assert.Equal(t, s.Calculation.noteText(t, quoteOf(t, fxOrder)), f.fake.Notes("leads", lead.ID)[notes].Params["text"])

	f.fake.ResetRequests()
	a, _ = f.save(lead.ID, fxKey1, fxOrder)
	assert.Equal(t, http.StatusOK, a.status)
	assert.Empty(t, f.fake.Requests())
}

func TestSaveRetryWhoseCheckFailsWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[3]
	notes := len(f.fake.Notes("leads", lead.ID))
	f.fake.FailNext(1, http.MethodPost, "/api/v4/leads/notes", amocrmtest.Fault{Status: http.StatusInternalServerError})
	a, first := f.save(lead.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusBadGateway, a.status, "%s", a.body)
	require.Equal(t, calculator.PartFailed, first.Calculation.Parts.Note)

	// The retry cannot read the lead's notes, so it cannot know whether amoCRM has the note: it
	// writes nothing and reports the note failed again.
	f.fake.FailNext(1, http.MethodGet, "/api/v4/leads/notes", amocrmtest.Fault{Status: http.StatusServiceUnavailable})
	f.fake.ResetRequests()
	a, retry := f.save(lead.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusBadGateway, a.status, "%s", a.body)
	assert.Equal(t, calculator.Parts{Price: calculator.PartDone, Note: calculator.PartFailed, Products: calculator.PartDone}, retry.Calculation.Parts)
	require.NotNil(t, retry.Error)
	assert.Contains(t, retry.Error.Message, "примечание")
	assert.Empty(t, writes(f.fake.Requests()), "no write without knowing")
	assert.Len(t, f.fake.Notes("leads", lead.ID), notes)

	// The next retry reads the notes, finds none of the calculation, and adds it once.
	f.fake.ResetRequests()
	a, done := f.save(lead.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.True(t, done.Calculation.Complete)
	assert.Equal(t, map[string]int{"POST /api/v4/leads/notes": 1}, writes(f.fake.Requests()))
	reads := 0
	for _, r := range f.fake.Requests() {
		if r.Method == http.MethodGet && r.Path == "/api/v4/leads/notes" {
			reads++
		}
	}
	assert.Equal(t, 1, reads, "one read of the notes before writing the note")
	require.Len(t, f.fake.Notes("leads", lead.ID), notes+1)
	assert.Equal(t, first.Calculation.noteText(t, quoteOf(t, fxOrder)),
		f.fake.Notes("leads", lead.ID)[notes].Params["text"])
}

func TestSaveEveryPartFailing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[1]
	f.fake.FailNext(100, "", "/api/v4/*", amocrmtest.Fault{Status: http.StatusBadGateway})
	a, s := f.save(lead.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusBadGateway, a.status, "%s", a.body)
	assert.Equal(t, calculator.CodePartialSave, s.Error.Code)
	assert.Equal(t, calculator.Parts{Price: calculator.PartFailed, Note: calculator.PartFailed, Products: calculator.PartFailed}, s.Calculation.Parts)

	f.fake.ResetFaults()
	a, s = f.save(lead.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.True(t, s.Calculation.Complete)
	got, _ := f.fake.Lead(lead.ID)
	assert.Equal(t, int64(17204), got.Price)
	assert.Len(t, f.linkedProducts(lead.ID), len(quoteOf(t, fxOrder).Products()))
}

func TestSaveQuotesOnTheServer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[1]
	// A browser that sends its own (wrong) price finds it ignored... and refused, since the
	// order format has no such field.
	a, _ := f.save(lead.ID, fxKey1, `{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1}],"lead_price":1}`)
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, calculator.CodeInvalidOrder, a.errorCode(t))

	a, s := f.save(lead.ID, fxKey1, `{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1}]}`)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, int64(4140), s.Calculation.Quote.LeadPrice, "1.8 m² × 2 300 ₽")
	got, _ := f.fake.Lead(lead.ID)
	assert.Equal(t, int64(4140), got.Price)
}

func TestSaveRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[1].ID
	f.fake.ResetRequests()

	for _, key := range []string{"", "not-a-uuid", "0b6e4f1a3c2d4e5f8a9b0c1d2e3f4a5b", "0b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5g"} {
		a, _ := f.save(lead, key, fxOrder)
		assert.Equal(t, http.StatusUnprocessableEntity, a.status, key)
		var e struct {
			Error struct {
				Code   string `json:"code"`
				Fields []struct{ Path, Message string }
			} `json:"error"`
		}
		a.decode(t, &e)
		assert.Equal(t, widget.CodeInvalidRequest, e.Error.Code)
		require.Len(t, e.Error.Fields, 1)
		assert.Equal(t, "idempotency_key", e.Error.Fields[0].Path)
	}

	a := f.do(http.MethodPost, "/widget/api", `{"action":"save_calculation","idempotency_key":"`+fxKey1+`"}`, "Authorization", "Bearer "+f.ticket(lead))
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, calculator.CodeInvalidOrder, a.errorCode(t))

	// No ticket, or a ticket for another lead named in X-Lead-Id.
	a = f.do(http.MethodPost, "/widget/api", `{"action":"save_calculation","idempotency_key":"`+fxKey1+`","order":`+fxOrder+`}`)
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.Equal(t, widget.CodeTicketMissing, a.errorCode(t))
	a, _ = f.save(lead, fxKey1, fxOrder, "X-Lead-Id", strconv.FormatInt(lead+1, 10))
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, widget.CodeTicketMismatch, a.errorCode(t))
	a, _ = f.save(lead, fxKey1, fxOrder, "X-Account-Domain", "other.amocrm.ru")
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, widget.CodeTicketMismatch, a.errorCode(t))
	// The admin token is not a ticket.
	a = f.do(http.MethodPost, "/widget/api", `{"action":"save_calculation","idempotency_key":"`+fxKey1+`","order":`+fxOrder+`}`, "Authorization", "Bearer "+fxAdminToken)
	assert.Equal(t, http.StatusUnauthorized, a.status)

	assert.Empty(t, writes(f.fake.Requests()), "nothing refused reached amoCRM")
}

func TestSaveSameKeyOtherOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[1].ID
	a, _ := f.save(lead, fxKey1, fxOrder)
	require.Equal(t, http.StatusOK, a.status)
	f.fake.ResetRequests()
	a, _ = f.save(lead, fxKey1, `{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":2}]}`)
	assert.Equal(t, http.StatusConflict, a.status)
	assert.Equal(t, calculator.CodeIdempotencyReused, a.errorCode(t))
	assert.Empty(t, f.fake.Requests())

	// The same key on another lead is another calculation.
	a, _ = f.save(f.demo.Leads[2].ID, fxKey1, `{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":2}]}`)
	assert.Equal(t, http.StatusOK, a.status, "%s", a.body)
}

func TestSaveNotConnected(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{disconnected: true})
	a, _ := f.save(f.demo.Leads[0].ID, fxKey1, fxOrder)
	assert.Equal(t, http.StatusConflict, a.status)
	assert.Equal(t, widget.CodeNotConnected, a.errorCode(t))
	assert.Empty(t, writes(f.fake.Requests()))
	list, err := f.calcs.List(t.Context(), f.account, f.demo.Leads[0].ID, 0)
	require.NoError(t, err)
	assert.Empty(t, list, "nothing is recorded for an account that cannot be written")
}

func TestListCalculations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[1].ID
	path := "/widget/leads/" + strconv.FormatInt(lead, 10) + "/calculations"
	auth := "Bearer " + f.ticket(lead)

	a := f.do(http.MethodGet, path, "", "Authorization", auth)
	require.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `{"calculations":[]}`, string(a.body))

	_, first := f.save(lead, fxKey1, fxOrder)
	f.fake.FailNext(1, http.MethodPost, "/api/v4/leads/notes", amocrmtest.Fault{Status: http.StatusInternalServerError})
	small := `{"pieces":[{"material":"mirror","thickness_mm":4,"width_mm":600,"height_mm":1600,"quantity":1}]}`
	_, second := f.save(lead, fxKey2, small)

	a = f.do(http.MethodGet, path, "", "Authorization", auth)
	require.Equal(t, http.StatusOK, a.status)
	var list struct {
		Calculations []savedCalculation `json:"calculations"`
	}
	a.decode(t, &list)
	require.Len(t, list.Calculations, 2)
	newest, oldest := list.Calculations[0], list.Calculations[1]
	assert.Equal(t, second.Calculation.ID, newest.ID)
	assert.Equal(t, first.Calculation.ID, oldest.ID)
	assert.False(t, newest.Complete)
	assert.Equal(t, calculator.PartFailed, newest.Parts.Note)
	assert.Equal(t, "mirror", newest.Order.Pieces[0].Material)
	assert.Equal(t, f.demo.Manager.ID, newest.UserID)
	assert.True(t, oldest.Complete)
	assert.Equal(t, int64(17204), oldest.Quote.LeadPrice)
	assert.Equal(t, glass.EdgePolish, oldest.Order.Pieces[0].Edge)
	assert.NotEmpty(t, oldest.CreatedAt)

	// Another lead's calculations need that lead's ticket.
	other := "/widget/leads/" + strconv.FormatInt(f.demo.Leads[2].ID, 10) + "/calculations"
	a = f.do(http.MethodGet, other, "", "Authorization", auth)
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, widget.CodeTicketMismatch, a.errorCode(t))
	a = f.do(http.MethodGet, path, "")
	assert.Equal(t, http.StatusUnauthorized, a.status)
}

// gateCRM is a CRM that counts its writes and, while gate is open (not closed), holds every
// SetLeadPrice until gate is closed.
type gateCRM struct {
	gate chan struct{}

	mu    sync.Mutex
	calls map[string]int
}

func newGateCRM() *gateCRM { return &gateCRM{gate: make(chan struct{}), calls: map[string]int{}} }

func (c *gateCRM) count(what string) {
	c.mu.Lock()
	c.calls[what]++
	c.mu.Unlock()
}

func (c *gateCRM) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.calls)
}

func (c *gateCRM) Lead(ctx context.Context, id int64) (calculator.LeadCard, error) {
	return calculator.LeadCard{ID: id}, nil
}

func (c *gateCRM) SetLeadPrice(ctx context.Context, leadID, price int64) error {
	c.count("price")
	select {
	case <-c.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *gateCRM) AddNote(ctx context.Context, leadID int64, text string) error {
	c.count("note")
	return nil
}

func (c *gateCRM) AttachProducts(ctx context.Context, leadID int64, products []glass.Product) error {
	c.count("products")
	return nil
}

const bareAccount = "acme.amocrm.ru"

// bareHandler is the backend without HTTP or amoCRM, for tests in a synctest bubble.
func bareHandler(t *testing.T, crm calculator.CRM, calcs calculator.CalculationStore) http.Handler {
	t.Helper()
	states, err := oauth.NewStates([]byte("state-key-0123456789abcdef-0123456789"), 0)
	require.NoError(t, err)
	h, err := calculator.NewHandler(calculator.Config{
		Config: widget.Config{
			PublicURL:   "https://calc.example.com",
			TicketKey:   fxTicketKey,
			OAuth:       oauth.Config{RedirectURL: "https://calc.example.com/oauth/callback"},
			States:      states,
			Connections: tokenstore.NewMemory(),
			Page:        http.NotFoundHandler(),
		},
		Calculations: calcs,
		PriceList:    glass.DefaultPriceList(),
		CRMFor:       func(ctx context.Context, account string) (calculator.CRM, error) { return crm, nil },
	})
	require.NoError(t, err)
	return h
}

// bareSave runs one save_calculation of fxOrder through h and returns the recorder.
func bareSave(t *testing.T, ctx context.Context, h http.Handler, key string) *httptest.ResponseRecorder {
	signer, err := widget.NewTicketSigner(fxTicketKey)
	require.NoError(t, err)
	ticket := signer.Sign(widget.Ticket{Account: bareAccount, AccountID: 1, UserID: 2, LeadID: 3})
	body := `{"action":"save_calculation","idempotency_key":"` + key + `","order":` + fxOrder + `}`
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/widget/api", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+ticket)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func calculationID(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var s saveAnswer
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &s), w.Body.String())
	return s.Calculation.ID
}

func TestSaveSameKeyConcurrentlyWritesOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		crm := newGateCRM()
		h := bareHandler(t, crm, calculator.NewMemoryCalculations())
		var first, second *httptest.ResponseRecorder
		var wg sync.WaitGroup
		wg.Go(func() { first = bareSave(t, t.Context(), h, fxKey1) })
		synctest.Wait() // the first save waits in SetLeadPrice
		wg.Go(func() { second = bareSave(t, t.Context(), h, fxKey1) })
		synctest.Wait() // the second waits for the first: it has written nothing
		assert.Equal(t, map[string]int{"price": 1, "note": 1, "products": 1}, crm.counts())

		close(crm.gate)
		wg.Wait()
		require.Equal(t, http.StatusOK, first.Code, first.Body.String())
		require.Equal(t, http.StatusOK, second.Code, second.Body.String())
		assert.Equal(t, calculationID(t, first), calculationID(t, second), "the second answers the first's result")
		assert.Equal(t, map[string]int{"price": 1, "note": 1, "products": 1}, crm.counts())
	})
}

func TestSaveSameKeyOnTwoReplicas(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		crm := newGateCRM()
		shared := calculator.NewMemoryCalculations() // the store both replicas use
		replicaA, replicaB := bareHandler(t, crm, shared), bareHandler(t, crm, shared)

		var first *httptest.ResponseRecorder
		var wg sync.WaitGroup
		wg.Go(func() { first = bareSave(t, t.Context(), replicaA, fxKey1) })
		synctest.Wait()
		second := bareSave(t, t.Context(), replicaB, fxKey1)
		assert.Equal(t, http.StatusConflict, second.Code, second.Body.String())
		assert.Contains(t, second.Body.String(), calculator.CodeSaveInProgress)
		assert.Equal(t, 1, crm.counts()["price"])

		close(crm.gate)
		wg.Wait()
		require.Equal(t, http.StatusOK, first.Code)
		again := bareSave(t, t.Context(), replicaB, fxKey1)
		require.Equal(t, http.StatusOK, again.Code, again.Body.String())
		assert.Equal(t, calculationID(t, first), calculationID(t, again))
		assert.Equal(t, map[string]int{"price": 1, "note": 1, "products": 1}, crm.counts())
	})
}

// TestSaveAfterADeadReplicaWaitsOnlyForItsShortLease: a replica that dies in the middle of a
// save (its goroutines never run again) holds the calculation only until its lease, renewed while
// it lived, runs out; the refusal meanwhile says how long to wait, and waiting that long is
// enough.
func TestSaveAfterADeadReplicaWaitsOnlyForItsShortLease(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		shared := calculator.NewMemoryCalculations()
		dying := &freezableStore{CalculationStore: shared, thaw: make(chan struct{})}
		crmA := newGateCRM() // replica A's writes hang until it dies
		replicaA := bareHandler(t, crmA, dying)
		crmB := newGateCRM()
		close(crmB.gate)
		replicaB := bareHandler(t, crmB, shared)

		var wg sync.WaitGroup
		wg.Go(func() { bareSave(t, t.Context(), replicaA, fxKey1) })
		synctest.Wait()
		time.Sleep(3 * calculator.SaveLease) // A renews its lease while it writes
		w := bareSave(t, t.Context(), replicaB, fxKey1)
		require.Equal(t, http.StatusConflict, w.Code, "A is alive and holds the save")

		dying.freeze() // A dies: it renews nothing any more
		w = bareSave(t, t.Context(), replicaB, fxKey1)
		require.Equal(t, http.StatusConflict, w.Code, w.Body.String())
		wait, err := strconv.Atoi(w.Header().Get("Retry-After"))
		require.NoError(t, err, "Retry-After in seconds")
		assert.LessOrEqual(t, wait, int(calculator.SaveLease/time.Second))
		assert.Contains(t, w.Body.String(), "повторите через "+strconv.Itoa(wait)+" с", "the message says the same wait")
		assert.Empty(t, crmB.counts())

		time.Sleep(time.Duration(wait) * time.Second)
		w = bareSave(t, t.Context(), replicaB, fxKey1)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, map[string]int{"price": 1}, crmB.counts(), "B writes only what A never recorded: A's note and products are done")

		close(dying.thaw) // let A's stuck goroutines end with the test
		close(crmA.gate)
		wg.Wait()
	})
}

// freezableStore stands for the store as a replica sees it: once frozen, every call of the
// replica blocks until thaw is closed, as if its process had died.
type freezableStore struct {
	calculator.CalculationStore
	frozen atomic.Bool
	thaw   chan struct{}
}

func (f *freezableStore) freeze() { f.frozen.Store(true) }

func (f *freezableStore) wait() {
	if f.frozen.Load() {
		<-f.thaw
	}
}

func (f *freezableStore) Extend(ctx context.Context, key calculator.CalculationKey, lease string, now, until time.Time) error {
	f.wait()
	return f.CalculationStore.Extend(ctx, key, lease, now, until)
}

func (f *freezableStore) SetPart(ctx context.Context, key calculator.CalculationKey, lease string, part calculator.Part, status calculator.PartStatus) error {
	f.wait()
	return f.CalculationStore.SetPart(ctx, key, lease, part, status)
}

func (f *freezableStore) Release(ctx context.Context, key calculator.CalculationKey, lease string) error {
	f.wait()
	return f.CalculationStore.Release(ctx, key, lease)
}

func TestSaveOutlivesTheBrowser(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		crm := newGateCRM()
		h := bareHandler(t, crm, calculator.NewMemoryCalculations())
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { bareSave(t, ctx, h, fxKey1) })
		synctest.Wait()
		cancel() // the browser goes away while the price is being written
		synctest.Wait()
		close(crm.gate)
		wg.Wait()

		w := bareSave(t, t.Context(), h, fxKey1)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, map[string]int{"price": 1, "note": 1, "products": 1}, crm.counts(),
			"the writes finished and were recorded although nobody waited for them")
	})
}

func TestSaveTimesOutAsAFailedPart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		crm := newGateCRM() // never opens: SetLeadPrice runs into the save timeout
		h := bareHandler(t, crm, calculator.NewMemoryCalculations())
		w := bareSave(t, t.Context(), h, fxKey1)
		require.Equal(t, http.StatusBadGateway, w.Code, w.Body.String())
		var s saveAnswer
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &s))
		assert.Equal(t, calculator.Parts{Price: calculator.PartFailed, Note: calculator.PartDone, Products: calculator.PartDone}, s.Calculation.Parts)
	})
}
