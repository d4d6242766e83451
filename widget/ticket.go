package widget

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/internal/optfunc"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultTicketTTL is how long a session ticket lives unless WithTicketTTL says otherwise.
const DefaultTicketTTL = 15 * time.Minute

// MinTicketKeySize is the shortest HMAC key NewTicketSigner accepts.
const MinTicketKeySize = 32

// maxTicketSize bounds what Verify reads; real tickets are about 100 bytes.
const maxTicketSize = 512

// ticketVersion is the first byte of every ticket payload.
const ticketVersion = 1

// ticketMACLabel separates ticket MACs from any other use of the same key.
const ticketMACLabel = "amokit/widget/ticket/v1\x00"

// b64 is the strict URL-safe alphabet without padding: a ticket has exactly one spelling.
var b64 = base64.RawURLEncoding.Strict()

// Errors returned by TicketSigner.Verify, matched with errors.Is.
var (
	// ErrTicketInvalid: the ticket is malformed, or was signed with another key, or was changed.
	ErrTicketInvalid = errors.New("widget: invalid session ticket")
	// ErrTicketExpired: the ticket was genuine but its lifetime is over.
	ErrTicketExpired = errors.New("widget: session ticket expired")
)

// Ticket is what a session ticket proves: which amoCRM user of which account opened the
// widget for which lead, and until when. POST /widget/session issues it after checking a
// disposable token; every call from the iframe then carries it.
type Ticket struct {
	Account   string // account host, e.g. "acme.amocrm.ru"
	AccountID int64
	UserID    int64
	LeadID    int64
	Expires   time.Time // whole seconds
}

// TicketSigner signs and verifies session tickets with HMAC-SHA256 under a server key. A ticket
// is "<payload>.<mac>", both base64url without padding, about 100 characters, safe in a URL
// query. The payload is readable by whoever holds the ticket (it holds only ids and the account
// host) but cannot be changed. A TicketSigner is safe for concurrent use.
type TicketSigner struct {
	key []byte
	ttl time.Duration
}

// TicketOption configures NewTicketSigner.
type TicketOption func(*ticketOptions) error

type ticketOptions struct {
	ttl time.Duration
}

// WithTicketTTL sets how long new tickets live; it must be positive and at most 24 hours.
func WithTicketTTL(d time.Duration) TicketOption {
	return func(o *ticketOptions) error {
		if d <= 0 || d > 24*time.Hour {
			return fmt.Errorf("widget: ticket TTL %v is outside (0, 24h]", d)
		}
		o.ttl = d
		return nil
	}
}

// NewTicketSigner returns a signer keyed with key, which must be at least MinTicketKeySize
// bytes of secret random data (the key is copied). Tickets live DefaultTicketTTL unless
// WithTicketTTL says otherwise. It returns every problem of key and opts at once.
func NewTicketSigner(key []byte, opts ...TicketOption) (*TicketSigner, error) {
	var errs []error
	if len(key) < MinTicketKeySize {
		errs = append(errs, fmt.Errorf("widget: the ticket key must be at least %d bytes, got %d", MinTicketKeySize, len(key)))
	}
	o := ticketOptions{ttl: DefaultTicketTTL}
	errs = append(errs, optfunc.Apply(&o, opts)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &TicketSigner{key: append([]byte(nil), key...), ttl: o.ttl}, nil
}

// TTL is how long new tickets live.
func (s *TicketSigner) TTL() time.Duration { return s.ttl }

// Sign returns the ticket for t. A zero t.Expires means now plus the TTL; a later one is cut
// down to now plus the TTL, so no ticket outlives the signer's TTL. Expires is kept in whole
// seconds.
func (s *TicketSigner) Sign(t Ticket) string {
	now := time.Now()
	limit := now.Add(s.ttl)
	exp := t.Expires
	if exp.IsZero() || exp.After(limit) {
		exp = limit
	}
	p := make([]byte, 0, 48+len(t.Account))
	p = append(p, ticketVersion)
	p = binary.AppendVarint(p, exp.Unix())
	p = binary.AppendVarint(p, t.AccountID)
	p = binary.AppendVarint(p, t.UserID)
	p = binary.AppendVarint(p, t.LeadID)
	p = append(p, t.Account...)
	return b64.EncodeToString(p) + "." + b64.EncodeToString(s.mac(p))
}

// Verify checks a ticket and returns what it proves. It returns an error matching
// ErrTicketInvalid for anything not signed by this key (or changed since), and ErrTicketExpired
// once the ticket's Expires has been reached.
func (s *TicketSigner) Verify(ticket string) (Ticket, error) {
	if len(ticket) > maxTicketSize {
		return Ticket{}, fmt.Errorf("%w: too long", ErrTicketInvalid)
	}
	enc, encMAC, ok := strings.Cut(ticket, ".")
	if !ok {
		return Ticket{}, fmt.Errorf("%w: not two parts", ErrTicketInvalid)
	}
	p, err1 := b64.DecodeString(enc)
	mac, err2 := b64.DecodeString(encMAC)
	if err1 != nil || err2 != nil {
		return Ticket{}, fmt.Errorf("%w: bad encoding", ErrTicketInvalid)
	}
	if !hmac.Equal(mac, s.mac(p)) {
		return Ticket{}, fmt.Errorf("%w: bad signature", ErrTicketInvalid)
	}
	t, err := decodeTicket(p)
	if err != nil {
		return Ticket{}, err
	}
	if !time.Now().Before(t.Expires) {
		return Ticket{}, ErrTicketExpired
	}
	return t, nil
}

func (s *TicketSigner) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(ticketMACLabel))
	m.Write(payload)
	return m.Sum(nil)
}

