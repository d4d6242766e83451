package amocrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// batchItem is what the test servers read from a batch body.
type batchItem struct {
	RequestID string `json:"request_id"`
	ID        int64  `json:"id"`
	Name      string `json:"name"`
}

// leadNumber returns n for a lead named "lead-n".
func leadNumber(t *testing.T, name string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(name, "lead-"))
	assert.NoError(t, err, name)
	return n
}

func numberedLeads(n int) []CreateLeadRequest {
	leads := make([]CreateLeadRequest, n)
	for i := range leads {
		leads[i] = CreateLeadRequest{Name: fmt.Sprintf("lead-%d", i), Price: int64(i)}
	}
	return leads
}

func TestBatch1234LeadsIn25RequestsWith13thFailing(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var (
		mu    sync.Mutex
		sizes []int
	)
	mux.HandleFunc("POST /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		items := testJSONBody[[]batchItem](t, r)
		mu.Lock()
		sizes = append(sizes, len(items))
		n := len(sizes)
		mu.Unlock()
		for j, it := range items {
			assert.Equal(t, strconv.Itoa(j), it.RequestID, "request_id is the index within the request")
		}
		if n == 13 {
			// request_id once as a string and once as a number, as amoCRM varies.
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"title":"Bad Request","status":400,"detail":"Request validation failed","validation-errors":[
				{"request_id":"3","errors":[{"code":"NotSupportedChoice","path":"custom_fields_values.0.field_id","detail":"bad choice"}]},
				{"request_id":17,"errors":[{"code":"InvalidType","path":"price","detail":"not an int"},{"code":"TooLong","path":"name","detail":"too long"}]}]}`)
			return
		}
		// Answer in reverse order, so that only request_id can map the answers back.
		answers := make([]map[string]any, 0, len(items))
		for j := len(items) - 1; j >= 0; j-- {
			var rid any = items[j].RequestID
			if n%2 == 0 {
				rid, _ = strconv.Atoi(items[j].RequestID)
			}
			answers = append(answers, map[string]any{"id": 1_000_000 + leadNumber(t, items[j].Name), "request_id": rid})
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"leads": answers}})
	})

	saved, err := c.Leads.Create(t.Context(), numberedLeads(1234))

	assert.Equal(t, append(slices.Repeat([]int{50}, 24), 34), sizes, "25 requests of at most 50, in order")
	var be *BatchError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, 1234, be.Total)
	want := make([]int, 0, 50)
	for i := 600; i < 650; i++ {
		want = append(want, i)
	}
	assert.Equal(t, want, be.Indexes(), "every item of the 13th request failed")
	for _, f := range be.Failed {
		var apiErr *Error
		require.ErrorAs(t, f.Err, &apiErr)
		assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
		switch f.Index {
		case 603:
			require.Len(t, f.ValidationErrors, 1)
			assert.Equal(t, "NotSupportedChoice", f.ValidationErrors[0].Code)
			assert.Equal(t, "custom_fields_values.0.field_id", f.ValidationErrors[0].Path)
		case 617:
			require.Len(t, f.ValidationErrors, 2)
			assert.Equal(t, "InvalidType", f.ValidationErrors[0].Code)
			assert.Equal(t, "TooLong", f.ValidationErrors[1].Code)
		default:
			assert.Empty(t, f.ValidationErrors, "item %d", f.Index)
		}
	}
	assert.Contains(t, be.Error(), "50 of 1234 items not saved; item 603: NotSupportedChoice at custom_fields_values.0.field_id: bad choice")

	require.Len(t, saved, 1234-50)
	for k, s := range saved {
		if k > 0 {
			assert.Less(t, saved[k-1].Index, s.Index, "ordered by index")
		}
		assert.Equal(t, int64(1_000_000+s.Index), s.ID, "saved %d mapped to its own item", s.Index)
		assert.False(t, s.Index >= 600 && s.Index < 650)
	}
}

func TestBatchFailedRequestsAreReportedAndLaterOnesStillGo(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithBatchSize(2))
	var (
		mu              sync.Mutex
		posts, patches  int
		patchedIDs      []int64
		postedFirstName []string
	)
	mux.HandleFunc("POST /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		items := testJSONBody[[]batchItem](t, r)
		mu.Lock()
		posts++
		n := posts
		postedFirstName = append(postedFirstName, items[0].Name)
		mu.Unlock()
		if n == 2 {
			http.Error(w, "<html><title>504 Gateway Time-out</title></html>", http.StatusGatewayTimeout)
			return
		}
		var answers []map[string]any
		for _, it := range items {
			answers = append(answers, map[string]any{"id": 500 + leadNumber(t, it.Name), "request_id": it.RequestID})
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"leads": answers}})
	})
	mux.HandleFunc("PATCH /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		items := testJSONBody[[]batchItem](t, r)
		mu.Lock()
		patches++
		n := patches
		for _, it := range items {
			patchedIDs = append(patchedIDs, it.ID)
		}
		mu.Unlock()
		if n == 1 {
			writeJSON(t, w, http.StatusInternalServerError, map[string]any{"title": "ErrInternalServer", "status": 500, "detail": "boom"})
			return
		}
		var answers []map[string]any
		for _, it := range items {
			answers = append(answers, map[string]any{"id": it.ID, "updated_at": 1700000000, "request_id": it.RequestID})
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"leads": answers}})
	})

	saved, err := c.Leads.Create(t.Context(), numberedLeads(5))
	var be *BatchError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, []int{2, 3}, be.Indexes(), "the 504 names the items it covered")
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusGatewayTimeout, apiErr.StatusCode)
	assert.Equal(t, []int{0, 1, 4}, indexesOf(saved))
	assert.Equal(t, []string{"lead-0", "lead-2", "lead-4"}, postedFirstName, "the request after the failure was sent, and a POST is never replayed")

	updates := []UpdateLeadRequest{{ID: 10, Name: new("a")}, {ID: 11, Name: new("b")}, {ID: 12, Name: new("c")}}
	saved, err = c.Leads.Update(t.Context(), updates)
	require.ErrorAs(t, err, &be)
	assert.Equal(t, []int{0, 1}, be.Indexes())
	assert.Equal(t, []int64{10, 11, 12}, patchedIDs, "a PATCH answered 500 is not replayed")
	require.Len(t, saved, 1)
	assert.Equal(t, Saved{Index: 2, ID: 12, UpdatedAt: Unix(1700000000)}, saved[0])
}

func indexesOf(saved []Saved) []int {
	out := make([]int, len(saved))
	for i, s := range saved {
		out[i] = s.Index
	}
	return out
}

func TestBatchUnconfirmedAndPositionalAnswers(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithBatchSize(3))
	mux.HandleFunc("POST /amo/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
		items := testJSONBody[[]batchItem](t, r)
		var answers []map[string]any
		switch items[0].Name {
		case "c0": // the answer forgets request_id "1" and adds one for no item
			answers = []map[string]any{{"id": 100, "request_id": "0"}, {"id": 102, "request_id": "2"}, {"id": 999, "request_id": "7"}, {"id": 998, "request_id": "0"}}
		case "c3": // no request_id at all, one answer per item: mapped by position
			answers = []map[string]any{{"id": 103}, {"id": 104}}
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"contacts": answers}})
	})
	reqs := []CreateContactRequest{{Name: "c0"}, {Name: "c1"}, {Name: "c2"}, {Name: "c3"}, {Name: "c4"}}
	saved, err := c.Contacts.Create(t.Context(), reqs)
	var be *BatchError
	require.ErrorAs(t, err, &be)
	require.Len(t, be.Failed, 1)
	assert.Equal(t, 1, be.Failed[0].Index)
	assert.ErrorIs(t, err, ErrNotConfirmed)
	assert.Equal(t, []Saved{{Index: 0, ID: 100}, {Index: 2, ID: 102}, {Index: 3, ID: 103}, {Index: 4, ID: 104}}, saved)
}

func TestBatchItemThatCannotBeEncodedFailsAlone(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var sent []int64
	mux.HandleFunc("PATCH /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		items := testJSONBody[[]batchItem](t, r)
		var answers []map[string]any
		for _, it := range items {
			sent = append(sent, it.ID)
			answers = append(answers, map[string]any{"id": it.ID, "request_id": it.RequestID})
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"leads": answers}})
	})
	updates := []UpdateLeadRequest{
		{ID: 1, Name: new("ok")},
		{Name: new("no id")},
		{ID: 3, CustomFieldsValues: []CustomFieldInput{FieldByID(5, DecimalValue("12,5"))}},
		{ID: 4, Price: new(int64(0))},
	}
	saved, err := c.Leads.Update(t.Context(), updates)
	var be *BatchError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, []int{1, 2}, be.Indexes())
	assert.ErrorContains(t, be.Failed[0].Err, "item 1: amocrm: lead update without a valid ID")
	assert.ErrorContains(t, be.Failed[1].Err, `"12,5" is not a decimal number`)
	assert.Equal(t, []int64{1, 4}, sent)
	assert.Equal(t, []Saved{{Index: 0, ID: 1}, {Index: 3, ID: 4}}, saved)
}

// cancelingSource hands out tokens and cancels a context when asked for its n-th token, that is
// when the n-th request is about to go.
type cancelingSource struct {
	mu     sync.Mutex
	calls  int
	n      int
	cancel context.CancelFunc
}

func (s *cancelingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls == s.n {
		s.cancel()
	}
	return &oauth2.Token{AccessToken: testToken}, nil
}

func TestBatchStopsSendingWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c, mux := setup(t, WithBatchSize(2), WithTokenSource(&cancelingSource{n: 2, cancel: cancel}))
	requests := 0
	mux.HandleFunc("POST /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		items := testJSONBody[[]batchItem](t, r)
		requests++
		var answers []map[string]any
		for _, it := range items {
			answers = append(answers, map[string]any{"id": 1 + leadNumber(t, it.Name), "request_id": it.RequestID})
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"leads": answers}})
	})
	saved, err := c.Leads.Create(ctx, numberedLeads(5))
	assert.Equal(t, 1, requests)
	assert.Equal(t, []int{0, 1}, indexesOf(saved))
	var be *BatchError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, []int{2, 3, 4}, be.Indexes(), "nothing unsent is dropped silently")
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, be.Failed[2].Err, ErrNotSent)
	assert.ErrorIs(t, be.Failed[2].Err, context.Canceled)
}

func TestBatchStopsAfterAFailureEveryRequestWouldShare(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t, WithBatchSize(2), WithRetry(RetryPolicy{Attempts: 1}))
			requests := 0
			mux.HandleFunc("PATCH /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
				requests++
				w.WriteHeader(status)
			})
			updates := []UpdateLeadRequest{{ID: 1, Name: new("a")}, {ID: 2, Name: new("b")}, {ID: 3, Name: new("c")}, {ID: 4, Name: new("d")}, {ID: 5, Name: new("e")}}
			saved, err := c.Leads.Update(t.Context(), updates)
			assert.Empty(t, saved)
			assert.Equal(t, 1, requests, "no more requests once amoCRM refuses them all")
			var be *BatchError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, []int{0, 1, 2, 3, 4}, be.Indexes())
			assert.NotErrorIs(t, be.Failed[0].Err, ErrNotSent, "the first request was sent")
			for _, f := range be.Failed[2:] {
				assert.ErrorIs(t, f.Err, ErrNotSent)
				var apiErr *Error
				require.ErrorAs(t, f.Err, &apiErr, "the cause is kept")
				assert.Equal(t, status, apiErr.StatusCode)
			}
		})
	}
}

func TestBatchEmptyInputSendsNothing(t *testing.T) {
	t.Parallel()
	c, _ := setup(t) // no handlers: any request would fail
	saved, err := c.Leads.Create(t.Context(), nil)
	assert.NoError(t, err)
	assert.Empty(t, saved)
}

func TestWithBatchSize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, -1, MaxBatchSize + 1} {
		_, err := New("acme.amocrm.ru", WithAccessToken("x"), WithBatchSize(n))
		assert.Error(t, err, n)
	}
	c, err := New("acme.amocrm.ru", WithAccessToken("x"), WithBatchSize(MaxBatchSize))
	require.NoError(t, err)
	assert.Equal(t, MaxBatchSize, c.batchSize)
	c, err = New("acme.amocrm.ru", WithAccessToken("x"))
	require.NoError(t, err)
	assert.Equal(t, DefaultBatchSize, c.batchSize)
}

func TestWithRequestID(t *testing.T) {
	t.Parallel()
	assert.JSONEq(t, `{"request_id":"0"}`, string(withRequestID([]byte(`{}`), 0)))
	assert.JSONEq(t, `{"request_id":"12","name":"x","n":{"a":1}}`, string(withRequestID([]byte(`{"name":"x","n":{"a":1}}`), 12)))
	assert.JSONEq(t, `{"request_id":"3"}`, string(withRequestID([]byte(`{ }`), 3)))
}

func TestRequestIDsDecode(t *testing.T) {
	t.Parallel()
	cases := map[string]requestIDs{
		`"3"`:      {"3"},
		`3`:        {"3"},
		`["3"]`:    {"3"},
		`[3, "4"]`: {"3", "4"},
		`null`:     nil,
		`""`:       nil,
	}
	for in, want := range cases {
		var got requestIDs
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		assert.Equal(t, want, got, in)
	}
	var got requestIDs
	assert.Error(t, json.Unmarshal([]byte(`{}`), &got))
	assert.Equal(t, -1, requestIndex(requestIDs{"5"}, 5))
	assert.Equal(t, -1, requestIndex(requestIDs{"x"}, 5))
	assert.Equal(t, 4, requestIndex(requestIDs{" 4 "}, 5))
}

func TestBatchErrorUnwrapsDistinctCauses(t *testing.T) {
	t.Parallel()
	reqErr := &Error{StatusCode: http.StatusTooManyRequests}
	be := &BatchError{Total: 4, Failed: []BatchItemError{
		{Index: 0, Err: reqErr}, {Index: 1, Err: reqErr}, {Index: 3, Err: ErrNotConfirmed},
	}}
	assert.Len(t, be.Unwrap(), 2)
	assert.ErrorIs(t, be, ErrRateLimited)
	assert.ErrorIs(t, be, ErrNotConfirmed)
	assert.NotErrorIs(t, be, ErrNotFound)
	assert.Equal(t, "amocrm: 3 of 4 items not saved; item 0: 429 Too Many Requests", be.Error())
	assert.True(t, errors.Is(error(be), ErrRateLimited))
}

func TestComplexCreateMapsEveryMergedRequestID(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/leads/complex", func(w http.ResponseWriter, r *http.Request) {
		serveFixture(t, c, w, http.StatusOK, "leads_complex_merged.json")
	})
	contact := func(name string) *CreateContactRequest { return &CreateContactRequest{Name: name} }
	res, err := c.Leads.CreateComplex(t.Context(), []ComplexLeadRequest{
		{Lead: CreateLeadRequest{Name: "a"}, Contact: contact("Ann")},
		{Lead: CreateLeadRequest{Name: "a again"}, Contact: contact("Ann")},
		{Lead: CreateLeadRequest{Name: "b"}, Contact: contact("Bob")},
	})
	require.NoError(t, err, "the item merged into another is saved, not unconfirmed")
	assert.Equal(t, []ComplexLeadResult{
		{Index: 0, ID: 3284201, ContactID: 11080921, Merged: true},
		{Index: 1, ID: 3284201, ContactID: 11080921, Merged: true},
		{Index: 2, ID: 3284203, ContactID: 11080923},
	}, res)
}

func TestUpdateMatchesAnswersByTheIDsSent(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("PATCH /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		serveFixture(t, c, w, http.StatusOK, "leads_update_request_ids_lost.json")
	})
	name := "x"
	saved, err := c.Leads.Update(t.Context(), []UpdateLeadRequest{{ID: 701, Name: &name}, {ID: 702, Name: &name}, {ID: 703, Name: &name}})
	require.NoError(t, err)
	assert.Equal(t, []Saved{
		{Index: 0, ID: 701, UpdatedAt: Unix(1590756877)},
		{Index: 1, ID: 702, UpdatedAt: Unix(1590756876)},
		{Index: 2, ID: 703, UpdatedAt: Unix(1590756878)},
	}, saved)
}

func TestUpdateOfOneEntityTwiceFallsBackToRequestIDs(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("PATCH /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"_embedded":{"leads":[{"id":9,"updated_at":2,"request_id":"1"},{"id":9,"updated_at":1,"request_id":"0"}]}}`))
	})
	a, b := "a", "b"
	saved, err := c.Leads.Update(t.Context(), []UpdateLeadRequest{{ID: 9, Name: &a}, {ID: 9, Name: &b}})
	require.NoError(t, err)
	assert.Equal(t, []Saved{{Index: 0, ID: 9, UpdatedAt: Unix(1)}, {Index: 1, ID: 9, UpdatedAt: Unix(2)}}, saved)
}

