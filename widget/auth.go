package widget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/amokit/amokit/internal/httpx"
)

// MaxTokenSize is the longest X-Auth-Token accepted. amoCRM's tokens are about 600 bytes; longer
// ones are refused before any parsing.
const MaxTokenSize = 8 << 10

// ClockSkew is how far amoCRM's clock and ours may disagree when exp, nbf and iat are checked.
const ClockSkew = 30 * time.Second

// MaxTokenLifetime is the longest life of a disposable token that amoCRM issues (exp − iat is
// 30 minutes). A token that claims to live longer, beyond ClockSkew, is refused.
const MaxTokenLifetime = 30 * time.Minute

// ErrUnknownClient is what a SecretLookup returns (possibly wrapped) when the account has no
// connection made with the given integration. The token is then refused with 401
// token_unknown_client; any other lookup error gives 500 internal_error.
var ErrUnknownClient = errors.New("widget: unknown integration")

// AccountSecret is what a SecretLookup finds for one account.
type AccountSecret struct {
	// Secret is the client secret of the integration the account is connected with.
	Secret string
	// AccountID is the amoCRM account id stored for the account, 0 while not known. When set,
	// a token whose account_id differs is refused.
	AccountID int64
}

// SecretLookup returns the secret that verifies disposable tokens of account (the host named by
// the token's iss, "acme.amocrm.ru") for the integration clientID (client_uuid), typically from
// the account's own connection in the store. It returns ErrUnknownClient when the account is not
// connected with that integration: the secret of one account's integration never verifies a
// token for another account. An empty secret counts as unknown.
type SecretLookup func(ctx context.Context, account, clientID string) (AccountSecret, error)

// VerifierConfig says how disposable tokens (the X-Auth-Token that script.js's $authorizedAjax
// sends) are verified.
type VerifierConfig struct {
	// RedirectURI is the integration's redirect URI, e.g. "https://calc.example.com/amocrm/oauth".
	// amoCRM puts its scheme and host into the token's aud claim.
	RedirectURI string
	// Secrets finds the client secret for the token's client_uuid. Required.
	Secrets SecretLookup
}

// Validate reports whether c can verify tokens: RedirectURI must be an absolute http(s) URL
// with a host and no user info, and Secrets must be set.
func (c VerifierConfig) Validate() error {
	_, err := c.verifier()
	return err
}

// Caller is who sent a request, as proven by a verified disposable token.
type Caller struct {
	AccountID int64     // account_id
	UserID    int64     // user_id: the amoCRM user working in the card
	Subdomain string    // subdomain, e.g. "acme"
	Account   string    // the account host from iss, e.g. "acme.amocrm.ru"
	ClientID  string    // client_uuid: the integration the token was issued for
	IsAdmin   bool      // is_admin; false when amoCRM leaves the claim out
	TokenID   string    // jti, for a store that refuses replays
	Expires   time.Time // exp
}

// TokenError is why a disposable token was refused. Code is one of the CodeToken* constants (or
// CodeInternal when the secret lookup failed) and Message explains it to people; neither ever
// holds the token or a secret. Err is the underlying cause, for server logs.
type TokenError struct {
	Code    string
	Message string
	Err     error
}

func (e *TokenError) Error() string {
	s := "widget: disposable token refused: " + e.Code + ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *TokenError) Unwrap() error { return e.Err }

// StatusCode is the HTTP status for the refusal: 500 for CodeInternal, 401 otherwise.
func (e *TokenError) StatusCode() int {
	if e.Code == CodeInternal {
		return http.StatusInternalServerError
	}
	return http.StatusUnauthorized
}

func refuse(code, message string, cause error) *TokenError {
	return &TokenError{Code: code, Message: message, Err: cause}
}

// VerifyDisposableToken checks an amoCRM disposable token and returns its caller. It follows the
// official SDK and adds our own checks:
//   - the token is at most MaxTokenSize bytes and a compact JWT;
//   - alg is HS256 and nothing else (no "none", no HS512, no RS256 key confusion);
//   - iss is https://<subdomain>.amocrm.ru, .amocrm.com or .kommo.com;
//   - the key is the client secret that the account named by iss uses for the integration
//     named by client_uuid (both as yet unverified), found with cfg.Secrets; an integration
//     the account is not connected with is refused;
//   - exp is present and not past, nbf and iat are not in the future, each with ClockSkew, and
//     the token lives no longer than MaxTokenLifetime;
//   - aud is the scheme and host of cfg.RedirectURI;
//   - the subdomain claim names the account of iss;
//   - account_id and user_id are positive, and account_id is the account id stored for the
//     account when one is known.
//
// Every refusal is a *TokenError.
func VerifyDisposableToken(ctx context.Context, token string, cfg VerifierConfig) (*Caller, error) {
	v, err := cfg.verifier()
	if err != nil {
		return nil, refuse(CodeInternal, "the token verifier is not configured", err)
	}
	c, terr := v.verify(ctx, token)
	if terr != nil {
		return nil, terr
	}
	return c, nil
}

