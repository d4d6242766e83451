package amocrmtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/amokit/amokit/internal/httpx"
)

// RecordedRequest is one request the server received.
type RecordedRequest struct {
	// Time is when it arrived, on the server's clock.
	Time   time.Time
	Method string
	// Host is the host the client addressed ("acme.amocrm.ru" through
	// Transport, "127.0.0.1:port" straight at the listener).
	Host  string
	Path  string
	Query url.Values
	// Body is the request body. Bodies sent to /oauth2/ have client_secret,
	// code, refresh_token and access_token replaced by "REDACTED".
	Body []byte
	// Token is the Fingerprint of the bearer token, "" without one. The
	// token itself is never recorded.
	Token string
	// Status is the response status; 0 if the connection was dropped or the
	// request is still being handled.
	Status int
	// ContextUser is the X-Context-User-ID header, "" without one.
	ContextUser string
}

// Counters count what the server did since it started or since
// ResetRequests.
type Counters struct {
	// Requests counts every request received.
	Requests int
	// Refreshes and CodeExchanges count successful refresh_token and
	// authorization_code grants.
	Refreshes     int
	CodeExchanges int
	// TooManyRequests and Forbidden count 429 and 403 answers.
	TooManyRequests int
	Forbidden       int
	// Dropped counts requests that got no response.
	Dropped int
	// ByStatus counts answers by status.
	ByStatus map[int]int
}

// Fingerprint is the short, one-way name the request log gives a token:
// the first 12 hex digits of its SHA-256.
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}

type recEntry struct {
	rr RecordedRequest
}

func (s *Server) record(r *http.Request, body []byte, arrived time.Time) *recEntry {
	e := &recEntry{rr: RecordedRequest{
		Method: r.Method, Host: r.Host, Path: r.URL.Path, Query: r.URL.Query(), Body: bytes.Clone(body),
		ContextUser: r.Header.Get("X-Context-User-ID"),
	}}
	if strings.HasPrefix(r.URL.Path, "/oauth2/") {
		e.rr.Body = redactBody(body, r.Header.Get("Content-Type"))
	}
	if tok := bearerToken(r); tok != "" {
		e.rr.Token = Fingerprint(tok)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e.rr.Time = arrived
	s.st.requests = append(s.st.requests, e)
	s.st.counters.Requests++
	return e
}

func (s *Server) finish(e *recEntry, sw *httpx.StatusWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.rr.Status = sw.Status
	c := &s.st.counters
	switch sw.Status {
	case 0:
		c.Dropped++
		return
	case http.StatusTooManyRequests:
		c.TooManyRequests++
	case http.StatusForbidden:
		c.Forbidden++
	}
	c.ByStatus[sw.Status]++
}

// redactBody hides the secrets of a token request, JSON or form.
func redactBody(body []byte, contentType string) []byte {
	secretKeys := []string{"client_secret", "code", "refresh_token", "access_token"}
	if strings.Contains(contentType, "json") {
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			return []byte("REDACTED")
		}
		for _, k := range secretKeys {
			if _, ok := m[k]; ok {
				m[k] = json.RawMessage(`"REDACTED"`)
			}
		}
		return marshal(m)
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return []byte("REDACTED")
	}
	for _, k := range secretKeys {
		if q.Has(k) {
			q.Set(k, "REDACTED")
		}
	}
	return []byte(q.Encode())
}

// Requests returns copies of the recorded requests, oldest first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, 0, len(s.st.requests))
	for _, e := range s.st.requests {
		rr := e.rr
		rr.Query = url.Values{}
		for k, v := range e.rr.Query {
			rr.Query[k] = slices.Clone(v)
		}
		rr.Body = bytes.Clone(rr.Body)
		out = append(out, rr)
	}
	return out
}

// Counters returns a copy of the counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.counters
	c.ByStatus = maps.Clone(c.ByStatus)
	return c
}

// ResetRequests clears the request log and the counters.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.requests = nil
	s.st.counters = Counters{ByStatus: map[int]int{}}
}
