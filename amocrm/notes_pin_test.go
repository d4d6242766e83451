package amocrm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

func TestNotesPin(t *testing.T) {
	t.Parallel()
	client, acme := amocrmtest.NewClient(t)
	lead := acme.AddLead(amocrmtest.Lead{Name: "Зеркало"})
	note := acme.AddNote(amocrmtest.Note{EntityType: "leads", EntityID: lead.ID, NoteType: "common", Params: map[string]any{"text": "Замер в субботу"}})
	ctx := t.Context()

	require.NoError(t, client.Notes.Pin(ctx, amocrm.EntityLeads, note.ID))
	got, err := client.Notes.Get(ctx, amocrm.EntityLeads, note.ID)
	require.NoError(t, err)
	assert.True(t, got.IsPinned)
	require.NoError(t, client.Notes.Pin(ctx, amocrm.EntityLeads, note.ID), "pinning a pinned note")

	require.NoError(t, client.Notes.Unpin(ctx, amocrm.EntityLeads, note.ID))
	got, err = client.Notes.Get(ctx, amocrm.EntityLeads, note.ID)
	require.NoError(t, err)
	assert.False(t, got.IsPinned)

	assert.ErrorIs(t, client.Notes.Pin(ctx, amocrm.EntityLeads, 999), amocrm.ErrNotFound)
	assert.ErrorIs(t, client.Notes.Pin(ctx, amocrm.EntityContacts, note.ID), amocrm.ErrNotFound, "the note is a lead's")
	assert.Error(t, client.Notes.Pin(ctx, amocrm.EntityLeads, 0))
}
