package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/demo"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

// inProcess is the widget backend built the way examples/widgetserver builds it in demo mode,
// in this process: amocrmtest with the demo account at amoCRM's defaults (7 requests/second per
// account, 429 as HTML), the connection in a memory store, one amocrm.Client per account with the
// default limiter and retries, memory calculations, served by an http.Server on 127.0.0.1. The
// only shortcut: the account is connected with a token the fake issues (IssueToken) instead of the
// consent page, and tickets are signed here instead of through /widget/session.
type inProcess struct {
	fake    *amocrmtest.Server
	demo    demo.Demo
	srv     *http.Server
	url     string
	signer  *widget.TicketSigner
	account string
	integ   amocrmtest.Integration // the calculator's integration at the fake
}

// newInProcess starts it; latency is added by the fake to every amoCRM request.
func newInProcess(ctx context.Context, latency time.Duration) (*inProcess, error) {
	return newInProcessWith(ctx, envOptions{latency: latency})
}

// envOptions shape the in-process backend.
type envOptions struct {
	latency time.Duration // added by the fake to every amoCRM request
	// serverDelay is waited by the server before answering each request, as a server far from
	// the browser would.
	serverDelay time.Duration
	// unpaced lifts the account's limit at the fake and the client's pacing, so that requests
	// made at the same time go out at the same time and the levels of dependent requests can be
	// counted from their arrivals.
	unpaced bool
}

// newInProcessWith starts it as o says.
func newInProcessWith(ctx context.Context, o envOptions) (*inProcess, error) {
	latency, serverDelay := o.latency, o.serverDelay
	fakeOpts := []amocrmtest.Option{amocrmtest.WithLatency(latency)}
	if o.unpaced {
		fakeOpts = append(fakeOpts, amocrmtest.WithRateLimit(0, 1))
	}
	e := &inProcess{fake: amocrmtest.NewServer(fakeOpts...)}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	e.demo = demo.Seed(e.fake)
	e.account = e.demo.Account.Host

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.url = "http://" + ln.Addr().String()
	integ := e.fake.AddIntegration(amocrmtest.Integration{
		Name: "Калькулятор стекла", RedirectURI: e.url + widget.CallbackPath, RevokeHookURL: e.url + widget.RevokePath,
		Owner: e.demo.Account.Subdomain,
	})
	e.integ = integ
	tok, err := e.fake.IssueToken(integ.ClientID, e.demo.Account.Subdomain)
	if err != nil {
		ln.Close()
		return nil, err
	}
	conns := tokenstore.NewMemory()
	if err := conns.Save(ctx, &tokenstore.Connection{
		Account: e.account, AccountID: e.demo.Account.ID, ClientID: integ.ClientID, ClientSecret: integ.ClientSecret,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.ExpiresAt,
	}); err != nil {
		ln.Close()
		return nil, err
	}
	fakeClient := e.fake.Client()
	fakeClient.Timeout = 15 * time.Second // as the demo mode sets it
	oc := oauth.Config{
		ClientID: integ.ClientID, ClientSecret: integ.ClientSecret, RedirectURL: integ.RedirectURI,
		AuthURL: e.fake.URL + "/oauth", HTTPClient: fakeClient,
	}
	key := make([]byte, 32)
	rand.Read(key)
	states, err := oauth.NewStates(key, 0)
	if err != nil {
		ln.Close()
		return nil, err
	}
	ticketKey := make([]byte, widget.MinTicketKeySize)
	rand.Read(ticketKey)
	if e.signer, err = widget.NewTicketSigner(ticketKey); err != nil {
		ln.Close()
		return nil, err
	}
	calcs := calculator.NewMemoryCalculations()
	amoOpts := []amocrm.Option{amocrm.WithHTTPClient(fakeClient)}
	if o.unpaced {
		amoOpts = append(amoOpts, amocrm.WithRateLimit(1000, 100))
	}
	clients := calculator.NewAmoCRMClients(context.WithoutCancel(ctx), oc, conns, amoOpts...)
	clients.Catalogs = calcs
	h, err := calculator.NewHandler(calculator.Config{
		Config: widget.Config{
			PublicURL:   e.url,
			TicketKey:   ticketKey,
			OAuth:       oc,
			States:      states,
			Connections: conns,
			Page:        http.NotFoundHandler(),
		},
		Calculations: calcs,
		PriceList:    glass.DefaultPriceList(),
		CRMFor:       clients.CRM,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	// The timeouts of examples/widgetserver.
	if serverDelay > 0 {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(serverDelay):
			case <-r.Context().Done():
				return
			}
			inner.ServeHTTP(w, r)
		})
	}
	e.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 90 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := e.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("widgetload: serving:", err)
		}
	}()
	ok = true
	return e, nil
}

// site is what the load needs to reach the backend.
func (e *inProcess) site() *site {
	s := &site{base: e.url, tickets: map[int64]string{}}
	for _, l := range e.demo.Leads {
		s.leads = append(s.leads, l.ID)
		s.tickets[l.ID] = e.signer.Sign(widget.Ticket{Account: e.account, AccountID: e.demo.Account.ID, UserID: e.demo.Manager.ID, LeadID: l.ID})
	}
	return s
}

func (e *inProcess) close() {
	if e.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.srv.Shutdown(ctx)
	}
	e.fake.Close()
}
