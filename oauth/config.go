package oauth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/internal/httpx"
)

// Consent pages (docs/amocrm-reference.md#consent-page). amoCRM accounts use the first, Kommo accounts
// the second.
const (
	AmoCRMAuthURL = "https://www.amocrm.ru/oauth"
	KommoAuthURL  = "https://www.kommo.com/oauth"
)

// Mode says where the consent page returns (docs/widget-backend.md#consent-modes).
type Mode string

// Modes of the consent page.
const (
	// ModePopup: the consent window closes and the opener navigates to the redirect URI.
	ModePopup Mode = "popup"
	// ModePostMessage: the redirect happens inside the consent window, whose page tells the
	// opener the result with postMessage and closes.
	ModePostMessage Mode = "post_message"
)

// Config is an amoCRM integration: its id and secret and the redirect URI registered with it. It
// is data, like oauth2.Config; its String and LogValue hide the secret.
type Config struct {
	ClientID     string // the integration id (client_uuid)
	ClientSecret string
	RedirectURL  string // byte for byte as in the integration's settings

	// AuthURL is the consent page; empty means AmoCRMAuthURL.
	AuthURL string
	// BaseURL, when set, sends token requests to BaseURL + "oauth2/access_token" instead of the
	// account's own host: for staging and tests (amocrmtest) only.
	BaseURL string
	// HTTPClient makes token requests; nil means a client with a 15 second timeout. Token requests
	// never go through a retrying or rate-limited client.
	HTTPClient *http.Client
}

// String describes the configuration without its secret.
func (c Config) String() string {
	return fmt.Sprintf("oauth.Config{ClientID: %q, ClientSecret: %s, RedirectURL: %q}", c.ClientID, redacted(c.ClientSecret), c.RedirectURL)
}

// LogValue logs the configuration without its secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", c.ClientID), slog.String("client_secret", redacted(c.ClientSecret)), slog.String("redirect_url", c.RedirectURL))
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "REDACTED"
}

// Validate reports what is missing or wrong in c.
func (c Config) Validate() error {
	var errs []error
	if c.ClientID == "" {
		errs = append(errs, errors.New("ClientID is empty"))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New("ClientSecret is empty"))
	}
	if _, ok := httpx.AbsoluteURL(c.RedirectURL); !ok {
		errs = append(errs, fmt.Errorf("RedirectURL %q is not an absolute http(s) URL", c.RedirectURL))
	}
	if c.BaseURL != "" {
		if _, ok := httpx.AbsoluteURL(c.BaseURL); !ok {
			errs = append(errs, fmt.Errorf("BaseURL %q is not an absolute http(s) URL", c.BaseURL))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("oauth: config: %w", errors.Join(errs...))
	}
	return nil
}

// AuthCodeURL returns the consent page URL for state and mode.
func (c Config) AuthCodeURL(state string, mode Mode) string {
	base := c.AuthURL
	if base == "" {
		base = AmoCRMAuthURL
	}
	q := url.Values{"client_id": {c.ClientID}, "mode": {string(mode)}}
	if state != "" {
		q.Set("state", state)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}

// AuthURLFor returns the consent page for an account host: Kommo's for *.kommo.com, amoCRM's
// otherwise.
func AuthURLFor(account string) string {
	if strings.HasSuffix(account, ".kommo.com") {
		return KommoAuthURL
	}
	return AmoCRMAuthURL
}

// tokenURL is the token endpoint of account, which must be a valid account host.
func (c Config) tokenURL(account string) (string, error) {
	host, err := amocrm.ParseDomain(account)
	if err != nil {
		return "", err
	}
	if c.BaseURL != "" {
		return strings.TrimSuffix(c.BaseURL, "/") + "/oauth2/access_token", nil
	}
	return "https://" + host + "/oauth2/access_token", nil
}

func (c Config) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// RedirectOrigin is scheme://host of the redirect URI: the audience of amoCRM's disposable widget
// tokens and the origin the callback page talks to.
func (c Config) RedirectOrigin() string {
	u, err := url.Parse(c.RedirectURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
