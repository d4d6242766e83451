package amocrm

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/time/rate"

	"github.com/amokit/amokit/internal/httpx"
)

// Defaults of a new Client.
const (
	// DefaultRate is amoCRM's documented limit: 7 requests a second per account
	// (docs/pacing.md). The default pacer sends at DefaultPace of it, evenly spaced.
	DefaultRate = 7
	// DefaultTimeout bounds one call, all of its attempts and waits included.
	DefaultTimeout = 60 * time.Second
	// DefaultBatchSize is how many items one write request carries: amoCRM takes up to 250 but
	// recommends at most 50 (docs/amocrm-reference.md#batch-limits).
	DefaultBatchSize = 50
	// DefaultUserAgent identifies the library to amoCRM.
	DefaultUserAgent = "amokit (+https://github.com/amokit/amokit)"
)

// Option configures a Client. Options check their input: New returns the first problem.
type Option func(*options) error

// options is what the Options write; New turns it into a Client.
type options struct {
	baseURL     *url.URL
	httpClient  *http.Client
	tokenSource oauth2.TokenSource
	userAgent   string
	logger      *slog.Logger
	pacer       Pacer
	retry       RetryPolicy
	timeout     time.Duration
	batchSize   int      // items per write request; see WithBatchSize in batch.go
	driveURL    *url.URL // see WithDriveURL in files.go
}

func defaultOptions() options {
	return options{
		userAgent: DefaultUserAgent,
		retry:     DefaultRetryPolicy(),
		timeout:   DefaultTimeout,
		batchSize: DefaultBatchSize,
	}
}

// WithBaseURL sends every request to base instead of https://{domain}/: a fake such as
// amocrmtest, a proxy or a test server. The API is reached under base's path, so
// "http://127.0.0.1:8080/amo/" serves leads at /amo/api/v4/leads. This is the only way to point a
// Client at a host that is not the account's own.
func WithBaseURL(base string) Option {
	return func(o *options) error {
		if _, err := url.Parse(base); err != nil {
			return fmt.Errorf("amocrm: WithBaseURL: %w", err)
		}
		u, ok := httpx.AbsoluteURL(base)
		if !ok {
			return fmt.Errorf("amocrm: WithBaseURL: %q is not an absolute http(s) URL", base)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("amocrm: WithBaseURL: %q must not carry user info, a query or a fragment", sanitizeURL(u))
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
			u.RawPath = ""
		}
		o.baseURL = u
		return nil
	}
}

// WithHTTPClient makes requests through a copy of hc: its Transport becomes the bottom of the
// client's transport stack and its Timeout is kept unless WithTimeout is given. hc is not modified.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return errors.New("amocrm: WithHTTPClient: nil client")
		}
		c := *hc
		o.httpClient = &c
		return nil
	}
}

// WithTokenSource authenticates every attempt of every request with a token from ts. A source
// that also implements Refresher gets one forced refresh when amoCRM answers 401. The oauth
// package's token source is the usual choice.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(o *options) error {
		if ts == nil {
			return errors.New("amocrm: WithTokenSource: nil token source")
		}
		o.tokenSource = ts
		return nil
	}
}

// WithAccessToken authenticates with a fixed token, such as a private integration's long-lived
// token (docs/amocrm-reference.md#long-lived-tokens). It is never refreshed.
func WithAccessToken(token string) Option {
	return func(o *options) error {
		token = strings.TrimSpace(token)
		if token == "" {
			return errors.New("amocrm: WithAccessToken: empty token")
		}
		if strings.ContainsAny(token, " \r\n\t") {
			return errors.New("amocrm: WithAccessToken: the token contains white space")
		}
		o.tokenSource = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"})
		return nil
	}
}

// WithUserAgent sets the User-Agent header; the library's name is appended in parentheses.
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		ua = strings.TrimSpace(ua)
		if ua == "" || strings.ContainsAny(ua, "\r\n") {
			return errors.New("amocrm: WithUserAgent: empty or multi-line user agent")
		}
		o.userAgent = ua + " (" + DefaultUserAgent + ")"
		return nil
	}
}

