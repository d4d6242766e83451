package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// ErrReauthorizationRequired means amoCRM refused the refresh token (revoked, expired, used
// already, or the client secret changed): a person must authorise the integration again.
var ErrReauthorizationRequired = errors.New("oauth: amoCRM refused the refresh token; the account must be authorised again")

// TokenError is an error answer of amoCRM's token endpoint (docs/amocrm-reference.md#token-endpoint). It
// never holds a token or a secret.
type TokenError struct {
	StatusCode int
	Title      string // e.g. "Некорректный запрос", "Некорректный клиент"
	Detail     string
	Hint       string // e.g. "Token has been revoked"
	Body       string // the start of a body that was not JSON
}

func (e *TokenError) Error() string {
	var parts []string
	for _, s := range []string{e.Title, e.Detail, e.Hint} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 && e.Body != "" {
		parts = append(parts, e.Body)
	}
	msg := fmt.Sprintf("oauth: token endpoint answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, ": ")
	}
	return msg
}

// refused reports whether the answer means the grant itself is dead, not a passing failure.
func (e *TokenError) refused() bool {
	return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
}

// tokenResponse is amoCRM's token answer.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	ServerTime   int64  `json:"server_time"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// Exchange trades an authorization code from the redirect for tokens. account is the referer of
// the redirect and is checked with amocrm.ParseDomain before anything is sent.
func (c Config) Exchange(ctx context.Context, account, code string) (*oauth2.Token, error) {
	if code == "" {
		return nil, errors.New("oauth: empty authorization code")
	}
	return c.grant(ctx, account, c.ClientID, c.ClientSecret, map[string]string{"grant_type": "authorization_code", "code": code})
}

// refresh trades a refresh token for a new pair, with the credentials given.
func (c Config) refresh(ctx context.Context, account, clientID, clientSecret, refreshToken string) (*oauth2.Token, error) {
	if refreshToken == "" {
		return nil, ErrReauthorizationRequired
	}
	return c.grant(ctx, account, clientID, clientSecret, map[string]string{"grant_type": "refresh_token", "refresh_token": refreshToken})
}

// grant POSTs a JSON grant to the account's token endpoint. amoCRM wants redirect_uri on refresh
// too (docs/amocrm-reference.md#token-endpoint), which x/oauth2 does not send, so this small request is
// our own.
func (c Config) grant(ctx context.Context, account, clientID, clientSecret string, fields map[string]string) (*oauth2.Token, error) {
	endpoint, err := c.tokenURL(account)
	if err != nil {
		return nil, err
	}
	body := map[string]string{"client_id": clientID, "client_secret": clientSecret, "redirect_uri": c.RedirectURL}
	for k, v := range fields {
		body[k] = v
	}
	buf, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(buf))
	if err != nil {
		return nil, fmt.Errorf("oauth: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	raw, err := c.send(req, "token request to "+account, "token")
	if err != nil {
		return nil, err
	}
	var tr tokenResponse
	if err := json.Unmarshal(raw, &tr); err != nil {
		return nil, fmt.Errorf("oauth: the token answer is not JSON: %w", err)
	}
	if tr.AccessToken == "" || tr.RefreshToken == "" {
		return nil, errors.New("oauth: the token answer lacks an access or a refresh token")
	}
	tok := &oauth2.Token{AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken, TokenType: "Bearer"}
	if tr.ExpiresIn > 0 {
		tok.Expiry = time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	}
	if claims, err := ParseClaims(tr.AccessToken); err == nil && !claims.Expiry.IsZero() && (tok.Expiry.IsZero() || claims.Expiry.Before(tok.Expiry)) {
		tok.Expiry = claims.Expiry
	}
	return tok, nil
}

// send sends a request to amoCRM's OAuth server and returns the body of a 200 answer, read up to
// 1 MiB; any other answer is a *TokenError. doing names the request in errors ("token request to
// acme.amocrm.ru"), answer names what comes back ("token").
func (c Config) send(req *http.Request, doing, answer string) ([]byte, error) {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "amokit-oauth")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if err := req.Context().Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("oauth: %s: %w", doing, unwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("oauth: reading the %s answer: %w", answer, err)
	}
	if resp.StatusCode != http.StatusOK {
		te := &TokenError{StatusCode: resp.StatusCode}
		var p struct{ Title, Detail, Hint string }
		if json.Unmarshal(raw, &p) == nil {
			te.Title, te.Detail, te.Hint = p.Title, p.Detail, p.Hint
		} else {
			te.Body = cleanSnippet(raw)
		}
		return nil, te
	}
	return raw, nil
}

// unwrapURLError drops *url.Error's copy of the URL (token URLs carry no secrets, but the message
// is shorter without it).
func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.HasPrefix(err.Error(), "Post ") {
		return ue.Unwrap()
	}
	return err
}

func cleanSnippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
