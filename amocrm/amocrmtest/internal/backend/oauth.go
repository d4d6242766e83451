package backend

import (
	"iter"
	"maps"
	"slices"
	"time"
)

// Integration is an OAuth integration registered with the server. Its
// fields are those of amocrmtest.Integration, in the same order.
type Integration struct {
	ClientID      string
	ClientSecret  string
	RedirectURI   string
	RevokeHookURL string
	Name          string
	Owner         string // the subdomain of the only account it installs in, or ""
}

// AuthCode is an authorization code issued for an integration in an account.
type AuthCode struct {
	Integration *Integration
	Account     *Account
	UserID      int64
	Expires     time.Time
	Used        bool
}

// Grant is one authorization of an integration in an account: the token
// pair in use and, in Kommo grace mode, the pair it replaced.
type Grant struct {
	Integration *Integration
	Account     *Account
	UserID      int64
	Revoked     bool
	Cur         *TokenPair
	Prev        *TokenPair
}

// TokenPair is an access token and, unless long-lived, its refresh token.
type TokenPair struct {
	Access     string
	Refresh    string // "" for a long-lived token
	AccessExp  time.Time
	RefreshExp time.Time
	Used       bool // the access token has been used
	// Retired marks a replaced pair whose access token still works until it
	// expires; its refresh token is dead.
	Retired bool
}

// PairRef is what a token leads to: its pair and the grant it belongs to.
type PairRef struct {
	Grant *Grant
	Pair  *TokenPair
}

// AddIntegration stores in under its ClientID.
func (st *Store) AddIntegration(in *Integration) { st.integrations[in.ClientID] = in }

// Integration returns the integration with the client id, or nil.
func (st *Store) Integration(clientID string) *Integration { return st.integrations[clientID] }

// AddCode stores an authorization code.
func (st *Store) AddCode(code string, c *AuthCode) { st.codes[code] = c }

// Code returns what the authorization code was issued for, or nil.
func (st *Store) Code(code string) *AuthCode { return st.codes[code] }

// Codes yields every authorization code ever issued, in no order.
func (st *Store) Codes() iter.Seq2[string, *AuthCode] { return maps.All(st.codes) }

// AddGrant stores g.
func (st *Store) AddGrant(g *Grant) { st.grants = append(st.grants, g) }

// Grants yields every grant, in the order they were made.
func (st *Store) Grants() iter.Seq2[int, *Grant] { return slices.All(st.grants) }

// AddPair makes p's access token, and its refresh token if it has one, lead
// to p and g.
func (st *Store) AddPair(g *Grant, p *TokenPair) {
	st.access[p.Access] = &PairRef{Grant: g, Pair: p}
	if p.Refresh != "" {
		st.refresh[p.Refresh] = &PairRef{Grant: g, Pair: p}
	}
}

// ByAccessToken returns what the access token leads to, or nil.
func (st *Store) ByAccessToken(tok string) *PairRef { return st.access[tok] }

// ByRefreshToken returns what the refresh token leads to, or nil.
func (st *Store) ByRefreshToken(tok string) *PairRef { return st.refresh[tok] }
