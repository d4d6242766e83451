package refreshtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/internal/httpx"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
)

// TokenPath is the path of the fake's token endpoint.
const TokenPath = "/oauth2/access_token"

// Issued is a token pair the fake's token endpoint handed out.
type Issued struct {
	At      time.Time // when the token request arrived
	Access  string    // amocrmtest.Fingerprint of the access token
	Refresh string    // and of the refresh token
	Expiry  time.Time // the access token's exp claim: when the token source considers it expired
}

// Grant is one request to the fake's token endpoint.
type Grant struct {
	Presented string // fingerprint of the refresh token the request presented, "" for a code
	Status    int
	Issued    Issued // when Status is 200
}

// Fake is an amocrmtest server with one account and one integration, behind a handler that
// records every token request and every pair issued and counts the open connections. Clients and
// token sources go to URL, never to Server.URL.
type Fake struct {
	Server      *amocrmtest.Server
	Account     *amocrmtest.Account
	Integration amocrmtest.Integration
	URL         string // the watched fake

	srv    *httptest.Server
	events chan Issued // every pair issued; dropped when full
	conns  connTracker
	closed chan struct{} // closed by Close

	mu     sync.Mutex
	grants []Grant
	issued []Issued

	beforeGrant atomic.Pointer[func()]
	afterGrant  atomic.Pointer[func()]
}

// NewFake starts a fake amoCRM with rate limiting off (so that only the token source is under
// test) and opts, an account named subdomain, and an integration redirecting to redirectURI.
// Close stops it.
func NewFake(subdomain, redirectURI string, opts ...amocrmtest.Option) *Fake {
	return newFake(nil, subdomain, redirectURI, opts...)
}

// newFake is NewFake; wrap, when not nil, wraps the watched server's listener.
func newFake(wrap func(net.Listener) net.Listener, subdomain, redirectURI string, opts ...amocrmtest.Option) *Fake {
	server := amocrmtest.NewServer(append([]amocrmtest.Option{amocrmtest.WithRateLimit(0, 1)}, opts...)...)
	f := &Fake{
		Server:      server,
		Account:     server.AddAccount(subdomain),
		Integration: server.AddIntegration(amocrmtest.Integration{RedirectURI: redirectURI}),
		events:      make(chan Issued, 1024),
		closed:      make(chan struct{}),
	}
	f.srv = httptest.NewUnstartedServer(f.watch(server.Handler()))
	if wrap != nil {
		f.srv.Listener = wrap(f.srv.Listener)
	}
	f.srv.Config.ConnState = f.conns.state
	f.srv.Start()
	f.URL = f.srv.URL
	return f
}

// Close stops the watched server and the fake behind it.
func (f *Fake) Close() {
	close(f.closed)
	f.srv.Close()
	f.Server.Close()
}

// Connect authorises the integration in the account, as a person and the OAuth callback would,
// and saves the connection in store. expiry overrides the stored expiry when not zero. It returns
// the pair.
func (f *Fake) Connect(ctx context.Context, store tokenstore.Store, expiry time.Time) (amocrmtest.Token, error) {
	tok, err := f.Server.IssueToken(f.Integration.ClientID, f.Account.Subdomain)
	if err != nil {
		return tok, err
	}
	if expiry.IsZero() {
		expiry = tok.ExpiresAt
	}
	return tok, store.Save(ctx, &tokenstore.Connection{
		Account: f.Account.Host, AccountID: f.Account.ID, ClientID: f.Integration.ClientID, ClientSecret: f.Integration.ClientSecret,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: expiry,
	})
}

// Issued returns a copy of the pairs issued so far, in order.
func (f *Fake) Issued() []Issued {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.issued)
}

// Grants returns a copy of the token requests so far, in order.
func (f *Fake) Grants() []Grant {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.grants)
}

// BeforeNextGrant arms hook to run once, when the next token request arrives and before the fake
// sees it.
func (f *Fake) BeforeNextGrant(hook func()) { f.beforeGrant.Store(&hook) }

// AfterNextGrant arms hook to run once, right after the fake issued the next pair and before its
// answer leaves: the client cannot have read the pair yet.
func (f *Fake) AfterNextGrant(hook func()) { f.afterGrant.Store(&hook) }

// Quiet returns a channel closed once no connection to the watched fake is open, counting those
// made before the call that the server has not accepted yet: a process that connected, sent a
// request and was killed leaves its connection in the listen queue, and the request is still
// served. A connection closes only after the server has read and answered everything sent on it.
func (f *Fake) Quiet() <-chan struct{} {
	quiet := make(chan struct{})
	go func() {
		defer close(quiet)
		f.acceptQueued()
		select {
		case <-f.conns.closed():
		case <-f.closed:
		}
	}()
	return quiet
}

