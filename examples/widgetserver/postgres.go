package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	apostgres "github.com/amokit/amokit/amocrm/postgres"
	cpostgres "github.com/amokit/amokit/app/calculator/postgres"
	plpostgres "github.com/amokit/amokit/app/pricelist/postgres"
	ppostgres "github.com/amokit/amokit/app/proposal/postgres"
	"github.com/amokit/amokit/tokenstore"
	tspostgres "github.com/amokit/amokit/tokenstore/postgres"
)

// dbStartTimeout bounds connecting to PostgreSQL and applying migrations at start.
const dbStartTimeout = 30 * time.Second

// openPostgres connects to DATABASE_URL, applies the stores' migrations, keeps the connections
// sealed with the encryption key, and paces every replica's amoCRM requests with one budget. A database that does not answer stops the start.
func (s *server) openPostgres(ctx context.Context, key []byte) error {
	pcfg, err := pgxpool.ParseConfig(s.cfg.DatabaseURL)
	if err != nil {
		// pgx's message can quote the connection string, password included: say less.
		return fmt.Errorf("%s cannot be parsed; write postgres://user:password@host:5432/dbname", envDatabaseURL)
	}
	if pcfg.MaxConns < 4 {
		pcfg.MaxConns = 4 // the token store's locks need spare connections
	}
	sctx, cancel := context.WithTimeout(ctx, dbStartTimeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(sctx, pcfg)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL (%s): %w", envDatabaseURL, err)
	}
	s.closers = append(s.closers, pool.Close)
	if err := pool.Ping(sctx); err != nil {
		return fmt.Errorf("PostgreSQL at %s:%d does not answer: %w (check %s and that the server runs)", pcfg.ConnConfig.Host, pcfg.ConnConfig.Port, err, envDatabaseURL)
	}
	// Secrets are sealed with a key derived for sealing alone. Rows sealed before with the master
	// key itself (older versions of this server) still open with it, and are sealed again with
	// the derived key and their column bound at every start until none is left.
	sealer, err := tokenstore.NewSealer(deriveKey(key, "sealing"), key)
	if err != nil {
		return err
	}
	store, err := tspostgres.New(sctx, pool, tspostgres.WithSealer(sealer))
	if err != nil {
		return fmt.Errorf("preparing the connections table: %w", err)
	}
	switch res, err := store.Reseal(sctx); {
	case err != nil:
		s.logger.Warn("connections could not be sealed again with the derived key", slog.String("error", err.Error()))
	case res.Resealed > 0 || len(res.Failed) > 0:
		s.logger.Info("connections sealed again with the derived key", slog.Int("resealed", res.Resealed), slog.Any("failed", res.Failed))
	}
	calcs, err := cpostgres.New(sctx, pool)
	if err != nil {
		return fmt.Errorf("preparing the calculations table: %w", err)
	}
	prices, err := plpostgres.New(sctx, pool)
	if err != nil {
		return fmt.Errorf("preparing the price lists table: %w", err)
	}
	proposals, err := ppostgres.New(sctx, pool)
	if err != nil {
		return fmt.Errorf("preparing the proposals tables: %w", err)
	}
	pacer, err := apostgres.New(sctx, pool, apostgres.WithLogger(s.logger))
	if err != nil {
		return fmt.Errorf("preparing the pacing table: %w", err)
	}
	s.store, s.calcs, s.db, s.pacer = store, calcs, store, pacer
	s.priceLists, s.proposalSettings, s.proposals = prices, proposals, proposals
	return nil
}
