package oauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Claims are the parts of an amoCRM access token (a JWT) that a client needs
// (docs/amocrm-reference.md#access-token-claims). They are read without verifying the signature: amoCRM
// signs them with a key we do not have, and the API checks them anyway.
type Claims struct {
	AccountID  int64
	UserID     string // sub
	ClientID   string // aud: the integration id
	BaseDomain string // "amocrm.ru", "kommo.com"
	APIDomain  string // e.g. "api-b.amocrm.ru"; only in tokens issued after 2024-08-21
	IssuedAt   time.Time
	Expiry     time.Time
}

// ParseClaims reads the claims of an access token without verifying it.
func ParseClaims(accessToken string) (*Claims, error) {
	parts := strings.Split(accessToken, ".")
	if len(parts) != 3 {
		return nil, errors.New("oauth: the access token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("oauth: the access token's payload is not base64url")
	}
	var raw struct {
		AccountID  json.Number     `json:"account_id"`
		Sub        json.RawMessage `json:"sub"`
		Aud        json.RawMessage `json:"aud"`
		BaseDomain string          `json:"base_domain"`
		APIDomain  string          `json:"api_domain"`
		Iat        json.Number     `json:"iat"`
		Exp        json.Number     `json:"exp"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, errors.New("oauth: the access token's payload is not JSON")
	}
	c := &Claims{BaseDomain: raw.BaseDomain, APIDomain: raw.APIDomain, UserID: jsonScalar(raw.Sub), ClientID: jsonScalar(raw.Aud)}
	if raw.AccountID != "" {
		if c.AccountID, err = strconv.ParseInt(raw.AccountID.String(), 10, 64); err != nil {
			return nil, fmt.Errorf("oauth: account_id %q is not an integer", raw.AccountID)
		}
	}
	c.IssuedAt = unixClaim(raw.Iat)
	c.Expiry = unixClaim(raw.Exp)
	return c, nil
}

func unixClaim(n json.Number) time.Time {
	f, err := n.Float64()
	if err != nil || f <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(f), 0)
}

// jsonScalar renders a JSON string, number, or the first string of an array.
func jsonScalar(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		return list[0]
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// ErrTokenExpired is returned by a long-lived token source once its token has expired.
var ErrTokenExpired = errors.New("oauth: the long-lived token has expired; create a new one in amoCRM")

// LongLivedTokenSource serves a private integration's long-lived token
// (docs/amocrm-reference.md#long-lived-tokens). It reads the token's expiry from its claims and, once
// that has passed, returns ErrTokenExpired instead of a token amoCRM would refuse.
func LongLivedTokenSource(token string) (oauth2.TokenSource, error) {
	claims, err := ParseClaims(token)
	if err != nil {
		return nil, err
	}
	return &longLived{tok: &oauth2.Token{AccessToken: token, TokenType: "Bearer", Expiry: claims.Expiry}}, nil
}

type longLived struct {
	tok *oauth2.Token
}

func (l *longLived) Token() (*oauth2.Token, error) {
	if !l.tok.Expiry.IsZero() && !time.Now().Before(l.tok.Expiry) {
		return nil, fmt.Errorf("%w (it expired at %s)", ErrTokenExpired, l.tok.Expiry.UTC().Format(time.RFC3339))
	}
	t := *l.tok
	return &t, nil
}