// RequireDisposableToken verifies the X-Auth-Token header with VerifyDisposableToken and calls
// next with the *Caller in the request context (see CallerFrom). A refusal is answered with 401
// (500 if the secret lookup failed) and the JSON error shape of WriteError, naming the reason
// but never echoing the token. It panics if cfg is invalid; call cfg.Validate first to get an
// error instead.
func RequireDisposableToken(cfg VerifierConfig, next http.Handler) http.Handler {
	v, err := cfg.verifier()
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c *Caller
		var terr *TokenError
		switch values := r.Header.Values("X-Auth-Token"); len(values) {
		case 0:
			terr = refuse(CodeTokenMissing, "the X-Auth-Token header is missing; call this endpoint through $authorizedAjax", nil)
		case 1:
			c, terr = v.verify(r.Context(), values[0])
		default:
			terr = refuse(CodeTokenMalformed, "more than one X-Auth-Token header", nil)
		}
		if terr != nil {
			WriteError(w, terr.StatusCode(), terr.Code, terr.Message)
			return
		}
		next.ServeHTTP(w, r.WithContext(ContextWithCaller(r.Context(), c)))
	})
}

type ctxKey int

const (
	callerKey ctxKey = iota
	ticketKey
)

// ContextWithCaller returns a copy of ctx carrying c, as RequireDisposableToken does. Handler
// tests use it to call a handler without minting a token.
func ContextWithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey, c)
}

// CallerFrom returns the caller that RequireDisposableToken put into ctx.
func CallerFrom(ctx context.Context) (*Caller, bool) {
	c, ok := ctx.Value(callerKey).(*Caller)
	return c, ok && c != nil
}

// verifier is a validated VerifierConfig.
type verifier struct {
	audiences []string
	secrets   SecretLookup
}

func (c VerifierConfig) verifier() (*verifier, error) {
	if c.Secrets == nil {
		return nil, errors.New("widget: VerifierConfig.Secrets is nil")
	}
	u, ok := httpx.AbsoluteURL(c.RedirectURI)
	if !ok || u.User != nil {
		return nil, fmt.Errorf("widget: VerifierConfig.RedirectURI %q is not an absolute http(s) URL with a host", c.RedirectURI)
	}
	host := strings.ToLower(u.Host)
	auds := []string{u.Scheme + "://" + host}
	if u.Port() != "" {
		// The official SDK compares against scheme://host without the port; whether amoCRM ever
		// puts a port into aud is not documented, so both forms are ours.
		auds = append(auds, u.Scheme+"://"+strings.ToLower(u.Hostname()))
	}
	return &verifier{audiences: auds, secrets: c.Secrets}, nil
}

// disposableClaims are the claims of an amoCRM disposable token.
type disposableClaims struct {
	jwt.RegisteredClaims
	AccountID  flexInt64 `json:"account_id"`
	UserID     flexInt64 `json:"user_id"`
	Subdomain  string    `json:"subdomain"`
	ClientUUID string    `json:"client_uuid"`
	IsAdmin    flexBool  `json:"is_admin"`
}

func (v *verifier) verify(ctx context.Context, token string) (*Caller, *TokenError) {
	token = strings.TrimSpace(token)
	switch {
	case token == "":
		return nil, refuse(CodeTokenMissing, "the X-Auth-Token header is empty", nil)
	case len(token) > MaxTokenSize:
		return nil, refuse(CodeTokenTooLarge, fmt.Sprintf("the token is longer than %d bytes", MaxTokenSize), nil)
	case strings.Count(token, ".") != 2 || !isBase64URLOrDot(token):
		return nil, refuse(CodeTokenMalformed, "the token is not a compact JWT", nil)
	}

	var claims disposableClaims
	var lookupErr error
	var found AccountSecret
	keyFunc := func(t *jwt.Token) (any, error) {
		if t.Method != jwt.SigningMethodHS256 { // already refused by WithValidMethods
			return nil, errors.New("unexpected signing method")
		}
		// The key is chosen by the account the token speaks for, so that a secret of one
		// account's integration can never vouch for another account.
		host, ok := issuerHost(claims.Issuer)
		if !ok {
			lookupErr = errBadIssuer
			return nil, lookupErr
		}
		if !validClientID(claims.ClientUUID) {
			lookupErr = ErrUnknownClient
			return nil, lookupErr
		}
		s, err := v.secrets(ctx, host, claims.ClientUUID)
		if err == nil && s.Secret == "" {
			err = ErrUnknownClient
		}
		if err != nil {
			lookupErr = err
			return nil, err
		}
		found = s
		return []byte(s.Secret), nil
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithLeeway(ClockSkew),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithStrictDecoding(),
	)
	parsed, err := parser.ParseWithClaims(token, &claims, keyFunc)
	if err != nil {
		return nil, classify(parsed, lookupErr, err)
	}

	if !v.audienceOK(claims.Audience) {
		return nil, refuse(CodeTokenAudience, "the token was issued for another server (aud)", nil)
	}
	host, _ := issuerHost(claims.Issuer) // checked before the key was looked up
	sub, _ := accountHost(host)
	if !strings.EqualFold(claims.Subdomain, sub) {
		return nil, refuse(CodeTokenIssuer, "the token's subdomain does not match its issuer", nil)
	}
	if claims.AccountID <= 0 || claims.UserID <= 0 {
		return nil, refuse(CodeTokenClaims, "the token has no valid account_id or user_id", nil)
	}
	if found.AccountID != 0 && int64(claims.AccountID) != found.AccountID {
		return nil, refuse(CodeTokenAccount, "the token's account_id is not the id of the account it names", nil)
	}
	if terr := v.lifetimeOK(claims); terr != nil {
		return nil, terr
	}
	return &Caller{
		AccountID: int64(claims.AccountID),
		UserID:    int64(claims.UserID),
		Subdomain: sub,
		Account:   host,
		ClientID:  claims.ClientUUID,
		IsAdmin:   bool(claims.IsAdmin),
		TokenID:   claims.ID,
		Expires:   claims.ExpiresAt.Time,
	}, nil
}