// acceptQueued returns once the server has accepted every connection made before the call. The
// listen queue is first in, first out: it makes one more connection, waits until the server has
// accepted it, and closes it.
func (f *Fake) acceptQueued() {
	probe, err := net.Dial("tcp", f.srv.Listener.Addr().String())
	if err != nil {
		return // the fake is closed: it accepts nothing more
	}
	defer probe.Close()
	select {
	case <-f.conns.accepted(probe.LocalAddr().String()):
	case <-f.closed:
	}
}

// APIRequests returns the fake's log of API calls.
func (f *Fake) APIRequests() []amocrmtest.RecordedRequest {
	return f.requests(func(path string) bool { return strings.HasPrefix(path, "/api/") })
}

// TokenRequests returns the fake's log of token requests.
func (f *Fake) TokenRequests() []amocrmtest.RecordedRequest {
	return f.requests(func(path string) bool { return path == TokenPath })
}

func (f *Fake) requests(keep func(path string) bool) []amocrmtest.RecordedRequest {
	var out []amocrmtest.RecordedRequest
	for _, rr := range f.Server.Requests() {
		if keep(rr.Path) {
			out = append(out, rr)
		}
	}
	return out
}

// watch wraps the fake's handler: it records each token request and each pair issued, and runs
// the armed hooks.
func (f *Fake) watch(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != TokenPath {
			h.ServeHTTP(rw, r)
			return
		}
		at := time.Now()
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		var asked struct {
			RefreshToken string `json:"refresh_token"`
		}
		_ = json.Unmarshal(raw, &asked)
		g := Grant{}
		if asked.RefreshToken != "" {
			g.Presented = amocrmtest.Fingerprint(asked.RefreshToken)
		}
		if hook := f.beforeGrant.Swap(nil); hook != nil {
			(*hook)()
		}
		// Keep a copy of the answer. It still leaves only when the handler
		// returns, so an AfterNextGrant hook runs before the client can read it.
		var answer bytes.Buffer
		cw := &httpx.StatusWriter{ResponseWriter: rw, Copy: &answer}
		h.ServeHTTP(cw, r)
		g.Status = cw.Status
		var body struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		ok := cw.Status == http.StatusOK && json.Unmarshal(answer.Bytes(), &body) == nil
		if ok {
			g.Issued = Issued{At: at, Access: amocrmtest.Fingerprint(body.AccessToken), Refresh: amocrmtest.Fingerprint(body.RefreshToken)}
			if c, err := oauth.ParseClaims(body.AccessToken); err == nil {
				g.Issued.Expiry = c.Expiry
			}
		}
		f.mu.Lock()
		f.grants = append(f.grants, g)
		if ok {
			f.issued = append(f.issued, g.Issued)
		}
		f.mu.Unlock()
		if !ok {
			return
		}
		select {
		case f.events <- g.Issued:
		default:
		}
		if hook := f.afterGrant.Swap(nil); hook != nil {
			(*hook)()
		}
	})
}

// connTracker counts the open connections of a server.
type connTracker struct {
	mu      sync.Mutex
	open    int
	waiters []chan struct{}
	// byPeer has, per remote address of an open connection, a channel closed once the server
	// has accepted it: accepted creates it first when it asks before the server accepts.
	byPeer map[string]chan struct{}
}

func (c *connTracker) state(conn net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	peer := conn.RemoteAddr().String()
	switch s {
	case http.StateNew:
		c.open++
		if ch, ok := c.byPeer[peer]; ok {
			close(ch)
		} else {
			if c.byPeer == nil {
				c.byPeer = map[string]chan struct{}{}
			}
			ch := make(chan struct{})
			close(ch)
			c.byPeer[peer] = ch
		}
	case http.StateClosed, http.StateHijacked:
		delete(c.byPeer, peer)
		c.open--
		if c.open == 0 {
			for _, w := range c.waiters {
				close(w)
			}
			c.waiters = nil
		}
	}
}

// accepted returns a channel closed once the server has accepted the connection from peer.
func (c *connTracker) accepted(peer string) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.byPeer[peer]; ok {
		return ch
	}
	if c.byPeer == nil {
		c.byPeer = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	c.byPeer[peer] = ch
	return ch
}

// closed returns a channel closed once no connection is open.
func (c *connTracker) closed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	if c.open == 0 {
		close(ch)
	} else {
		c.waiters = append(c.waiters, ch)
	}
	return ch
}
