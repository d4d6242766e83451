package amocrm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/amokit/amokit/internal/optfunc"
)

// Client talks to the REST API v4 of one amoCRM or Kommo account. It is safe for concurrent use.
// Create it with New; reach the API through its services, such as Client.Leads.
type Client struct {
	domain    string
	baseURL   *url.URL // ends in "/"
	hc        *http.Client
	userAgent string
	logger    *slog.Logger
	batchSize int
	brake     *brake
	retry     RetryPolicy

	common service

	// Account reads the account: GET /api/v4/account.
	Account *AccountService
	// Leads reads, writes and links leads: /api/v4/leads.
	Leads *LeadsService
	// Contacts reads, writes and links contacts: /api/v4/contacts.
	Contacts *ContactsService
	// Notes reads and writes the notes of leads, contacts and companies: /api/v4/{entity}/notes.
	Notes *NotesService
	// Links links and unlinks many leads, contacts or companies at once and lists their links:
	// /api/v4/{entity}/link, /unlink and /links.
	Links *LinksService
	// Catalogs reads catalogs and reads and writes their elements, products included:
	// /api/v4/catalogs.
	Catalogs *CatalogsService
	// Webhooks subscribes URLs to the account's events: /api/v4/webhooks.
	Webhooks *WebhooksService
	// Companies reads, writes and links companies: /api/v4/companies.
	Companies *CompaniesService
	// Tasks reads, writes and completes tasks: /api/v4/tasks.
	Tasks *TasksService
	// Pipelines reads and writes lead pipelines and their statuses: /api/v4/leads/pipelines.
	Pipelines *PipelinesService
	// Users reads users and roles and adds them (administrators only): /api/v4/users, /api/v4/roles.
	Users *UsersService
	// CustomFields reads and writes custom field definitions and groups: /api/v4/{entity}/custom_fields.
	CustomFields *CustomFieldsService
	// Tags reads and adds tags: /api/v4/{entity}/tags.
	Tags *TagsService
	// Sources manages the integration's lead sources (administrators only): /api/v4/sources.
	Sources *SourcesService
	// Events reads the event log: /api/v4/events.
	Events *EventsService
	// Files uploads to the account's Drive and reads and deletes files there: {drive_url}/v1.0.
	Files *FilesService
}

// service is what every resource service shares: the Client it belongs to.
type service struct{ client *Client }

