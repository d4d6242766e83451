package widget

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testClientID = "0b0197b6-6bd9-4d5a-8a83-7c2f2f6f1a11"
	testSecret   = "xB3k9QpL2mN7vR4tY8wZ1aC6dF0gH5jK-client-secret"
)

// testNow is what the clock reads when atTestNow starts its function.
var testNow = time.Unix(1_700_000_000, 0)

// atTestNow runs f in a synctest bubble whose fake clock has been moved on to testNow; inside,
// time.Sleep advances that clock at once.
func atTestNow(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(time.Until(testNow))
		require.True(t, time.Now().Equal(testNow), "the bubble's clock reads %v, not testNow", time.Now())
		f(t)
	})
}

type lookupCounter struct{ calls atomic.Int32 }

// victimSecret is the secret of the integration another account, victim.amocrm.ru, is connected
// with; its account id is victimAccountID.
const (
	victimClientID  = "9f9f9f9f-1111-2222-3333-444455556666"
	victimSecret    = "victim-account-integration-secret-0123456789"
	victimAccountID = 424242
)

// lookup knows acme's accounts (on every amoCRM and Kommo domain, account id 123456, connected
// with testClientID) and the victim account; acme's connection is the only one with odd ids.
func (l *lookupCounter) lookup(_ context.Context, account, id string) (AccountSecret, error) {
	l.calls.Add(1)
	switch account {
	case "victim.amocrm.ru":
		if id == victimClientID {
			return AccountSecret{Secret: victimSecret, AccountID: victimAccountID}, nil
		}
		return AccountSecret{}, ErrUnknownClient
	case "acme.amocrm.ru", "acme.amocrm.com", "acme.kommo.com":
	default:
		return AccountSecret{}, ErrUnknownClient
	}
	switch id {
	case testClientID:
		return AccountSecret{Secret: testSecret, AccountID: 123456}, nil
	case "0b0197b6-0000-0000-0000-empty0secret":
		return AccountSecret{}, nil
	case "0b0197b6-0000-0000-0000-database0down":
		return AccountSecret{}, errors.New("connection refused")
	}
	return AccountSecret{}, ErrUnknownClient
}

func testVerifierConfig(l *lookupCounter) VerifierConfig {
	return VerifierConfig{
		RedirectURI: "https://calc.example.com/amocrm/oauth",
		Secrets:     l.lookup,
	}
}

func goodClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":         "https://acme.amocrm.ru",
		"aud":         "https://calc.example.com",
		"jti":         "3f1c6a9e-7d1b-4c55-9d7e-0a1b2c3d4e5f",
		"iat":         testNow.Unix(),
		"nbf":         testNow.Unix(),
		"exp":         testNow.Add(30 * time.Minute).Unix(),
		"account_id":  123456,
		"user_id":     987654,
		"subdomain":   "acme",
		"client_uuid": testClientID,
		"is_admin":    true,
	}
}

func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	require.NoError(t, err)
	return s
}

func hs256(t testing.TB, claims jwt.MapClaims) string {
	return sign(t, jwt.SigningMethodHS256, []byte(testSecret), claims)
}

func with(claims jwt.MapClaims, kv ...any) jwt.MapClaims {
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(claims, k)
		} else {
			claims[k] = kv[i+1]
		}
	}
	return claims
}

func TestVerifyDisposableTokenAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		token func(t *testing.T) string
		want  Caller
	}{
		{"amoCRM token", func(t *testing.T) string { return hs256(t, goodClaims()) }, Caller{
			AccountID: 123456, UserID: 987654, Subdomain: "acme", Account: "acme.amocrm.ru", ClientID: testClientID,
			IsAdmin: true, TokenID: "3f1c6a9e-7d1b-4c55-9d7e-0a1b2c3d4e5f", Expires: testNow.Add(30 * time.Minute),
		}},
		{"Kommo token, is_admin left out, aud as a list, ids as strings", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "iss", "https://acme.kommo.com", "is_admin", nil,
				"aud", []string{"https://calc.example.com"}, "account_id", "123456", "user_id", "987654"))
		}, Caller{
			AccountID: 123456, UserID: 987654, Subdomain: "acme", Account: "acme.kommo.com", ClientID: testClientID,
			TokenID: "3f1c6a9e-7d1b-4c55-9d7e-0a1b2c3d4e5f", Expires: testNow.Add(30 * time.Minute),
		}},
		{"expired within the clock skew", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "exp", testNow.Add(-29*time.Second).Unix(), "iat", testNow.Add(-30*time.Minute).Unix()))
		}, Caller{
			AccountID: 123456, UserID: 987654, Subdomain: "acme", Account: "acme.amocrm.ru", ClientID: testClientID,
			IsAdmin: true, TokenID: "3f1c6a9e-7d1b-4c55-9d7e-0a1b2c3d4e5f", Expires: testNow.Add(-29 * time.Second),
		}},
		{"issued a little in the future", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "iat", testNow.Add(30*time.Second).Unix(), "nbf", testNow.Add(30*time.Second).Unix(),
				"iss", "https://acme.amocrm.com/", "is_admin", "Y"))
		}, Caller{
			AccountID: 123456, UserID: 987654, Subdomain: "acme", Account: "acme.amocrm.com", ClientID: testClientID,
			IsAdmin: true, TokenID: "3f1c6a9e-7d1b-4c55-9d7e-0a1b2c3d4e5f", Expires: testNow.Add(30 * time.Minute),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			atTestNow(t, func(t *testing.T) {
				var l lookupCounter
				c, err := VerifyDisposableToken(t.Context(), tc.token(t), testVerifierConfig(&l))
				require.NoError(t, err)
				assert.Equal(t, tc.want, *c)
				assert.Equal(t, int32(1), l.calls.Load())
			})
		})
	}
}

func rsaKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	return key, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestVerifyDisposableTokenRefuses(t *testing.T) {
	t.Parallel()
	rsaPriv, rsaPubPEM := rsaKey(t)
	good := func(t *testing.T) string { return hs256(t, goodClaims()) }
	tests := []struct {
		name    string
		token   func(t *testing.T) string
		code    string
		lookups int32 // how often the secret store may be asked
	}{
		{"empty", func(*testing.T) string { return "" }, CodeTokenMissing, 0},
		{"alg none", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, goodClaims())
		}, CodeTokenAlgorithm, 0},
		{"alg none with a signature", func(t *testing.T) string {
			parts := strings.Split(good(t), ".")
			return b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]
		}, CodeTokenAlgorithm, 0},
		{"alg HS512 with the right secret", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS512, []byte(testSecret), goodClaims())
		}, CodeTokenAlgorithm, 0},
		{"alg RS256", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, rsaPriv, goodClaims())
		}, CodeTokenAlgorithm, 0},
		{"RS256 public key used as the HS256 secret", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, rsaPubPEM, goodClaims())
		}, CodeTokenSignature, 1},
		{"unknown alg", func(t *testing.T) string {
			parts := strings.Split(good(t), ".")
			return b64.EncodeToString([]byte(`{"alg":"HS256 ","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]
		}, CodeTokenAlgorithm, 0},
		{"wrong secret", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, []byte("another integration's secret"), goodClaims())
		}, CodeTokenSignature, 1},
		{"claims changed after signing", func(t *testing.T) string {
			parts := strings.Split(good(t), ".")
			claims, _ := json.Marshal(with(goodClaims(), "account_id", 1))
			return parts[0] + "." + b64.EncodeToString(claims) + "." + parts[2]
		}, CodeTokenSignature, 1},
		{"expired", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "exp", testNow.Add(-31*time.Second).Unix(), "iat", testNow.Add(-31*time.Minute).Unix()))
		}, CodeTokenExpired, 1},
		{"expired exactly at the skew", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "exp", testNow.Add(-ClockSkew).Unix()))
		}, CodeTokenExpired, 1},
		{"no exp", func(t *testing.T) string { return hs256(t, with(goodClaims(), "exp", nil)) }, CodeTokenClaims, 1},
		{"future nbf", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "nbf", testNow.Add(31*time.Second).Unix()))
		}, CodeTokenNotYetValid, 1},
		{"future iat beyond the skew", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "iat", testNow.Add(31*time.Second).Unix()))
		}, CodeTokenIssuedInFuture, 1},
		{"wrong aud", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "aud", "https://evil.example.com"))
		}, CodeTokenAudience, 1},
		{"aud with another scheme", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "aud", "http://calc.example.com"))
		}, CodeTokenAudience, 1},
		{"aud with a path", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "aud", "https://calc.example.com/amocrm/oauth"))
		}, CodeTokenAudience, 1},
		{"aud as a suffix trick", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "aud", "https://calc.example.com.evil.com"))
		}, CodeTokenAudience, 1},
		{"no aud", func(t *testing.T) string { return hs256(t, with(goodClaims(), "aud", nil)) }, CodeTokenAudience, 1},
		{"unknown client_uuid", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "client_uuid", "11111111-2222-3333-4444-555555555555"))
		}, CodeTokenUnknownClient, 1},
		{"client_uuid that is no id", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "client_uuid", "../../etc/passwd"))
		}, CodeTokenUnknownClient, 0},
		{"no client_uuid", func(t *testing.T) string { return hs256(t, with(goodClaims(), "client_uuid", nil)) }, CodeTokenUnknownClient, 0},
		{"integration with an empty secret", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, []byte("x"), with(goodClaims(), "client_uuid", "0b0197b6-0000-0000-0000-empty0secret"))
		}, CodeTokenUnknownClient, 1},
		{"secret store down", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "client_uuid", "0b0197b6-0000-0000-0000-database0down"))
		}, CodeInternal, 1},
		{"subdomain does not match iss", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "subdomain", "victim"))
		}, CodeTokenIssuer, 1},
		{"iss on a foreign host", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "iss", "https://acme.amocrm.ru.evil.com", "subdomain", "acme"))
		}, CodeTokenIssuer, 0},
		{"iss over http", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "iss", "http://acme.amocrm.ru"))
		}, CodeTokenIssuer, 0},
		{"iss with a port", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "iss", "https://acme.amocrm.ru:8443"))
		}, CodeTokenIssuer, 0},
		{"no iss", func(t *testing.T) string { return hs256(t, with(goodClaims(), "iss", nil)) }, CodeTokenIssuer, 0},
		{"acme's valid secret and integration, naming the victim account", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "iss", "https://victim.amocrm.ru", "subdomain", "victim", "account_id", victimAccountID))
		}, CodeTokenUnknownClient, 1},
		{"acme's valid secret, naming the victim's integration and account", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "iss", "https://victim.amocrm.ru", "subdomain", "victim",
				"account_id", victimAccountID, "client_uuid", victimClientID))
		}, CodeTokenSignature, 1},
		{"acme's account signed right, with the victim's account_id", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "account_id", victimAccountID))
		}, CodeTokenAccount, 1},
		{"lives longer than amoCRM's 30 minutes", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "exp", testNow.Add(2*time.Hour).Unix()))
		}, CodeTokenLifetime, 1},
		{"no iat and a far exp", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "iat", nil, "exp", testNow.Add(31*time.Minute+ClockSkew).Unix()))
		}, CodeTokenLifetime, 1},
		{"no account_id", func(t *testing.T) string { return hs256(t, with(goodClaims(), "account_id", nil)) }, CodeTokenClaims, 1},
		{"negative user_id", func(t *testing.T) string { return hs256(t, with(goodClaims(), "user_id", -5)) }, CodeTokenClaims, 1},
		{"account_id not a number", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "account_id", "12x"))
		}, CodeTokenMalformed, 0},
		{"truncated signature", func(t *testing.T) string {
			s := good(t)
			return s[:len(s)-11] // 32 characters: still base64, 24 bytes
		}, CodeTokenSignature, 1},
		{"truncated signature that is no base64", func(t *testing.T) string {
			s := good(t)
			return s[:len(s)-10] // 33 characters cannot be base64
		}, CodeTokenMalformed, 0},
		{"truncated to two parts", func(t *testing.T) string {
			s := good(t)
			return s[:strings.LastIndexByte(s, '.')]
		}, CodeTokenMalformed, 0},
		{"truncated in the claims", func(t *testing.T) string {
			s := good(t)
			return s[:strings.IndexByte(s, '.')+20] + "." + "AAAA"
		}, CodeTokenMalformed, 0},
		{"not a JWT", func(*testing.T) string { return "Bearer something" }, CodeTokenMalformed, 0},
		{"1 MB long", func(t *testing.T) string {
			return hs256(t, with(goodClaims(), "pad", strings.Repeat("A", 1<<20)))
		}, CodeTokenTooLarge, 0},
		{"just over the size limit", func(*testing.T) string { return strings.Repeat("a", MaxTokenSize+1) }, CodeTokenTooLarge, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			atTestNow(t, func(t *testing.T) {
				var l lookupCounter
				token := tc.token(t)
				c, err := VerifyDisposableToken(t.Context(), token, testVerifierConfig(&l))
				require.Error(t, err)
				assert.Nil(t, c)
				var terr *TokenError
				require.ErrorAs(t, err, &terr)
				assert.Equal(t, tc.code, terr.Code, terr.Error())
				assert.NotEmpty(t, terr.Message)
				if len(token) > 20 {
					assert.NotContains(t, terr.Error(), token[len(token)-20:], "the error must not carry the token")
				}
				assert.NotContains(t, terr.Error(), testSecret)
				assert.Equal(t, tc.lookups, l.calls.Load(), "secret lookups")
				if tc.code == CodeInternal {
					assert.Equal(t, http.StatusInternalServerError, terr.StatusCode())
					assert.ErrorContains(t, err, "connection refused", "the cause is kept for the server's log")
					assert.NotContains(t, terr.Message, "connection refused", "but not shown to the browser")
				} else {
					assert.Equal(t, http.StatusUnauthorized, terr.StatusCode())
				}
			})
		})
	}
}

func TestVerifyDisposableTokenAudienceWithPort(t *testing.T) {
	t.Parallel()
	atTestNow(t, func(t *testing.T) {
		var l lookupCounter
		cfg := testVerifierConfig(&l)
		cfg.RedirectURI = "https://Calc.Example.com:8443/amocrm/oauth"
		for _, aud := range []string{"https://calc.example.com:8443", "https://calc.example.com"} {
			_, err := VerifyDisposableToken(t.Context(), hs256(t, with(goodClaims(), "aud", aud)), cfg)
			assert.NoError(t, err, aud)
		}
		_, err := VerifyDisposableToken(t.Context(), hs256(t, with(goodClaims(), "aud", "https://calc.example.com:9443")), cfg)
		assert.ErrorContains(t, err, CodeTokenAudience)
	})
}

func TestVerifierConfigValidate(t *testing.T) {
	t.Parallel()
	var l lookupCounter
	good := testVerifierConfig(&l)
	require.NoError(t, good.Validate())

	noSecrets := good
	noSecrets.Secrets = nil
	assert.ErrorContains(t, noSecrets.Validate(), "Secrets")
	for _, uri := range []string{"", "calc.example.com/cb", "ftp://calc.example.com", "https://user@calc.example.com/cb", "https:///cb"} {
		bad := good
		bad.RedirectURI = uri
		assert.ErrorContains(t, bad.Validate(), "RedirectURI", uri)
	}

	bad := good
	bad.RedirectURI = "nope"
	_, err := VerifyDisposableToken(t.Context(), hs256(t, goodClaims()), bad)
	var terr *TokenError
	require.ErrorAs(t, err, &terr)
	assert.Equal(t, CodeInternal, terr.Code)
	assert.Panics(t, func() { RequireDisposableToken(bad, http.NotFoundHandler()) })
}

func TestRequireDisposableToken(t *testing.T) {
	t.Parallel()
	atTestNow(t, func(t *testing.T) {
		var l lookupCounter
		var seen *Caller
		h := RequireDisposableToken(testVerifierConfig(&l), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := CallerFrom(r.Context())
			require.True(t, ok)
			seen = c
			w.WriteHeader(http.StatusNoContent)
		}))
		serve := func(headers ...string) *httptest.ResponseRecorder {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/widget/session", strings.NewReader(`{"lead_id":1}`))
			for i := 0; i < len(headers); i += 2 {
				r.Header.Add(headers[i], headers[i+1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}

		w := serve("X-Auth-Token", hs256(t, goodClaims()))
		require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
		require.NotNil(t, seen)
		assert.Equal(t, int64(123456), seen.AccountID)
		assert.Equal(t, "acme.amocrm.ru", seen.Account)

		expired := hs256(t, with(goodClaims(), "exp", testNow.Add(-time.Hour).Unix(), "iat", testNow.Add(-2*time.Hour).Unix()))
		tests := []struct {
			name    string
			headers []string
			code    string
		}{
			{"missing header", nil, CodeTokenMissing},
			{"empty header", []string{"X-Auth-Token", ""}, CodeTokenMissing},
			{"two headers", []string{"X-Auth-Token", hs256(t, goodClaims()), "X-Auth-Token", expired}, CodeTokenMalformed},
			{"expired", []string{"X-Auth-Token", expired}, CodeTokenExpired},
			{"token in Authorization instead", []string{"Authorization", "Bearer " + hs256(t, goodClaims())}, CodeTokenMissing},
		}
		for _, tc := range tests {
			seen = nil
			w := serve(tc.headers...)
			assert.Equal(t, http.StatusUnauthorized, w.Code, tc.name)
			assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"), tc.name)
			var body ErrorResponse
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), tc.name)
			assert.Equal(t, tc.code, body.Error.Code, tc.name)
			assert.NotEmpty(t, body.Error.Message, tc.name)
			for i := 1; i < len(tc.headers); i += 2 {
				if v := tc.headers[i]; len(v) > 16 {
					assert.NotContains(t, w.Body.String(), v[len(v)-16:], "%s: the token is echoed", tc.name)
				}
			}
			assert.Nil(t, seen, "%s: next must not run", tc.name)
		}
	})
}

func TestCallerFromEmptyContext(t *testing.T) {
	t.Parallel()
	_, ok := CallerFrom(t.Context())
	assert.False(t, ok)
	_, ok = CallerFrom(ContextWithCaller(t.Context(), nil))
	assert.False(t, ok, "a nil caller is no caller")
	c, ok := CallerFrom(ContextWithCaller(t.Context(), &Caller{AccountID: 7}))
	require.True(t, ok)
	assert.Equal(t, int64(7), c.AccountID)
}
