package main

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	apostgres "github.com/amokit/amokit/amocrm/postgres"
	"github.com/amokit/amokit/app/admin/admintest"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/internal/pgtest"
	"github.com/amokit/amokit/internal/serve"
)

func TestAmoCRMClientsShareOnePacer(t *testing.T) {
	t.Parallel()
	base := config{Addr: "127.0.0.1:0", PublicURL: testPublic, AdminToken: testAdminTok, EncryptionKey: testKey(),
		PriceList: glass.DefaultPriceList(), LogLevel: slog.LevelDebug}

	t.Run("with DATABASE_URL, every replica through PostgreSQL", func(t *testing.T) {
		t.Parallel()
		cfg := base
		cfg.DatabaseURL = pgtest.DSN(t)
		s, err := build(t.Context(), cfg, testPublic, serve.NewLogger(&admintest.SyncBuffer{}, slog.LevelDebug))
		require.NoError(t, err)
		t.Cleanup(s.close)
		assert.IsType(t, &apostgres.Pacer{}, s.pacer)
	})
	t.Run("in memory, every client of the process", func(t *testing.T) {
		t.Parallel()
		s, err := build(t.Context(), base, testPublic, serve.NewLogger(&admintest.SyncBuffer{}, slog.LevelDebug))
		require.NoError(t, err)
		t.Cleanup(s.close)
		assert.IsType(t, &amocrm.LocalPacer{}, s.pacer)
	})
}