// New returns a Client for the account host domain ("acme.amocrm.ru", "acme.kommo.com",
// "acme.amocrm.com"). domain is checked with ParseDomain. Credentials are required: WithTokenSource
// or WithAccessToken.
func New(domain string, opts ...Option) (*Client, error) {
	host, err := ParseDomain(domain)
	if err != nil {
		return nil, err
	}
	o := defaultOptions()
	if err := errors.Join(optfunc.Apply(&o, opts)...); err != nil {
		return nil, err
	}
	if o.tokenSource == nil {
		return nil, errors.New("amocrm: no credentials: use WithTokenSource or WithAccessToken")
	}
	base := o.baseURL
	if base == nil {
		base = &url.URL{Scheme: "https", Host: host, Path: "/"}
	}
	if o.pacer == nil {
		o.pacer = NewLocalPacer(DefaultRate * DefaultPace)
	}
	outer := &http.Client{Timeout: o.timeout}
	var transport http.RoundTripper = cleanhttp.DefaultPooledTransport()
	if o.httpClient != nil {
		if o.httpClient.Transport != nil {
			transport = o.httpClient.Transport
		}
		if o.httpClient.Timeout > 0 && o.timeout == DefaultTimeout {
			outer.Timeout = o.httpClient.Timeout
		}
	}
	transport = &sentTransport{base: transport}
	pace := &paceTransport{base: transport, pacer: o.pacer, account: host, brake: newBrake()}
	transport = pace
	transport = &authTransport{base: transport, source: o.tokenSource}
	transport = &actAsTransport{base: transport}
	// The innermost client never follows redirects: a redirect could lead the token to another host.
	inner := &http.Client{Transport: transport, CheckRedirect: noRedirects}
	outer.Transport = &methodSwitch{
		safe:   &retryablehttp.RoundTripper{Client: newRetryClient(inner, o.retry, true, o.logger)},
		unsafe: &retryablehttp.RoundTripper{Client: newRetryClient(inner, o.retry, false, o.logger)},
	}
	outer.CheckRedirect = noRedirects

	c := &Client{domain: host, baseURL: base, hc: outer, userAgent: o.userAgent, logger: o.logger, batchSize: o.batchSize, brake: pace.brake, retry: o.retry}
	if o.logger != nil {
		pace.onPause = func(req *http.Request, d time.Duration) {
			c.log(req, slog.LevelWarn, "amocrm: 429 Too Many Requests: every request of this client pauses", slog.Duration("pause", d))
		}
		pace.onBlock = func(req *http.Request) {
			c.log(req, slog.LevelError, "amocrm: amoCRM blocks this client (403 after repeated rate-limit violations): every call now fails with ErrBlocked until Client.Unblock")
		}
	}
	c.common.client = c
	c.Account = (*AccountService)(&c.common)
	c.Leads = (*LeadsService)(&c.common)
	c.Contacts = (*ContactsService)(&c.common)
	c.Notes = (*NotesService)(&c.common)
	c.Links = (*LinksService)(&c.common)
	c.Catalogs = (*CatalogsService)(&c.common)
	c.Webhooks = (*WebhooksService)(&c.common)
	c.Companies = (*CompaniesService)(&c.common)
	c.Tasks = (*TasksService)(&c.common)
	c.Pipelines = (*PipelinesService)(&c.common)
	c.Users = (*UsersService)(&c.common)
	c.CustomFields = (*CustomFieldsService)(&c.common)
	c.Tags = (*TagsService)(&c.common)
	c.Sources = (*SourcesService)(&c.common)
	c.Events = (*EventsService)(&c.common)
	c.Files = &FilesService{client: c, drive: o.driveURL}
	return c, nil
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Unblock lets the Client send again after amoCRM blocked it (see BlockedError). Call it once
// amoCRM's support has lifted the block; the client resumes slowly.
func (c *Client) Unblock() { c.brake.unblock() }

// Domain returns the account host the Client was made for.
func (c *Client) Domain() string { return c.domain }

// BaseURL returns the URL requests go to: https://{domain}/ or the one given to WithBaseURL.
func (c *Client) BaseURL() string { return c.baseURL.String() }

// newRequest builds a request for path, relative to the base URL ("api/v4/leads"). body, when not
// nil, is sent as JSON.
func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, body any) (*http.Request, error) {
	if strings.HasPrefix(path, "/") || strings.Contains(path, "://") {
		return nil, fmt.Errorf("amocrm: path %q must be relative to the base URL", path)
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == ".." || seg == "." {
			return nil, fmt.Errorf("amocrm: path %q has a dot segment", path)
		}
	}
	u, err := c.baseURL.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("amocrm: path %q: %w", path, err)
	}
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return c.newRequestURL(ctx, method, u, body)
}

func (c *Client) newRequestURL(ctx context.Context, method string, u *url.URL, body any) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			return nil, fmt.Errorf("amocrm: encoding the request to %s: %w", u.Path, err)
		}
		r = &buf
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("amocrm: %w", err)
	}
	req.Header.Set("Accept", "application/hal+json, application/json;q=0.9, */*;q=0.1")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// do sends req and decodes a successful JSON answer into out (which may be nil). It reports
// whether amoCRM answered 204 No Content, which is success with no body. Any status of 300 or more
// is an *Error.
func (c *Client) do(req *http.Request, out any) (noContent bool, err error) {
	resp, err := c.roundTrip(req)
	if err != nil || resp == nil {
		return resp == nil && err == nil, err
	}
	defer drainClose(resp)
	if out == nil {
		return false, nil
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil // an empty 200 body
		}
		return false, decodeError(req, err)
	}
	return false, nil
}

