package serve

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

type fakeDB struct{ err error }

func (f fakeDB) Ping(context.Context) error { return f.err }

func TestReadiness(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name     string
		db       Pinger
		shutting bool
		status   int
		body     string
	}{
		{"database up", fakeDB{}, false, http.StatusOK, `"database":"up"`},
		{"database down", fakeDB{err: io.ErrUnexpectedEOF}, false, http.StatusServiceUnavailable, `"database":"down"`},
		{"shutting down", fakeDB{}, true, http.StatusServiceUnavailable, `"shutting_down"`},
	} {
		rec := httptest.NewRecorder()
		Readyz(tc.db, func() bool { return tc.shutting }, logger)(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/readyz", nil))
		assert.Equal(t, tc.status, rec.Code, tc.name)
		assert.Contains(t, rec.Body.String(), tc.body, tc.name)
	}
}
