package amocrm

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckDriveURL(t *testing.T) {
	t.Parallel()
	prod, err := New("acme.amocrm.ru", WithAccessToken("t"))
	require.NoError(t, err)
	for raw, ok := range map[string]bool{
		"https://drive-b.amocrm.ru":          true,
		"https://drive-c.kommo.com/":         true,
		"https://drive.amocrm.com":           true,
		"http://drive-b.amocrm.ru":           false,
		"https://drive-b.amocrm.ru:8443":     false,
		"https://drive-b.amocrm.ru.evil.com": false,
		"https://evil.com/drive-b.amocrm.ru": false,
		"https://acme.amocrm.ru":             true, // the account host gets the token anyway
		"https://x.drive-b.amocrm.ru":        false,
		"https://user@drive-b.amocrm.ru":     false,
		"https://drive-b.amocrm.ru/?a=b":     false,
		"https://drive_b.amocrm.ru":          false,
		"drive-b.amocrm.ru":                  false,
	} {
		_, err := prod.checkDriveURL(raw)
		assert.Equal(t, ok, err == nil, "%s: %v", raw, err)
	}
	fake, err := New("acme.amocrm.ru", WithAccessToken("t"), WithBaseURL("http://127.0.0.1:9999/"))
	require.NoError(t, err)
	u, err := fake.checkDriveURL("http://127.0.0.1:9999/drive/")
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9999/drive", u.String())
	_, err = fake.checkDriveURL("http://127.0.0.1:9998/drive")
	assert.Error(t, err, "another port of the same address")
}

// An upload address on another host than the Drive never receives the token.
func TestUploadRefusesPartAddressOffTheDrive(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var base string
	mux.HandleFunc("POST /amo/drive/v1.0/sessions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(t, w, http.StatusOK, map[string]any{"max_file_size": 1000, "max_part_size": 10, "session_id": 1, "upload_url": "https://evil.example.com/upload/x"})
	})
	mux.HandleFunc("GET /amo/api/v4/account", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "drive_url", r.URL.Query().Get("with"))
		writeJSON(t, w, http.StatusOK, map[string]any{"id": 1, "drive_url": base + "/amo/drive"})
	})
	base = strings.TrimSuffix(strings.TrimSuffix(c.BaseURL(), "/"), "/amo")
	_, err := c.Files.Upload(t.Context(), "a.txt", strings.NewReader("hello"), 5)
	assert.ErrorContains(t, err, "leaves")
}

// A 4xx on a part is final; a 5xx is sent again to the same address with the same bytes.
func TestUploadPartRetries(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithDriveURL("http://placeholder.invalid"))
	var calls []string
	var driveBase string
	mux.HandleFunc("POST /amo/drive/v1.0/sessions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(t, w, http.StatusOK, map[string]any{"max_file_size": 1000, "max_part_size": 4, "session_id": 1, "upload_url": driveBase + "/upload/p0"})
	})
	mux.HandleFunc("POST /amo/drive/upload/{part}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		part := r.PathValue("part")
		calls = append(calls, part+":"+string(b))
		assert.Equal(t, "text/plain; charset=utf-8", r.Header.Get("Content-Type"))
		assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
		switch {
		case part == "p0" && len(calls) == 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case part == "p0":
			writeJSON(t, w, http.StatusOK, map[string]any{"session_id": 1, "next_url": driveBase + "/upload/p1"})
		case part == "p1":
			writeJSON(t, w, http.StatusOK, map[string]any{"uuid": "f-1", "version_uuid": "v-1", "size": 6, "name": "a.txt"})
		}
	})
	driveBase = strings.TrimSuffix(c.BaseURL(), "/") + "/drive"
	c.Files.drive, _ = c.checkDriveURL(driveBase)
	f, err := c.Files.Upload(t.Context(), "a.txt", strings.NewReader("hello!"), 6)
	require.NoError(t, err)
	assert.Equal(t, "f-1", f.UUID)
	assert.Equal(t, []string{"p0:hell", "p0:hell", "p1:o!"}, calls)

	mux.HandleFunc("POST /amo/drive/upload/bad", func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, "bad")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"title":"Bad Request","status":400,"detail":"part too large"}`)
	})
	calls = nil
	_, err = c.Files.sendPart(t.Context(), mustParse(t, driveBase+"/upload/bad"), []byte("x"), "text/plain")
	assert.ErrorIs(t, err, ErrValidation)
	assert.Equal(t, []string{"bad"}, calls, "a 400 is not sent again")
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}