// WithLogger logs requests, retries and failures at Debug and Warn levels. The client is silent
// without it. Tokens, secrets and bodies are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("amocrm: WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithRateLimit paces requests with a token bucket of rps a second and bursts of up to burst
// requests, instead of the default pacer. Every attempt, retries included, waits its turn.
// A burst over 1 can exceed amoCRM's limit as it is strictly read (7 in any sliding second);
// WithRateLimit(math.Inf(1), 1) turns pacing off, for tests. The brake after a 429 still applies.
func WithRateLimit(rps float64, burst int) Option {
	return func(o *options) error {
		if rps <= 0 || burst < 1 {
			return fmt.Errorf("amocrm: WithRateLimit: rate %v and burst %d must be positive", rps, burst)
		}
		o.pacer = limiterPacer{rate.NewLimiter(rate.Limit(rps), burst)}
		return nil
	}
}

// WithLimiter paces requests with l, a token bucket the caller shares between clients of one
// account. WithPacer with a shared LocalPacer is the safer way to share the default pace.
func WithLimiter(l *rate.Limiter) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("amocrm: WithLimiter: nil limiter")
		}
		o.pacer = limiterPacer{l}
		return nil
	}
}

// NewLimiter returns a token bucket at the default pace (DefaultRate×DefaultPace a second, no
// burst), for sharing with WithLimiter.
func NewLimiter() *rate.Limiter { return rate.NewLimiter(rate.Limit(DefaultRate*DefaultPace), 1) }

// WithPacer paces requests with p instead of a LocalPacer of the Client's own. Give every
// Client of one account the same Pacer so that together they stay under amoCRM's limit; across
// processes, use a shared one (package amocrm/postgres). See docs/pacing.md.
func WithPacer(p Pacer) Option {
	return func(o *options) error {
		if p == nil {
			return errors.New("amocrm: WithPacer: nil pacer")
		}
		o.pacer = p
		return nil
	}
}

// WithRetry replaces the retry policy. See RetryPolicy.
func WithRetry(p RetryPolicy) Option {
	return func(o *options) error {
		if err := p.validate(); err != nil {
			return err
		}
		o.retry = p
		return nil
	}
}

// WithTimeout bounds each call, all its attempts and waits included. The default is DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("amocrm: WithTimeout: %v is not positive", d)
		}
		o.timeout = d
		return nil
	}
}

// RetryPolicy says when and how a failed request is tried again.
//
// GET, HEAD and DELETE are retried on connection errors and on 429, 500, 502, 503 and 504. POST
// and PATCH are retried only on 429 and on failures that happened before the request was sent:
// amoCRM has no idempotency key, so replaying a write after a 502 could create duplicates.
type RetryPolicy struct {
	// Attempts is the number of tries in all, the first included; 1 turns retries off.
	Attempts int
	// MinWait and MaxWait bound the exponential backoff with jitter between tries.
	MinWait, MaxWait time.Duration
	// RateLimitRetries is how many more times than Attempts allows a call is tried again after
	// 429s. While amoCRM refuses, the whole client pauses (docs/pacing.md), so these retries
	// cost waiting, not load.
	RateLimitRetries int
	// MaxRetryAfter is the longest wait asked by amoCRM (Retry-After, or retry_after in a JSON
	// body) that the client sits out; when amoCRM asks for more, the error is returned at once
	// with its RetryAfter set.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy: 4 attempts and 6 more after 429s, backoff from 500 ms to 10 s, and waits
// asked by amoCRM of up to a minute honoured.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Attempts: 4, RateLimitRetries: 6, MinWait: 500 * time.Millisecond, MaxWait: 10 * time.Second, MaxRetryAfter: time.Minute}
}

// retries is how many retries a call may make in all.
func (p RetryPolicy) retries() int {
	if p.Attempts <= 1 {
		return 0
	}
	return p.Attempts - 1 + p.RateLimitRetries
}

func (p RetryPolicy) validate() error {
	switch {
	case p.Attempts < 1 || p.Attempts > 20:
		return fmt.Errorf("amocrm: RetryPolicy: Attempts %d is not in 1..20", p.Attempts)
	case p.MinWait < 0 || p.MaxWait < p.MinWait:
		return fmt.Errorf("amocrm: RetryPolicy: waits %v..%v are not an interval", p.MinWait, p.MaxWait)
	case p.RateLimitRetries < 0 || p.RateLimitRetries > 50:
		return fmt.Errorf("amocrm: RetryPolicy: RateLimitRetries %d is not in 0..50", p.RateLimitRetries)
	case p.MaxRetryAfter < 0:
		return fmt.Errorf("amocrm: RetryPolicy: MaxRetryAfter %v is negative", p.MaxRetryAfter)
	}
	return nil
}
