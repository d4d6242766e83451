package amocrm

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNotesListDecodesEveryType(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/leads/notes", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, url.Values{
			"filter[entity_id][]":      {"3912171"},
			"filter[note_type][]":      {"common", "call_in"},
			"filter[updated_at][from]": {"1700000000"},
			"order[updated_at]":        {"asc"},
		}, r.URL.Query())
		serveFixture(t, c, w, http.StatusOK, "notes_list.json")
	})
	page, err := c.Notes.List(t.Context(), EntityLeads, &NoteListOptions{
		EntityIDs: []int64{3912171},
		Types:     []NoteType{NoteCommon, NoteCallIn},
		Updated:   TimeRange{From: time.Unix(1700000000, 0)},
		Order:     Sort{By: SortByUpdatedAt, Dir: Asc},
	})
	require.NoError(t, err)
	notes := page.Items
	require.Len(t, notes, 11)

	assert.Equal(t, CommonNote{Text: "Measured the window"}, notes[0].Params)
	assert.Equal(t, int64(504141), notes[0].ResponsibleUserID)
	assert.Equal(t, Unix(1588841241), notes[0].CreatedAt)
	assert.Equal(t, CallNote{UniqID: "8f52d38a-5fb3-406d-93a3-a4832dc28f8b", Duration: 60, Source: "onlinePBX",
		Link: "https://example.com/rec.mp3", Phone: "79001234567", CallStatus: CallTalked, CallResult: "Agreed",
		CallResponsible: "504141"}, notes[1].Params, "numbers given as strings and strings given as numbers")
	assert.Equal(t, CallNote{Outgoing: true, UniqID: "abc", Duration: 15, Source: "pbx", Phone: "+79001234567", CallStatus: CallNoAnswer}, notes[2].Params)
	assert.Equal(t, ServiceMessageNote{Service: "Calculator", Text: "Quote sent"}, notes[3].Params)
	assert.Equal(t, ServiceMessageNote{Extended: true, Service: "Calculator", Text: "Quote accepted"}, notes[4].Params)
	assert.Equal(t, SMSNote{Outgoing: true, Text: "Your order is ready", Phone: "+79001234567"}, notes[5].Params)
	assert.Equal(t, GeolocationNote{Text: "Site", Address: "Lenina 1", Longitude: "37.6173", Latitude: "55.7558"}, notes[6].Params)
	assert.Equal(t, AttachmentNote{OriginalName: "drawing.pdf", FileUUID: "f1", VersionUUID: "v1", FileName: "drawing.pdf", IsDriveAttachment: true}, notes[7].Params)

	mail := notes[8]
	assert.Equal(t, NoteType("amomail_message"), mail.Type)
	assert.Nil(t, mail.Params, "an unknown type has no typed params")
	assert.True(t, mail.IsPinned)
	assert.JSONEq(t, `{"thread_id":17,"subject":"Order","income":true,"from":{"email":"a@example.com","name":"A"}}`, string(mail.RawParams()), "and keeps its raw params")
	assert.Nil(t, notes[9].Params)
	assert.Equal(t, "[]", string(notes[9].RawParams()))
	assert.Nil(t, notes[10].Params, "params: null")
	assert.Nil(t, notes[10].RawParams())

	for i, n := range notes[:8] {
		assert.Equal(t, n.Type, n.Params.NoteType(), "note %d", i)
	}
	assert.JSONEq(t, `{"text":"Measured the window"}`, string(notes[0].RawParams()), "typed notes keep their raw params too")
}

func TestNoteWithParamsThatDoNotFitItsTypeStillDecodes(t *testing.T) {
	t.Parallel()
	var n Note
	require.NoError(t, json.Unmarshal([]byte(`{"id":1,"note_type":"call_in","params":{"duration":{"odd":true}}}`), &n))
	assert.Nil(t, n.Params)
	assert.JSONEq(t, `{"duration":{"odd":true}}`, string(n.RawParams()))
	require.NoError(t, json.Unmarshal([]byte(`{"id":2,"note_type":"common","params":{"text":"again"}}`), &n))
	assert.Equal(t, CommonNote{Text: "again"}, n.Params, "a reused Note is reset")
}

func TestNoteListOptionsValues(t *testing.T) {
	t.Parallel()
	got, err := (&NoteListOptions{IDs: []int64{1, 2}, Updated: TimeRange{From: time.Unix(5, 0), To: time.Unix(9, 0)}, Order: Sort{By: SortByID, Dir: Desc}, Page: 2, Limit: 10}).values()
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"filter[id][]": {"1", "2"}, "filter[updated_at][from]": {"5"}, "filter[updated_at][to]": {"9"},
		"order[id]": {"desc"}, "page": {"2"}, "limit": {"10"},
	}, got)
	_, err = (&NoteListOptions{Order: Sort{By: SortByCreatedAt, Dir: Desc}}).values()
	assert.Error(t, err)
	_, err = (&NoteListOptions{Limit: 300}).values()
	assert.Error(t, err)
}

