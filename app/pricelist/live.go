package pricelist

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/internal/optfunc"
)

// DefaultRefresh is how often Live asks its store for a newer version.
const DefaultRefresh = 2 * time.Second

// Live serves the current price list from a Store to the calculator and
// reopens old versions by name. It is safe for concurrent use.
type Live struct {
	store    Store
	fallback *glass.PriceList
	refresh  time.Duration
	logger   *slog.Logger

	flight singleflight.Group

	mu        sync.Mutex
	current   *glass.PriceList // nil until a version was read
	currentID int64
	checked   time.Time
	byName    map[string]*glass.PriceList // versions are immutable
}

type liveOptions struct {
	refresh time.Duration
	logger  *slog.Logger
}

// LiveOption configures NewLive.
type LiveOption func(*liveOptions) error

// WithRefresh sets how often Live looks for a newer version (DefaultRefresh).
func WithRefresh(d time.Duration) LiveOption {
	return func(o *liveOptions) error {
		if d <= 0 {
			return fmt.Errorf("refresh interval %v: want a positive duration", d)
		}
		o.refresh = d
		return nil
	}
}

// WithLogger sets where Live reports a store it cannot read (slog.Default()).
func WithLogger(l *slog.Logger) LiveOption {
	return func(o *liveOptions) error {
		if l == nil {
			return errors.New("nil logger")
		}
		o.logger = l
		return nil
	}
}

// NewLive returns a Live on store. fallback is current until a version is
// published; it must be a valid price list.
func NewLive(store Store, fallback *glass.PriceList, opts ...LiveOption) (*Live, error) {
	o := liveOptions{refresh: DefaultRefresh, logger: slog.Default()}
	errs := optfunc.Apply(&o, opts)
	if store == nil {
		errs = append(errs, errors.New("nil store"))
	}
	if fallback == nil {
		errs = append(errs, errors.New("nil fallback price list"))
	} else if err := fallback.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("fallback: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("pricelist: %w", err)
	}
	return &Live{store: store, fallback: fallback, refresh: o.refresh, logger: o.logger,
		byName: map[string]*glass.PriceList{}}, nil
}

// Current returns the newest published price list, or the fallback when
// none is published. When the store cannot be read it keeps serving what it
// had and logs the problem: a database outage does not stop pricing.
func (l *Live) Current(ctx context.Context) *glass.PriceList {
	l.mu.Lock()
	fresh := !l.checked.IsZero() && time.Since(l.checked) < l.refresh
	cur := l.current
	l.mu.Unlock()
	if !fresh {
		// One caller asks the store; the others wait for its answer.
		l.flight.Do("refresh", func() (any, error) { l.check(context.WithoutCancel(ctx)); return nil, nil })
		l.mu.Lock()
		cur = l.current
		l.mu.Unlock()
	}
	if cur == nil {
		return l.fallback
	}
	return cur
}

// check asks the store for the newest version's ID and reads it if it is new.
func (l *Live) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	id, err := l.store.LatestID(ctx)
	if err == nil {
		l.mu.Lock()
		same := id == l.currentID
		l.mu.Unlock()
		if !same {
			err = l.load(ctx)
		}
	}
	if err != nil {
		l.logger.Warn("pricelist: cannot read the published price list; pricing with the one in memory",
			slog.Any("error", err))
	}
	l.mu.Lock()
	l.checked = time.Now()
	l.mu.Unlock()
}

func (l *Live) load(ctx context.Context) error {
	v, err := l.store.Latest(ctx)
	if errors.Is(err, ErrNoVersion) {
		return nil
	}
	if err != nil {
		return err
	}
	pl, err := v.PriceList()
	if err != nil {
		return fmt.Errorf("version %q: %w", v.Name, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if v.ID > l.currentID {
		l.current, l.currentID = pl, v.ID
		l.byName[v.Name] = pl
	}
	return nil
}

// Version returns the published version with the given name, or the
// fallback when name is the fallback's version. A calculation saved with an
// older version reopens with its prices through it. It returns ErrNoVersion
// for a name nobody published.
func (l *Live) Version(ctx context.Context, name string) (*glass.PriceList, error) {
	l.mu.Lock()
	pl := l.byName[name]
	l.mu.Unlock()
	if pl != nil {
		return pl, nil
	}
	v, err := l.store.Get(ctx, name)
	if errors.Is(err, ErrNoVersion) && name == l.fallback.Version {
		return l.fallback, nil
	}
	if err != nil {
		return nil, err
	}
	if pl, err = v.PriceList(); err != nil {
		return nil, fmt.Errorf("pricelist: version %q: %w", name, err)
	}
	l.mu.Lock()
	l.byName[name] = pl
	l.mu.Unlock()
	return pl, nil
}

// Invalidate makes the next Current ask the store, so a version published
// through this process is current at once.
func (l *Live) Invalidate() {
	l.mu.Lock()
	l.checked = time.Time{}
	l.mu.Unlock()
}
