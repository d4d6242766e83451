package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/internal/optfunc"
	"github.com/amokit/amokit/tokenstore"
)

// DefaultExpirySkew is how long before its expiry an access token is refreshed.
const DefaultExpirySkew = 5 * time.Minute

// criticalTimeout bounds the part of a refresh that must not be cut short: holding the account's
// lock, refreshing, and saving the new pair.
const criticalTimeout = time.Minute

// TokenSource serves the access token of one account and refreshes it from the connection in a
// tokenstore.Store. It implements oauth2.TokenSource and amocrm.Refresher, so
// amocrm.WithTokenSource(ts) gives a Client that stays authorised. Safe for concurrent use.
//
// A refresh goes: take the account's lock (tokenstore.Locker, across processes when the store
// supports it) → read the store again, since another process may have refreshed meanwhile → if
// the token is still stale, refresh → save the new pair with a context that cannot be cancelled →
// release the lock. Only then is the new access token handed out. Goroutines of one process share
// one refresh. If saving fails, the new pair is kept in memory, never used, and saved first on the
// next call; the caller gets the error. If amoCRM refuses the refresh token, the connection is
// marked ReauthRequired and ErrReauthorizationRequired is returned until a person authorises
// again. Network failures during a refresh are retried with backoff, the stored token untouched.
type TokenSource struct {
	cfg     Config
	store   tokenstore.Store
	account string
	ctx     context.Context

	skew     time.Duration
	logger   *slog.Logger
	attempts int
	wait     func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	cached  *oauth2.Token
	pending *tokenstore.Connection // refreshed, not yet saved: never handed out
	// pendingPrev is the refresh token the pending pair replaced: the pending pair is saved only
	// over a connection that still holds it.
	pendingPrev string
}

var _ amocrm.Refresher = (*TokenSource)(nil)

// SourceOption configures Config.TokenSource.
type SourceOption func(*sourceOptions) error

type sourceOptions struct {
	skew     time.Duration
	logger   *slog.Logger
	attempts int
}

// WithExpirySkew refreshes tokens d before they expire (default DefaultExpirySkew).
func WithExpirySkew(d time.Duration) SourceOption {
	return func(o *sourceOptions) error { o.skew = d; return nil }
}

// WithLogger logs refreshes and failures, never tokens.
func WithLogger(l *slog.Logger) SourceOption {
	return func(o *sourceOptions) error { o.logger = l; return nil }
}

// WithRefreshAttempts sets how often a refresh is tried on network errors and 5xx (default 3).
func WithRefreshAttempts(n int) SourceOption {
	return func(o *sourceOptions) error { o.attempts = max(n, 1); return nil }
}

// TokenSource returns the token source of account, whose connection (client id and secret
// included) is in store. ctx is used by Token, which has no context of its own: give a long-lived
// context, never a request's. The integration's RedirectURL, BaseURL and HTTPClient come from c;
// the client id and secret come from the stored connection, or from c when the connection has
// none.
func (c Config) TokenSource(ctx context.Context, store tokenstore.Store, account string, opts ...SourceOption) (*TokenSource, error) {
	var errs []error
	host, err := amocrm.ParseDomain(account)
	if err != nil {
		errs = append(errs, err)
	}
	if store == nil {
		errs = append(errs, errors.New("oauth: TokenSource: nil store"))
	}
	o := sourceOptions{skew: DefaultExpirySkew, attempts: 3}
	errs = append(errs, optfunc.Apply(&o, opts)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &TokenSource{
		cfg: c, store: store, account: host, ctx: ctx,
		skew: o.skew, logger: o.logger, attempts: o.attempts, wait: sleepCtx,
	}, nil
}

// Token returns a valid access token, refreshing it first when it expires within the skew.
func (s *TokenSource) Token() (*oauth2.Token, error) { return s.token(s.ctx, nil) }

// Refresh returns a token other than refused, refreshing unless another goroutine or process
// already has. amocrm.Client calls it once when amoCRM answers 401.
func (s *TokenSource) Refresh(ctx context.Context, refused *oauth2.Token) (*oauth2.Token, error) {
	return s.token(ctx, refused)
}

func (s *TokenSource) token(ctx context.Context, refused *oauth2.Token) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil {
		if err := s.savePending(ctx); err != nil {
			return nil, fmt.Errorf("oauth: %s: the refreshed tokens are still not saved: %w", s.account, err)
		}
	}
	if s.usable(s.cached, refused) {
		return copyToken(s.cached), nil
	}
	conn, err := s.store.Load(ctx, s.account)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: loading the connection: %w", s.account, err)
	}
	if conn.ReauthRequired {
		return nil, fmt.Errorf("%w (%s)", ErrReauthorizationRequired, s.account)
	}
	if t := tokenOf(conn); s.usable(t, refused) {
		s.cached = t
		return copyToken(t), nil
	}
	t, err := s.refreshLocked(ctx, refused)
	if err != nil {
		return nil, err
	}
	s.cached = t
	return copyToken(t), nil
}

