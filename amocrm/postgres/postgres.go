package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/internal/optfunc"
	"github.com/amokit/amokit/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// component names this package's migrations among the others in one database.
const component = "pacing"

// Defaults of New.
const (
	// DefaultPace is the share of amoCRM's limit the replicas use together. It leaves more room
	// than the in-process amocrm.DefaultPace because a moment reserved in the database reaches
	// each replica with the jitter of a round trip.
	DefaultPace = 0.93
	// DefaultFallbackShare is the share of the rate one replica uses on its own while the
	// database does not answer: a quarter, safe for up to four replicas.
	DefaultFallbackShare = 0.25
	// DefaultQueryTimeout bounds one reservation; a database slower than that counts as down.
	DefaultQueryTimeout = 2 * time.Second
	// retryAfter is how long a replica paces locally before it asks the database again.
	retryAfter = 5 * time.Second
)

// Pacer is an amocrm.Pacer whose budget lives in PostgreSQL, so that every replica of a service
// together stays under amoCRM's limit for an account. It is safe for concurrent use. Create it
// with New and give it to every Client with amocrm.WithPacer.
type Pacer struct {
	store    store
	interval time.Duration
	timeout  time.Duration
	logger   *slog.Logger
	share    float64
	local    *amocrm.LocalPacer // while the database is down

	mu      sync.Mutex
	down    bool
	retryAt time.Time
	clock   offset
}

var _ amocrm.Pacer = (*Pacer)(nil)

// Option configures New.
type Option func(*options) error

type options struct {
	rate    float64
	share   float64
	timeout time.Duration
	logger  *slog.Logger
}

// WithRate sets the requests a second all replicas together send to one account (default
// amocrm.DefaultRate × DefaultPace).
func WithRate(rps float64) Option {
	return func(o *options) error {
		if !(rps > 0) || rps > 1000 {
			return fmt.Errorf("WithRate: %v is not in (0, 1000]", rps)
		}
		o.rate = rps
		return nil
	}
}

// WithFallbackShare sets the share of the rate one replica uses alone while the database does
// not answer (default DefaultFallbackShare). With n replicas, 1/n keeps them all under the limit.
func WithFallbackShare(share float64) Option {
	return func(o *options) error {
		if !(share > 0) || share > 1 {
			return fmt.Errorf("WithFallbackShare: %v is not in (0, 1]", share)
		}
		o.share = share
		return nil
	}
}

// WithQueryTimeout bounds one reservation in the database (default DefaultQueryTimeout).
func WithQueryTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("WithQueryTimeout: %v is not positive", d)
		}
		o.timeout = d
		return nil
	}
}

// WithLogger says, at Warn, when the pacer falls back to local pacing and, at Info, when it
// returns to the shared budget. Without it, the pacer is silent.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// New applies the embedded migrations the database lacks and returns a Pacer using pool, which
// it neither configures nor closes. Replicas may call it at the same time.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Pacer, error) {
	if pool == nil {
		return nil, errors.New("amocrm/postgres: New: nil pool")
	}
	o := options{rate: amocrm.DefaultRate * DefaultPace, share: DefaultFallbackShare, timeout: DefaultQueryTimeout}
	errs := optfunc.Apply(&o, opts)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("amocrm/postgres: %w", err)
	}
	if err := pgmigrate.Run(ctx, pool, component, migrationFS); err != nil {
		return nil, fmt.Errorf("amocrm/postgres: migrate: %w", err)
	}
	return newPacer(&pgStore{pool: pool}, o), nil
}

func newPacer(s store, o options) *Pacer {
	return &Pacer{
		store:    s,
		interval: time.Duration(float64(time.Second) / o.rate),
		timeout:  o.timeout,
		logger:   o.logger,
		share:    o.share,
		local:    amocrm.NewLocalPacer(o.rate * o.share),
	}
}

// Ping reports whether the database answers and the pacing table is readable: a readiness
// check.
func (p *Pacer) Ping(ctx context.Context) error {
	if err := p.store.ping(ctx); err != nil {
		return fmt.Errorf("amocrm/postgres: ping: %w", err)
	}
	return nil
}

// Wait implements amocrm.Pacer: it reserves the account's next moment in the database and sleeps
// until then. While the database does not answer it paces locally at the fallback share, and
// asks the database again every few seconds.
func (p *Pacer) Wait(ctx context.Context, account string) error {
	if p.useLocal() {
		return p.local.Wait(ctx, account)
	}
	qctx, cancel := context.WithTimeout(ctx, p.timeout)
	sent := time.Now()
	r, err := p.store.reserve(qctx, account, p.interval)
	received := time.Now()
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.fellBack(ctx, err)
		return p.local.Wait(ctx, account)
	}
	p.recovered(ctx)
	at := p.clock.local(r, sent, received)
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Pause implements amocrm.Pacer: no replica sends to account for d from now.
func (p *Pacer) Pause(ctx context.Context, account string, d time.Duration) error {
	_ = p.local.Pause(ctx, account, d)
	if p.useLocal() {
		return nil
	}
	qctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	if err := p.store.pause(qctx, account, d); err != nil {
		if ctx.Err() == nil {
			p.fellBack(ctx, err)
		}
		return fmt.Errorf("amocrm/postgres: pause %s: %w", account, err)
	}
	return nil
}

// useLocal reports whether the pacer is pacing locally. Once retryAt has passed, one call tries
// the database again while the others go on locally.
func (p *Pacer) useLocal() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.down {
		return false
	}
	now := time.Now()
	if now.Before(p.retryAt) {
		return true
	}
	p.retryAt = now.Add(retryAfter)
	return false
}

func (p *Pacer) fellBack(ctx context.Context, err error) {
	p.mu.Lock()
	was := p.down
	p.down = true
	p.retryAt = time.Now().Add(retryAfter)
	p.mu.Unlock()
	if !was && p.logger != nil {
		p.logger.LogAttrs(ctx, slog.LevelWarn, "amocrm/postgres: the database does not answer; pacing this replica alone at a share of the rate until it does",
			slog.Float64("share", p.share), slog.String("error", err.Error()))
	}
}

func (p *Pacer) recovered(ctx context.Context) {
	p.mu.Lock()
	was := p.down
	p.down = false
	p.mu.Unlock()
	if was && p.logger != nil {
		p.logger.LogAttrs(ctx, slog.LevelInfo, "amocrm/postgres: the database answers again; pacing with the shared budget")
	}
}
