package calculator

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // an account's zone is found by name on any system

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/internal/moscow"
	"github.com/amokit/amokit/internal/tzname"
)

const (
	// detailsTTL is how long a user's name and the account's zone are kept: both rarely change.
	detailsTTL = time.Hour
	// detailsWait bounds a save's wait for a name or a zone it lacks.
	detailsWait = 5 * time.Second
)

// details keeps, for one account, the names of its users and its time zone as amoCRM gave them.
// The zero value is ready to use.
type details struct {
	mu    sync.Mutex
	names map[int64]timed[string]
	zone  timed[*time.Location]
}

type timed[T any] struct {
	v  T
	at time.Time
}

func (t timed[T]) fresh(now time.Time) bool { return !t.at.IsZero() && now.Sub(t.at) < detailsTTL }

var _ SaverDetails = (*amoCRM)(nil)

// UserName implements SaverDetails: GET /api/v4/users/{id}, kept detailsTTL per user. amoCRM
// lets only administrators read users, so this one read runs as the token's own user (the
// administrator who connected the account), not as the card's user; it reads only the name of
// the ticket's own user (docs/security.md).
func (a *amoCRM) UserName(ctx context.Context, userID int64) (string, error) {
	now := time.Now()
	a.details.mu.Lock()
	n, ok := a.details.names[userID]
	a.details.mu.Unlock()
	if ok && n.fresh(now) {
		return n.v, nil
	}
	u, err := a.c.Users.Get(amocrm.AsUser(ctx, 0), userID)
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(u.Name)
	a.details.mu.Lock()
	if a.details.names == nil {
		a.details.names = map[int64]timed[string]{}
	}
	a.details.names[userID] = timed[string]{name, now}
	a.details.mu.Unlock()
	return name, nil
}

// Location implements SaverDetails: GET /api/v4/account?with=datetime_settings
// (docs/amocrm-reference.md#account-time-zone), kept detailsTTL.
func (a *amoCRM) Location(ctx context.Context) (*time.Location, error) {
	now := time.Now()
	a.details.mu.Lock()
	z := a.details.zone
	a.details.mu.Unlock()
	if z.fresh(now) {
		return z.v, nil
	}
	acct, err := a.c.Account.Get(ctx, amocrm.AccountWithDatetimeSettings)
	if err != nil {
		return nil, err
	}
	loc, err := acct.Embedded.DatetimeSettings.Location()
	if err != nil {
		return nil, err
	}
	a.details.mu.Lock()
	a.details.zone = timed[*time.Location]{loc, now}
	a.details.mu.Unlock()
	return loc, nil
}

// saverDetails reads, at the same time and within detailsWait, the name of the ticket's user
// and the account's zone, as a save records them with the calculation. What cannot be read is
// "" (the note then names the user by id, and gives Moscow time).
func saverDetails(ctx context.Context, crm CRM, userID int64) (name, zone string) {
	sd, ok := crm.(SaverDetails)
	if !ok {
		return "", ""
	}
	ctx, cancel := context.WithTimeout(ctx, detailsWait)
	defer cancel()
	var wg sync.WaitGroup
	if userID > 0 {
		wg.Go(func() {
			if n, err := sd.UserName(ctx, userID); err == nil {
				name = n
			}
		})
	}
	wg.Go(func() {
		if loc, err := sd.Location(ctx); err == nil {
			zone = zoneName(loc)
		}
	})
	wg.Wait()
	return name, zone
}

// zoneName is how a Calculation records loc: "" for Moscow time, otherwise its name, which
// zoneOf reads back.
func zoneName(loc *time.Location) string {
	name := loc.String()
	if name == "Europe/Moscow" || name == moscow.Location.String() {
		return ""
	}
	if _, err := time.LoadLocation(name); err == nil && name != "Local" && name != "" {
		return name
	}
	// A fixed offset without a zone of that name: record the offset itself.
	return tzname.Offset(time.Now().In(loc))
}

// zoneOf returns the zone a Calculation's TimeZone names: Moscow time for "" or a name it
// cannot read.
func zoneOf(name string) *time.Location {
	if name == "" {
		return moscow.Location
	}
	if loc, err := time.LoadLocation(name); err == nil && name != "Local" {
		return loc
	}
	if loc, ok := tzname.ParseOffset(name); ok {
		return loc
	}
	return moscow.Location
}

// localTime writes t in the zone named by zone, with the zone: "06.12.2026 14:05 МСК" for Moscow
// time, "06.12.2026 16:05 UTC+05:00" elsewhere.
func localTime(t time.Time, zone string) string {
	loc := zoneOf(zone)
	local := t.In(loc)
	label := "МСК"
	if loc != moscow.Location {
		label = tzname.Offset(local)
	}
	return local.Format("02.01.2006 15:04") + " " + label
}

// noteAuthor is the first line of a calculation's note: who saved it.
func (c Calculation) noteAuthor() string {
	switch {
	case c.UserName != "":
		return "Менеджер: " + c.UserName
	case c.UserID > 0:
		return "Менеджер: пользователь amoCRM №" + strconv.FormatInt(c.UserID, 10) + " (имя из amoCRM не получено)"
	}
	return "Менеджер: не указан"
}
