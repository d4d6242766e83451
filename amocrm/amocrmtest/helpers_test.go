package amocrmtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// start is the fixed time every test clock starts at.
func start() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }

// env is one fake server with an account "acme", an integration and a
// token for it. The rate limit is off unless a test turns it on.
type env struct {
	t     *testing.T
	srv   *amocrmtest.Server
	clock *amocrmtest.FakeClock
	acct  *amocrmtest.Account
	integ amocrmtest.Integration
	tok   amocrmtest.Token
}

const redirectURI = "https://app.example/oauth/callback"

func setup(t *testing.T, opts ...amocrmtest.Option) *env {
	t.Helper()
	clock := amocrmtest.NewFakeClock(start())
	all := append([]amocrmtest.Option{amocrmtest.WithClock(clock), amocrmtest.WithRateLimit(0, 1)}, opts...)
	srv := amocrmtest.NewServer(all...)
	t.Cleanup(srv.Close)
	acct := srv.AddAccount("acme")
	integ := srv.AddIntegration(amocrmtest.Integration{Name: "Калькулятор", RedirectURI: redirectURI})
	tok, err := srv.IssueToken(integ.ClientID, "acme")
	require.NoError(t, err)
	return &env{t: t, srv: srv, clock: clock, acct: acct, integ: integ, tok: tok}
}

// resp is a response with its body read.
type resp struct {
	*http.Response
	body []byte
}

// do sends a request with e's token. body is a string (sent as is) or a
// value (sent as JSON); path is relative to the server URL.
func (e *env) do(method, path string, body any) resp {
	e.t.Helper()
	return e.doToken(e.tok.AccessToken, method, path, body)
}

func (e *env) doToken(token, method, path string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(j)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = e.srv.URL + path
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, target, rd)
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(e.t, http.DefaultClient, req)
}

func send(t *testing.T, c *http.Client, req *http.Request) resp {
	t.Helper()
	r, err := c.Do(req)
	require.NoError(t, err)
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return resp{r, b}
}

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	return v
}

// postForm posts a form without following redirects.
func postForm(t *testing.T, target string, form url.Values) resp {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, target, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return send(t, c, req)
}

type href struct {
	Href string `json:"href"`
}

type links struct {
	Self  *href `json:"self"`
	Next  *href `json:"next"`
	Prev  *href `json:"prev"`
	First *href `json:"first"`
}

type page[T any] struct {
	Page     int            `json:"_page"`
	Links    links          `json:"_links"`
	Embedded map[string][]T `json:"_embedded"`
}

type cfJSON struct {
	FieldID   int64   `json:"field_id"`
	FieldCode *string `json:"field_code"`
	FieldType string  `json:"field_type"`
	Values    []struct {
		Value    any    `json:"value"`
		EnumID   int64  `json:"enum_id"`
		EnumCode string `json:"enum_code"`
	} `json:"values"`
}

type leadJSON struct {
	ID                 int64           `json:"id"`
	Name               string          `json:"name"`
	Price              int64           `json:"price"`
	StatusID           int64           `json:"status_id"`
	PipelineID         int64           `json:"pipeline_id"`
	CreatedAt          int64           `json:"created_at"`
	UpdatedAt          int64           `json:"updated_at"`
	ClosedAt           *int64          `json:"closed_at"`
	AccountID          int64           `json:"account_id"`
	CustomFieldsValues json.RawMessage `json:"custom_fields_values"`
	Links              links           `json:"_links"`
	Embedded           struct {
		Tags []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"tags"`
		Contacts []struct {
			ID     int64 `json:"id"`
			IsMain bool  `json:"is_main"`
		} `json:"contacts"`
		Companies []struct {
			ID int64 `json:"id"`
		} `json:"companies"`
		CatalogElements []struct {
			ID       int64          `json:"id"`
			Metadata map[string]any `json:"metadata"`
		} `json:"catalog_elements"`
	} `json:"_embedded"`
}

type problemJSON struct {
	Title            string `json:"title"`
	Type             string `json:"type"`
	Status           int    `json:"status"`
	Detail           string `json:"detail"`
	Hint             string `json:"hint"`
	ValidationErrors []struct {
		RequestID string `json:"request_id"`
		Errors    []struct {
			Code   string `json:"code"`
			Path   string `json:"path"`
			Detail string `json:"detail"`
		} `json:"errors"`
	} `json:"validation-errors"`
}

// writeResult is the _embedded element of a create or update answer.
type writeResult struct {
	ID        int64           `json:"id"`
	UpdatedAt int64           `json:"updated_at"`
	RequestID json.RawMessage `json:"request_id"`
}

type writeAnswer struct {
	Embedded map[string][]writeResult `json:"_embedded"`
}

// ids collects the ids of a page's items.
func ids[T any](items []T, id func(T) int64) []int64 {
	var out []int64
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func leadID(l leadJSON) int64 { return l.ID }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
