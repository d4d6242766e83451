// Package httpx holds the small HTTP helpers that several amokit packages need, written once: a
// ResponseWriter that remembers what was answered, one that records an answer made in process,
// and the check that a URL is an absolute http(s) URL.
package httpx

import (
	"io"
	"net/http"
	"net/url"
)

// StatusWriter is an http.ResponseWriter that remembers the status and size of the answer it
// passes on, for logs and recordings. Status is 0 until the handler writes; a Write before any
// WriteHeader counts as 200.
type StatusWriter struct {
	http.ResponseWriter
	Status int
	Size   int64
	// Copy, when set, receives a copy of the body as it is written.
	Copy io.Writer
}

// WriteHeader remembers the first status and passes it on.
func (w *StatusWriter) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write passes b on, counting it (and copying it to Copy).
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	if w.Copy != nil {
		_, _ = w.Copy.Write(b)
	}
	n, err := w.ResponseWriter.Write(b)
	w.Size += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flushes, deadlines, hijacking).
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Recorder is an http.ResponseWriter for an answer made in process: it keeps the header and the
// first status (200 when the handler writes without one), and passes the body on to Body, or
// drops it when Body is nil.
type Recorder struct {
	header http.Header
	Status int
	Body   io.Writer
}

// Header returns the answer's header.
func (r *Recorder) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}

// WriteHeader remembers the first status.
func (r *Recorder) WriteHeader(status int) {
	if r.Status == 0 {
		r.Status = status
	}
}

// Write passes b on to Body, if any.
func (r *Recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if r.Body == nil {
		return len(b), nil
	}
	return r.Body.Write(b)
}

// AbsoluteURL parses s and reports whether it is an absolute http or https URL with a host.
func AbsoluteURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, false
	}
	return u, true
}

// BaseURL is AbsoluteURL that also refuses user info, a query and a fragment: what the base
// URL of a server must be.
func BaseURL(s string) (*url.URL, bool) {
	u, ok := AbsoluteURL(s)
	if !ok || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, false
	}
	return u, true
}
