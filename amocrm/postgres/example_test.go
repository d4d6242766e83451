package postgres_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/postgres"
)

// Every replica opens the same database and gives the pacer to every Client of the account.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	pacer, err := postgres.New(ctx, pool, postgres.WithLogger(slog.Default()))
	if err != nil {
		panic(err)
	}
	c, err := amocrm.New("acme.amocrm.ru", amocrm.WithAccessToken(os.Getenv("AMOCRM_TOKEN")), amocrm.WithPacer(pacer))
	if err != nil {
		panic(err)
	}
	_ = c // every request of c, and of every replica's clients, now draws on one budget
}
