package amocrm_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

func TestFakeNotesOfOneEntity(t *testing.T) {
	t.Parallel()
	c, acct := amocrmtest.NewClient(t)
	rival := rivalOf(t, acct)
	ctx := t.Context()
	a := acct.AddLead(amocrmtest.Lead{Name: "Душевая"})
	b := acct.AddLead(amocrmtest.Lead{Name: "Витрина"})
	onB := acct.AddNote(amocrmtest.Note{EntityType: "leads", EntityID: b.ID, NoteType: "common", Params: map[string]any{"text": "на B"}})

	saved, err := c.Notes.CreateForEntity(ctx, amocrm.EntityLeads, a.ID, []amocrm.CreateNoteRequest{
		{Params: amocrm.CommonNote{Text: "Замер 1200×1900"}},
		{EntityID: a.ID, Params: amocrm.ServiceMessageNote{Service: "Калькулятор", Text: "Расчёт"}},
	})
	require.NoError(t, err)
	require.Len(t, saved, 2)
	assert.Equal(t, a.ID, saved[0].EntityID)
	_, err = c.Notes.CreateForEntity(ctx, amocrm.EntityLeads, a.ID, []amocrm.CreateNoteRequest{{EntityID: b.ID, Params: amocrm.CommonNote{Text: "x"}}})
	assert.ErrorContains(t, err, "belongs to leads")
	require.Len(t, acct.Server().Notes("leads", b.ID), 1, "nothing written to B")

	page, err := c.Notes.ListByEntity(ctx, amocrm.EntityLeads, a.ID, nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	for _, n := range page.Items {
		assert.Equal(t, a.ID, n.EntityID)
	}
	var kinds []amocrm.NoteType
	for n, err := range c.Notes.AllByEntity(ctx, amocrm.EntityLeads, a.ID, &amocrm.NoteListOptions{Types: []amocrm.NoteType{amocrm.NoteServiceMessage}}) {
		require.NoError(t, err)
		kinds = append(kinds, n.Type)
	}
	assert.Equal(t, []amocrm.NoteType{amocrm.NoteServiceMessage}, kinds)

	got, err := c.Notes.GetByEntity(ctx, amocrm.EntityLeads, a.ID, saved[0].ID)
	require.NoError(t, err)
	assert.Equal(t, amocrm.CommonNote{Text: "Замер 1200×1900"}, got.Params)
	_, err = c.Notes.GetByEntity(ctx, amocrm.EntityLeads, a.ID, onB.ID)
	assert.ErrorIs(t, err, amocrm.ErrNotFound, "B's note is not A's")

	up, err := c.Notes.UpdateOne(ctx, amocrm.EntityLeads, a.ID, saved[0].ID, amocrm.UpdateNoteRequest{ID: onB.ID, Params: amocrm.CommonNote{Text: "Замер 1250×1900"}})
	require.NoError(t, err)
	assert.Equal(t, saved[0].ID, up.ID, "the id in the path wins over req.ID")
	got, err = c.Notes.Get(ctx, amocrm.EntityLeads, saved[0].ID)
	require.NoError(t, err)
	assert.Equal(t, amocrm.CommonNote{Text: "Замер 1250×1900"}, got.Params)
	assert.Equal(t, "на B", acct.Server().Notes("leads", b.ID)[0].Params["text"], "B's note untouched")
	_, err = c.Notes.UpdateOne(ctx, amocrm.EntityLeads, b.ID, saved[0].ID, amocrm.UpdateNoteRequest{Params: amocrm.CommonNote{Text: "x"}})
	assert.ErrorIs(t, err, amocrm.ErrNotFound, "A's note through B")
	_, err = c.Notes.UpdateOne(ctx, amocrm.EntityLeads, a.ID, saved[0].ID, amocrm.UpdateNoteRequest{Params: amocrm.CallNote{UniqID: "1", Phone: "+7", Source: "x"}})
	assert.ErrorIs(t, err, amocrm.ErrValidation, "a common note does not become a call")

	// Bad input never leaves the client.
	_, err = c.Notes.ListByEntity(ctx, amocrm.EntityLeads, a.ID, &amocrm.NoteListOptions{EntityIDs: []int64{b.ID}})
	assert.ErrorContains(t, err, "take no EntityIDs")
	_, err = c.Notes.ListByEntity(ctx, amocrm.EntityLeads, 0, nil)
	assert.ErrorContains(t, err, "invalid leads id")
	_, err = c.Notes.GetByEntity(ctx, amocrm.EntityCatalogElements, a.ID, saved[0].ID)
	assert.ErrorContains(t, err, "has no notes")
	_, err = c.Notes.UpdateOne(ctx, amocrm.EntityLeads, a.ID, 0, amocrm.UpdateNoteRequest{Params: amocrm.CommonNote{Text: "x"}})
	assert.ErrorContains(t, err, "without a valid ID")
	before := len(acct.Server().Requests())
	for range c.Notes.AllByEntity(ctx, amocrm.EntityLeads, -1, nil) {
	}
	assert.Len(t, acct.Server().Requests(), before)

	// Another account's valid token reaches neither the lead nor its notes.
	_, err = rival.Notes.ListByEntity(ctx, amocrm.EntityLeads, a.ID, nil)
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	_, err = rival.Notes.GetByEntity(ctx, amocrm.EntityLeads, a.ID, saved[0].ID)
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	_, err = rival.Notes.UpdateOne(ctx, amocrm.EntityLeads, a.ID, saved[0].ID, amocrm.UpdateNoteRequest{Params: amocrm.CommonNote{Text: "чужое"}})
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	_, err = rival.Notes.CreateForEntity(ctx, amocrm.EntityLeads, a.ID, []amocrm.CreateNoteRequest{{Params: amocrm.CommonNote{Text: "чужое"}}})
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	assert.Len(t, acct.Server().Notes("leads", a.ID), 2)
	got, err = c.Notes.Get(ctx, amocrm.EntityLeads, saved[0].ID)
	require.NoError(t, err)
	assert.Equal(t, amocrm.CommonNote{Text: "Замер 1250×1900"}, got.Params)
}

func TestFakeNoteUpdateOneActingAsUser(t *testing.T) {
	t.Parallel()
	c, acct := amocrmtest.NewClient(t)
	ctx := t.Context()
	manager := acct.AddUser(amocrmtest.User{Name: "Менеджер", GroupID: 7, Leads: amocrmtest.Rights{View: "M", Edit: "M"}})
	colleague := acct.AddUser(amocrmtest.User{Name: "Коллега", GroupID: 7, Leads: amocrmtest.Rights{View: "G", Edit: "D"}})
	own := acct.AddLead(amocrmtest.Lead{Name: "Своя", ResponsibleUserID: manager.ID})
	other := acct.AddLead(amocrmtest.Lead{Name: "Чужая"})
	onOwn := acct.AddNote(amocrmtest.Note{EntityType: "leads", EntityID: own.ID, NoteType: "common", Params: map[string]any{"text": "x"}})
	onOther := acct.AddNote(amocrmtest.Note{EntityType: "leads", EntityID: other.ID, NoteType: "common", Params: map[string]any{"text": "x"}})
	change := amocrm.UpdateNoteRequest{Params: amocrm.CommonNote{Text: "y"}}

	_, err := c.Notes.UpdateOne(amocrm.AsUser(ctx, colleague.ID), amocrm.EntityLeads, own.ID, onOwn.ID, change)
	var apiErr *amocrm.Error
	require.ErrorAs(t, err, &apiErr, "the colleague sees the lead but may not edit it")
	assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
	_, err = c.Notes.GetByEntity(amocrm.AsUser(ctx, manager.ID), amocrm.EntityLeads, other.ID, onOther.ID)
	assert.ErrorIs(t, err, amocrm.ErrNotFound, "a lead the manager may not see does not exist for them")
	_, err = c.Notes.UpdateOne(amocrm.AsUser(ctx, manager.ID), amocrm.EntityLeads, other.ID, onOther.ID, change)
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	_, err = c.Notes.UpdateOne(amocrm.AsUser(ctx, manager.ID), amocrm.EntityLeads, own.ID, onOwn.ID, change)
	require.NoError(t, err)
	assert.Equal(t, "y", acct.Server().Notes("leads", own.ID)[0].Params["text"])
	assert.Equal(t, "x", acct.Server().Notes("leads", other.ID)[0].Params["text"])
}
