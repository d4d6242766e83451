package widget

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func newTestSigner(t *testing.T, key []byte) *TicketSigner {
	t.Helper()
	s, err := NewTicketSigner(key)
	require.NoError(t, err)
	return s
}

func testTicket() Ticket {
	return Ticket{Account: "acme.amocrm.ru", AccountID: 123456, UserID: 987654, LeadID: 4242}
}

func TestTicketRoundTrip(t *testing.T) {
	t.Parallel()
	atTestNow(t, func(t *testing.T) {
		s := newTestSigner(t, testKey(1))
		raw := s.Sign(testTicket())
		assert.Less(t, len(raw), 128)
		for _, r := range raw {
			assert.True(t, r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.', "%q is not URL-safe", r)
		}
		got, err := s.Verify(raw)
		require.NoError(t, err)
		want := testTicket()
		want.Expires = testNow.Add(DefaultTicketTTL)
		assert.Equal(t, want, got)
		assert.Equal(t, DefaultTicketTTL, s.TTL())
	})
}

func TestTicketExpires(t *testing.T) {
	t.Parallel()
	atTestNow(t, func(t *testing.T) {
		s := newTestSigner(t, testKey(1))
		raw := s.Sign(testTicket())
		time.Sleep(DefaultTicketTTL - time.Second)
		_, err := s.Verify(raw)
		require.NoError(t, err, "valid until the last second")
		time.Sleep(time.Second)
		_, err = s.Verify(raw)
		assert.ErrorIs(t, err, ErrTicketExpired)
		assert.NotErrorIs(t, err, ErrTicketInvalid)
	})
}

func TestTicketExpiresIsCapped(t *testing.T) {
	t.Parallel()
	atTestNow(t, func(t *testing.T) {
		s, err := NewTicketSigner(testKey(1), WithTicketTTL(5*time.Minute))
		require.NoError(t, err)

		tk := testTicket()
		tk.Expires = testNow.Add(time.Hour)
		got, err := s.Verify(s.Sign(tk))
		require.NoError(t, err)
		assert.Equal(t, testNow.Add(5*time.Minute), got.Expires, "no ticket outlives the TTL")

		tk.Expires = testNow.Add(time.Minute + 500*time.Millisecond)
		got, err = s.Verify(s.Sign(tk))
		require.NoError(t, err)
		assert.Equal(t, testNow.Add(time.Minute), got.Expires, "a shorter life is kept, in whole seconds")
	})
}

func TestTicketTampered(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t, testKey(1))
	raw := s.Sign(testTicket())
	payload, mac, ok := strings.Cut(raw, ".")
	require.True(t, ok)

	// Every single-character change anywhere in the ticket is refused.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range raw {
		if raw[i] == '.' {
			continue
		}
		c := alphabet[(strings.IndexByte(alphabet, raw[i])+1)%len(alphabet)]
		bad := raw[:i] + string(c) + raw[i+1:]
		_, err := s.Verify(bad)
		assert.ErrorIs(t, err, ErrTicketInvalid, "position %d", i)
	}

	other := testTicket()
	other.LeadID = 1
	otherPayload, _, _ := strings.Cut(s.Sign(other), ".")
	_, err := s.Verify(otherPayload + "." + mac)
	assert.ErrorIs(t, err, ErrTicketInvalid, "another lead's payload with this MAC")

	for _, bad := range []string{"", ".", payload, payload + ".", "." + mac, raw + ".x", raw + "=", strings.Repeat("A", 600) + "." + mac} {
		_, err := s.Verify(bad)
		assert.ErrorIs(t, err, ErrTicketInvalid, "%q", bad)
	}
}

func TestTicketWrongKey(t *testing.T) {
	t.Parallel()
	a := newTestSigner(t, testKey(1))
	b := newTestSigner(t, testKey(2))
	_, err := b.Verify(a.Sign(testTicket()))
	assert.ErrorIs(t, err, ErrTicketInvalid)
}

func TestNewTicketSignerRefuses(t *testing.T) {
	t.Parallel()
	_, err := NewTicketSigner(bytes.Repeat([]byte{1}, 31))
	assert.ErrorContains(t, err, "at least 32 bytes")
	_, err = NewTicketSigner(testKey(1), WithTicketTTL(0))
	assert.ErrorContains(t, err, "TTL")
	_, err = NewTicketSigner(testKey(1), WithTicketTTL(25*time.Hour))
	assert.ErrorContains(t, err, "TTL")
	_, err = NewTicketSigner([]byte("short"), WithTicketTTL(0))
	for _, want := range []string{"at least 32 bytes", "TTL"} {
		assert.ErrorContains(t, err, want, "every problem at once")
	}

	key := testKey(3)
	s, err := NewTicketSigner(key)
	require.NoError(t, err)
	raw := s.Sign(testTicket())
	key[0] = 9 // the signer keeps its own copy
	_, err = s.Verify(raw)
	assert.NoError(t, err)
}