func TestNotesGetAllAndEntityTypes(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/companies/notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "404" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"id": 5, "entity_id": 9, "note_type": "sms_in", "params": map[string]any{"text": "hi", "phone": "+7"}})
	})
	mux.HandleFunc("GET /amo/api/v4/contacts/notes", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	n, err := c.Notes.Get(t.Context(), EntityCompanies, 5)
	require.NoError(t, err)
	assert.Equal(t, SMSNote{Text: "hi", Phone: "+7"}, n.Params)
	_, err = c.Notes.Get(t.Context(), EntityCompanies, 404)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = c.Notes.Get(t.Context(), EntityCompanies, 0)
	assert.Error(t, err)

	count := 0
	for _, err := range c.Notes.All(t.Context(), EntityContacts, nil) {
		require.NoError(t, err)
		count++
	}
	assert.Zero(t, count)

	_, err = c.Notes.Get(t.Context(), EntityCatalogElements, 1)
	assert.ErrorContains(t, err, "has no notes")
	_, err = c.Notes.List(t.Context(), "tasks", nil)
	assert.Error(t, err)
	_, err = c.Notes.Create(t.Context(), "../x", []CreateNoteRequest{{EntityID: 1, Params: CommonNote{Text: "x"}}})
	assert.Error(t, err)
	for _, err := range c.Notes.All(t.Context(), "", nil) {
		assert.Error(t, err)
	}
}

func TestNotesCreateAndUpdateShapes(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/leads/notes", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[
			{"request_id":"0","entity_id":1,"note_type":"common","params":{"text":"Hello"},"responsible_user_id":5,"created_at":1700000000},
			{"request_id":"1","entity_id":1,"note_type":"extended_service_message","params":{"service":"Calculator","text":"Quote 1 250,50 ₽"},"is_need_to_trigger_digital_pipeline":true},
			{"request_id":"2","entity_id":2,"note_type":"call_out","params":{"uniq":"u1","duration":30,"source":"pbx","phone":"+7900","call_status":4,"call_responsible":504141}},
			{"request_id":"3","entity_id":2,"note_type":"call_in","params":{"uniq":"u2","duration":0,"source":"pbx","phone":"+7901","call_responsible":"Operator Olga","link":"https://x/rec.mp3"}},
			{"request_id":"4","entity_id":3,"note_type":"sms_in","params":{"text":"ok","phone":"+7902"}},
			{"request_id":"5","entity_id":3,"note_type":"geolocation","params":{"text":"Site","address":"Lenina 1","longitude":"37.6","latitude":"55.7"}},
			{"request_id":"6","entity_id":3,"note_type":"service_message","params":{"service":"S","text":"t"}},
			{"request_id":"7","entity_id":3,"note_type":"attachment","params":{"file_uuid":"f","version_uuid":"v","file_name":"a.pdf"}}
		]`, rawBody(t, r))
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"notes": []map[string]any{
			{"id": 10, "entity_id": 1, "request_id": "0"}, {"id": 11, "entity_id": 1, "request_id": "1"},
			{"id": 12, "entity_id": 2, "request_id": "2"}, {"id": 13, "entity_id": 2, "request_id": "3"},
			{"id": 14, "entity_id": 3, "request_id": "4"}, {"id": 15, "entity_id": 3, "request_id": "5"},
			{"id": 16, "entity_id": 3, "request_id": "6"}, {"id": 17, "entity_id": 3, "request_id": "7"},
		}}})
	})
	mux.HandleFunc("PATCH /amo/api/v4/contacts/notes", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[
			{"request_id":"0","id":10,"note_type":"common","params":{"text":"Edited"}},
			{"request_id":"1","id":11,"responsible_user_id":7}
		]`, rawBody(t, r))
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"notes": []map[string]any{
			{"id": 10, "entity_id": 1, "updated_at": 1700000001, "request_id": "0"}, {"id": 11, "entity_id": 1, "updated_at": 1700000002, "request_id": "1"}}}})
	})

	saved, err := c.Notes.Create(t.Context(), EntityLeads, []CreateNoteRequest{
		{EntityID: 1, Params: CommonNote{Text: "Hello"}, ResponsibleUserID: 5, CreatedAt: Unix(1700000000)},
		{EntityID: 1, Params: ServiceMessageNote{Extended: true, Service: "Calculator", Text: "Quote 1 250,50 ₽"}, TriggerDigitalPipeline: true},
		{EntityID: 2, Params: CallNote{Outgoing: true, UniqID: "u1", Duration: 30, Source: "pbx", Phone: "+7900", CallStatus: CallTalked, CallResponsible: "504141"}},
		{EntityID: 2, Params: CallNote{UniqID: "u2", Source: "pbx", Phone: "+7901", CallResponsible: "Operator Olga", Link: "https://x/rec.mp3"}},
		{EntityID: 3, Params: SMSNote{Text: "ok", Phone: "+7902"}},
		{EntityID: 3, Params: GeolocationNote{Text: "Site", Address: "Lenina 1", Longitude: "37.6", Latitude: "55.7"}},
		{EntityID: 3, Params: ServiceMessageNote{Service: "S", Text: "t"}},
		{EntityID: 3, Params: AttachmentNote{FileUUID: "f", VersionUUID: "v", FileName: "a.pdf"}},
	})
	require.NoError(t, err)
	require.Len(t, saved, 8)
	assert.Equal(t, Saved{Index: 2, ID: 12, EntityID: 2}, saved[2])

	saved, err = c.Notes.Update(t.Context(), EntityContacts, []UpdateNoteRequest{
		{ID: 10, Params: CommonNote{Text: "Edited"}},
		{ID: 11, ResponsibleUserID: 7},
	})
	require.NoError(t, err)
	assert.Equal(t, []Saved{{Index: 0, ID: 10, EntityID: 1, UpdatedAt: Unix(1700000001)}, {Index: 1, ID: 11, EntityID: 1, UpdatedAt: Unix(1700000002)}}, saved)

	for name, n := range map[string]CreateNoteRequest{
		"no entity": {Params: CommonNote{Text: "x"}},
		"no params": {EntityID: 1},
	} {
		_, err := json.Marshal(n)
		assert.Error(t, err, name)
	}
	_, err = json.Marshal(UpdateNoteRequest{Params: CommonNote{}})
	assert.Error(t, err)
}
