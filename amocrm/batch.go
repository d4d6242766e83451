package amocrm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// MaxBatchSize is the most items amoCRM takes in one write request
// (docs/amocrm-reference.md#batch-limits).
const MaxBatchSize = 250

// maxComplexBatch is the most leads one complex create takes (docs/amocrm-reference.md#batch-limits).
const maxComplexBatch = 50

// WithBatchSize sets how many items each write request carries when Create and Update split a
// slice: 1 to MaxBatchSize. The default, DefaultBatchSize, is amoCRM's recommendation; lower it
// when amoCRM answers 504 to heavy batches. Complex lead creation never sends more than 50.
func WithBatchSize(n int) Option {
	return func(o *options) error {
		if n < 1 || n > MaxBatchSize {
			return fmt.Errorf("amocrm: WithBatchSize: %d is not in 1..%d", n, MaxBatchSize)
		}
		o.batchSize = n
		return nil
	}
}

// Saved is amoCRM's confirmation of one item of a write.
type Saved struct {
	// Index is the item's position in the slice given to Create or Update.
	Index int
	// ID is the id of the created or updated entity.
	ID int64
	// EntityID is, for notes, the id of the lead, contact or company the note belongs to.
	EntityID int64
	// UpdatedAt is the entity's update time, when the answer carries it (updates always do).
	UpdatedAt Timestamp
}

// ErrNotConfirmed is the error of a batch item that amoCRM's answer to a successful request did not
// mention: the item may or may not have been saved.
var ErrNotConfirmed = errors.New("amocrm: the answer did not confirm this item")

// ErrNotSent is the error of a batch item that was never sent: the context ended, or an earlier
// request of the same batch failed in a way every later one would too (401, 402, 403 or a 429
// that outlasted the retries), so sending more would only add to amoCRM's count of refused
// requests. The item's error also wraps that cause.
var ErrNotSent = errors.New("amocrm: not sent")

// BatchError reports the items of a Create or Update that were not saved, while the results
// returned next to it cover the ones that were. Every item given is either among the results or
// in Failed. Read it with errors.As; errors.Is sees through it to the errors of the failed requests
// (ErrRateLimited, context.Canceled, ErrNotConfirmed, …).
//
// amoCRM refuses a request as a whole, so when one item is invalid every item of its request is in
// Failed; only the invalid ones carry ValidationErrors. A request that failed without an answer,
// such as a 504, may still have saved some of its items: check before sending them again.
type BatchError struct {
	// Total is the number of items given.
	Total int
	// Failed lists the items not saved, ordered by Index.
	Failed []BatchItemError
}

// BatchItemError is one item that was not saved.
type BatchItemError struct {
	// Index is the item's position in the slice given to Create or Update.
	Index int
	// ValidationErrors are the problems amoCRM found with this very item, if it named any.
	ValidationErrors []ValidationError
	// Err is why the item was not saved: the *Error of its request (shared by every item of that
	// request), a transport or context error, an encoding error for this item, ErrNotConfirmed or
	// ErrNotSent.
	Err error
}

// Indexes returns the positions of the failed items in the caller's slice.
func (e *BatchError) Indexes() []int {
	idx := make([]int, len(e.Failed))
	for i, f := range e.Failed {
		idx[i] = f.Index
	}
	return idx
}

// Error summarises the failure, quoting the first item that amoCRM found invalid (or else the
// first failed item).
func (e *BatchError) Error() string {
	if len(e.Failed) == 0 {
		return "amocrm: batch: no failures"
	}
	first := e.Failed[0]
	for _, f := range e.Failed {
		if len(f.ValidationErrors) > 0 {
			first = f
			break
		}
	}
	var why string
	switch {
	case len(first.ValidationErrors) > 0:
		why = first.ValidationErrors[0].String()
		if n := len(first.ValidationErrors); n > 1 {
			why += fmt.Sprintf(" (and %d more)", n-1)
		}
	case first.Err != nil:
		why = strings.TrimPrefix(first.Err.Error(), "amocrm: ")
	}
	return fmt.Sprintf("amocrm: %d of %d items not saved; item %d: %s", len(e.Failed), e.Total, first.Index, why)
}

