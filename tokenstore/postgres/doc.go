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
// WithLock runs its function while one connection of the pool holds pg_advisory_lock on a key
// derived from the account, and Load, Save and Delete given the function's context run on that
// same connection, outside any transaction, so a Save is durable as soon as it returns. Because
// one session runs its statements in order and PostgreSQL releases its locks only when the
// session ends, a process that dies holding a lock cannot write after the lock has passed on: a
// statement it had already sent is finished (or rolled back) first, and the next holder reads
// its result. Goroutines of one process wait for an account in turn before taking a connection,
// and at most MaxConns-1 connections of the pool hold locks, so work inside a lock that uses
// another context still finds a connection; the pool therefore needs MaxConns of at least 2.
// The lock belongs to a session: a pooler in front of PostgreSQL must not hand the connection
// to another client between statements (PgBouncer's transaction mode would).
//
// # Encryption
//
// With WithSealer, client_secret and both tokens are sealed with AES-256-GCM, bound to the
// account, before they are written. Rows written without a Sealer cannot be read with one (and
// the reverse): enable it before the first connection is saved, or connect the accounts again.
// To rotate keys, put the new key first in NewSealer and keep the old ones until every row has
// been saved again, which a token refresh does.
package postgres
