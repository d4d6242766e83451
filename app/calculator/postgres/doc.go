// Package postgres keeps the calculator's saved calculations in PostgreSQL: a
// calculator.CalculationStore over a *pgxpool.Pool that the caller creates, shares (with the
// token store, say) and closes. The same Store is the calculator.CatalogIndex, in the tables
// calculator_catalogs and calculator_catalog_elements.
//
// # Schema
//
// New creates and updates its tables from migrations embedded in the
// package, recording what it applied in amokit_schema_migrations under the component
// "calculator", as every amokit store does (one transaction under an advisory lock, so
// processes starting together apply each migration once). A database migrated by earlier
// versions, which recorded the table in widget_schema_migrations, is taken over as it is.
//
// # Leases
//
// A calculation is keyed by (account, lead_id, idempotency_key). Claim inserts it, or locks the
// existing row, in one transaction, and hands out a lease that is valid until a deadline: while
// one request holds it, requests in any other process that shares the database get
// calculator.ErrSaveInProgress. SetPart and Release only apply with the current lease, so a request
// whose lease expired and was taken over cannot overwrite the newer request's record.
//
//	pool, err := pgxpool.New(ctx, dsn)
//	...
//	calcs, err := postgres.New(ctx, pool)
//	h, err := calculator.NewHandler(calculator.Config{Calculations: calcs, ...})
package postgres