// decodeTicket reads a payload whose MAC has been checked.
func decodeTicket(p []byte) (Ticket, error) {
	bad := fmt.Errorf("%w: bad payload", ErrTicketInvalid)
	if len(p) == 0 || p[0] != ticketVersion {
		return Ticket{}, bad
	}
	p = p[1:]
	var n [4]int64
	for i := range n {
		v, k := binary.Varint(p)
		if k <= 0 {
			return Ticket{}, bad
		}
		n[i], p = v, p[k:]
	}
	if !utf8.Valid(p) {
		return Ticket{}, bad
	}
	return Ticket{Account: string(p), AccountID: n[1], UserID: n[2], LeadID: n[3], Expires: time.Unix(n[0], 0)}, nil
}

// RequireTicket verifies the session ticket of a call from the iframe and calls next with the
// Ticket in the request context (see TicketFrom). The ticket comes from
// "Authorization: Bearer <ticket>" or the "ticket" query parameter; if both are given they must
// be equal. The headers X-Lead-Id and X-Account-Domain are optional, but when present they
// must name the ticket's lead and account host. Refusals use the JSON shape of WriteError:
// 401 ticket_missing, ticket_invalid or ticket_expired, 403 ticket_mismatch.
func RequireTicket(signer *TicketSigner, next http.Handler) http.Handler {
	if signer == nil {
		panic("widget: RequireTicket with a nil signer")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := ticketFromRequest(r)
		if !ok {
			WriteError(w, http.StatusUnauthorized, CodeTicketInvalid, "the session ticket is given twice with different values")
			return
		}
		if raw == "" {
			WriteError(w, http.StatusUnauthorized, CodeTicketMissing, "no session ticket (Authorization: Bearer or ?ticket=); reopen the widget from the lead card")
			return
		}
		t, err := signer.Verify(raw)
		switch {
		case errors.Is(err, ErrTicketExpired):
			WriteError(w, http.StatusUnauthorized, CodeTicketExpired, "the session has expired; reopen the widget from the lead card")
			return
		case err != nil:
			WriteError(w, http.StatusUnauthorized, CodeTicketInvalid, "the session ticket is not valid")
			return
		}
		if vs, present := r.Header["X-Lead-Id"]; present {
			for _, v := range vs {
				id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil || id != t.LeadID {
					WriteError(w, http.StatusForbidden, CodeTicketMismatch, "X-Lead-Id does not match the lead of this session")
					return
				}
			}
		}
		if vs, present := r.Header["X-Account-Domain"]; present {
			for _, v := range vs {
				if !strings.EqualFold(strings.TrimSpace(v), t.Account) {
					WriteError(w, http.StatusForbidden, CodeTicketMismatch, "X-Account-Domain does not match the account of this session")
					return
				}
			}
		}
		next.ServeHTTP(w, r.WithContext(ContextWithTicket(r.Context(), t)))
	})
}

// ticketFromRequest returns the ticket of r ("" when there is none), and false when the header
// and the query disagree.
func ticketFromRequest(r *http.Request) (string, bool) {
	var fromHeader string
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, rest, found := strings.Cut(auth, " ")
		if found && strings.EqualFold(scheme, "Bearer") {
			fromHeader = strings.TrimSpace(rest)
		}
	}
	fromQuery := r.URL.Query().Get("ticket")
	if fromHeader != "" && fromQuery != "" && fromHeader != fromQuery {
		return "", false
	}
	if fromHeader != "" {
		return fromHeader, true
	}
	return fromQuery, true
}

// ContextWithTicket returns a copy of ctx carrying t, as RequireTicket does. The copy also acts as
// the ticket's user (amocrm.AsUser): every amoCRM request made under it carries
// X-Context-User-ID, so amoCRM applies that user's rights and records the user as the author.
// Handler tests use it to call a handler without signing a ticket.
func ContextWithTicket(ctx context.Context, t Ticket) context.Context {
	return amocrm.AsUser(context.WithValue(ctx, ticketKey, t), t.UserID)
}

// TicketFrom returns the ticket that RequireTicket put into ctx.
func TicketFrom(ctx context.Context) (Ticket, bool) {
	t, ok := ctx.Value(ticketKey).(Ticket)
	return t, ok
}
