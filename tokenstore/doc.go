// Package tokenstore keeps amoCRM connections (an account's client credentials and OAuth
// tokens) and serialises work on them, so that a refresh token rotated by one process is never
// lost by another.
//
// # Connections and stores
//
// A [Connection] is keyed by its account host ("acme.amocrm.ru"). A [Store] loads, saves
// (upserts), deletes and lists connections, and returns [ErrNotFound] for an unknown account.
// Values go in and out as copies. The package has two stores:
//
//   - [Memory] ([NewMemory]), in process memory, for tests and single-process tools;
//   - the postgres subpackage, which keeps them in PostgreSQL through a pgxpool.Pool the caller
//     owns, for services running as several replicas. Importing tokenstore does not import pgx.
//
// The tokenstoretest subpackage is the contract both stores pass; a store of your own can run
// it too.
//
// # Locking
//
// A store may also be a [Locker]. WithLock runs a function while it holds the account's lock;
// Memory's lock covers one process, the postgres store's covers every process using the same
// database. A token refresh is the reason it exists:
//
//	err := locker.WithLock(ctx, account, func(ctx context.Context) error {
//		c, err := store.Load(ctx, account) // re-read: another replica may have refreshed
//		if err != nil || c.Expiry.After(time.Now().Add(5*time.Minute)) {
//			return err
//		}
//		// ... refresh, then save before the new access token is used:
//		return store.Save(context.WithoutCancel(ctx), c)
//	})
//
// # Secrets
//
// A Connection's String, Format and LogValue print client_secret and both tokens as REDACTED.
// A [Sealer] encrypts them at rest with AES-256-GCM, bound to the account host, with several
// keys for rotation:
//
//	sealer, err := tokenstore.NewSealer(newKey, oldKey) // 32 bytes each, newest first
package tokenstore
