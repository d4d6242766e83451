package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// testAdminTok is an admin token long enough for the server (40 characters).
const testAdminTok = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"

// testKey is an encryption key; testKeyB64 is how the configuration spells it.
func testKey() []byte { return bytes.Repeat([]byte{7}, 32) }

func testKeyB64() string { return base64.StdEncoding.EncodeToString(testKey()) }

func TestParseConfigValid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prices, err := os.ReadFile(filepath.Join("..", "..", "app", "glass", "pricelist_default.json"))
	require.NoError(t, err)
	custom := filepath.Join(dir, "prices.json")
	require.NoError(t, os.WriteFile(custom, bytes.Replace(prices, []byte(`"default-2025.1"`), []byte(`"shop-2026"`), 1), 0o644))

	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c config)
	}{
		{
			name: "demo needs nothing",
			args: []string{"-demo"},
			check: func(t *testing.T, c config) {
				assert.True(t, c.Demo)
				assert.Equal(t, "127.0.0.1:8080", c.Addr)
				assert.Empty(t, c.PublicURL, "derived from the listener")
				assert.Empty(t, c.DatabaseURL)
				assert.Nil(t, c.EncryptionKey)
				assert.Empty(t, c.AdminToken, "generated at start")
				assert.Equal(t, "default-2025.1", c.PriceList.Version)
				assert.Equal(t, slog.LevelInfo, c.LogLevel)
			},
		},
		{
			name: "demo on a free port",
			args: []string{"-demo", "-addr", "127.0.0.1:0"},
			check: func(t *testing.T, c config) {
				assert.Equal(t, "127.0.0.1:0", c.Addr)
			},
		},
		{
			name: "production from the environment",
			env: map[string]string{
				envPublicURL: "https://calc.example.com/", envDatabaseURL: "postgres://u:p@db:5432/amokit",
				envEncryptionKey: testKeyB64(), envAdminToken: testAdminTok, envPriceList: custom,
				envLogLevel: "debug", envAddr: ":9000",
			},
			check: func(t *testing.T, c config) {
				assert.False(t, c.Demo)
				assert.Equal(t, ":9000", c.Addr)
				assert.Equal(t, "https://calc.example.com", c.PublicURL, "no trailing slash")
				assert.Equal(t, "postgres://u:p@db:5432/amokit", c.DatabaseURL)
				assert.Equal(t, testKey(), c.EncryptionKey)
				assert.Equal(t, testAdminTok, c.AdminToken)
				assert.Equal(t, "shop-2026", c.PriceList.Version)
				assert.Equal(t, custom, c.PriceListFile)
				assert.Equal(t, slog.LevelDebug, c.LogLevel)
			},
		},
		{
			name: "flags win over the environment",
			args: []string{"-addr", "127.0.0.1:7000", "-public-url", "https://b.example.com", "-log-level", "error", "-admin-token", testAdminTok + "x"},
			env:  map[string]string{envAddr: ":9000", envPublicURL: "https://a.example.com", envLogLevel: "debug", envAdminToken: testAdminTok},
			check: func(t *testing.T, c config) {
				assert.Equal(t, "127.0.0.1:7000", c.Addr)
				assert.Equal(t, "https://b.example.com", c.PublicURL)
				assert.Equal(t, slog.LevelError, c.LogLevel)
				assert.Equal(t, testAdminTok+"x", c.AdminToken)
			},
		},
		{
			name: "default address outside the demo",
			args: []string{"-public-url", "https://calc.example.com"},
			check: func(t *testing.T, c config) {
				assert.Equal(t, ":8080", c.Addr)
				assert.Nil(t, c.EncryptionKey, "optional without a database")
			},
		},
		{
			name: "url-safe base64 key without padding",
			args: []string{"-public-url", "https://calc.example.com", "-encryption-key", base64.RawURLEncoding.EncodeToString(testKey())},
			check: func(t *testing.T, c config) {
				assert.Equal(t, testKey(), c.EncryptionKey)
			},
		},
		{
			name: "staging amoCRM",
			args: []string{"-public-url", "https://calc.example.com", "-amocrm-base-url", "https://amo.staging.example.com/"},
			check: func(t *testing.T, c config) {
				assert.Equal(t, "https://amo.staging.example.com", c.AmoCRMBaseURL)
			},
		},
		{
			name: "support e-mail",
			args: []string{"-public-url", "https://calc.example.com"},
			env:  map[string]string{envSupportEmail: " help@calc.example.com "},
			check: func(t *testing.T, c config) {
				assert.Equal(t, "help@calc.example.com", c.SupportEmail)
			},
		},
		{
			name: "key=value connection string",
			env:  map[string]string{envPublicURL: "https://calc.example.com", envDatabaseURL: "host=db user=amokit dbname=amokit", envEncryptionKey: testKeyB64()},
			check: func(t *testing.T, c config) {
				assert.Equal(t, "host=db user=amokit dbname=amokit", c.DatabaseURL)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			c, err := parseConfig(tc.args, envOf(tc.env), &out)
			require.NoError(t, err)
			require.NotNil(t, c.PriceList)
			tc.check(t, c)
			assert.Empty(t, out.String(), "nothing printed without -h")
		})
	}
}

func TestParseConfigProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.json")
	require.NoError(t, os.WriteFile(broken, []byte(`{"version":"x","materials":[],"edges":[],"tempering":{},"holes":[],"cutout":-1}`), 0o644))
	secretToken := "short-secret-xyz"

	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // every one must be in the message
	}{
		{name: "no public URL", want: []string{"-public-url", envPublicURL, "required", "-demo"}},
		{name: "plain http outside the demo", args: []string{"-public-url", "http://calc.example.com"}, want: []string{"https://", "TLS"}},
		{name: "public URL with a path", args: []string{"-public-url", "https://calc.example.com/calc"}, want: []string{"no path"}},
		{name: "public URL with a query", args: []string{"-public-url", "https://calc.example.com/?a=1"}, want: []string{"query"}},
		{name: "public URL not a URL", args: []string{"-public-url", "calc.example.com"}, want: []string{"absolute URL"}},
		{name: "database without a key", env: map[string]string{envPublicURL: "https://c.example.com", envDatabaseURL: "postgres://db/amokit"},
			want: []string{envEncryptionKey, "openssl rand -base64 32", envDatabaseURL}},
		{name: "database URL not PostgreSQL", args: []string{"-demo"}, env: map[string]string{envDatabaseURL: "mysql://db"}, want: []string{envDatabaseURL, "postgres://"}},
		{name: "key not base64", args: []string{"-demo", "-encryption-key", "not base64!"}, want: []string{"-encryption-key", "not base64", "openssl rand -base64 32"}},
		{name: "key of the wrong size", args: []string{"-demo"}, env: map[string]string{envEncryptionKey: base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))},
			want: []string{envEncryptionKey, "16 bytes, want 32"}},
		{name: "short admin token", args: []string{"-demo", "-admin-token", secretToken}, want: []string{"-admin-token", "16 characters", "at least 32"}},
		{name: "admin token with spaces", args: []string{"-demo"}, env: map[string]string{envAdminToken: testAdminTok + " x"}, want: []string{envAdminToken, "spaces"}},
		{name: "bad log level", args: []string{"-demo", "-log-level", "loud"}, want: []string{"-log-level", "debug, info, warn or error"}},
		{name: "bad address", args: []string{"-demo", "-addr", "8080"}, want: []string{"-addr", "host:port"}},
		{name: "bad port", args: []string{"-demo", "-addr", ":http-alt"}, want: []string{"port", "0 to 65535"}},
		{name: "missing price list", args: []string{"-demo", "-price-list", filepath.Join(dir, "nope.json")}, want: []string{"-price-list", "no such file"}},
		{name: "broken price list", args: []string{"-demo"}, env: map[string]string{envPriceList: broken}, want: []string{envPriceList, "price list has problems", "cutout"}},
		{name: "amoCRM base URL in the demo", args: []string{"-demo", "-amocrm-base-url", "http://127.0.0.1:9"}, want: []string{"cannot be used with -demo"}},
		{name: "amoCRM base URL not a URL", args: []string{"-public-url", "https://c.example.com", "-amocrm-base-url", "amo"}, want: []string{"-amocrm-base-url", "absolute http(s) URL"}},
		{name: "support e-mail with a name", args: []string{"-demo", "-support-email", "Help <help@calc.example.com>"}, want: []string{"-support-email", "plain e-mail address"}},
		{name: "support e-mail not an address", args: []string{"-demo"}, env: map[string]string{envSupportEmail: "help"}, want: []string{envSupportEmail, "plain e-mail address"}},
		{name: "unknown flag", args: []string{"-demo", "-port", "80"}, want: []string{"-port", "see -h"}},
		{name: "stray argument", args: []string{"-demo", "serve"}, want: []string{`"serve"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseConfig(tc.args, envOf(tc.env), &bytes.Buffer{})
			require.Error(t, err)
			var ce *configError
			require.True(t, errors.As(err, &ce), "a *configError: %v", err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), secretToken, "a secret is never echoed")
		})
	}
}

func TestParseConfigReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := parseConfig([]string{"-public-url", "http://c.example.com", "-log-level", "x", "-admin-token", "short"},
		envOf(map[string]string{envDatabaseURL: "postgres://db/x"}), &bytes.Buffer{})
	var ce *configError
	require.True(t, errors.As(err, &ce))
	assert.Len(t, ce.problems, 4, "%v", err)
	assert.True(t, strings.HasPrefix(err.Error(), "the configuration cannot start the server:\n  - "))
}

func TestParseConfigHelp(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-h", "-help", "--help"} {
		var out bytes.Buffer
		_, err := parseConfig([]string{arg}, envOf(nil), &out)
		require.ErrorIs(t, err, flag.ErrHelp)
		for _, s := range settingSpecs() {
			if s.name != "" {
				assert.Contains(t, out.String(), "-"+s.name, arg)
			}
			assert.Contains(t, out.String(), s.env, arg)
		}
		assert.Contains(t, out.String(), "-demo")
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	c, err := parseConfig(nil, envOf(map[string]string{
		envPublicURL: "https://calc.example.com", envDatabaseURL: "postgres://amokit:dbpass@db/amokit",
		envEncryptionKey: testKeyB64(), envAdminToken: testAdminTok,
	}), &bytes.Buffer{})
	require.NoError(t, err)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("start", slog.Any("config", c))
	for _, out := range []string{c.String(), fmt.Sprint(c), logged.String()} {
		assert.NotContains(t, out, "dbpass")
		assert.NotContains(t, out, testKeyB64())
		assert.NotContains(t, out, testAdminTok)
		assert.Contains(t, out, "calc.example.com")
	}
}
