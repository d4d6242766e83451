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
	_, err = srv.DeliverEvent(ctx, "leads", lead.ID, "status")
	require.Error(t, err, "a lead that has not moved has no status event")
	before, err := c.Leads.Get(ctx, lead.ID)
	require.NoError(t, err)
	_, err = c.Leads.UpdateOne(ctx, lead.ID, amocrm.UpdateLeadRequest{StatusID: 142})
	require.NoError(t, err)
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
	assert.Equal(t, int64(142), evs[0].Lead.StatusID)
	assert.Equal(t, before.StatusID, evs[0].Lead.OldStatusID)
	assert.Equal(t, before.PipelineID, evs[0].Lead.OldPipelineID)
	assert.NotZero(t, evs[0].Lead.OldStatusID)
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

// newReceiver serves a webhook.Handler for the account and returns what it receives and its
// destination URL.
func newReceiver(t *testing.T, acct *amocrmtest.Account) (*collector, string) {
	t.Helper()
	col := new(collector)
	h, err := webhook.New(col.fn, webhook.WithSecret(hookSecret), webhook.WithConnections(webhook.OneAccount(acct.ID, acct.Subdomain)))
	require.NoError(t, err)
	receiver := httptest.NewServer(h)
	t.Cleanup(receiver.Close)
	return col, receiver.URL + "/amocrm/hook?secret=" + hookSecret
}

// Task and note events go out from what was written through the API, and a webhook.Handler
// receives them typed: a task under the singular key with wall-clock dates in the account's time
// zone, a change of its responsible user as an update, notes with the entity they are on.
func TestWebhooksTaskAndNoteEventsEndToEnd(t *testing.T) {
	t.Parallel()
	c, acct := amocrmtest.NewClient(t)
	acct.SetTimezone("Asia/Yekaterinburg")
	zone, err := time.LoadLocation("Asia/Yekaterinburg")
	require.NoError(t, err)
	srv := acct.Server()
	ctx := t.Context()
	col, dest := newReceiver(t, acct)
	_, err = c.Webhooks.Add(ctx, amocrm.AddWebhookRequest{Destination: dest, Settings: []amocrm.WebhookEvent{
		amocrm.WebhookAddTask, amocrm.WebhookUpdateTask, amocrm.WebhookResponsibleTask, amocrm.WebhookDeleteTask,
		amocrm.WebhookNoteLead, amocrm.WebhookNoteCompany,
	}})
	require.NoError(t, err)
	lead := acct.AddLead(amocrmtest.Lead{Name: "Душевое ограждение"})
	company := acct.AddCompany(amocrmtest.Company{Name: "ООО Зеркала"})
	fitter := acct.AddUser(amocrmtest.User{Name: "Замерщик"})

	till := time.Date(2026, 3, 10, 18, 30, 0, 0, zone)
	saved, err := c.Tasks.Create(ctx, []amocrm.CreateTaskRequest{{Text: "Замерить проём", CompleteTill: amocrm.Unix(till.Unix()), EntityID: lead.ID, EntityType: amocrm.EntityLeads}})
	require.NoError(t, err)
	taskID := saved[0].ID
	created, err := c.Tasks.Get(ctx, taskID)
	require.NoError(t, err)
	deliver := func(kind string, id int64, action string) {
		t.Helper()
		got, err := srv.DeliverEvent(ctx, kind, id, action)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.True(t, got[0].OK(), "%+v", got[0])
	}
	_, err = srv.DeliverEvent(ctx, "tasks", taskID, "responsible")
	require.Error(t, err, "the responsible user has not changed")
	deliver("tasks", taskID, "add")
	_, err = c.Tasks.UpdateOne(ctx, taskID, amocrm.UpdateTaskRequest{ResponsibleUserID: fitter.ID})
	require.NoError(t, err)
	deliver("tasks", taskID, "responsible")
	_, err = c.Tasks.Complete(ctx, taskID, "Проём 1200×2100")
	require.NoError(t, err)
	deliver("tasks", taskID, "update")
	deliver("tasks", taskID, "delete")

	leadNote, err := c.Notes.Create(ctx, amocrm.EntityLeads, []amocrm.CreateNoteRequest{{EntityID: lead.ID, Params: amocrm.CommonNote{Text: "Клиент просит матовое стекло"}}})
	require.NoError(t, err)
	companyNote, err := c.Notes.Create(ctx, amocrm.EntityCompanies, []amocrm.CreateNoteRequest{{EntityID: company.ID, Params: amocrm.CommonNote{Text: "Счёт отправлен"}}})
	require.NoError(t, err)
	for _, n := range []struct {
		kind string
		id   int64
	}{{"leads", leadNote[0].ID}, {"companies", companyNote[0].ID}} {
		got, err := srv.DeliverNote(ctx, n.kind, n.id)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.True(t, got[0].OK(), "%+v", got[0])
	}
	_, err = srv.DeliverNote(ctx, "contacts", leadNote[0].ID)
	require.Error(t, err, "the note is a lead's")

	evs := col.events()
	require.Len(t, evs, 6)
	var names []amocrm.WebhookEvent
	for _, ev := range evs {
		names = append(names, ev.Name())
	}
	assert.Equal(t, []amocrm.WebhookEvent{
		amocrm.WebhookAddTask, amocrm.WebhookUpdateTask, amocrm.WebhookUpdateTask, amocrm.WebhookDeleteTask,
		amocrm.WebhookNoteLead, amocrm.WebhookNoteCompany,
	}, names)

	added := evs[0].Task
	require.NotNil(t, added)
	assert.Equal(t, taskID, evs[0].ID)
	assert.Equal(t, "Замерить проём", added.Text)
	assert.Equal(t, lead.ID, added.ElementID)
	assert.Equal(t, 2, added.ElementType)
	assert.Equal(t, "2026-03-10 18:30:00", added.CompleteTill.String())
	assert.True(t, added.CompleteTill.In(zone).Equal(till))
	assert.Equal(t, 0, added.Status)
	assert.Equal(t, created.ResponsibleUserID, added.ResponsibleUserID)

	moved := evs[1].Task
	assert.Equal(t, fitter.ID, moved.ResponsibleUserID)
	assert.Equal(t, created.ResponsibleUserID, moved.OldResponsibleUserID)
	assert.NotZero(t, moved.OldResponsibleUserID)

	done := evs[2].Task
	assert.Equal(t, 1, done.Status)
	assert.Equal(t, "Проём 1200×2100", done.Result.Text)
	assert.Zero(t, done.OldResponsibleUserID, "only a responsible event carries the old user")
	assert.Equal(t, taskID, evs[3].ID)

	assert.Equal(t, webhook.EntityLead, evs[4].Entity)
	assert.Equal(t, lead.ID, evs[4].ID)
	require.NotNil(t, evs[4].Note)
	assert.Equal(t, leadNote[0].ID, evs[4].Note.ID)
	assert.Equal(t, "Клиент просит матовое стекло", evs[4].Note.Text)
	assert.Equal(t, 4, evs[4].Note.NoteType)
	assert.Equal(t, 2, evs[4].Note.ElementType)
	assert.False(t, evs[4].Note.DateCreate.IsZero())

	assert.Equal(t, webhook.EntityCompany, evs[5].Entity)
	assert.Equal(t, company.ID, evs[5].ID)
	assert.Equal(t, "Счёт отправлен", evs[5].Note.Text)
	assert.Equal(t, 3, evs[5].Note.ElementType)
}

