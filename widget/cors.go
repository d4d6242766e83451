package widget

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// accountSuffixes are the parent domains under which amoCRM and Kommo give each account its own
// host: acme.amocrm.ru, acme.amocrm.com, acme.kommo.com.
var accountSuffixes = [...]string{".amocrm.ru", ".amocrm.com", ".kommo.com"}

// frameAncestorSources are the CSP sources of every amoCRM and Kommo account page.
const frameAncestorSources = "https://*.amocrm.ru https://*.amocrm.com https://*.kommo.com"

// accountHost reports whether host is exactly one account label under amocrm.ru, amocrm.com or
// kommo.com, in lower case, with no port, and returns that label. The label follows DNS rules
// (a-z, 0-9, inner hyphens, at most 63 bytes); "www" and punycode labels are refused.
func accountHost(host string) (subdomain string, ok bool) {
	for _, suf := range accountSuffixes {
		label, found := strings.CutSuffix(host, suf)
		if !found {
			continue
		}
		if !validAccountLabel(label) {
			return "", false
		}
		return label, true
	}
	return "", false
}

func validAccountLabel(l string) bool {
	if l == "" || len(l) > 63 || l == "www" || strings.HasPrefix(l, "xn--") {
		return false
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// AllowedOrigin reports whether origin is the origin of an amoCRM or Kommo account page:
// exactly "https://<account>.amocrm.ru", "https://<account>.amocrm.com" or
// "https://<account>.kommo.com", as browsers serialise it. Anything else is refused rather than
// repaired: another scheme, a port, user info, a path or trailing slash, upper case, more or
// fewer labels ("a.b.amocrm.ru", "amocrm.ru"), look-alikes ("evilamocrm.ru",
// "acme.amocrm.ru.evil.com") and "www".
func AllowedOrigin(origin string) bool {
	host, ok := strings.CutPrefix(origin, "https://")
	if !ok {
		return false
	}
	_, ok = accountHost(host)
	return ok
}

// CORS answers cross-origin requests from amoCRM account pages to the endpoints script.js calls
// with $authorizedAjax, such as POST /widget/session. That helper adds the X-Auth-Token header,
// so the browser first sends a preflight:
//
//   - an OPTIONS preflight from an allowed origin gets 204 with Access-Control-Allow-Origin set to
//     that origin, Allow-Methods "GET, POST", Allow-Headers "X-Auth-Token, Content-Type" and a
//     ten-minute Max-Age; from any other origin it gets 403 and no CORS headers;
//   - any other request from an allowed origin is passed on with Access-Control-Allow-Origin set,
//     so the browser lets script.js read the answer (including a 401 from
//     RequireDisposableToken);
//   - a request from any other origin, or with no Origin (server to server, same-origin GET), is
//     passed on without CORS headers, and the browser keeps the answer from foreign pages.
//
// Credentials are never allowed: the disposable token is the only proof of identity.
func CORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		allowed := origin != "" && AllowedOrigin(origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			if !allowed {
				WriteError(w, http.StatusForbidden, CodeOriginNotAllowed,
					"cross-origin requests are accepted only from amoCRM and Kommo account pages")
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "X-Auth-Token, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		next.ServeHTTP(w, r)
	})
}

// FrameAncestorsPolicy returns the Content-Security-Policy value that FrameAncestors sends:
// "frame-ancestors https://*.amocrm.ru https://*.amocrm.com https://*.kommo.com", followed by
// each extra origin. An extra origin is an absolute http or https origin with no path, query or
// user info, such as the server's own "https://calc.example.com" for a demo page that frames
// the application's page; anything else is an error, since it would end up inside a security header.
func FrameAncestorsPolicy(extra ...string) (string, error) {
	var b strings.Builder
	b.WriteString("frame-ancestors ")
	b.WriteString(frameAncestorSources)
	for _, o := range extra {
		if err := checkOrigin(o); err != nil {
			return "", err
		}
		b.WriteByte(' ')
		b.WriteString(o)
	}
	return b.String(), nil
}

// checkOrigin accepts only a plain serialised origin: scheme://host[:port].
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	switch {
	case err != nil:
		return fmt.Errorf("widget: frame ancestor %q is not a URL", o)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("widget: frame ancestor %q must be an http or https origin", o)
	case u.Host == "" || u.User != nil || u.Opaque != "":
		return fmt.Errorf("widget: frame ancestor %q must be scheme://host[:port]", o)
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(o, "?#"):
		return fmt.Errorf("widget: frame ancestor %q must have no path, query or fragment", o)
	case strings.ContainsAny(o, " \t\r\n;,'\"*"):
		return fmt.Errorf("widget: frame ancestor %q holds characters not allowed in a CSP source", o)
	case u.String() != o:
		return fmt.Errorf("widget: frame ancestor %q is not in canonical form (%s)", o, u.String())
	}
	return nil
}

// FrameAncestors lets amoCRM and Kommo account pages (and the given extra origins, see
// FrameAncestorsPolicy) put the wrapped pages into an iframe: it sets the
// Content-Security-Policy frame-ancestors directive and makes sure no X-Frame-Options header
// leaves, even one the wrapped handler sets. It panics when an extra origin is invalid; call
// FrameAncestorsPolicy first to get an error instead.
func FrameAncestors(next http.Handler, extra ...string) http.Handler {
	policy, err := FrameAncestorsPolicy(extra...)
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		next.ServeHTTP(&noFrameOptionsWriter{ResponseWriter: w}, r)
	})
}

// noFrameOptionsWriter drops X-Frame-Options before the header is sent: with the CSP above it
// would only contradict the policy (and DENY or SAMEORIGIN would block amoCRM).
type noFrameOptionsWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *noFrameOptionsWriter) WriteHeader(status int) {
	if !w.wrote {
		w.ResponseWriter.Header().Del("X-Frame-Options")
		w.wrote = status >= 200 // 1xx answers are followed by the real one
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *noFrameOptionsWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Flush sends buffered data, keeping http.Flusher available to the wrapped handler.
func (w *noFrameOptionsWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach Flush, deadlines and the like.
func (w *noFrameOptionsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
