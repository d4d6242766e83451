package tokenstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// KeySize is the length of a Sealer key: 32 bytes, for AES-256.
const KeySize = 32

// sealPrefix starts every value Seal makes: the format and its version. A value is
// sealPrefix + key id + ":" + base64url(nonce | ciphertext | tag). Version 1 binds a value to its
// account; version 2 (columnPrefix, SealColumn) to its account and its column.
const (
	sealPrefix   = "amokit:v1:"
	columnPrefix = "amokit:v2:"
)

var (
	// ErrWrongKey is returned, wrapped, by Sealer.Open for a value sealed with a key the Sealer
	// does not have.
	ErrWrongKey = errors.New("tokenstore: value was sealed with a key that is not configured")
	// ErrCorrupt is returned, wrapped, by Sealer.Open for a value that is not in the sealed
	// format, was changed after sealing, or was sealed for another account.
	ErrCorrupt = errors.New("tokenstore: sealed value is malformed, tampered with, or belongs to another account")
)

// Sealer encrypts secrets at rest with AES-256-GCM. It seals with its newest key and opens with
// whichever of its keys sealed the value, so keys can be rotated: put a new key first, keep the
// old ones until every value has been saved again. Each value is bound to its account host,
// so a value copied to another account does not open. A Sealer is safe for concurrent use.
//
// A key must not seal more than 2^32 values (random 96-bit nonces); rotate well before that.
type Sealer struct {
	keys []sealKey // newest first
}

type sealKey struct {
	id   string // hex prefix of a hash of the key: names the key without revealing it
	aead cipher.AEAD
}

// NewSealer returns a Sealer for keys, newest first. Each key is KeySize random bytes; at least
// one is required, and no key may appear twice.
func NewSealer(keys ...[]byte) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("tokenstore: NewSealer needs at least one key")
	}
	s := &Sealer{keys: make([]sealKey, 0, len(keys))}
	seen := make(map[string]int, len(keys))
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("tokenstore: sealer key %d is %d bytes, want %d", i, len(k), KeySize)
		}
		id := keyID(k)
		if j, dup := seen[id]; dup {
			return nil, fmt.Errorf("tokenstore: sealer keys %d and %d share the key id %s", j, i, id)
		}
		seen[id] = i
		block, err := aes.NewCipher(k) // copies the key
		if err != nil {
			return nil, fmt.Errorf("tokenstore: sealer key %d: %w", i, err)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("tokenstore: sealer key %d: %w", i, err)
		}
		s.keys = append(s.keys, sealKey{id: id, aead: aead})
	}
	return s, nil
}

// IsSealed reports whether v is in the format Seal produces, whatever its version or key. A
// store without a Sealer uses it to refuse sealed values rather than hand out ciphertext as a
// token.
func IsSealed(v string) bool { return strings.HasPrefix(v, "amokit:v") }

// keyID names a key by the first 4 bytes of a domain-separated SHA-256 of it.
func keyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("amokit tokenstore sealer key id\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil)[:4])
}

// additionalData binds a sealed value to its format version and account.
func additionalData(account string) []byte {
	return []byte(sealPrefix + account)
}

// Seal encrypts plaintext for account with the newest key. The result is printable ASCII,
// starts with "amokit:v1:", and differs on every call.
func (s *Sealer) Seal(account, plaintext string) string {
	k := s.keys[0]
	ct := k.aead.Seal(nil, nil, []byte(plaintext), additionalData(account))
	return sealPrefix + k.id + ":" + base64.RawURLEncoding.EncodeToString(ct)
}

// SealColumn encrypts plaintext for account's column (such as "refresh_token") with the newest
// key. The result starts with "amokit:v2:" and opens only with OpenColumn for the same account
// and column: a value copied into another row or another column does not open.
func (s *Sealer) SealColumn(account, column, plaintext string) string {
	k := s.keys[0]
	ct := k.aead.Seal(nil, nil, []byte(plaintext), columnData(account, column))
	return columnPrefix + k.id + ":" + base64.RawURLEncoding.EncodeToString(ct)
}

// columnData binds a version 2 value to its account and column.
func columnData(account, column string) []byte {
	return []byte(columnPrefix + account + "\x00" + column)
}

// OpenColumn decrypts a value of account's column: one SealColumn made for them, or (values
// stored before columns were bound) one Seal made for the account. Its errors are those of Open.
func (s *Sealer) OpenColumn(account, column, sealed string) (string, error) {
	if rest, ok := strings.CutPrefix(sealed, columnPrefix); ok {
		return s.open(rest, account, columnData(account, column))
	}
	return s.Open(account, sealed)
}

// Current reports whether sealed was made by SealColumn with the newest key: a value that is
// not would be sealed differently when saved again.
func (s *Sealer) Current(sealed string) bool {
	return strings.HasPrefix(sealed, columnPrefix+s.keys[0].id+":")
}

// Open decrypts a value that Seal produced for account. Its errors match ErrWrongKey or
// ErrCorrupt and never contain any part of the value.
func (s *Sealer) Open(account, sealed string) (string, error) {
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		if strings.HasPrefix(sealed, "amokit:") {
			return "", fmt.Errorf("%w: unsupported format version (account %s)", ErrCorrupt, account)
		}
		return "", fmt.Errorf("%w: not a sealed value (account %s)", ErrCorrupt, account)
	}
	return s.open(rest, account, additionalData(account))
}

// open decrypts rest, a sealed value after its version prefix, with the additional data ad.
func (s *Sealer) open(rest, account string, ad []byte) (string, error) {
	id, body, ok := strings.Cut(rest, ":")
	if !ok {
		return "", fmt.Errorf("%w: no key id (account %s)", ErrCorrupt, account)
	}
	var key *sealKey
	for i := range s.keys {
		if s.keys[i].id == id {
			key = &s.keys[i]
			break
		}
	}
	if key == nil {
		if !isKeyID(id) {
			return "", fmt.Errorf("%w: bad key id (account %s)", ErrCorrupt, account)
		}
		return "", fmt.Errorf("%w: key id %s, configured %s (account %s)", ErrWrongKey, id, s.keyIDs(), account)
	}
	ct, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return "", fmt.Errorf("%w: bad encoding (account %s)", ErrCorrupt, account)
	}
	pt, err := key.aead.Open(nil, nil, ct, ad)
	if err != nil {
		return "", fmt.Errorf("%w: authentication failed with key id %s (account %s)", ErrCorrupt, id, account)
	}
	return string(pt), nil
}

func isKeyID(id string) bool {
	if len(id) != 8 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

func (s *Sealer) keyIDs() string {
	ids := make([]string, len(s.keys))
	for i, k := range s.keys {
		ids[i] = k.id
	}
	return strings.Join(ids, ",")
}

// String names the Sealer's keys by their ids, newest first; it never prints a key.
func (s *Sealer) String() string {
	return "tokenstore.Sealer{keys:" + s.keyIDs() + "}"
}

// GoString is String.
func (s *Sealer) GoString() string { return s.String() }

// Format makes every fmt verb print String, so no verb reaches the keys through reflection.
func (s *Sealer) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, strconv.Quote(s.String()))
		return
	}
	_, _ = io.WriteString(f, s.String())
}

// LogValue implements slog.LogValuer with the key ids only.
func (s *Sealer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key_ids", s.keyIDs()))
}
