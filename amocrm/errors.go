package amocrm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is against any error the client returns.
var (
	// ErrNotFound: the entity does not exist (404, or 204 on a get by id).
	ErrNotFound = errors.New("amocrm: not found")
	// ErrUnauthorized: the token is missing, expired or revoked (401).
	ErrUnauthorized = errors.New("amocrm: unauthorized")
	// ErrPaymentRequired: the account's paid or trial period has ended (402).
	ErrPaymentRequired = errors.New("amocrm: payment required")
	// ErrBlocked: amoCRM refuses every request (403), which it does after repeated rate-limit
	// violations; only amoCRM's support lifts the block.
	ErrBlocked = errors.New("amocrm: blocked")
	// ErrRateLimited: too many requests (429) after the retries allowed.
	ErrRateLimited = errors.New("amocrm: rate limited")
	// ErrValidation: amoCRM refused the request's data (400 or 422); the *Error's
	// ValidationErrors say which item and field, when amoCRM names them.
	ErrValidation = errors.New("amocrm: invalid request data")
	// ErrAdminOnly: the endpoint is open to account administrators only (users, roles, pipeline,
	// custom field and source writes), and the token's user is not one (403). Such an error also
	// matches ErrBlocked, since amoCRM uses 403 for both: a 403 on an endpoint that is not
	// administrator-only is the block.
	ErrAdminOnly = errors.New("amocrm: only an account administrator may do this")
)

// maxErrorBody is how much of an error response is read.
const maxErrorBody = 1 << 20

// Error is an error answer from amoCRM. Use errors.As to read its fields and errors.Is to compare
// it with the sentinels above.
type Error struct {
	StatusCode       int
	Title            string            // problem title, e.g. "Bad Request"
	Detail           string            // problem detail
	Type             string            // problem type URI
	Hint             string            // OAuth errors: e.g. "Token has been revoked"
	ValidationErrors []ValidationError // per batch item, from "validation-errors"
	RequestID        string            // the X-Request-Id response header, for amoCRM's support
	Method           string
	URL              string        // with secrets masked
	RetryAfter       time.Duration // from Retry-After or a JSON retry_after, when given
	Body             string        // the start of a body that was not a JSON problem (amoCRM sends HTML 403 and 429 pages)
}

// ValidationError is one problem with one item of a request.
type ValidationError struct {
	RequestID string // the request_id of the item; for batches sent by this client, the item's index in its request
	Code      string // e.g. "NotSupportedChoice", "InvalidType"
	Path      string // dot path into the item, e.g. "custom_fields_values.0.field_id"
	Detail    string
}

func (v ValidationError) String() string {
	s := v.Code
	if v.Path != "" {
		s += " at " + v.Path
	}
	if v.Detail != "" {
		s += ": " + v.Detail
	}
	return s
}

// Error returns one human line: method, path, status and what amoCRM said.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("amocrm: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
		b.WriteString(e.URL)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	for _, s := range []string{e.Title, e.Detail, e.Hint} {
		if s != "" && s != http.StatusText(e.StatusCode) {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	if n := len(e.ValidationErrors); n > 0 {
		fmt.Fprintf(&b, " (%d validation errors; first: %s)", n, e.ValidationErrors[0])
	}
	if e.Title == "" && e.Detail == "" && e.Body != "" {
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and the other sentinels work.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusNoContent
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrPaymentRequired:
		return e.StatusCode == http.StatusPaymentRequired
	case ErrBlocked:
		return e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrValidation:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	}
	return false
}

// adminOnlyError is the 403 of an endpoint only administrators may use.
type adminOnlyError struct{ err *Error }

func (e *adminOnlyError) Error() string {
	return e.err.Error() + " (this endpoint is for account administrators only: use a token granted by an administrator)"
}
func (e *adminOnlyError) Unwrap() error        { return e.err }
func (e *adminOnlyError) Is(target error) bool { return target == ErrAdminOnly }

// adminOnly marks a 403 from an administrator-only endpoint as ErrAdminOnly; other errors pass.
// In a *BatchError each failed item's error is marked.
func adminOnly(err error) error {
	if be, ok := err.(*BatchError); ok {
		for i := range be.Failed {
			be.Failed[i].Err = adminOnly(be.Failed[i].Err)
		}
		return be
	}
	if e, ok := err.(*Error); ok && e.StatusCode == http.StatusForbidden {
		return &adminOnlyError{err: e}
	}
	return err
}

// problem is the JSON error shape of the API (application/problem+json, docs/amocrm-reference.md#errors)
// and of the OAuth endpoints (which add "hint").
type problem struct {
	Title            string          `json:"title"`
	Type             string          `json:"type"`
	Status           json.RawMessage `json:"status"`
	Detail           string          `json:"detail"`
	Hint             string          `json:"hint"`
	RetryAfter       json.Number     `json:"retry_after"`
	ValidationErrors []struct {
		RequestID flexString `json:"request_id"`
		Errors    []struct {
			Code   string `json:"code"`
			Path   string `json:"path"`
			Detail string `json:"detail"`
		} `json:"errors"`
	} `json:"validation-errors"`
}

// flexString decodes a JSON string or number (request_id arrives as both,
// docs/amocrm-reference.md#request-id).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("amocrm: expected a string or a number, got %s", truncate(string(b), 40))
	}
	*f = flexString(n.String())
	return nil
}

