package amocrm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDomainAccepts(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"acme.amocrm.ru", "acme.kommo.com", "acme.amocrm.com", "a.amocrm.ru", "glass-shop-2.amocrm.ru", "0.kommo.com", strings.Repeat("a", 63) + ".amocrm.ru"} {
		got, err := ParseDomain(d)
		require.NoError(t, err, d)
		assert.Equal(t, d, got)
	}
	assert.Equal(t, "acme", Subdomain("acme.kommo.com"))
}

func TestParseDomainRefusesHostileInput(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                                      "empty",
		"amocrm.ru":                             "not under",
		"www.amocrm.ru":                         "shared site",
		"evil.com":                              "not under",
		"acme.amocrm.ru.evil.com":               "not under",
		"acmeamocrm.ru":                         "not under",
		"acme.evilamocrm.ru":                    "not under",
		"acme.amocrm.ru.":                       "trailing dot",
		"https://acme.amocrm.ru":                "scheme",
		"//acme.amocrm.ru":                      "path",
		"acme.amocrm.ru/api":                    "path",
		"acme.amocrm.ru?x=1":                    "path",
		"acme.amocrm.ru#frag":                   "path",
		`acme.amocrm.ru\evil.com`:               "path",
		"acme.amocrm.ru:443":                    "port",
		"acme.amocrm.ru:8080":                   "port",
		"user@acme.amocrm.ru":                   "user info",
		"evil.com@acme.amocrm.ru":               "user info",
		"acme.amocrm.ru@evil.com":               "user info",
		"127.0.0.1":                             "IP",
		"[::1]":                                 "IP",
		"::1":                                   "IP",
		"2130706433":                            "IP",
		"0x7f.0.0.1":                            "IP",
		"ACME.amocrm.ru":                        "lower case",
		"Acme.Amocrm.Ru":                        "lower case",
		"xn--80ak6aa92e.amocrm.ru":              "punycode",
		"аcme.amocrm.ru":                        "non-ASCII", // Cyrillic а
		"acme.amocrm.ru\u200b":                  "non-ASCII",
		"ＡＣＭＥ.amocrm.ru":                        "non-ASCII", // full-width letters
		"a..amocrm.ru":                          "empty label",
		".acme.amocrm.ru":                       "empty label",
		"a.b.amocrm.ru":                         "exactly one label",
		"-acme.amocrm.ru":                       "hyphen",
		"acme-.amocrm.ru":                       "hyphen",
		"ac_me.amocrm.ru":                       "may hold only",
		"ac me.amocrm.ru":                       "may hold only",
		"acme.amocrm.ru\n":                      "may hold only",
		strings.Repeat("a", 64) + ".amocrm.ru":  "longer than 63",
		strings.Repeat("a.", 130) + "amocrm.ru": "longer than 253",
	}
	for in, reason := range cases {
		_, err := ParseDomain(in)
		if !assert.Error(t, err, "%q", in) {
			continue
		}
		assert.ErrorIs(t, err, ErrInvalidDomain)
		// The trailing-newline case trips the character rule only after the suffix check.
		if !strings.Contains(err.Error(), reason) && !(strings.HasSuffix(in, "\n") && strings.Contains(err.Error(), "not under")) {
			t.Errorf("ParseDomain(%q) = %v, want a reason mentioning %q", in, err, reason)
		}
	}
}
