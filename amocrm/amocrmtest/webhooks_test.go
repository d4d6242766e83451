package amocrmtest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/amocrm/webhook"
)

const hookSecret = "5b1e9c0d7a3f4e2b8c6d0a1f9e7b3c5d"

// collector is a webhook.Func that keeps what it is given.
type collector struct {
	mu  sync.Mutex
	got []webhook.Event
	acc []webhook.Account
}

func (c *collector) fn(_ context.Context, d *webhook.Delivery) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, d.Events...)
	c.acc = append(c.acc, d.Account)
	return nil
}

func (c *collector) events() []webhook.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]webhook.Event(nil), c.got...)
}

// The SDK subscribes a receiver; the fake delivers lead and company events to it in amoCRM's
// format; package webhook decodes them into the entities the fake holds.
func TestWebhooksEndToEnd(t *testing.T) {
	t.Parallel()
	c, acct := amocrmtest.NewClient(t)
	srv := acct.Server()
	ctx := t.Context()

	var col collector
	h, err := webhook.New(col.fn, webhook.WithSecret(hookSecret), webhook.WithConnections(webhook.OneAccount(acct.ID, acct.Subdomain)))
	require.NoError(t, err)
	receiver := httptest.NewServer(h)
	t.Cleanup(receiver.Close)
	dest := receiver.URL + "/amocrm/hook?secret=" + hookSecret

	w, err := c.Webhooks.Add(ctx, amocrm.AddWebhookRequest{Destination: dest, Settings: []amocrm.WebhookEvent{amocrm.WebhookAddLead}, Sort: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, w.Sort)
	// Adding the destination again replaces its events.
	_, err = c.Webhooks.Add(ctx, amocrm.AddWebhookRequest{Destination: dest, Settings: []amocrm.WebhookEvent{amocrm.WebhookStatusLead, amocrm.WebhookAddCompany}})
	require.NoError(t, err)
	hooks, err := c.Webhooks.List(ctx, dest)
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	assert.Equal(t, []amocrm.WebhookEvent{amocrm.WebhookStatusLead, amocrm.WebhookAddCompany}, hooks[0].Settings)

	lead := acct.AddLead(amocrmtest.Lead{Name: "Зеркало в ванную", Price: 18500})
	company := acct.AddCompany(amocrmtest.Company{Name: "ООО Стекло"})
	got, err := srv.DeliverEvent(ctx, "leads", lead.ID, "status")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.True(t, got[0].OK(), "%+v", got[0])
	got, err = srv.DeliverEvent(ctx, "companies", company.ID, "add")
	require.NoError(t, err)
	require.Len(t, got, 1)
	got, err = srv.DeliverEvent(ctx, "leads", lead.ID, "add")
	require.NoError(t, err)
	assert.Empty(t, got, "add_lead is no longer subscribed")

	evs := col.events()
	require.Len(t, evs, 2)
	assert.Equal(t, amocrm.WebhookStatusLead, evs[0].Name())
	assert.Equal(t, lead.ID, evs[0].ID)
	assert.Equal(t, "Зеркало в ванную", evs[0].Lead.Name)
	assert.Equal(t, amocrm.Decimal("18500"), evs[0].Lead.Price)
	assert.Equal(t, amocrm.WebhookAddCompany, evs[1].Name())
	assert.Equal(t, company.ID, evs[1].ID)
	assert.Equal(t, "ООО Стекло", evs[1].Contact.Name)
	assert.Equal(t, acct.ID, col.acc[0].ID)

	require.NoError(t, c.Webhooks.Delete(ctx, dest))
	assert.ErrorIs(t, c.Webhooks.Delete(ctx, dest), amocrm.ErrNotFound)
	hooks, err = c.Webhooks.List(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, hooks)
}

// Another account's administrator neither sees nor deletes a webhook; a user who is not an
// administrator may not use the API at all.
func TestWebhooksRefuseOtherTenantsAndNonAdmins(t *testing.T) {
	t.Parallel()
	c, acct := amocrmtest.NewClient(t)
	srv := acct.Server()
	other, err := srv.AddAccount("other").NewClient()
	require.NoError(t, err)
	ctx := t.Context()
	dest := "https://hooks.example.com/amocrm?secret=" + hookSecret
	_, err = c.Webhooks.Add(ctx, amocrm.AddWebhookRequest{Destination: dest, Settings: []amocrm.WebhookEvent{amocrm.WebhookAddLead}})
	require.NoError(t, err)

	hooks, err := other.Webhooks.List(ctx, dest)
	require.NoError(t, err)
	assert.Empty(t, hooks)
	assert.ErrorIs(t, other.Webhooks.Delete(ctx, dest), amocrm.ErrNotFound)
	assert.Len(t, srv.Webhooks(acct.ID), 1)

	manager := acct.AddUser(amocrmtest.User{Name: "Менеджер"})
	integ := srv.AddIntegration(amocrmtest.Integration{Name: "x", RedirectURI: "https://x.example/cb"})
	tok, err := srv.IssueTokenFor(integ.ClientID, acct.Subdomain, manager.ID)
	require.NoError(t, err)
	mc, err := acct.NewClient(amocrm.WithAccessToken(tok.AccessToken))
	require.NoError(t, err)
	_, err = mc.Webhooks.List(ctx, "")
	assert.ErrorIs(t, err, amocrm.ErrAdminOnly)

	// The fake refuses what amoCRM refuses.
	_, err = c.Webhooks.Add(ctx, amocrm.AddWebhookRequest{Destination: dest, Settings: []amocrm.WebhookEvent{"add_everything"}})
	assert.ErrorIs(t, err, amocrm.ErrValidation)
}

type failingTransport struct{ status int }

func (f failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.status == 0 {
		return nil, errors.New("connection refused")
	}
	return &http.Response{StatusCode: f.status, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// More than 100 failed deliveries within 2 hours disable the webhook; failures older than that
// do not count.
func TestWebhookDisabledAfterTooManyFailures(t *testing.T) {
	t.Parallel()
	clock := amocrmtest.NewFakeClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	c, acct := amocrmtest.NewClient(t, amocrmtest.WithClock(clock), amocrmtest.WithHookClient(&http.Client{Transport: failingTransport{http.StatusInternalServerError}}))
	srv := acct.Server()
	ctx := t.Context()
	_, err := c.Webhooks.Add(ctx, amocrm.AddWebhookRequest{Destination: "https://hooks.example.com/a?secret=" + hookSecret, Settings: []amocrm.WebhookEvent{amocrm.WebhookUpdateLead}})
	require.NoError(t, err)
	lead := acct.AddLead(amocrmtest.Lead{Name: "x"})

	for range 100 {
		got, err := srv.DeliverEvent(ctx, "leads", lead.ID, "update")
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.False(t, got[0].OK())
		assert.False(t, got[0].Disabled)
	}
	clock.Advance(2 * time.Hour) // the first hundred age out
	for range 100 {
		got, _ := srv.DeliverEvent(ctx, "leads", lead.ID, "update")
		require.False(t, got[0].Disabled)
		clock.Advance(time.Second)
	}
	got, err := srv.DeliverEvent(ctx, "leads", lead.ID, "update")
	require.NoError(t, err)
	assert.True(t, got[0].Disabled, "the 101st failure within 2 hours")
	hooks, err := c.Webhooks.List(ctx, "")
	require.NoError(t, err)
	assert.True(t, hooks[0].Disabled)
	got, err = srv.DeliverEvent(ctx, "leads", lead.ID, "update")
	require.NoError(t, err)
	assert.Empty(t, got, "a disabled webhook gets nothing")
}
