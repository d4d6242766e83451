package amocrmtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Validation error codes. InvalidType and NotSupportedChoice are the codes
// amoCRM documents (docs/amocrm-reference.md#errors); FieldMissing and FieldNotExpected follow the
// same naming for the cases it does not show.
const (
	codeInvalidType   = "InvalidType"
	codeNotSupported  = "NotSupportedChoice"
	codeFieldMissing  = "FieldMissing"
	codeNotExpected   = "FieldNotExpected"
	detailMissing     = "This field is missing."
	detailNotExpected = "This field was not expected."
	detailChoice      = "The value you selected is not a valid choice."
)

// Batch limits (docs/amocrm-reference.md#batch-limits).
const (
	maxBatch = 250
	// detailLimit250 is amoCRM's 422 text for more than 250 items in a write or a page.
	detailLimit250  = "Limit 250 per page"
	maxComplexBatch = 50
	maxPageLimit    = 250
	defaultLimit    = 50
)

// checker collects the validation errors of one element of a request.
type checker struct {
	errs []fieldErr
}

func (c *checker) add(code, path, detail string) {
	c.errs = append(c.errs, fieldErr{Code: code, Path: path, Detail: detail})
}

func (c *checker) typeErr(path, typ string) {
	c.add(codeInvalidType, path, "This value should be of type "+typ+".")
}

func (c *checker) failed() bool { return len(c.errs) > 0 }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return join(path, strconv.Itoa(i)) }

// jsonKind classifies a JSON value by its first byte: 's'tring, 'o'bject,
// 'a'rray, 'b'ool, 'n'ull, 'd'igit (number), or 0 for nothing.
func jsonKind(raw json.RawMessage) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	switch c := raw[0]; {
	case c == '"':
		return 's'
	case c == '{':
		return 'o'
	case c == '[':
		return 'a'
	case c == 't' || c == 'f':
		return 'b'
	case c == 'n':
		return 'n'
	default:
		return 'd'
	}
}

// fields reads one JSON object key by key and reports what was left over.
type fields struct {
	c    *checker
	m    map[string]json.RawMessage
	path string
	seen map[string]bool
}

// object starts reading raw as an object; it reports false (and records an
// error) if raw is not one.
func (c *checker) object(raw json.RawMessage, path string) (*fields, bool) {
	var m map[string]json.RawMessage
	if jsonKind(raw) != 'o' || json.Unmarshal(raw, &m) != nil {
		c.typeErr(path, "object")
		return nil, false
	}
	return &fields{c: c, m: m, path: path, seen: map[string]bool{}}, true
}

func (f *fields) get(key string) (json.RawMessage, bool) {
	raw, ok := f.m[key]
	if ok {
		f.seen[key] = true
	}
	return raw, ok
}

func (f *fields) has(key string) bool {
	_, ok := f.m[key]
	return ok
}

// isNull reports whether key is present with the value null.
func (f *fields) isNull(key string) bool {
	raw, ok := f.m[key]
	return ok && jsonKind(raw) == 'n'
}

// require records FieldMissing for each absent key.
func (f *fields) require(keys ...string) {
	for _, k := range keys {
		if !f.has(k) {
			f.c.add(codeFieldMissing, join(f.path, k), detailMissing)
		}
	}
}

// int reads an integer; ok is false when absent, null or invalid.
func (f *fields) int(key string) (int64, bool) {
	raw, present := f.get(key)
	if !present {
		return 0, false
	}
	return f.c.intValue(raw, join(f.path, key))
}

func (c *checker) intValue(raw json.RawMessage, path string) (int64, bool) {
	switch jsonKind(raw) {
	case 'n':
		return 0, false
	case 'd':
		if v, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64); err == nil {
			return v, true
		}
	}
	c.typeErr(path, "int")
	return 0, false
}

func (f *fields) str(key string) (string, bool) {
	raw, present := f.get(key)
	if !present || jsonKind(raw) == 'n' {
		return "", false
	}
	var v string
	if jsonKind(raw) != 's' || json.Unmarshal(raw, &v) != nil {
		f.c.typeErr(join(f.path, key), "string")
		return "", false
	}
	return v, true
}

func (f *fields) boolean(key string) (bool, bool) {
	raw, present := f.get(key)
	if !present || jsonKind(raw) == 'n' {
		return false, false
	}
	if jsonKind(raw) != 'b' {
		f.c.typeErr(join(f.path, key), "bool")
		return false, false
	}
	return string(bytes.TrimSpace(raw)) == "true", true
}

// number reads any JSON number and returns its literal text.
func (f *fields) number(key string) (json.Number, bool) {
	raw, present := f.get(key)
	if !present || jsonKind(raw) == 'n' {
		return "", false
	}
	var v json.Number
	if jsonKind(raw) != 'd' || json.Unmarshal(raw, &v) != nil {
		f.c.typeErr(join(f.path, key), "numeric")
		return "", false
	}
	return v, true
}

