package oauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// ErrInvalidState is returned for a state that is forged, expired or used already.
var ErrInvalidState = errors.New("oauth: invalid state")

// DefaultStateTTL is how long a state stays valid: amoCRM's codes live 20 minutes.
const DefaultStateTTL = 20 * time.Minute

// States makes and checks the state parameter of the consent flow: an HMAC-signed value that
// expires and can be used once, so no server-side session is needed. It carries the account host
// the flow was started for and the mode of the consent page. Used states are remembered in memory
// until they expire; with several replicas, a state replayed to another replica within its
// lifetime is refused by the code exchange instead, since amoCRM's codes are single use.
type States struct {
	key []byte
	ttl time.Duration

	mu   sync.Mutex
	used map[string]time.Time // nonce → expiry
}

// StateData is what a state carries.
type StateData struct {
	Account string `json:"a,omitempty"` // the account host the flow is for, when known
	Mode    Mode   `json:"m,omitempty"`
}

type statePayload struct {
	StateData
	Nonce   string `json:"n"`
	Expires int64  `json:"e"`
}

// NewStates returns States signing with key (at least 32 bytes) and ttl (0 means
// DefaultStateTTL).
func NewStates(key []byte, ttl time.Duration) (*States, error) {
	if len(key) < 32 {
		return nil, errors.New("oauth: the state key must be at least 32 bytes")
	}
	if ttl <= 0 {
		ttl = DefaultStateTTL
	}
	return &States{key: append([]byte(nil), key...), ttl: ttl, used: map[string]time.Time{}}, nil
}

// New returns a fresh state carrying d.
func (s *States) New(d StateData) (string, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	p, err := json.Marshal(statePayload{StateData: d, Nonce: base64.RawURLEncoding.EncodeToString(nonce), Expires: time.Now().Add(s.ttl).Unix()})
	if err != nil {
		return "", err
	}
	body := base64.RawURLEncoding.EncodeToString(p)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.sign(body)), nil
}

// Verify checks state and uses it up: a second Verify of the same state fails.
func (s *States) Verify(state string) (StateData, error) {
	if len(state) > 1024 {
		return StateData{}, fmt.Errorf("%w: too long", ErrInvalidState)
	}
	body, sig, ok := strings.Cut(state, ".")
	if !ok {
		return StateData{}, fmt.Errorf("%w: malformed", ErrInvalidState)
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.sign(body)) {
		return StateData{}, fmt.Errorf("%w: bad signature", ErrInvalidState)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return StateData{}, fmt.Errorf("%w: malformed", ErrInvalidState)
	}
	var p statePayload
	if err := json.Unmarshal(raw, &p); err != nil || p.Nonce == "" {
		return StateData{}, fmt.Errorf("%w: malformed", ErrInvalidState)
	}
	now := time.Now()
	exp := time.Unix(p.Expires, 0)
	if !now.Before(exp) {
		return StateData{}, fmt.Errorf("%w: expired", ErrInvalidState)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, e := range s.used {
		if !now.Before(e) {
			delete(s.used, n)
		}
	}
	if _, seen := s.used[p.Nonce]; seen {
		return StateData{}, fmt.Errorf("%w: used already", ErrInvalidState)
	}
	s.used[p.Nonce] = exp
	return p.StateData, nil
}

func (s *States) sign(body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("amokit-oauth-state\x00"))
	m.Write([]byte(body))
	return m.Sum(nil)
}
