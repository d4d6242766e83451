package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/amokit/amokit/amocrm"
)

// AccountDomain is where an account lives now, as amoCRM's subdomain lookup answers it.
type AccountDomain struct {
	ID             int64  `json:"id"`
	Subdomain      string `json:"subdomain"`        // "acme"
	Domain         string `json:"domain"`           // the account's host, "acme.amocrm.ru"
	TopLevelDomain string `json:"top_level_domain"` // "ru"
}

// LookupSubdomain asks amoCRM where the account that refreshToken belongs to lives now: after a
// subdomain rename a refresh on the old host fails, and the new host is the answer's Domain
// (docs/amocrm-reference.md#subdomain-lookup). apiDomain is the api_domain claim of the account's
// access token (see ParseClaims), such as "api-b.amocrm.ru". With BaseURL set, the request goes
// there instead. A refused token is a *TokenError.
func (c Config) LookupSubdomain(ctx context.Context, apiDomain, refreshToken string) (*AccountDomain, error) {
	host, err := amocrm.ParseDomain(apiDomain)
	if err != nil {
		return nil, err
	}
	endpoint := "https://" + host + "/oauth2/account/current/subdomain"
	if c.BaseURL != "" {
		endpoint = strings.TrimSuffix(c.BaseURL, "/") + "/oauth2/account/current/subdomain"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("oauth: %w", err)
	}
	req.Header.Set("X-Refresh-Token", refreshToken)
	raw, err := c.send(req, "subdomain lookup at "+host, "subdomain")
	if err != nil {
		return nil, err
	}
	var d AccountDomain
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("oauth: the subdomain answer is not JSON: %w", err)
	}
	if _, err := amocrm.ParseDomain(d.Domain); err != nil || d.ID == 0 {
		return nil, fmt.Errorf("oauth: the subdomain answer names no account host: %q", cleanSnippet(raw))
	}
	return &d, nil
}