// A change of a company's responsible user goes out as an update carrying the old user.
func TestWebhooksCompanyResponsibleIsAnUpdate(t *testing.T) {
	t.Parallel()
	c, acct := amocrmtest.NewClient(t)
	srv := acct.Server()
	ctx := t.Context()
	col, dest := newReceiver(t, acct)
	_, err := c.Webhooks.Add(ctx, amocrm.AddWebhookRequest{Destination: dest, Settings: []amocrm.WebhookEvent{amocrm.WebhookResponsibleCompany}})
	require.NoError(t, err)
	company := acct.AddCompany(amocrmtest.Company{Name: "ООО Витраж"})
	manager := acct.AddUser(amocrmtest.User{Name: "Менеджер"})
	before, err := c.Companies.Get(ctx, company.ID)
	require.NoError(t, err)
	_, err = c.Companies.UpdateOne(ctx, company.ID, amocrm.UpdateCompanyRequest{ResponsibleUserID: manager.ID})
	require.NoError(t, err)
	got, err := srv.DeliverEvent(ctx, "companies", company.ID, "responsible")
	require.NoError(t, err)
	require.Len(t, got, 1)
	evs := col.events()
	require.Len(t, evs, 1)
	assert.Equal(t, amocrm.WebhookUpdateCompany, evs[0].Name())
	assert.Equal(t, manager.ID, evs[0].Contact.ResponsibleUserID)
	assert.Equal(t, before.ResponsibleUserID, evs[0].Contact.OldResponsibleUserID)
}
