package admin

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/internal/moscow"
	"github.com/amokit/amokit/tokenstore"
)

// ZoneFunc reads the time zone of a connected account.
type ZoneFunc func(ctx context.Context, account string) (*time.Location, error)

// AmoCRMZone reads an account's time zone from amoCRM (GET /api/v4/account?with=datetime_settings;
// docs/amocrm-reference.md#account-time-zone) with the client clientFor gives for it.
func AmoCRMZone(clientFor func(ctx context.Context, account string) (*amocrm.Client, error)) ZoneFunc {
	return func(ctx context.Context, account string) (*time.Location, error) {
		c, err := clientFor(ctx, account)
		if err != nil {
			return nil, err
		}
		a, err := c.Account.Get(ctx, amocrm.AccountWithDatetimeSettings)
		if err != nil {
			return nil, err
		}
		return a.Embedded.DatetimeSettings.Location()
	}
}

const (
	// zoneTTL is how long an account's zone is kept: it rarely changes, and the page is not
	// worth a call to amoCRM on every view.
	zoneTTL = time.Hour
	// zoneRetry is how soon a zone that could not be read is asked for again.
	zoneRetry = time.Minute
	// zoneWait bounds the page's wait for the zones it lacks; Moscow time stands in meanwhile.
	zoneWait = 3 * time.Second
)

// zone is where an account's times are shown: its own zone when known, Moscow time otherwise.
type zone struct {
	loc   *time.Location
	known bool
}

var unknownZone = zone{loc: moscow.Location}

// zones keeps the accounts' time zones with their connections: a zone read for one connection
// is read again when the account is connected anew.
type zones struct {
	read   ZoneFunc // nil: every zone is unknown
	logger *slog.Logger

	mu    sync.Mutex
	cache map[string]zoneEntry // account → its zone
}

type zoneEntry struct {
	zone
	connected time.Time // the connection's CreatedAt
	until     time.Time
}

// of returns the zones of conns by account, reading the ones it does not hold concurrently.
func (z *zones) of(ctx context.Context, conns []tokenstore.Connection) map[string]zone {
	out := make(map[string]zone, len(conns))
	now := time.Now()
	var missing []tokenstore.Connection
	z.mu.Lock()
	for _, c := range conns {
		out[c.Account] = unknownZone
		e, ok := z.cache[c.Account]
		switch {
		case ok && now.Before(e.until) && e.connected.Equal(c.CreatedAt):
			out[c.Account] = e.zone
		case z.read != nil && c.RefreshToken != "" && !c.ReauthRequired:
			missing = append(missing, c)
		}
	}
	z.mu.Unlock()
	if len(missing) == 0 {
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, zoneWait)
	defer cancel()
	read := make([]zoneEntry, len(missing))
	var wg sync.WaitGroup
	for i, c := range missing {
		wg.Go(func() {
			e := zoneEntry{zone: unknownZone, connected: c.CreatedAt, until: now.Add(zoneRetry)}
			loc, err := z.read(ctx, c.Account)
			if err != nil {
				z.logger.WarnContext(ctx, "admin: reading the account's time zone", slog.String("account", c.Account), slog.String("error", err.Error()))
			} else {
				e.zone, e.until = zone{loc: loc, known: true}, now.Add(zoneTTL)
			}
			read[i] = e
		})
	}
	wg.Wait()
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.cache == nil {
		z.cache = map[string]zoneEntry{}
	}
	for i, c := range missing {
		z.cache[c.Account] = read[i]
		out[c.Account] = read[i].zone
	}
	return out
}

// shared is the zone of times that belong to no one account (the price lists'): the zone of
// the connected accounts when they all have the same one, Moscow time otherwise.
func shared(conns []tokenstore.Connection, byAccount map[string]zone) zone {
	var z zone
	for _, c := range conns {
		got := byAccount[c.Account]
		switch {
		case !got.known:
			continue
		case !z.known:
			z = got
		case z.loc.String() != got.loc.String():
			return unknownZone
		}
	}
	if !z.known {
		return unknownZone
	}
	return z
}
