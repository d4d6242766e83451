package tokenstore_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/tokenstore"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, tokenstore.KeySize)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}

func newSealer(t *testing.T, keys ...[]byte) *tokenstore.Sealer {
	t.Helper()
	s, err := tokenstore.NewSealer(keys...)
	require.NoError(t, err)
	return s
}

const secret = "def50200a1b2c3-the-refresh-token"

func TestSealerRoundTrip(t *testing.T) {
	t.Parallel()
	s := newSealer(t, newKey(t))
	for _, pt := range []string{secret, "", "Ω≈ç√ and \x00 bytes", strings.Repeat("x", 10000)} {
		sealed := s.Seal("acme.amocrm.ru", pt)
		assert.True(t, strings.HasPrefix(sealed, "amokit:v1:"), sealed)
		if pt != "" {
			assert.NotContains(t, sealed, pt)
		}
		assert.NotEqual(t, sealed, s.Seal("acme.amocrm.ru", pt), "a fresh nonce every time")
		got, err := s.Open("acme.amocrm.ru", sealed)
		require.NoError(t, err)
		assert.Equal(t, pt, got)
	}
}

func TestIsSealed(t *testing.T) {
	t.Parallel()
	s := newSealer(t, newKey(t))
	assert.True(t, tokenstore.IsSealed(s.Seal("acme.amocrm.ru", secret)))
	assert.True(t, tokenstore.IsSealed(s.Seal("acme.amocrm.ru", "")))
	assert.True(t, tokenstore.IsSealed("amokit:v2:future"))
	for _, v := range []string{"", secret, "eyJ0eXAiOiJKV1Qi.x.y", "amokit", "Amokit:v1:x"} {
		assert.False(t, tokenstore.IsSealed(v), v)
	}
}

func TestSealerWrongKey(t *testing.T) {
	t.Parallel()
	sealed := newSealer(t, newKey(t)).Seal("acme.amocrm.ru", secret)
	_, err := newSealer(t, newKey(t), newKey(t)).Open("acme.amocrm.ru", sealed)
	require.ErrorIs(t, err, tokenstore.ErrWrongKey)
	assert.NotErrorIs(t, err, tokenstore.ErrCorrupt)
	assert.Contains(t, err.Error(), "acme.amocrm.ru")
	assert.NotContains(t, err.Error(), secret)
	assert.NotContains(t, err.Error(), sealed[len("amokit:v1:xxxxxxxx:"):])
}

func TestSealerOtherAccount(t *testing.T) {
	t.Parallel()
	s := newSealer(t, newKey(t))
	sealed := s.Seal("acme.amocrm.ru", secret)
	for _, other := range []string{"evil.amocrm.ru", "acme.amocrm.ru.", "ACME.amocrm.ru", ""} {
		_, err := s.Open(other, sealed)
		assert.ErrorIs(t, err, tokenstore.ErrCorrupt, other)
		if err != nil {
			assert.NotContains(t, err.Error(), secret)
		}
	}
}

func TestSealerRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := newKey(t), newKey(t)
	before := newSealer(t, oldKey)
	during := newSealer(t, newKey, oldKey)
	after := newSealer(t, newKey)

	sealedOld := before.Seal("acme.amocrm.ru", "old secret")
	got, err := during.Open("acme.amocrm.ru", sealedOld)
	require.NoError(t, err, "the old key still opens old values")
	assert.Equal(t, "old secret", got)

	resealed := during.Seal("acme.amocrm.ru", got)
	got, err = after.Open("acme.amocrm.ru", resealed)
	require.NoError(t, err, "values sealed during rotation use the new key")
	assert.Equal(t, "old secret", got)

	_, err = after.Open("acme.amocrm.ru", sealedOld)
	assert.ErrorIs(t, err, tokenstore.ErrWrongKey, "once the old key is gone, old values do not open")
	_, err = before.Open("acme.amocrm.ru", resealed)
	assert.ErrorIs(t, err, tokenstore.ErrWrongKey)
}