func TestResendPicksTheItemsNotRefused(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithBatchSize(3))
	var calls atomic.Int32
	mux.HandleFunc("POST /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1: // items 0..2: item 1 is invalid, 0 and 2 go down with it
			serveFixture(t, c, w, http.StatusBadRequest, "error_validation.json")
		case 2: // items 3..5: a 500 (POST is not retried on 5xx)
			w.WriteHeader(http.StatusInternalServerError)
		default: // items 6..7: 7 is not in the answer
			w.Write([]byte(`{"_embedded":{"leads":[{"id":106,"request_id":"0"}]}}`))
		}
	})
	leads := make([]CreateLeadRequest, 9)
	for i := range leads {
		leads[i] = CreateLeadRequest{Name: strconv.Itoa(i)}
	}
	leads[8].Tags = []TagRef{{}} // cannot be encoded: refused before sending
	saved, err := c.Leads.Create(t.Context(), leads)
	require.Len(t, saved, 1)
	var be *BatchError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, []int{0, 2, 3, 4, 5, 7}, be.Resendable())
	again, idx := Resend(err, leads)
	assert.Equal(t, []int{0, 2, 3, 4, 5, 7}, idx)
	require.Len(t, again, 6)
	assert.Equal(t, "7", again[5].Name)

	none, idx := Resend(errors.New("not a batch"), leads)
	assert.Nil(t, none)
	assert.Nil(t, idx)

	refused := &BatchError{Total: 3, Failed: []BatchItemError{
		{Index: 0, Err: &Error{StatusCode: http.StatusUnauthorized}},
		{Index: 1, Err: &Error{StatusCode: http.StatusBadRequest, Detail: "Request data can not be empty"}},
		{Index: 2, Err: fmt.Errorf("%w: %w", ErrNotSent, context.Canceled)},
	}}
	assert.Equal(t, []int{2}, refused.Resendable())
}
