package tokenstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is returned, possibly wrapped, by Load and Delete when the store holds no
// connection for the account. Check it with errors.Is.
var ErrNotFound = errors.New("tokenstore: connection not found")

// errNoAccount is returned by Save for a nil connection or one without an account.
var errNoAccount = errors.New("tokenstore: connection has no account")

// Connection is an amoCRM account's connection, keyed by account host ("acme.amocrm.ru").
//
// Its String, Format and LogValue methods print client_secret and both tokens as REDACTED, so a
// Connection can go into an error or a log line. Nothing else hides them: do not encode a
// Connection into a response.
type Connection struct {
	// Account is the account host ("acme.amocrm.ru"), the key. Stores use it exactly as given:
	// normalise it (lower case, no scheme or port) before it gets here.
	Account string
	// AccountID is the amoCRM account id, 0 until known.
	AccountID int64
	// ClientID is the integration's client_id.
	ClientID string
	// ClientSecret is the integration's client_secret.
	ClientSecret string
	// AccessToken is the current access token.
	AccessToken string
	// RefreshToken is the current refresh token. amoCRM rotates it on every refresh: a new one
	// must be saved before the new access token is used.
	RefreshToken string
	// Expiry is when AccessToken expires.
	Expiry time.Time
	// RefreshedAt is the time of the last successful refresh, zero if never.
	RefreshedAt time.Time
	// ReauthRequired reports that the refresh token was refused: a person must authorise again.
	ReauthRequired bool
	// CreatedAt is when the store first saved the account. Save ignores the value passed in.
	CreatedAt time.Time
	// UpdatedAt is when the store last saved the account; it grows with every Save. Save ignores
	// the value passed in.
	UpdatedAt time.Time
}

const redacted = "REDACTED"

// redact hides a secret but keeps whether it is set, which is what debugging needs.
func redact(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// String describes c with client_secret and both tokens REDACTED.
func (c Connection) String() string {
	var b strings.Builder
	b.WriteString("tokenstore.Connection{Account:")
	b.WriteString(strconv.Quote(c.Account))
	b.WriteString(" AccountID:")
	b.WriteString(strconv.FormatInt(c.AccountID, 10))
	b.WriteString(" ClientID:")
	b.WriteString(strconv.Quote(c.ClientID))
	for _, f := range [...]struct{ name, v string }{
		{"ClientSecret", c.ClientSecret},
		{"AccessToken", c.AccessToken},
		{"RefreshToken", c.RefreshToken},
	} {
		b.WriteString(" " + f.name + ":")
		if f.v == "" {
			b.WriteString(`""`)
		} else {
			b.WriteString(redacted)
		}
	}
	b.WriteString(" Expiry:" + formatTime(c.Expiry))
	b.WriteString(" RefreshedAt:" + formatTime(c.RefreshedAt))
	b.WriteString(" ReauthRequired:" + strconv.FormatBool(c.ReauthRequired))
	b.WriteString(" CreatedAt:" + formatTime(c.CreatedAt))
	b.WriteString(" UpdatedAt:" + formatTime(c.UpdatedAt))
	b.WriteString("}")
	return b.String()
}

func formatTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

// GoString is String: %#v must not print the secrets either.
func (c Connection) GoString() string { return c.String() }

// Format makes every fmt verb print String, so %+v, %d or %x cannot reach the secrets through
// reflection.
func (c Connection) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, strconv.Quote(c.String()))
		return
	}
	_, _ = io.WriteString(f, c.String())
}

// LogValue implements slog.LogValuer: a group with client_secret and both tokens REDACTED.
func (c Connection) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("account", c.Account),
		slog.Int64("account_id", c.AccountID),
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", redact(c.ClientSecret)),
		slog.String("access_token", redact(c.AccessToken)),
		slog.String("refresh_token", redact(c.RefreshToken)),
		slog.Time("expiry", c.Expiry),
		slog.Time("refreshed_at", c.RefreshedAt),
		slog.Bool("reauth_required", c.ReauthRequired),
		slog.Time("created_at", c.CreatedAt),
		slog.Time("updated_at", c.UpdatedAt),
	)
}

// Store keeps connections. Implementations are safe for concurrent use, and values go in and
// out as copies: changing a Connection after Save or after Load never changes the store.
type Store interface {
	// Load returns the account's connection, or an error that matches ErrNotFound.
	Load(ctx context.Context, account string) (*Connection, error)
	// Save inserts or replaces c.Account's connection. The store keeps the CreatedAt of an
	// existing connection and sets UpdatedAt to a time later than the previous one; on success
	// it writes both into c. It fails for a nil c or an empty Account.
	Save(ctx context.Context, c *Connection) error
	// Delete removes the account's connection, or returns an error that matches ErrNotFound
	// when there is none (callers that want idempotence ignore that error). To delete without
	// racing a refresh, call it inside Locker.WithLock.
	Delete(ctx context.Context, account string) error
	// List returns every connection, sorted by Account (byte order).
	List(ctx context.Context) ([]Connection, error)
}

// Locker is the optional capability of a Store that serialises work on one account, such as
// refreshing its tokens, across goroutines and, depending on the store, across processes.
type Locker interface {
	// WithLock runs fn while holding the account's lock, and releases it when fn returns or
	// panics; fn's error is returned. It waits for the lock until ctx is done, and then returns
	// an error that matches ctx.Err() without calling fn. Locks on different accounts are
	// independent. The lock is not reentrant: fn must not call WithLock for the same account.
	// Inside fn, the store's Load and Save work as usual, and a Save is durable when it returns.
	// A Save or Delete that fn makes with its context (or one derived from it) takes effect
	// before the lock passes to another holder, even if the process dies while it is under way.
	WithLock(ctx context.Context, account string, fn func(ctx context.Context) error) error
}

// UnreadableError is what a store's List returns, together with every connection it could read,
// when some rows could not be opened (a sealed value under a key that is not configured, or
// tampered with): such a row breaks only its own account. It unwraps to the first row's error,
// so errors.Is(err, ErrWrongKey) works.
type UnreadableError struct {
	Accounts []string // the accounts whose rows could not be opened, sorted
	Err      error    // the first of their errors
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("tokenstore: %d connection(s) cannot be read (%s): %v", len(e.Accounts), strings.Join(e.Accounts, ", "), e.Err)
}

// Unwrap returns the first row's error.
func (e *UnreadableError) Unwrap() error { return e.Err }

// Finder is the optional capability of a Store that finds connections by amoCRM account id
// through an index, reading only the rows it returns: a row of another account that cannot be
// read (a sealed value under a lost key, say) does not fail the search.
type Finder interface {
	// FindByAccountID returns the connections whose AccountID is accountID, sorted by Account;
	// none is not an error.
	FindByAccountID(ctx context.Context, accountID int64) ([]Connection, error)
}

// FindByAccountID returns the connections of s whose AccountID is accountID: through Finder when
// s has it, otherwise by filtering List.
func FindByAccountID(ctx context.Context, s Store, accountID int64) ([]Connection, error) {
	if f, ok := s.(Finder); ok {
		return f.FindByAccountID(ctx, accountID)
	}
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Connection
	for _, c := range all {
		if c.AccountID == accountID {
			out = append(out, c)
		}
	}
	return out, nil
}
