// Package pgtest gives tests a fresh PostgreSQL database of their own.
//
// The server is named by AMOKIT_POSTGRES_URL, a connection string for a role that may create
// databases, for example
//
//	AMOKIT_POSTGRES_URL='postgres://amokit@127.0.0.1:5432/postgres?sslmode=disable' go test ./...
//
// Every call to Pool or DSN creates a new, uniquely named database through that connection
// and drops it when the test ends, so tests never see each other's rows and can run in
// parallel. When the variable is unset the test is skipped with a message that says how to
// run it; when AMOKIT_REQUIRE_POSTGRES=1 (as in CI), it fails instead, so a missing server can
// never pass for a green run. `bash .ci/run` starts a throwaway server and sets both.
package pgtest
