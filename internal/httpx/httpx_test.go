package httpx_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/amokit/amokit/internal/httpx"
)

func TestStatusWriter(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	var body bytes.Buffer
	w := &httpx.StatusWriter{ResponseWriter: rec, Copy: &body}
	assert.Equal(t, 0, w.Status)
	io.WriteString(w, "hello, ")
	w.WriteHeader(http.StatusTeapot) // too late: the answer is a 200 already
	io.WriteString(w, "world")
	assert.Equal(t, http.StatusOK, w.Status)
	assert.Equal(t, int64(12), w.Size)
	assert.Equal(t, "hello, world", body.String())
	assert.Equal(t, "hello, world", rec.Body.String())
	assert.Same(t, rec, w.Unwrap())

	w = &httpx.StatusWriter{ResponseWriter: httptest.NewRecorder()}
	w.WriteHeader(http.StatusNotFound)
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "x")
	assert.Equal(t, http.StatusNotFound, w.Status, "the first status is the one sent")
}

func TestRecorder(t *testing.T) {
	t.Parallel()
	var body bytes.Buffer
	rec := &httpx.Recorder{Body: &body}
	rec.Header().Set("Allow", "GET")
	io.WriteString(rec, "hello")
	rec.WriteHeader(http.StatusTeapot) // too late: the answer is a 200 already
	assert.Equal(t, http.StatusOK, rec.Status)
	assert.Equal(t, "GET", rec.Header().Get("Allow"))
	assert.Equal(t, "hello", body.String())

	rec = &httpx.Recorder{}
	rec.WriteHeader(http.StatusMethodNotAllowed)
	n, err := io.WriteString(rec, "dropped")
	assert.NoError(t, err)
	assert.Equal(t, 7, n, "a body without a Body to go to is dropped whole")
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Status)
}

func TestAbsoluteURL(t *testing.T) {
	t.Parallel()
	for s, want := range map[string][2]bool{ // {AbsoluteURL, BaseURL}
		"https://calc.example.com":             {true, true},
		"http://127.0.0.1:8080/amo/":           {true, true},
		"https://calc.example.com/cb?x=1":      {true, false},
		"https://calc.example.com/#top":        {true, false},
		"https://user:pw@calc.example.com":     {true, false},
		"calc.example.com":                     {false, false},
		"/oauth/callback":                      {false, false},
		"ftp://calc.example.com":               {false, false},
		"https://":                             {false, false},
		"https://calc.example.com/%zz":         {false, false},
		"javascript:alert(1)":                  {false, false},
		"":                                     {false, false},
		"HTTPS://CALC.EXAMPLE.COM/upper/case/": {true, true},
	} {
		u, ok := httpx.AbsoluteURL(s)
		assert.Equal(t, want[0], ok, "AbsoluteURL(%q)", s)
		assert.Equal(t, ok, u != nil, s)
		_, ok = httpx.BaseURL(s)
		assert.Equal(t, want[1], ok, "BaseURL(%q)", s)
	}
}
