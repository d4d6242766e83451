package amocrm

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// accountSuffixes are the parent domains under which amoCRM and Kommo give each account its own
// host (docs/amocrm-reference.md#hosts): acme.amocrm.ru, acme.kommo.com and the legacy acme.amocrm.com.
var accountSuffixes = [...]string{"amocrm.ru", "amocrm.com", "kommo.com"}

// maxHostLength is the longest host name DNS allows.
const maxHostLength = 253

// DomainError reports why a string is not an amoCRM account host.
type DomainError struct {
	Domain string // the input, truncated to 80 bytes
	Reason string
}

func (e *DomainError) Error() string {
	return fmt.Sprintf("amocrm: %q is not an account host (like acme.amocrm.ru, acme.kommo.com): %s", e.Domain, e.Reason)
}

// ErrInvalidDomain is matched by every *DomainError with errors.Is.
var ErrInvalidDomain = errors.New("amocrm: invalid account host")

// Is reports whether target is ErrInvalidDomain.
func (e *DomainError) Is(target error) bool { return target == ErrInvalidDomain }

// ParseDomain checks that s is an amoCRM or Kommo account host and returns it. An account host is
// exactly one lower-case subdomain label under amocrm.ru, amocrm.com or kommo.com, with no scheme,
// port, path, user info or trailing dot.
//
// The host receives the account's access token, so this check is a security boundary: it refuses
// rather than repairs. Callers that accept user input may trim spaces and lower-case ASCII first.
func ParseDomain(s string) (string, error) {
	bad := func(reason string) (string, error) {
		shown := s
		if len(shown) > 80 {
			shown = shown[:80]
		}
		return "", &DomainError{Domain: shown, Reason: reason}
	}
	switch {
	case s == "":
		return bad("it is empty")
	case len(s) > maxHostLength:
		return bad("it is longer than 253 bytes")
	case strings.Contains(s, "://"):
		return bad("give the host alone, without a scheme")
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return bad("it has non-ASCII characters; internationalised names are never account hosts")
		}
	}
	if strings.HasPrefix(s, "[") || isIP(s) {
		return bad("an IP address is not an account host")
	}
	switch {
	case strings.ContainsAny(s, "@"):
		return bad("user info is not allowed")
	case strings.ContainsAny(s, "/?#\\"):
		return bad("a path, query or fragment is not allowed")
	case strings.Contains(s, ":"):
		return bad("a port is not allowed")
	case strings.HasSuffix(s, "."):
		return bad("a trailing dot is not allowed")
	case strings.ToLower(s) != s:
		return bad(fmt.Sprintf("it must be lower case (%s)", strings.ToLower(s)))
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" {
			return bad("it has an empty label")
		}
		if len(l) > 63 {
			return bad("a label is longer than 63 bytes")
		}
	}
	suffixOK := false
	for _, suf := range accountSuffixes {
		if strings.HasSuffix(s, "."+suf) {
			suffixOK = true
			break
		}
	}
	if !suffixOK {
		return bad("it is not under amocrm.ru, amocrm.com or kommo.com")
	}
	if len(labels) != 3 {
		return bad("the account is exactly one label before amocrm.ru, amocrm.com or kommo.com")
	}
	sub := labels[0]
	switch {
	case strings.HasPrefix(sub, "xn--"):
		return bad("punycode labels are not account names")
	case sub == "www":
		return bad("www is the shared site, not an account")
	case sub[0] == '-' || sub[len(sub)-1] == '-':
		return bad("a label cannot start or end with a hyphen")
	}
	for i := 0; i < len(sub); i++ {
		c := sub[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return bad(fmt.Sprintf("the account name may hold only a-z, 0-9 and '-', not %q", c))
		}
	}
	return s, nil
}

// Subdomain returns the account name of a host accepted by ParseDomain: "acme" for acme.amocrm.ru.
func Subdomain(host string) string {
	sub, _, _ := strings.Cut(host, ".")
	return sub
}

func isIP(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	// Forms that some resolvers still read as IPv4: 127.1, 0x7f.0.0.1, 2130706433.
	last := s[strings.LastIndexByte(s, '.')+1:]
	if last == "" {
		return false
	}
	for i := 0; i < len(last); i++ {
		c := last[i]
		if !(c >= '0' && c <= '9' || c == 'x' || c == 'X' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return last[0] >= '0' && last[0] <= '9'
}
