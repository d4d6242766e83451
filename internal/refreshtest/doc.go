// Package refreshtest is the harness that puts the OAuth token source under load from several
// processes at once: the refresh-storm benchmark (bench/refreshstorm) and the oauth package's
// multi-process and SIGKILL tests both run on it, so the benchmark and the tests measure the same
// thing.
//
// # The fake, watched
//
// NewFake starts an amocrmtest server (rate limit off, so that only the token source is under
// test) with one account and one integration, behind a handler that records every request to the
// token endpoint (Grants) and every pair it issued (Issued), can run a hook once when the next token
// request arrives (BeforeNextGrant) or right after the next pair is issued and before the answer
// leaves (AfterNextGrant), and counts the open connections (Quiet). Connect authorises the
// integration and saves the connection in a token store, as the OAuth callback would.
//
// # Child processes
//
// A child is one replica of a service: its own PostgreSQL pool, store, oauth.TokenSource and
// amocrm.Client. Its Config travels in the environment (Config.Env, ConfigFromEnv), and RunChild
// does the work; a process becomes a child when EnvMode is set. A program runs itself again; a
// test runs its test binary again with -test.run naming a test that calls RunChild, so Start
// takes the Command to run.
//
// A child prints lines on stdout: READY once set up, then, after "go" on stdin, TOKEN <fingerprint>
// the first time the client is handed an access token. In ModeStorm its goroutines make API calls
// until stdin closes (or Config.Max passes) and it prints REPORT <json> (a Report); in ModeKill it
// makes one call, prints DONE ok|<error> and waits to be killed.
//
// # Storms
//
// Storm runs several storm children on one store: it waits until all are ready, connects the
// account, tells them to go, and runs until the fake has refreshed the given number of times and
// every process has used the last access token (or until the run stalls), then stops them and
// collects their reports. What the figures mean is up to the caller: the benchmark prints them,
// the tests assert on them.
package refreshtest
