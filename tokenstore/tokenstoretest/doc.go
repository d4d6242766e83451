// Package tokenstoretest is the contract every tokenstore.Store must meet, as one test suite.
//
// A store's tests call Run with a function that returns a new, empty store:
//
//	func TestContract(t *testing.T) {
//		tokenstoretest.Run(t, func(t *testing.T) tokenstore.Store { return tokenstore.NewMemory() })
//	}
//
// Run checks not-found errors, round trips of every field, upserts (CreatedAt kept, UpdatedAt
// moved), copies in and out, List order, Delete, and concurrent saves. When the store is also a
// tokenstore.Locker it checks that WithLock excludes per account, leaves other accounts free,
// releases on error and on panic, and gives up when its context ends while it waits. Run
// under -race.
package tokenstoretest
