// Package postgres is an amocrm.Pacer in PostgreSQL (pgx v5), for services that run as several
// replicas against one amoCRM account: each replica pacing itself at amoCRM's 7 requests a second
// would make n × 7 together, so they reserve every request's moment in one table instead.
//
// # Opening
//
// The caller creates, configures and closes the pool; New only uses it:
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil { ... }
//	defer pool.Close()
//	pacer, err := postgres.New(ctx, pool, postgres.WithLogger(logger))
//	if err != nil { ... }
//	c, err := amocrm.New("acme.amocrm.ru", amocrm.WithTokenSource(ts), amocrm.WithPacer(pacer))
//
// # How it paces
//
// The table amokit_pacing holds one row per account: the earliest moment, on the database's
// clock, its next request may leave. Wait moves it one interval on in a single statement and
// sleeps until the moment it took, converted to the replica's clock with the offset measured on
// the quickest recent round trip. All replicas together send at DefaultPace of amoCRM's limit,
// evenly spaced, with no burst. Pause (after a 429) moves the row's moment forward, so every
// replica holds back.
//
// # When the database is down
//
// A reservation that fails or takes longer than the query timeout makes the replica pace alone
// at DefaultFallbackShare of the rate (WithFallbackShare: 1/n for n replicas), say so in the log
// once, and ask the database again every few seconds. A database outage slows the service; it
// never stops it and never lets it exceed the limit with up to 1/share replicas.
//
// # Schema and migrations
//
// New applies the embedded migrations the database lacks and records them in
// amokit_schema_migrations under the component "pacing", as the other amokit stores do; replicas
// may call it at the same time. docs/pacing.md has the design and the measured figures.
package postgres