// newError builds an *Error from a response with a status of 400 or more. It reads at most
// maxErrorBody bytes of the body and does not close it.
func newError(resp *http.Response, method string, u *url.URL) *Error {
	e := &Error{
		StatusCode: resp.StatusCode,
		RequestID:  resp.Header.Get("X-Request-Id"),
		Method:     method,
		URL:        sanitizeURL(u),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	decodeProblem(e, body)
	return e
}

// decodeProblem fills e from a problem+json body, or keeps a cleaned snippet of any other body.
func decodeProblem(e *Error, body []byte) {
	trimmed := bytes.TrimSpace(body)
	var p problem
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &p) == nil {
		e.Title, e.Type, e.Detail, e.Hint = p.Title, p.Type, p.Detail, p.Hint
		for _, ve := range p.ValidationErrors {
			for _, item := range ve.Errors {
				e.ValidationErrors = append(e.ValidationErrors, ValidationError{
					RequestID: string(ve.RequestID), Code: item.Code, Path: item.Path, Detail: item.Detail,
				})
			}
		}
		if e.RetryAfter == 0 {
			if secs, err := p.RetryAfter.Float64(); err == nil && secs > 0 {
				e.RetryAfter = time.Duration(secs * float64(time.Second))
			}
		}
		if e.Title != "" || e.Detail != "" || e.Hint != "" || len(e.ValidationErrors) > 0 {
			return
		}
	}
	e.Body = snippet(trimmed)
}

// snippet turns the start of a body (often an nginx HTML page) into one short line of text.
func snippet(body []byte) string {
	const max = 200
	if len(body) > 8<<10 {
		body = body[:8<<10]
	}
	s := string(body)
	if strings.Contains(s, "<") {
		// Prefer the page's title, else drop the tags.
		if i := strings.Index(strings.ToLower(s), "<title>"); i >= 0 {
			rest := s[i+len("<title>"):]
			if j := strings.Index(strings.ToLower(rest), "</title>"); j >= 0 {
				s = rest[:j]
			}
		} else {
			var b strings.Builder
			in := false
			for _, r := range s {
				switch {
				case r == '<':
					in = true
				case r == '>':
					in = false
					b.WriteByte(' ')
				case !in:
					b.WriteRune(r)
				}
			}
			s = b.String()
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, max)
}

func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && (s[cut]&0xC0) == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// secretParams are query parameters whose values never appear in errors or logs.
var secretParams = []string{"client_secret", "code", "access_token", "refresh_token", "token", "ticket", "password", "api_key", "signature", "state",
	// A webhook destination carries the secret that authenticates amoCRM's deliveries.
	"filter[destination]", "secret"}

// sanitizeURL renders u for errors and logs: no user info, secret query values masked.
func sanitizeURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for k := range q {
			for _, s := range secretParams {
				if strings.EqualFold(k, s) {
					q[k] = []string{"REDACTED"}
					changed = true
				}
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	return c.String()
}
