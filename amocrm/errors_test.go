package amocrm

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorDecoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		check   func(t *testing.T, e *Error)
		is      error
		message string
	}{
		{
			name:   "problem+json with validation errors",
			status: 400,
			header: http.Header{"Content-Type": {"application/problem+json"}, "X-Request-Id": {"req-42"}},
			body: `{"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request validation failed",
				"validation-errors":[{"request_id":"0","errors":[{"code":"NotSupportedChoice","path":"custom_fields_values.0.field_id","detail":"The value you selected is not a valid choice."}]},
				{"request_id":3,"errors":[{"code":"InvalidType","path":"price","detail":"This value should be of type int."}]}]}`,
			check: func(t *testing.T, e *Error) {
				assert.Equal(t, "Bad Request", e.Title)
				assert.Equal(t, "Request validation failed", e.Detail)
				assert.Equal(t, "req-42", e.RequestID)
				require.Len(t, e.ValidationErrors, 2)
				assert.Equal(t, ValidationError{RequestID: "0", Code: "NotSupportedChoice", Path: "custom_fields_values.0.field_id", Detail: "The value you selected is not a valid choice."}, e.ValidationErrors[0])
				assert.Equal(t, "3", e.ValidationErrors[1].RequestID)
			},
			message: "amocrm: PATCH https://acme.amocrm.ru/api/v4/leads: 400 Bad Request: Request validation failed (2 validation errors; first: NotSupportedChoice at custom_fields_values.0.field_id: The value you selected is not a valid choice.)",
		},
		{
			name:   "HTML 429 without Retry-After",
			status: 429,
			header: http.Header{"Content-Type": {"text/html"}},
			body:   "<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests</h1></center><hr><center>nginx</center></body></html>",
			is:     ErrRateLimited,
			check: func(t *testing.T, e *Error) {
				assert.Equal(t, "429 Too Many Requests", e.Body)
				assert.Zero(t, e.RetryAfter)
			},
			message: "amocrm: PATCH https://acme.amocrm.ru/api/v4/leads: 429 Too Many Requests: 429 Too Many Requests",
		},
		{
			name:   "JSON 429 with retry_after",
			status: 429,
			body:   `{"title":"Too Many Requests","status":429,"retry_after":300}`,
			is:     ErrRateLimited,
			check:  func(t *testing.T, e *Error) { assert.Equal(t, 300*time.Second, e.RetryAfter) },
		},
		{
			name:   "Retry-After header wins",
			status: 429,
			header: http.Header{"Retry-After": {"7"}},
			body:   `{"retry_after":300}`,
			is:     ErrRateLimited,
			check:  func(t *testing.T, e *Error) { assert.Equal(t, 7*time.Second, e.RetryAfter) },
		},
		{
			name:    "empty 403",
			status:  403,
			is:      ErrBlocked,
			check:   func(t *testing.T, e *Error) { assert.Empty(t, e.Body); assert.Empty(t, e.Title) },
			message: "amocrm: PATCH https://acme.amocrm.ru/api/v4/leads: 403 Forbidden",
		},
		{
			name:   "HTML 403 block page without a title",
			status: 403,
			body:   "<html><body><h1>Доступ заблокирован</h1>\n<p>Обратитесь в поддержку</p></body></html>",
			is:     ErrBlocked,
			check: func(t *testing.T, e *Error) {
				assert.Equal(t, "Доступ заблокирован Обратитесь в поддержку", e.Body)
			},
		},
		{
			name:   "truncated JSON",
			status: 500,
			body:   `{"title":"ErrInternalServer","status":500,"detai`,
			check: func(t *testing.T, e *Error) {
				assert.Equal(t, `{"title":"ErrInternalServer","status":500,"detai`, e.Body)
			},
		},
		{
			name:   "OAuth problem with a hint",
			status: 401,
			body:   `{"hint":"Token has been revoked","title":"Некорректный запрос","type":"https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":401,"detail":"В запросе отсутствует ряд параметров или параметры невалидны"}`,
			is:     ErrUnauthorized,
			check:  func(t *testing.T, e *Error) { assert.Equal(t, "Token has been revoked", e.Hint) },
		},
		{name: "402", status: 402, body: `{"title":"Payment Required","status":402}`, is: ErrPaymentRequired},
		{name: "404", status: 404, body: `{"title":"Not Found","status":404,"detail":"Pipeline not found"}`, is: ErrNotFound},
		{
			name:   "a huge body is cut",
			status: 502,
			body:   strings.Repeat("x", 3<<20),
			check:  func(t *testing.T, e *Error) { assert.LessOrEqual(t, len(e.Body), 210) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t, WithRetry(RetryPolicy{Attempts: 1}))
			mux.HandleFunc("PATCH /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			_, err := c.send(t.Context(), http.MethodPatch, "api/v4/leads", []int{1}, nil)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.status, e.StatusCode)
			assert.Equal(t, http.MethodPatch, e.Method)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			for _, other := range []error{ErrNotFound, ErrUnauthorized, ErrPaymentRequired, ErrBlocked, ErrRateLimited} {
				if other != tt.is {
					assert.False(t, errors.Is(err, other), "unexpectedly matches %v", other)
				}
			}
			if tt.check != nil {
				tt.check(t, e)
			}
			if tt.message != "" {
				// The test server's address stands in for the account host in the message.
				got := strings.Replace(e.Error(), c.BaseURL()+"api/", "https://acme.amocrm.ru/api/", 1)
				assert.Equal(t, tt.message, got)
			}
			assert.NotContains(t, e.Error(), "\n")
		})
	}
}

func TestGetOneTreats204AsNotFound(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/account", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	_, err := c.Account.Get(t.Context())
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestSanitizeURLMasksSecrets(t *testing.T) {
	t.Parallel()
	c, err := New("acme.amocrm.ru", WithAccessToken("x"))
	require.NoError(t, err)
	req, err := c.newRequest(t.Context(), http.MethodGet, "oauth2/x", map[string][]string{
		"client_secret": {"s3cr3t"}, "code": {"c0de"}, "refresh_token": {"r3fr3sh"}, "page": {"2"},
	}, nil)
	require.NoError(t, err)
	req.URL.User = nil
	got := sanitizeURL(req.URL)
	for _, secret := range []string{"s3cr3t", "c0de", "r3fr3sh"} {
		assert.NotContains(t, got, secret)
	}
	assert.Contains(t, got, "page=2")
}
