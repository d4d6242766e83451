package amocrmtest

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
)

// Leniency is one way the server can be kinder than amoCRM. By default the
// server is as strict as amoCRM's documentation allows (and stricter where
// it is silent); a test that needs one of these turns it on with
// WithLeniency, so a kindness is never an accident. docs/amocrmtest.md
// lists what each one hides.
type Leniency int

const (
	// LenientHost serves the API and the token endpoint on any host under
	// the base domain (www.amocrm.ru, amocrm.ru, unknown subdomains), the
	// account coming from the token or the code. amoCRM answers only on the
	// account's own host.
	LenientHost Leniency = iota + 1
	// LenientContentType takes an API write whose body is not declared
	// application/json, and a token request that is neither JSON nor a form.
	LenientContentType
	// LenientDates takes unix seconds (a number or a string of digits) as
	// the value of a date, date_time or birthday field on write; amoCRM's
	// documented form is RFC 3339 text.
	LenientDates
	// LenientEnumCode lets a select-like field's value name its option by
	// the option's text in enum_code; amoCRM's enum_code is the option's
	// code, which options of user fields do not have.
	LenientEnumCode
	// LenientFilters ignores list parameters the server does not implement
	// (an unknown filter[...] key or with value) instead of answering 400.
	LenientFilters
	// LenientNoteParams takes any params object for a typed note instead of
	// checking the fields its note_type requires.
	LenientNoteParams
)

func (l Leniency) String() string {
	switch l {
	case LenientHost:
		return "LenientHost"
	case LenientContentType:
		return "LenientContentType"
	case LenientDates:
		return "LenientDates"
	case LenientEnumCode:
		return "LenientEnumCode"
	case LenientFilters:
		return "LenientFilters"
	case LenientNoteParams:
		return "LenientNoteParams"
	}
	return fmt.Sprintf("Leniency(%d)", int(l))
}

// WithLeniency turns the given kindnesses on. NewServer panics on an unknown one.
func WithLeniency(ls ...Leniency) Option {
	return func(cfg *config) error {
		for _, l := range ls {
			if l < LenientHost || l > LenientNoteParams {
				return fmt.Errorf("amocrmtest: WithLeniency: unknown %v", l)
			}
		}
		if cfg.strict.lenient == nil {
			cfg.strict.lenient = map[Leniency]bool{}
		}
		for _, l := range ls {
			cfg.strict.lenient[l] = true
		}
		return nil
	}
}

// WithNotFoundStatus sets what GET /api/v4/{entityType}/{id} answers for an
// id the account does not have: http.StatusNoContent or
// http.StatusNotFound. amoCRM documents 204 for companies
// (docs/amocrmtest.md#missing-entities); the default is that for
// "companies" and 404 for every other type. NewServer panics on another status.
func WithNotFoundStatus(entityType string, status int) Option {
	return func(cfg *config) error {
		if status != http.StatusNoContent && status != http.StatusNotFound {
			return fmt.Errorf("amocrmtest: WithNotFoundStatus: status %d is neither 204 nor 404", status)
		}
		if cfg.strict.notFound == nil {
			cfg.strict.notFound = map[string]int{}
		}
		cfg.strict.notFound[entityType] = status
		return nil
	}
}

// strictConfig is the part of config this file reads.
type strictConfig struct {
	lenient  map[Leniency]bool
	notFound map[string]int
}

func (s *Server) lenient(l Leniency) bool { return s.cfg.strict.lenient[l] }

// missing is the answer to a GET by id of an entity of entityType that the
// account does not have (see WithNotFoundStatus).
func (c *call) missing(entityType string) reply {
	status, ok := c.s.cfg.strict.notFound[entityType]
	if !ok && entityType == "companies" {
		status = http.StatusNoContent
	}
	if status == http.StatusNoContent {
		return noContent()
	}
	return notFound()
}

// hostRefusal answers a request for the API or the token endpoint that
// reached a host under the base domain which is no account's host
// (docs/amocrmtest.md#hosts). Hosts outside the base domain, the listener's
// own address among them, are served: the token names the account.
func (s *Server) hostRefusal(host string) *reply {
	if s.lenient(LenientHost) || !s.underBaseDomain(host) || s.hostAccount(host) != nil {
		return nil
	}
	rep := problem(http.StatusNotFound, "Account not found")
	return &rep
}

// underBaseDomain reports whether host is the base domain or a name under it.
func (s *Server) underBaseDomain(host string) bool {
	h := strings.ToLower(host)
	if hp, _, err := net.SplitHostPort(h); err == nil {
		h = hp
	}
	d := s.cfg.baseDomain
	return h == d || strings.HasSuffix(h, "."+d)
}

// contentTypeRefusal answers an API write whose body is not declared JSON
// (docs/amocrmtest.md#content-type).
func (s *Server) contentTypeRefusal(r *http.Request, body []byte) *reply {
	if len(body) == 0 || r.Method == http.MethodGet || s.lenient(LenientContentType) {
		return nil
	}
	if mediaType(r) == "application/json" {
		return nil
	}
	rep := problem(http.StatusBadRequest, "Content-Type must be application/json")
	return &rep
}

func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// paymentRequired is amoCRM's answer once an account's paid period has
// ended (docs/amocrmtest.md#payment-required).
func paymentRequired() reply {
	return problem(http.StatusPaymentRequired, "Payment required")
}

// SetPaymentRequired ends (true) or renews (false) the account's paid period.
// While it is over, every API call for the account answers 402 with
// amoCRM's problem body; OAuth keeps working.
func (a *Account) SetPaymentRequired(over bool) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.s.st.Account(a.ID).Unpaid = over
}

// IssueLongLivedToken makes a long-lived token for a private integration
// (one whose Owner is subdomain), as an account administrator does in
// amoCRM's interface: an access token that expires at expires, acts as the
// account's admin, has no refresh token and is never rotated
// (docs/amocrm-reference.md#long-lived-tokens). RevokeIntegration ends it.
func (s *Server) IssueLongLivedToken(clientID, subdomain string, expires time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, a, err := s.lookup(clientID, subdomain)
	if err != nil {
		return "", err
	}
	if in.Owner != subdomain {
		return "", fmt.Errorf("amocrmtest: IssueLongLivedToken: integration %s is not private to %q; only private integrations have long-lived tokens", clientID, subdomain)
	}
	if !expires.After(s.now()) {
		return "", fmt.Errorf("amocrmtest: IssueLongLivedToken: expiry %v is not in the future", expires)
	}
	g := &grant{Integration: in, Account: a, UserID: a.AdminID}
	s.st.AddGrant(g)
	g.Cur = s.mintPair(g, expires, false)
	return g.Cur.Access, nil
}
