package main

import (
	"fmt"
	"io"
)

// A configuration that cannot work stops the start with every problem and what to do about it.
func Example_badConfiguration() {
	env := map[string]string{envDatabaseURL: "postgres://amokit@db:5432/amokit"}
	_, err := parseConfig([]string{"-public-url", "http://calc.example.com", "-log-level", "loud"},
		func(k string) string { return env[k] }, io.Discard)
	fmt.Println(err)
	// Output:
	// the configuration cannot start the server:
	//   - -public-url "http://calc.example.com": must start with https://: amoCRM loads the calculator into its https pages and browsers block plain http there (put the server behind a TLS proxy)
	//   - -encryption-key (or AMOKIT_ENCRYPTION_KEY) is required with DATABASE_URL: it encrypts client secrets and tokens at rest; make one with: openssl rand -base64 32, and keep it (losing it means connecting every account again)
	//   - -log-level "loud": write debug, info, warn or error
}
