package amocrm

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
)

// The transport stack, from the network up; each layer is one small RoundTripper:
//
//	base transport (the caller's, or a pooled default)
//	→ sentTransport   marks failures that happened before anything was written
//	→ paceTransport   every attempt waits for the client's brake and the Pacer; a 429 pauses the
//	                  whole client, a 403 block stops it (pace.go)
//	→ authTransport   every attempt asks the TokenSource; one forced refresh and replay on 401
//	→ actAsTransport  X-Context-User-ID from the context (AsUser), on every attempt
//	→ retry           go-retryablehttp, one client for safe methods and one for writes
//	→ http.Client     whose Timeout covers all attempts
//
// Retries sit above the pacer and the auth layer, so a retry is paced and freshly authorised.

// Refresher is a TokenSource that can replace a token amoCRM refused. When a request gets 401, the
// client calls Refresh once with the refused token and replays the request with the result.
// Implementations refresh only if the stored token is still the refused one, so concurrent
// callers share one refresh.
type Refresher interface {
	oauth2.TokenSource
	Refresh(ctx context.Context, refused *oauth2.Token) (*oauth2.Token, error)
}

// notSentError marks a transport failure that happened before the request's headers were written:
// such a request never reached amoCRM and is safe to try again whatever its method.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

type sentTransport struct{ base http.RoundTripper }

func (t *sentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }}
	resp, err := t.base.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil && !wrote.Load() {
		return nil, &notSentError{err}
	}
	return resp, err
}

type authTransport struct {
	base   http.RoundTripper
	source oauth2.TokenSource
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.source.Token()
	if err != nil {
		closeBody(req)
		return nil, &notSentError{&tokenError{err}}
	}
	refresher, canRefresh := t.source.(Refresher)
	var body []byte
	if canRefresh && req.Body != nil && req.Body != http.NoBody {
		// Keep the body so that a replay after a refresh sends it intact.
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, &notSentError{err}
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := t.base.RoundTrip(authorize(req, tok))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !canRefresh {
		return resp, err
	}
	fresh, rerr := refresher.Refresh(req.Context(), tok)
	if rerr != nil || fresh.AccessToken == tok.AccessToken {
		return resp, nil // the 401 stands; the refresh failure is the token source's to report
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	replay := req.Clone(req.Context())
	if body != nil {
		replay.Body = io.NopCloser(bytes.NewReader(body))
	}
	return t.base.RoundTrip(authorize(replay, fresh))
}

// tokenError is a failure to get a token; it is not retried.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "amocrm: token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

func authorize(req *http.Request, tok *oauth2.Token) *http.Request {
	r := req.Clone(req.Context())
	r.Body = req.Body
	tok.SetAuthHeader(r)
	return r
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// methodSwitch sends safe methods through one retrying client and writes through another.
type methodSwitch struct {
	safe, unsafe http.RoundTripper
}

func (m *methodSwitch) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.WithContext(context.WithValue(req.Context(), triesKey{}, &tries{}))
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodOptions:
		return m.safe.RoundTrip(req)
	}
	return m.unsafe.RoundTrip(req)
}

// tries counts the retries of one call by cause: a 429 has a budget of its own (RateLimitRetries).
type tries struct{ limited, other int }

type triesKey struct{}

// newRetryClient configures go-retryablehttp field by field rather than from its defaults: our own
// CheckRetry and Backoff, the last response passed through for decoding, no logger of its own.
func newRetryClient(inner *http.Client, p RetryPolicy, idempotent bool, logger *slog.Logger) *retryablehttp.Client {
	rc := &retryablehttp.Client{
		HTTPClient:   inner,
		RetryWaitMin: p.MinWait,
		RetryWaitMax: p.MaxWait,
		RetryMax:     p.retries(),
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			retry, err := checkRetry(ctx, resp, err, idempotent, p.MaxRetryAfter)
			if n, ok := ctx.Value(triesKey{}).(*tries); ok && retry {
				if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
					n.limited++
				} else {
					n.other++
					retry = n.other < p.Attempts
				}
			}
			return retry, err
		},
		Backoff:      backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	if logger != nil {
		rc.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, attempt int) {
			if attempt > 0 {
				logger.LogAttrs(req.Context(), slog.LevelWarn, "amocrm: retrying request",
					slog.String("method", req.Method), slog.String("url", sanitizeURL(req.URL)), slog.Int("attempt", attempt+1))
			}
		}
	}
	return rc
}

// checkRetry is the retry policy described on RetryPolicy.
func checkRetry(ctx context.Context, resp *http.Response, err error, idempotent bool, maxRetryAfter time.Duration) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		var (
			te  *tokenError
			uae x509.UnknownAuthorityError
			he  x509.HostnameError
			cie x509.CertificateInvalidError
			be  *BlockedError
		)
		switch {
		case errors.As(err, &te), errors.As(err, &uae), errors.As(err, &he), errors.As(err, &cie), errors.As(err, &be):
			// No retry fixes a missing token, a bad certificate or a block.
			return false, err
		case idempotent:
			return true, nil
		default:
			var ns *notSentError
			return errors.As(err, &ns), nil
		}
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if !idempotent {
			return false, nil
		}
	default:
		return false, nil
	}
	if wait := serverWait(resp); wait > maxRetryAfter {
		return false, nil // amoCRM asks for a longer pause than the policy sits out: let the caller decide
	}
	return true, nil
}

// waitBody is a response body whose start was read to find a JSON retry_after; it keeps the value
// for the backoff, which runs after the body is drained.
type waitBody struct {
	io.Reader
	io.Closer
	wait time.Duration
}

// serverWait returns how long amoCRM asked the client to wait: the Retry-After header, else a
// retry_after field in a JSON body (docs/amocrm-reference.md#errors). It leaves the body readable.
func serverWait(resp *http.Response) time.Duration {
	if wb, ok := resp.Body.(*waitBody); ok {
		return wb.wait
	}
	wait := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if wait == 0 && resp.Body != nil {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var p struct {
			RetryAfter json.Number `json:"retry_after"`
		}
		if json.Unmarshal(bytes.TrimSpace(head), &p) == nil {
			if secs, err := p.RetryAfter.Float64(); err == nil && secs > 0 {
				wait = time.Duration(secs * float64(time.Second))
			}
		}
		resp.Body = &waitBody{Reader: io.MultiReader(bytes.NewReader(head), resp.Body), Closer: resp.Body, wait: wait}
	}
	return wait
}

// backoff waits as long as amoCRM asked, else exponentially from min to max with jitter.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if wait := serverWait(resp); wait > 0 {
			return wait
		}
	}
	d := lo << min(attempt, 30)
	if d > hi || d <= 0 {
		d = hi
	}
	// Full jitter in [d/2, d] keeps retries of many clients apart.
	half := int64(d / 2)
	if half <= 0 {
		return d
	}
	return time.Duration(half + rand.Int64N(half+1))
}
