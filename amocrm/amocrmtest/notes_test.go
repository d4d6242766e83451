package amocrmtest_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

type noteJSON struct {
	ID        int64          `json:"id"`
	EntityID  int64          `json:"entity_id"`
	NoteType  string         `json:"note_type"`
	Params    map[string]any `json:"params"`
	UpdatedAt int64          `json:"updated_at"`
}

func noteID(n noteJSON) int64 { return n.ID }

func TestNotes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.acct.AddLead(amocrmtest.Lead{Name: "A"})
	b := e.acct.AddLead(amocrmtest.Lead{Name: "B"})

	r := e.do(http.MethodPost, fmt.Sprintf("/api/v4/leads/%d/notes", a.ID), `[
		{"note_type":"common","params":{"text":"Расчёт: 17 204 ₽"},"request_id":"calc"},
		{"note_type":"extended_service_message","params":{"service":"Калькулятор","text":"Сохранено"}}]`)
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	res := decode[writeAnswer](t, r).Embedded["notes"]
	require.Len(t, res, 2)
	assert.JSONEq(t, `"calc"`, string(res[0].RequestID))

	r = e.do(http.MethodPost, "/api/v4/leads/notes", fmt.Sprintf(`[{"entity_id":%d,"note_type":"common","params":{"text":"на B"}}]`, b.ID))
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)

	notes := e.srv.Notes("leads", a.ID)
	require.Len(t, notes, 2)
	assert.Equal(t, "Расчёт: 17 204 ₽", notes[0].Params["text"])
	assert.Equal(t, e.acct.AdminID, notes[0].CreatedBy)

	list := decode[page[noteJSON]](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/notes?filter[entity_id][]=%d", b.ID), nil))
	require.Len(t, list.Embedded["notes"], 1)
	assert.Equal(t, "на B", list.Embedded["notes"][0].Params["text"])
	byType := decode[page[noteJSON]](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/%d/notes?filter[note_type]=extended_service_message", a.ID), nil))
	assert.Equal(t, []int64{res[1].ID}, ids(byType.Embedded["notes"], noteID))
	assert.Equal(t, http.StatusNoContent, e.do(http.MethodGet, "/api/v4/contacts/notes", nil).StatusCode)

	one := decode[noteJSON](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/%d/notes/%d", a.ID, res[0].ID), nil))
	assert.Equal(t, "common", one.NoteType)
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/%d/notes/%d", b.ID, res[0].ID), nil).StatusCode)

	e.clock.Advance(time.Hour)
	up := e.do(http.MethodPatch, "/api/v4/leads/notes", fmt.Sprintf(`[{"id":%d,"params":{"text":"Новый расчёт"}}]`, res[0].ID))
	require.Equal(t, http.StatusOK, up.StatusCode, "%s", up.body)
	patched := e.do(http.MethodPatch, fmt.Sprintf("/api/v4/leads/%d/notes/%d", a.ID, res[1].ID), `{"params":{"service":"К","text":"ещё"}}`)
	require.Equal(t, http.StatusOK, patched.StatusCode, "%s", patched.body)
	notes = e.srv.Notes("leads", a.ID)
	assert.Equal(t, "Новый расчёт", notes[0].Params["text"])
	assert.Equal(t, start().Add(time.Hour), notes[0].UpdatedAt.UTC())
	assert.Equal(t, "ещё", notes[1].Params["text"])

	since := decode[page[noteJSON]](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/notes?filter[updated_at]=%d&order[id]=asc", start().Add(time.Minute).Unix()), nil))
	assert.Equal(t, []int64{res[0].ID, res[1].ID}, ids(since.Embedded["notes"], noteID), "a bare updated_at means changed since")
}

func TestNotesValidation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	l := e.acct.AddLead(amocrmtest.Lead{})
	cases := map[string]struct {
		path, body, code, field string
	}{
		"v2 integer type": {"/api/v4/leads/notes", fmt.Sprintf(`[{"entity_id":%d,"note_type":4,"params":{"text":"x"}}]`, l.ID), "InvalidType", "note_type"},
		"unknown type":    {"/api/v4/leads/notes", fmt.Sprintf(`[{"entity_id":%d,"note_type":"fax","params":{}}]`, l.ID), "NotSupportedChoice", "note_type"},
		"common no text":  {"/api/v4/leads/notes", fmt.Sprintf(`[{"entity_id":%d,"note_type":"common","params":{}}]`, l.ID), "FieldMissing", "params.text"},
		"no entity":       {"/api/v4/leads/notes", `[{"note_type":"common","params":{"text":"x"}}]`, "FieldMissing", "entity_id"},
		"unknown entity":  {"/api/v4/leads/notes", `[{"entity_id":1,"note_type":"common","params":{"text":"x"}}]`, "NotSupportedChoice", "entity_id"},
		"update no id":    {"/api/v4/leads/notes", `[{"params":{"text":"x"}}]`, "FieldMissing", "id"},
	}
	for name, tc := range cases {
		method := http.MethodPost
		if name == "update no id" {
			method = http.MethodPatch
		}
		r := e.do(method, tc.path, tc.body)
		require.Equal(t, http.StatusBadRequest, r.StatusCode, "%s: %s", name, r.body)
		ve := decode[problemJSON](t, r).ValidationErrors
		require.Len(t, ve, 1, name)
		assert.Equal(t, tc.code, ve[0].Errors[0].Code, name)
		assert.Equal(t, tc.field, ve[0].Errors[0].Path, name)
	}
	assert.Empty(t, e.srv.Notes("leads", l.ID))
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodPost, "/api/v4/leads/1/notes", `[{"note_type":"common","params":{"text":"x"}}]`).StatusCode)
}