// maxBody bounds a successful answer read whole. A page of 250 entities is usually well under
// 1 MiB; the bound sits far above any real answer and stops only a runaway body.
const maxBody = 64 << 20

// doRaw sends req and returns the body of a successful answer; nil with noContent for a 204.
func (c *Client) doRaw(req *http.Request) (body []byte, noContent bool, err error) {
	resp, err := c.roundTrip(req)
	if err != nil || resp == nil {
		return nil, resp == nil && err == nil, err
	}
	defer drainClose(resp)
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, false, fmt.Errorf("amocrm: %s %s: reading the answer: %w", req.Method, sanitizeURL(req.URL), err)
	}
	if len(body) > maxBody {
		return nil, false, fmt.Errorf("amocrm: %s %s: the answer is larger than %d bytes", req.Method, sanitizeURL(req.URL), maxBody)
	}
	return body, false, nil
}

// roundTrip sends req. It returns the response of a 2xx answer with its body open for the caller
// to read and close, nil and no error for a 204, and an *Error for any status of 300 or more.
func (c *Client) roundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		var be *BlockedError
		if errors.As(err, &be) {
			return nil, be // said once, in the log, when the block came
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error would repeat the URL unmasked
		}
		c.log(req, slog.LevelWarn, "amocrm: request failed", slog.String("error", err.Error()))
		return nil, fmt.Errorf("amocrm: %s %s: %w", req.Method, sanitizeURL(req.URL), err)
	}
	c.log(req, slog.LevelDebug, "amocrm: request", slog.Int("status", resp.StatusCode), slog.Duration("took", time.Since(start)))
	switch {
	case resp.StatusCode == http.StatusNoContent:
		drainClose(resp)
		return nil, nil
	case resp.StatusCode >= 300:
		defer drainClose(resp)
		e := newError(resp, req.Method, req.URL)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusForbidden {
			c.log(req, slog.LevelWarn, "amocrm: error answer", slog.Int("status", resp.StatusCode), slog.String("request_id", e.RequestID))
		}
		return nil, e
	}
	return resp, nil
}

// drainClose reads what is left of a body (up to a limit) and closes it, so the connection is
// reused.
func drainClose(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
}

func decodeError(req *http.Request, err error) error {
	return fmt.Errorf("amocrm: %s %s: decoding the answer: %w", req.Method, sanitizeURL(req.URL), err)
}

func (c *Client) log(req *http.Request, level slog.Level, msg string, attrs ...slog.Attr) {
	if c.logger == nil {
		return
	}
	attrs = append([]slog.Attr{slog.String("method", req.Method), slog.String("url", sanitizeURL(req.URL))}, attrs...)
	c.logger.LogAttrs(req.Context(), level, msg, attrs...)
}

// get fetches path into out and reports a 204.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) (noContent bool, err error) {
	req, err := c.newRequest(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return false, err
	}
	return c.do(req, out)
}

// send writes body to path with method and decodes the answer into out.
func (c *Client) send(ctx context.Context, method, path string, body, out any) (noContent bool, err error) {
	req, err := c.newRequest(ctx, method, path, nil, body)
	if err != nil {
		return false, err
	}
	return c.do(req, out)
}

// getOne fetches a single entity; a 204 is ErrNotFound.
func (c *Client) getOne(ctx context.Context, path string, q url.Values, out any) error {
	req, err := c.newRequest(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return err
	}
	body, noContent, err := c.doRaw(req)
	if err != nil {
		return err
	}
	// amoCRM answers some gets of a missing id with 204 rather than 404 (docs/amocrmtest.md#missing-entities);
	// an empty 200 is no entity either. Neither may decode into a zero value.
	if noContent {
		return &Error{StatusCode: http.StatusNoContent, Detail: "no such entity", Method: http.MethodGet, URL: sanitizeURL(req.URL)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("amocrm: GET %s: an empty answer where an entity was expected: %w", sanitizeURL(req.URL), ErrNotFound)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return decodeError(req, err)
	}
	return nil
}