// Unwrap returns the distinct errors behind the failures, for errors.Is and errors.As.
func (e *BatchError) Unwrap() []error {
	var errs []error
	for _, f := range e.Failed {
		if f.Err != nil && !slices.Contains(errs, f.Err) {
			errs = append(errs, f.Err)
		}
	}
	return errs
}

// encodingError is an item the client could not encode: it was refused before sending.
type encodingError struct{ err error }

func (e *encodingError) Error() string { return e.err.Error() }
func (e *encodingError) Unwrap() error { return e.err }

// Resendable returns, in order, the indexes of the failed items that amoCRM did not refuse: items
// never sent (ErrNotSent), items whose request was refused only for another item's validation
// errors, items of a request that met a 429, a 5xx or a transport failure, and items amoCRM's
// answer left unconfirmed. Items with validation errors of their own, items that could not be
// encoded and items of a request refused as a whole (401, 402, 403, 404, or 400 without
// validation errors) are left out: sending them again would fail again.
//
// After a 5xx, a transport failure or an unconfirmed answer the item may have been saved after
// all; check before resending where a duplicate matters.
func (e *BatchError) Resendable() []int {
	var out []int
	for _, f := range e.Failed {
		if f.resendable() {
			out = append(out, f.Index)
		}
	}
	return out
}

func (f BatchItemError) resendable() bool {
	if len(f.ValidationErrors) > 0 {
		return false
	}
	var enc *encodingError
	if errors.As(f.Err, &enc) {
		return false
	}
	if errors.Is(f.Err, ErrNotSent) || errors.Is(f.Err, ErrNotConfirmed) {
		return true
	}
	var apiErr *Error
	if !errors.As(f.Err, &apiErr) {
		return f.Err != nil // a transport or context failure
	}
	switch {
	case apiErr.StatusCode == http.StatusTooManyRequests, apiErr.StatusCode >= 500:
		return true
	case apiErr.StatusCode == http.StatusBadRequest || apiErr.StatusCode == http.StatusUnprocessableEntity:
		return len(apiErr.ValidationErrors) > 0 // refused for another item's errors
	}
	return false
}

// Resend returns the items of a Create or Update to send again after err, a *BatchError, and
// their indexes in items (see BatchError.Resendable). For any other err it returns nothing.
//
//	saved, err := c.Leads.Create(ctx, leads)
//	again, idx := amocrm.Resend(err, leads)
//	more, err := c.Leads.Create(ctx, again) // more[i].Index is an index into again: idx[more[i].Index]
func Resend[T any](err error, items []T) (again []T, indexes []int) {
	var be *BatchError
	if !errors.As(err, &be) {
		return nil, nil
	}
	for _, i := range be.Resendable() {
		if i >= 0 && i < len(items) {
			again = append(again, items[i])
			indexes = append(indexes, i)
		}
	}
	return again, indexes
}

// requestIDs decodes a request_id echoed by amoCRM: a string, a number, or (complex create) an
// array of them (docs/amocrm-reference.md#request-id).
type requestIDs []string

// UnmarshalJSON reads a string, a number, an array of them, or null.
func (r *requestIDs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var ids []flexString
		if err := json.Unmarshal(b, &ids); err != nil {
			return err
		}
		*r = make(requestIDs, 0, len(ids))
		for _, id := range ids {
			*r = append(*r, string(id))
		}
		return nil
	}
	var id flexString
	if err := json.Unmarshal(b, &id); err != nil {
		return err
	}
	*r = nil
	if id != "" {
		*r = requestIDs{string(id)}
	}
	return nil
}

// writeAnswer is one element of a write's answer: _embedded.{entity}[i] for ordinary writes, or an
// element of the bare array of a complex create.
type writeAnswer struct {
	Index     int        `json:"-"` // filled in by writeBatches
	ID        int64      `json:"id"`
	EntityID  int64      `json:"entity_id"`
	UpdatedAt Timestamp  `json:"updated_at"`
	ContactID int64      `json:"contact_id"`
	CompanyID int64      `json:"company_id"`
	Merged    bool       `json:"merged"`
	RequestID requestIDs `json:"request_id"`
}

func (a writeAnswer) saved() Saved {
	return Saved{Index: a.Index, ID: a.ID, EntityID: a.EntityID, UpdatedAt: a.UpdatedAt}
}

