// Package postgres is a tokenstore.Store and tokenstore.Locker in PostgreSQL (pgx v5), for
// services that run as several replicas: every replica sees the refresh token another one
// saved, and WithLock serialises refreshes of an account across all of them.
//
// # Opening
//
// The caller creates, configures and closes the pool; New only uses it:
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil { ... }
//	defer pool.Close()
//	sealer, err := tokenstore.NewSealer(key) // optional: 32 bytes from the service's secrets
//	if err != nil { ... }
//	store, err := postgres.New(ctx, pool, postgres.WithSealer(sealer))
//	if err != nil { ... }
//
// Use store.Ping in a readiness check.
//
// # Schema and migrations
//
// Connections live in the table amokit_connections, created in the schema the pool's
// search_path selects; times are timestamptz, and a zero time is NULL. New applies the
// embedded migrations (migrations/NNNN_name.sql) the database lacks and records them in
// amokit_schema_migrations under the component "tokenstore". It does so in one transaction
// holding an advisory lock, so replicas that start together apply each migration exactly
// once, and a failed migration changes nothing. Other amokit tables can share the database
// and the migrations table under components of their own.
//
// # Locking
//
// WithLock runs its function inside a transaction that holds pg_advisory_xact_lock on a key
// derived from the account. Load and Save inside the function use other connections, so a
// Save is durable as soon as it returns. Goroutines of one process wait for an account in
// turn before taking a connection, and at most MaxConns-1 connections of the pool hold locks,
// so the work inside a lock always finds a connection; the pool therefore needs MaxConns of
// at least 2. If a process dies while holding a lock, PostgreSQL releases it with the session.
//
// # Encryption
//
// With WithSealer, client_secret and both tokens are sealed with AES-256-GCM, bound to the
// account, before they are written. Rows written without a Sealer cannot be read with one (and
// the reverse): enable it before the first connection is saved, or connect the accounts again.
// To rotate keys, put the new key first in NewSealer and keep the old ones until every row has
// been saved again, which a token refresh does.
package postgres