// refreshLocked refreshes under the account's lock. The critical section runs detached from the
// caller's cancellation: once amoCRM has rotated the refresh token, the new one must be saved.
func (s *TokenSource) refreshLocked(ctx context.Context, refused *oauth2.Token) (*oauth2.Token, error) {
	var out *oauth2.Token
	run := func(ctx context.Context) error {
		conn, err := s.store.Load(ctx, s.account)
		if err != nil {
			return fmt.Errorf("oauth: %s: loading the connection: %w", s.account, err)
		}
		if conn.ReauthRequired {
			return fmt.Errorf("%w (%s)", ErrReauthorizationRequired, s.account)
		}
		if t := tokenOf(conn); s.usable(t, refused) {
			out = t // another process refreshed while we waited for the lock
			return nil
		}
		refused := conn.RefreshToken
		fresh, err := s.refreshWithRetry(ctx, conn)
		if errors.Is(err, ErrReauthorizationRequired) {
			// Mark the connection only if it still holds the refused token: without a lock,
			// another process may have saved a good pair meanwhile.
			if cur, lerr := s.store.Load(ctx, s.account); lerr != nil || cur.RefreshToken != refused {
				return err
			}
			conn.ReauthRequired = true
			if serr := s.save(ctx, conn); serr != nil {
				s.log(ctx, slog.LevelError, "oauth: could not mark the connection as needing authorisation", slog.String("error", serr.Error()))
			}
			s.log(ctx, slog.LevelError, "oauth: amoCRM refused the refresh token; the account must be authorised again", slog.String("error", err.Error()))
			return err
		}
		if err != nil {
			return err
		}
		conn.AccessToken, conn.RefreshToken, conn.Expiry = fresh.AccessToken, fresh.RefreshToken, fresh.Expiry
		conn.RefreshedAt = time.Now()
		conn.ReauthRequired = false
		if err := s.save(ctx, conn); err != nil {
			s.pending, s.pendingPrev = conn, refused
			s.log(ctx, slog.LevelError, "oauth: refreshed, but saving the new tokens failed; they are held back and saved on the next call", slog.String("error", err.Error()))
			return fmt.Errorf("oauth: %s: refreshed, but saving the new tokens failed (they are kept and saved on the next call): %w", s.account, err)
		}
		s.log(ctx, slog.LevelInfo, "oauth: refreshed the access token", slog.Time("expires", conn.Expiry))
		out = fresh
		return nil
	}
	critical, cancel := context.WithTimeout(context.WithoutCancel(ctx), criticalTimeout)
	defer cancel()
	var err error
	if l, ok := s.store.(tokenstore.Locker); ok {
		err = l.WithLock(critical, s.account, run)
	} else {
		err = run(critical)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// savePending saves the pair a failed save held back, under the account's lock and only over the
// connection it replaced: if another process has saved a newer pair meanwhile, that one wins and
// the held pair is dropped.
func (s *TokenSource) savePending(ctx context.Context) error {
	run := func(ctx context.Context) error {
		cur, err := s.store.Load(ctx, s.account)
		if err != nil {
			return err
		}
		if cur.RefreshToken != s.pendingPrev && !cur.ReauthRequired {
			s.log(ctx, slog.LevelWarn, "oauth: another process saved newer tokens; dropping the held ones")
			s.pending, s.pendingPrev = nil, ""
			return nil
		}
		if err := s.save(ctx, s.pending); err != nil {
			return err
		}
		s.cached = tokenOf(s.pending)
		s.pending, s.pendingPrev = nil, ""
		return nil
	}
	critical, cancel := context.WithTimeout(context.WithoutCancel(ctx), criticalTimeout)
	defer cancel()
	if l, ok := s.store.(tokenstore.Locker); ok {
		return l.WithLock(critical, s.account, run)
	}
	return run(critical)
}

// refreshWithRetry asks amoCRM for a new pair, retrying network failures and 5xx answers.
func (s *TokenSource) refreshWithRetry(ctx context.Context, conn *tokenstore.Connection) (*oauth2.Token, error) {
	clientID, secret := conn.ClientID, conn.ClientSecret
	if clientID == "" {
		clientID, secret = s.cfg.ClientID, s.cfg.ClientSecret
	}
	var lastErr error
	for attempt := range s.attempts {
		if attempt > 0 {
			if err := s.wait(ctx, time.Duration(1<<(attempt-1))*500*time.Millisecond); err != nil {
				return nil, err
			}
		}
		tok, err := s.cfg.refresh(ctx, s.account, clientID, secret, conn.RefreshToken)
		if err == nil {
			return tok, nil
		}
		var te *TokenError
		if errors.As(err, &te) && te.refused() {
			return nil, fmt.Errorf("%w (%s): %v", ErrReauthorizationRequired, s.account, te)
		}
		if errors.Is(err, ErrReauthorizationRequired) {
			return nil, err
		}
		lastErr = err
		s.log(ctx, slog.LevelWarn, "oauth: refresh failed, trying again", slog.Int("attempt", attempt+1), slog.String("error", err.Error()))
	}
	return nil, fmt.Errorf("oauth: %s: refreshing the access token: %w", s.account, lastErr)
}

// save stores conn with a context that the caller's cancellation cannot cut, trying three times.
func (s *TokenSource) save(ctx context.Context, conn *tokenstore.Connection) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			if werr := s.wait(context.WithoutCancel(ctx), time.Duration(attempt)*100*time.Millisecond); werr != nil {
				break
			}
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = s.store.Save(sctx, conn)
		cancel()
		if err == nil {
			return nil
		}
	}
	return err
}

// usable reports whether t can be handed out: present, not expiring within the skew, and not the
// token the caller saw refused.
func (s *TokenSource) usable(t *oauth2.Token, refused *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	if refused != nil && t.AccessToken == refused.AccessToken {
		return false
	}
	return t.Expiry.IsZero() || time.Now().Add(s.skew).Before(t.Expiry)
}

func (s *TokenSource) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if s.logger != nil {
		s.logger.LogAttrs(ctx, level, msg, append([]slog.Attr{slog.String("account", s.account)}, attrs...)...)
	}
}

func tokenOf(c *tokenstore.Connection) *oauth2.Token {
	return &oauth2.Token{AccessToken: c.AccessToken, RefreshToken: c.RefreshToken, Expiry: c.Expiry, TokenType: "Bearer"}
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	c := *t
	return &c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