func savedOf(answers []writeAnswer) []Saved {
	out := make([]Saved, len(answers))
	for i, a := range answers {
		out[i] = a.saved()
	}
	return out
}

// batchPlan says where a batch write goes.
type batchPlan struct {
	method string // POST or PATCH
	path   string
	key    string // the _embedded key of the answer; "" for a bare array answer
	size   int    // items per request; 0 means the client's batch size
}

// writeBatches is the one batching mechanism behind every Create and Update
// (docs/amocrm-reference.md#batch-limits, docs/amocrm-reference.md#request-id).
//
// Each item is encoded on its own, so an item that cannot be encoded fails alone. The others are
// split, in order, into requests of at most the batch size, and each is given a request_id equal to
// its index within its request. The requests are sent one after another through the client (and so
// through its rate limiter); a failed request does not stop the ones after it. Answers are mapped
// back to the caller's indexes by the id an update sent, else by request_id (string or number, or
// several of them), else by position when amoCRM echoes no request_id at all and answers every
// item. Items that end up neither confirmed nor failed
// cannot exist: anything unconfirmed is reported with ErrNotConfirmed.
//
// It returns the answers of the saved items ordered by Index and, when any item failed, a
// *BatchError.
func writeBatches[T any](ctx context.Context, c *Client, p batchPlan, items []T) ([]writeAnswer, error) {
	size := p.size
	if size <= 0 {
		size = c.batchSize
	}
	if size <= 0 {
		size = DefaultBatchSize
	}
	var failed []BatchItemError
	encoded := make([][]byte, len(items))
	pending := make([]int, 0, len(items))
	for i, item := range items {
		b, err := encodeItem(item)
		if err != nil {
			failed = append(failed, BatchItemError{Index: i, Err: &encodingError{fmt.Errorf("amocrm: item %d: %w", i, err)}})
			continue
		}
		encoded[i] = b
		pending = append(pending, i)
	}

	var (
		saved []writeAnswer
		stop  error // set once no further request should go
	)
	for chunk := range slices.Chunk(pending, size) {
		if stop == nil && ctx.Err() != nil {
			stop = fmt.Errorf("%w: %w", ErrNotSent, ctx.Err())
		}
		if stop != nil {
			for _, i := range chunk {
				failed = append(failed, BatchItemError{Index: i, Err: stop})
			}
			continue
		}
		body := make([]json.RawMessage, len(chunk))
		for j, i := range chunk {
			body[j] = withRequestID(encoded[i], j)
		}
		answers, err := sendBatch(ctx, c, p, body)
		if err != nil {
			failed = append(failed, chunkFailure(chunk, err)...)
			if failsEveryRequest(err) {
				stop = fmt.Errorf("%w after an earlier request failed: %w", ErrNotSent, err)
			}
			continue
		}
		confirmed := make([]bool, len(chunk))
		positional := len(answers) == len(chunk) && !slices.ContainsFunc(answers, func(a writeAnswer) bool { return len(a.RequestID) > 0 })
		sentIDs := make([]int64, len(chunk))
		if p.method == http.MethodPatch {
			for j, i := range chunk {
				sentIDs[j] = itemID(encoded[i])
			}
		}
		for k, a := range answers {
			for _, j := range answerIndexes(a, k, positional, sentIDs) {
				if confirmed[j] {
					continue // a repeat
				}
				confirmed[j] = true
				a.Index = chunk[j]
				saved = append(saved, a)
			}
		}
		for j, ok := range confirmed {
			if !ok {
				failed = append(failed, BatchItemError{Index: chunk[j], Err: ErrNotConfirmed})
			}
		}
	}
	slices.SortFunc(saved, func(a, b writeAnswer) int { return a.Index - b.Index })
	if len(failed) == 0 {
		return saved, nil
	}
	slices.SortFunc(failed, func(a, b BatchItemError) int { return a.Index - b.Index })
	return saved, &BatchError{Total: len(items), Failed: failed}
}

// failsEveryRequest reports whether err would repeat for any request of the account.
func failsEveryRequest(err error) bool {
	var te *tokenError
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrPaymentRequired) || errors.Is(err, ErrBlocked) ||
		errors.Is(err, ErrRateLimited) || errors.As(err, &te) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// chunkFailure reports every item of a failed request, giving each the validation errors amoCRM
