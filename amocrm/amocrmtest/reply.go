package amocrmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// obj is a JSON object under construction.
type obj = map[string]any

// reply is what an API handler computes under the lock; it is written after
// the lock is released.
type reply struct {
	status int
	body   any
	ctype  string
}

const (
	ctypeHAL     = "application/hal+json"
	ctypeProblem = "application/problem+json"
	ctypeJSON    = "application/json"
	ctypeHTML    = "text/html; charset=utf-8"
)

func okReply(v any) reply { return reply{status: http.StatusOK, body: v} }

func noContent() reply { return reply{status: http.StatusNoContent} }

// problemBody is amoCRM's RFC 7807-like error (docs/amocrm-reference.md#errors).
type problemBody struct {
	Title            string       `json:"title"`
	Type             string       `json:"type"`
	Status           int          `json:"status"`
	Detail           string       `json:"detail"`
	ValidationErrors []itemErrors `json:"validation-errors,omitempty"`
}

// itemErrors are the validation errors of one element of a batch.
type itemErrors struct {
	RequestID string     `json:"request_id"`
	Errors    []fieldErr `json:"errors"`
}

// fieldErr is one validation error; Path is dot notation into the element.
type fieldErr struct {
	Code   string `json:"code"`
	Path   string `json:"path"`
	Detail string `json:"detail"`
}

func problem(status int, detail string) reply {
	return reply{status: status, ctype: ctypeProblem, body: problemBody{
		Title:  http.StatusText(status),
		Type:   "https://httpstatus.es/" + strconv.Itoa(status),
		Status: status,
		Detail: detail,
	}}
}

func validationReply(errs []itemErrors) reply {
	rep := problem(http.StatusBadRequest, "Request validation failed")
	b := rep.body.(problemBody)
	b.ValidationErrors = errs
	rep.body = b
	return rep
}

func notFound() reply { return problem(http.StatusNotFound, "Not found") }

// oauthProblem is the League-style error of the OAuth endpoints
// (docs/amocrm-reference.md#token-endpoint).
func oauthProblem(status int, title, hint, detail string) reply {
	return reply{status: status, ctype: ctypeProblem, body: struct {
		Hint   string `json:"hint"`
		Title  string `json:"title"`
		Type   string `json:"type"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}{hint, title, "https://developers.amocrm.ru/v3/errors/OAuthProblemJson", status, detail}}
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every body is built from maps, slices and scalars the server made.
		panic(fmt.Sprintf("amocrmtest: encoding a response: %v", err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func (s *Server) writeReply(w http.ResponseWriter, rep reply) {
	w.Header().Set("X-Request-Id", s.requestID())
	if rep.status == http.StatusNoContent || rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	ct := rep.ctype
	if ct == "" {
		ct = ctypeHAL
	}
	var b []byte
	switch v := rep.body.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		b = marshal(v)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(rep.status)
	_, _ = w.Write(b)
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	b := marshal(problem(status, detail).body)
	w.Header().Set("Content-Type", ctypeProblem)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func nginxPage(status int) string {
	t := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return "<html>\r\n<head><title>" + t + "</title></head>\r\n<body>\r\n<center><h1>" + t +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

func writeHTML(w http.ResponseWriter, status int, page string) {
	w.Header().Set("Content-Type", ctypeHTML)
	w.Header().Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(page))
}

// writeBlocked answers with the 403 page production shows a blocked client.
func writeBlocked(w http.ResponseWriter) {
	writeHTML(w, http.StatusForbidden, nginxPage(http.StatusForbidden))
}
