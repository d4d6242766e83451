package widget_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/widget"
)

const kitAdminToken = "admin-0123456789abcdef0123456789abcdef"

// TestSaveConnectionThrottlesWrongTokens: a client that keeps sending wrong admin tokens (here a
// tenant's valid session ticket, then guesses) is refused with 429 and Retry-After without its
// token being checked, even the right one, until the wait is over; the flood makes one log line.
func TestSaveConnectionThrottlesWrongTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		cfg := kitConfig(t)
		cfg.AdminToken = kitAdminToken
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		h, err := widget.NewHandler(cfg)
		require.NoError(t, err)
		signer, err := widget.NewTicketSigner(kitTicketKey)
		require.NoError(t, err)
		tenant := signer.Sign(widget.Ticket{Account: "tenant.amocrm.ru", AccountID: 1, UserID: 2, LeadID: 3})
		body := `{"action":"save_connection","connection":{"domain":"acme.amocrm.ru","client_id":"0b0197b6-6bd9-4d5a-8a83-7c2f2f6f1a11","client_secret":"s3cret"}}`
		post := func(token string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/widget/api", strings.NewReader(body))
			req.RemoteAddr = "203.0.113.7:40000"
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}

		for i := range 6 {
			token := tenant
			if i%2 == 1 {
				token = strings.Repeat("x", len(kitAdminToken))
			}
			assert.Equal(t, http.StatusForbidden, post(token).Code, "attempt %d is checked", i)
		}
		rec := post(kitAdminToken)
		assert.Equal(t, http.StatusTooManyRequests, rec.Code, "the right token waits too: a guesser learns nothing")
		assert.Equal(t, "1", rec.Header().Get("Retry-After"))
		assert.Contains(t, rec.Body.String(), widget.CodeTooManyAttempts)

		time.Sleep(time.Second)
		assert.Equal(t, http.StatusOK, post(kitAdminToken).Code)
		assert.Equal(t, 1, strings.Count(logs.String(), "wrong admin token"), "one line per client and window:\n%s", logs.String())
		assert.Contains(t, logs.String(), "failures=1")
	})
}