// tied to its request_id.
func chunkFailure(chunk []int, err error) []BatchItemError {
	own := make([][]ValidationError, len(chunk))
	var apiErr *Error
	if errors.As(err, &apiErr) {
		for _, ve := range apiErr.ValidationErrors {
			if j := requestIndex(requestIDs{ve.RequestID}, len(chunk)); j >= 0 {
				own[j] = append(own[j], ve)
			}
		}
	}
	out := make([]BatchItemError, len(chunk))
	for j, i := range chunk {
		out[j] = BatchItemError{Index: i, ValidationErrors: own[j], Err: err}
	}
	return out
}

// requestIndex turns an echoed request_id into an index below n, or -1.
func requestIndex(ids requestIDs, n int) int {
	if len(ids) == 0 {
		return -1
	}
	return indexOf(ids[0], n)
}

func indexOf(id string, n int) int {
	j, err := strconv.Atoi(strings.TrimSpace(id))
	if err != nil || j < 0 || j >= n {
		return -1
	}
	return j
}

// answerIndexes returns the positions, within its request, of the items the k-th answer confirms.
//
// An update names its entity: when the answer's id was sent by exactly one item of the request,
// that item is the one confirmed, whatever request_id came back. Otherwise the request_ids decide,
// every one of them: a complex create that merged duplicates answers one lead for several items
// with "request_id": ["0","1"]. With no request_id in any answer and one answer per item, answers
// go by position.
func answerIndexes(a writeAnswer, k int, positional bool, sentIDs []int64) []int {
	if a.ID > 0 {
		match := -1
		for j, id := range sentIDs {
			if id != a.ID {
				continue
			}
			if match >= 0 {
				match = -1 // the same entity twice in one request: only request_id can tell
				break
			}
			match = j
		}
		if match >= 0 {
			return []int{match}
		}
	}
	if positional {
		return []int{k}
	}
	var out []int
	for _, id := range a.RequestID {
		if j := indexOf(id, len(sentIDs)); j >= 0 {
			out = append(out, j)
		}
	}
	return out
}

// itemID returns the "id" member of an encoded item: the entity an update changes, 0 for a create.
func itemID(obj []byte) int64 {
	var v struct {
		ID json.Number `json:"id"`
	}
	if json.Unmarshal(obj, &v) != nil {
		return 0
	}
	n, _ := v.ID.Int64()
	return n
}

// sendBatch sends one request and decodes its answers.
func sendBatch(ctx context.Context, c *Client, p batchPlan, body []json.RawMessage) ([]writeAnswer, error) {
	if p.key == "" {
		var answers []writeAnswer
		_, err := c.send(ctx, p.method, p.path, body, &answers)
		return answers, err
	}
	var env struct {
		Embedded map[string][]writeAnswer `json:"_embedded"`
	}
	_, err := c.send(ctx, p.method, p.path, body, &env)
	return env.Embedded[p.key], err
}

// encodeItem encodes one request item as a JSON object, with HTML left unescaped.
func encodeItem(item any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(item); err != nil {
		return nil, unwrapMarshal(err)
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("encodes to %s, not an object", truncate(string(b), 40))
	}
	return b, nil
}

// withRequestID returns the object obj with "request_id":"j" as its first member.
func withRequestID(obj []byte, j int) json.RawMessage {
	rid := `{"request_id":"` + strconv.Itoa(j) + `"`
	rest := bytes.TrimSpace(obj[1:])
	out := make([]byte, 0, len(obj)+len(rid)+1)
	out = append(out, rid...)
	if len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...)
}

// sendOne sends a single object (PATCH /{entity}/{id}) and returns amoCRM's confirmation.
func sendOne(ctx context.Context, c *Client, path string, body any) (Saved, error) {
	b, err := encodeItem(body)
	if err != nil {
		return Saved{}, fmt.Errorf("amocrm: PATCH %s: %w", path, err)
	}
	var a writeAnswer
	if _, err := c.send(ctx, http.MethodPatch, path, json.RawMessage(b), &a); err != nil {
		return Saved{}, err
	}
	return a.saved(), nil
}