// array reads an array; present is false when absent or null.
func (f *fields) array(key string) (items []json.RawMessage, present bool) {
	raw, ok := f.get(key)
	if !ok || jsonKind(raw) == 'n' {
		return nil, false
	}
	if jsonKind(raw) != 'a' || json.Unmarshal(raw, &items) != nil {
		f.c.typeErr(join(f.path, key), "array")
		return nil, false
	}
	return items, true
}

// sub reads a nested object; ok is false when absent, null or invalid.
func (f *fields) sub(key string) (*fields, bool) {
	raw, present := f.get(key)
	if !present || jsonKind(raw) == 'n' {
		return nil, false
	}
	return f.c.object(raw, join(f.path, key))
}

// requestID reads request_id, a string or a number, and returns it as the
// raw JSON to echo and as the label used in validation-errors.
func (f *fields) requestID() (json.RawMessage, string) {
	raw, present := f.get("request_id")
	if !present {
		return nil, ""
	}
	switch jsonKind(raw) {
	case 's':
		var v string
		if json.Unmarshal(raw, &v) == nil {
			return bytes.TrimSpace(raw), v
		}
	case 'd':
		return bytes.TrimSpace(raw), string(bytes.TrimSpace(raw))
	}
	f.c.typeErr(join(f.path, "request_id"), "string")
	return nil, ""
}

// done records FieldNotExpected for every key nobody asked about, in order.
func (f *fields) done() {
	var extra []string
	for k := range f.m {
		if !f.seen[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		f.c.add(codeNotExpected, join(f.path, k), detailNotExpected)
	}
}

// parseBatch splits a write body into its elements: a JSON array of at most
// max items. detail is the 422 text.
func parseBatch(body []byte, max int, detail string) ([]json.RawMessage, *reply) {
	if len(bytes.TrimSpace(body)) == 0 {
		rep := problem(http.StatusBadRequest, "Request data can not be empty")
		return nil, &rep
	}
	if !json.Valid(body) {
		rep := problem(http.StatusBadRequest, "Request body is not valid JSON")
		return nil, &rep
	}
	var items []json.RawMessage
	if jsonKind(body) != 'a' || json.Unmarshal(body, &items) != nil {
		rep := validationReply([]itemErrors{{RequestID: "0", Errors: []fieldErr{{
			Code: codeInvalidType, Path: "", Detail: "This value should be of type array.",
		}}}})
		return nil, &rep
	}
	if len(items) == 0 {
		rep := problem(http.StatusBadRequest, "Request data can not be empty")
		return nil, &rep
	}
	if len(items) > max {
		rep := problem(http.StatusUnprocessableEntity, detail)
		return nil, &rep
	}
	return items, nil
}

// parseWrites is the first half of every batch write: it splits the body (an array of at most max
// items; detail is the 422 text) and parses each item with parse, which reports the item's
// problems on ch and returns its label (its request_id, if any). A problem in any item answers 400
// with every item's problems and nothing is written: amoCRM's batches are all or nothing.
func parseWrites[W any](body []byte, max int, detail string, parse func(raw json.RawMessage, ch *checker) (W, string)) ([]W, *reply) {
	items, rep := parseBatch(body, max, detail)
	if rep != nil {
		return nil, rep
	}
	var errs batchErrors
	writes := make([]W, 0, len(items))
	for i, raw := range items {
		var ch checker
		w, label := parse(raw, &ch)
		errs.add(i, label, &ch)
		writes = append(writes, w)
	}
	if len(errs) > 0 {
		rep := validationReply(errs)
		return nil, &rep
	}
	return writes, nil
}

// embeddedReply answers a write with its results under _embedded[key] and a self link.
func (c *call) embeddedReply(key string, items []obj) reply {
	return okReply(obj{"_links": obj{"self": obj{"href": c.base + c.r.URL.Path}}, "_embedded": obj{key: items}})
}

// parseObjectBody checks that a single-object body is JSON.
func parseObjectBody(body []byte) *reply {
	if len(bytes.TrimSpace(body)) == 0 {
		rep := problem(http.StatusBadRequest, "Request data can not be empty")
		return &rep
	}
	if !json.Valid(body) {
		rep := problem(http.StatusBadRequest, "Request body is not valid JSON")
		return &rep
	}
	return nil
}

// batchErrors gathers per-item errors; label is the item's request_id or,
// without one, its index.
type batchErrors []itemErrors

func (b *batchErrors) add(i int, label string, c *checker) {
	if !c.failed() {
		return
	}
	if label == "" {
		label = strconv.Itoa(i)
	}
	*b = append(*b, itemErrors{RequestID: label, Errors: c.errs})
}

// echoRequestID is what a write response carries as request_id: the value
// sent, or the element's index as a string.
func echoRequestID(raw json.RawMessage, i int) any {
	if raw != nil {
		return raw
	}
	return strconv.Itoa(i)
}

// lowerContains reports whether s contains q, ignoring case.
func lowerContains(s, q string) bool {
	return strings.Contains(strings.ToLower(s), q)
}