// errBadIssuer marks a token whose iss is not an account host; it is found before the key lookup.
var errBadIssuer = errors.New("bad issuer")

// issuerHost returns the account host of an iss claim, "https://acme.amocrm.ru" → "acme.amocrm.ru".
func issuerHost(iss string) (string, bool) {
	host, ok := strings.CutPrefix(strings.ToLower(strings.TrimSuffix(iss, "/")), "https://")
	if !ok {
		return "", false
	}
	_, ok = accountHost(host)
	return host, ok
}

// lifetimeOK refuses a token that lives longer than amoCRM's tokens do: counted from iat, and
// from now for a token without iat.
func (v *verifier) lifetimeOK(c disposableClaims) *TokenError {
	if c.ExpiresAt == nil {
		return refuse(CodeTokenClaims, "the token has no expiry (exp)", nil)
	}
	limit := MaxTokenLifetime + ClockSkew
	from := time.Now()
	if c.IssuedAt != nil && c.IssuedAt.Time.Before(from) {
		from = c.IssuedAt.Time
	}
	if c.ExpiresAt.Time.Sub(from) > limit {
		return refuse(CodeTokenLifetime, fmt.Sprintf("the token lives longer than amoCRM's %v", MaxTokenLifetime), nil)
	}
	return nil
}

// classify turns a parser error into a refusal. The order matters: the algorithm is judged
// before anything else, and the claims only after the signature has been verified (the parser
// validates them last).
func classify(parsed *jwt.Token, lookupErr, err error) *TokenError {
	if parsed != nil && parsed.Header != nil {
		if alg, _ := parsed.Header["alg"].(string); alg != jwt.SigningMethodHS256.Alg() {
			return refuse(CodeTokenAlgorithm, "the token must be signed with HS256", nil)
		}
	}
	switch {
	case errors.Is(lookupErr, errBadIssuer):
		return refuse(CodeTokenIssuer, "the token's issuer is not an amoCRM or Kommo account", nil)
	case lookupErr != nil && errors.Is(lookupErr, ErrUnknownClient):
		return refuse(CodeTokenUnknownClient, "the account is not connected to this server with the token's integration (client_uuid)", nil)
	case lookupErr != nil:
		return refuse(CodeInternal, "the integration's secret could not be read", lookupErr)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return refuse(CodeTokenSignature, "the token's signature does not match", nil)
	case errors.Is(err, jwt.ErrTokenExpired):
		return refuse(CodeTokenExpired, "the token has expired; reload the card", nil)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return refuse(CodeTokenNotYetValid, "the token is not valid yet (nbf)", nil)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return refuse(CodeTokenIssuedInFuture, "the token is issued in the future (iat); check the server clock", nil)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return refuse(CodeTokenClaims, "the token has no expiry (exp)", nil)
	default:
		return refuse(CodeTokenMalformed, "the token cannot be read", nil)
	}
}

func (v *verifier) audienceOK(aud jwt.ClaimStrings) bool {
	for _, a := range aud {
		a = strings.TrimSuffix(a, "/")
		for _, want := range v.audiences {
			if strings.EqualFold(a, want) {
				return true
			}
		}
	}
	return false
}

func isBase64URLOrDot(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// validClientID accepts what an integration id looks like (a UUID) with some room, so that
// nothing odd reaches the secret lookup.
func validClientID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// flexInt64 reads an integer claim sent as a JSON number or a decimal string.
type flexInt64 int64

func (n *flexInt64) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = 0
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %w", err)
	}
	*n = flexInt64(v)
	return nil
}

// flexBool reads a boolean claim sent as true/false, 1/0 or "Y"/"N"; anything else is false.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case bool:
		*f = flexBool(x)
	case float64:
		*f = x == 1
	case string:
		*f = flexBool(x == "1" || strings.EqualFold(x, "true") || strings.EqualFold(x, "y"))
	default:
		*f = false
	}
	return nil
}
