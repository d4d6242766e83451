package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/internal/pgtest"
	"github.com/amokit/amokit/internal/refreshtest"
)

// TestMain lets the test binary stand in for the program as a child process.
func TestMain(m *testing.M) {
	if os.Getenv(refreshtest.EnvMode) != "" {
		os.Exit(child(os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := config{dsn: "postgres://x", procs: 1, goroutines: 1, expiries: 1, ttl: 3 * time.Second, skew: 500 * time.Millisecond}
	require.NoError(t, good.validate())
	for name, edit := range map[string]func(*config){
		"no dsn":             func(c *config) { c.dsn = "" },
		"no processes":       func(c *config) { c.procs = 0 },
		"fractional ttl":     func(c *config) { c.ttl = 2500 * time.Millisecond },
		"skew eats the life": func(c *config) { c.skew = 2 * time.Second },
	} {
		c := good
		edit(&c)
		assert.Error(t, c.validate(), name)
	}
}

// TestStorm runs a small storm (2 processes × 8 goroutines, one expiry) end to end.
func TestStorm(t *testing.T) {
	t.Parallel()
	cfg := config{dsn: pgtest.DSN(t), procs: 2, goroutines: 8, expiries: 1, ttl: 2 * time.Second, skew: 300 * time.Millisecond, perSecond: 200}
	res, err := storm(t.Context(), cfg, os.Args[0])
	require.NoError(t, err)
	var out bytes.Buffer
	res.print(&out)
	t.Log("\n" + out.String())
	assert.True(t, res.ok())
	assert.Equal(t, 1, res.refreshes)
	assert.Zero(t, res.failed)
	assert.Positive(t, res.calls)
	assert.Equal(t, res.calls, int64(res.api200), "every call answered 200 once")
	require.Len(t, res.processes, 2)
	for _, p := range res.processes {
		assert.Len(t, p.Tokens, 2, "each process used the first token and the refreshed one")
	}
	assert.Contains(t, out.String(), "RESULT refreshstorm: procs=")
	assert.Contains(t, out.String(), "targets_met=true")
	assert.True(t, strings.HasPrefix(out.String(), "refreshstorm: 2 processes × 8 goroutines"))
}