func TestSealerTamper(t *testing.T) {
	t.Parallel()
	s := newSealer(t, newKey(t))
	sealed := s.Seal("acme.amocrm.ru", secret)
	head, body := sealed[:len("amokit:v1:xxxxxxxx:")], sealed[len("amokit:v1:xxxxxxxx:"):]
	raw, err := base64.RawURLEncoding.DecodeString(body)
	require.NoError(t, err)

	flipped := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return head + base64.RawURLEncoding.EncodeToString(b)
	}
	cases := map[string]string{
		"nonce bit":        flipped(0),
		"ciphertext bit":   flipped(14),
		"tag bit":          flipped(len(raw) - 1),
		"truncated":        head + base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1]),
		"too short":        head + base64.RawURLEncoding.EncodeToString(raw[:10]),
		"extended":         head + base64.RawURLEncoding.EncodeToString(append(bytes.Clone(raw), 0)),
		"bad base64":       head + body[:len(body)-1] + "*",
		"empty body":       head,
		"plaintext":        secret,
		"empty":            "",
		"other version":    "amokit:v2:" + sealed[len("amokit:v1:"):],
		"no key id":        "amokit:v1:" + body,
		"malformed key id": "amokit:v1:zz:" + body,
	}
	for name, v := range cases {
		got, err := s.Open("acme.amocrm.ru", v)
		assert.ErrorIs(t, err, tokenstore.ErrCorrupt, name)
		assert.Empty(t, got, name)
		if err != nil {
			assert.NotContains(t, err.Error(), secret, name)
			assert.NotContains(t, err.Error(), body, name)
		}
	}
}

func TestNewSealerErrors(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	for name, keys := range map[string][][]byte{
		"no keys":   nil,
		"short":     {k[:16]},
		"long":      {append(bytes.Clone(k), 0)},
		"nil":       {nil},
		"duplicate": {k, newKey(t), bytes.Clone(k)},
	} {
		s, err := tokenstore.NewSealer(keys...)
		assert.Error(t, err, name)
		assert.Nil(t, s, name)
	}
}

func TestSealerCopiesKeys(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	s := newSealer(t, k)
	sealed := s.Seal("acme.amocrm.ru", secret)
	clear(k)
	got, err := s.Open("acme.amocrm.ru", sealed)
	require.NoError(t, err, "changing the caller's key slice does not change the Sealer")
	assert.Equal(t, secret, got)
}

func TestSealerPrintsNoKey(t *testing.T) {
	t.Parallel()
	k := bytes.Repeat([]byte{0xAB}, tokenstore.KeySize)
	s := newSealer(t, k)
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("sealer", "s", s)
	outputs := []string{logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		outputs = append(outputs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, *s))
	}
	id := strings.Split(s.Seal("a", "")[len("amokit:v1:"):], ":")[0]
	for _, out := range outputs {
		assert.NotContains(t, strings.ToLower(out), "abab")
		assert.NotContains(t, out, "171 171") // the key's bytes in decimal
	}
	assert.Contains(t, outputs[0], id, "the key id names the key")
	assert.Contains(t, fmt.Sprint(s), id)
}

// TestSealerColumns: a value sealed for a column opens only for that account and column; values
// sealed before columns were bound still open.
func TestSealerColumns(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	s := newSealer(t, k)
	v := s.SealColumn("acme.amocrm.ru", "refresh_token", secret)
	assert.True(t, strings.HasPrefix(v, "amokit:v2:"))
	assert.True(t, s.Current(v))
	got, err := s.OpenColumn("acme.amocrm.ru", "refresh_token", v)
	require.NoError(t, err)
	assert.Equal(t, secret, got)

	_, err = s.OpenColumn("acme.amocrm.ru", "access_token", v)
	assert.ErrorIs(t, err, tokenstore.ErrCorrupt, "another column")
	_, err = s.OpenColumn("other.amocrm.ru", "refresh_token", v)
	assert.ErrorIs(t, err, tokenstore.ErrCorrupt, "another account")
	_, err = s.Open("acme.amocrm.ru", v)
	assert.ErrorIs(t, err, tokenstore.ErrCorrupt, "Open does not take column-bound values")

	legacy := s.Seal("acme.amocrm.ru", secret)
	assert.False(t, s.Current(legacy), "a value sealed the old way is due for sealing again")
	got, err = s.OpenColumn("acme.amocrm.ru", "refresh_token", legacy)
	require.NoError(t, err, "values sealed before columns were bound still open")
	assert.Equal(t, secret, got)

	rotated := newSealer(t, newKey(t), k)
	assert.False(t, rotated.Current(v), "sealed with a key that is no longer the newest")
}
