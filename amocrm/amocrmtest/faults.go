package amocrmtest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Fault is what FailNext does to a matching request. Delay is waited first
// (on the server's Clock); then, if Drop is set, the connection is closed
// without a response; otherwise, if Status is set, the server answers with
// Status, Body and ContentType instead of handling the request. A Fault with
// only a Delay slows the request down and lets it through.
type Fault struct {
	// Status is the HTTP status to answer with.
	Status int
	// Body is the response body; empty means an nginx-style HTML page for
	// Status.
	Body string
	// ContentType defaults to application/json for a body that starts with
	// "{" or "[", and to text/html otherwise.
	ContentType string
	// Drop hijacks the connection and closes it. Where the ResponseWriter
	// cannot be hijacked (HTTP/2, httptest.ResponseRecorder) the handler
	// panics with http.ErrAbortHandler instead. Note that Go's http.Transport
	// silently retries an idempotent request (GET) that fails this way on a
	// reused connection; give n ≥ 2 to see the failure through such a client.
	Drop bool
	// Delay is waited before anything else.
	Delay time.Duration
}

type faultRule struct {
	method string
	pat    pathMatcher
	f      Fault
	left   int
}

// FailNext makes the next n requests whose method and path match fail with
// f; rules are used in the order they were added. method "" or "*" matches
// any method. path is a net/http.ServeMux pattern without method or host:
// "/api/v4/leads" matches that path exactly, "/api/v4/leads/{id}" one
// segment, "/api/v4/leads/{rest...}" any remainder, a trailing slash
// ("/api/v4/") the whole subtree, and "/api/v4/leads/{$}" only the path with
// the trailing slash. As an addition, a path ending in "*" is a plain prefix
// ("/api/v4/leads*" matches "/api/v4/leads", "/api/v4/leads/1/notes", …),
// and "" matches every path. Faults are applied before the block, the rate
// limit and authentication, and each counts as a request. FailNext panics
// on a malformed pattern, n < 1 or an empty Fault.
func (s *Server) FailNext(n int, method, path string, f Fault) {
	if n < 1 {
		panic("amocrmtest: FailNext: n must be at least 1")
	}
	if f.Status == 0 && !f.Drop && f.Delay <= 0 {
		panic("amocrmtest: FailNext: the Fault does nothing")
	}
	pat := newPathMatcher(path)
	method = strings.ToUpper(method)
	if method == "*" {
		method = ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = append(s.st.faults, &faultRule{method: method, pat: pat, f: f, left: n})
}

// ResetFaults forgets every pending fault.
func (s *Server) ResetFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = nil
}

// takeFault consumes one use of the first rule matching r.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, fr := range s.st.faults {
		if fr.method != "" && fr.method != r.Method {
			continue
		}
		if !fr.pat.match(r) {
			continue
		}
		fr.left--
		if fr.left == 0 {
			s.st.faults = append(s.st.faults[:i], s.st.faults[i+1:]...)
		}
		return fr.f, true
	}
	return Fault{}, false
}

// applyFault carries f out; it reports whether the request is finished.
// beforeDrop runs just before a dropped connection is closed.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault, beforeDrop func()) bool {
	if f.Delay > 0 && !s.wait(r.Context(), f.Delay) {
		return true
	}
	if f.Drop {
		conn, _, err := http.NewResponseController(w).Hijack()
		beforeDrop()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		_ = conn.Close()
		return true
	}
	if f.Status == 0 {
		return false
	}
	body, ct := f.Body, f.ContentType
	if body == "" {
		body = nginxPage(f.Status)
	}
	if ct == "" {
		ct = ctypeHTML
		if t := bytes.TrimSpace([]byte(body)); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
			ct = ctypeJSON
		}
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(body))
	return true
}

// pathMatcher matches a request path against one FailNext path: a plain
// prefix (ending in "*"), everything (""), or a ServeMux pattern.
type pathMatcher struct {
	prefix   string
	isPrefix bool
	sm       *http.ServeMux
	hit      http.Handler
}

func newPathMatcher(path string) pathMatcher {
	if p, ok := strings.CutSuffix(path, "*"); ok || path == "" {
		return pathMatcher{prefix: p, isPrefix: true}
	}
	if strings.ContainsAny(path, " \t") || !strings.HasPrefix(path, "/") {
		panic(fmt.Sprintf("amocrmtest: FailNext: path %q is not a ServeMux path pattern", path))
	}
	pm := pathMatcher{sm: http.NewServeMux(), hit: new(hitHandler)}
	func() {
		defer func() {
			if v := recover(); v != nil {
				panic(fmt.Sprintf("amocrmtest: FailNext: %v", v))
			}
		}()
		pm.sm.Handle(path, pm.hit)
	}()
	return pm
}

// match reports whether r's path matches. ServeMux answers "/a" under a
// "/a/" pattern with a redirect; only the pattern's own handler counts.
func (m pathMatcher) match(r *http.Request) bool {
	if m.isPrefix {
		return strings.HasPrefix(r.URL.Path, m.prefix)
	}
	probe := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: r.URL.Path}, Host: "x"}
	h, _ := m.sm.Handler(probe)
	return h == m.hit
}

// hitHandler marks a pathMatcher's pattern; it is never served.
type hitHandler struct{ _ byte }

func (*hitHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}