func TestTicketSignerConcurrent(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t, testKey(1))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			tk := testTicket()
			tk.LeadID = int64(i + 1)
			got, err := s.Verify(s.Sign(tk))
			assert.NoError(t, err)
			assert.Equal(t, int64(i+1), got.LeadID)
		})
	}
	wg.Wait()
}

func TestRequireTicket(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t, testKey(1))
	good := s.Sign(testTicket())
	// Sign keeps an Expires earlier than now plus the TTL, so this ticket is genuine and over.
	expired := s.Sign(Ticket{Account: "acme.amocrm.ru", AccountID: 1, UserID: 1, LeadID: 4242, Expires: time.Now().Add(-time.Second)})
	other := newTestSigner(t, testKey(2))
	forged := other.Sign(testTicket())

	h := RequireTicket(s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tk, ok := TicketFrom(r.Context())
		if !ok {
			http.Error(w, "no ticket in context", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(tk)
	}))

	tests := []struct {
		name    string
		query   string
		headers []string
		status  int
		code    string
	}{
		{"bearer", "", []string{"Authorization", "Bearer " + good}, http.StatusOK, ""},
		{"bearer in lower case", "", []string{"Authorization", "bearer " + good}, http.StatusOK, ""},
		{"query", "?ticket=" + good, nil, http.StatusOK, ""},
		{"both equal", "?ticket=" + good, []string{"Authorization", "Bearer " + good}, http.StatusOK, ""},
		{"matching headers", "?ticket=" + good, []string{"X-Lead-Id", "4242", "X-Account-Domain", "Acme.amoCRM.ru"}, http.StatusOK, ""},
		{"missing", "", nil, http.StatusUnauthorized, CodeTicketMissing},
		{"basic auth is no ticket", "", []string{"Authorization", "Basic " + good}, http.StatusUnauthorized, CodeTicketMissing},
		{"both different", "?ticket=" + forged, []string{"Authorization", "Bearer " + good}, http.StatusUnauthorized, CodeTicketInvalid},
		{"forged", "", []string{"Authorization", "Bearer " + forged}, http.StatusUnauthorized, CodeTicketInvalid},
		{"garbage", "?ticket=abc", nil, http.StatusUnauthorized, CodeTicketInvalid},
		{"expired", "?ticket=" + expired, nil, http.StatusUnauthorized, CodeTicketExpired},
		{"other lead", "?ticket=" + good, []string{"X-Lead-Id", "4243"}, http.StatusForbidden, CodeTicketMismatch},
		{"lead not a number", "?ticket=" + good, []string{"X-Lead-Id", "4242abc"}, http.StatusForbidden, CodeTicketMismatch},
		{"empty lead header", "?ticket=" + good, []string{"X-Lead-Id", ""}, http.StatusForbidden, CodeTicketMismatch},
		{"second lead header", "?ticket=" + good, []string{"X-Lead-Id", "4242", "X-Lead-Id", "1"}, http.StatusForbidden, CodeTicketMismatch},
		{"other account", "?ticket=" + good, []string{"X-Lead-Id", "4242", "X-Account-Domain", "victim.amocrm.ru"}, http.StatusForbidden, CodeTicketMismatch},
		{"account as a suffix", "?ticket=" + good, []string{"X-Account-Domain", "acme.amocrm.ru.evil.com"}, http.StatusForbidden, CodeTicketMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/widget/app"+tc.query, nil)
			for i := 0; i < len(tc.headers); i += 2 {
				r.Header.Add(tc.headers[i], tc.headers[i+1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.status == http.StatusOK {
				var got Ticket
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
				assert.Equal(t, int64(4242), got.LeadID)
				assert.Equal(t, "acme.amocrm.ru", got.Account)
				return
			}
			var body ErrorResponse
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			assert.Equal(t, tc.code, body.Error.Code)
			for _, secret := range []string{good, forged, expired} {
				assert.NotContains(t, w.Body.String(), secret[len(secret)-16:], "tickets are not echoed")
			}
		})
	}
}

func TestTicketFromEmptyContext(t *testing.T) {
	t.Parallel()
	_, ok := TicketFrom(t.Context())
	assert.False(t, ok)
	tk, ok := TicketFrom(ContextWithTicket(t.Context(), testTicket()))
	require.True(t, ok)
	assert.Equal(t, testTicket(), tk)
	assert.False(t, errors.Is(ErrTicketExpired, ErrTicketInvalid), "the two errors stay apart")
}
