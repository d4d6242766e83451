package amocrm

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventsService(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/events", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		assert.Equal(t, url.Values{
			"filter[entity][]": {"lead"}, "filter[entity_id][]": {"26060763"}, "filter[type][]": {"lead_status_changed", "custom_field_value_changed"},
			"filter[created_at][from]": {"1888888000"}, "with": {"lead_name"}, "limit": {"100"},
		}, r.URL.Query())
		serveFixture(t, c, w, http.StatusOK, "events_list.json")
	})
	mux.HandleFunc("GET /amo/api/v4/events/01pz58t6p04ymgsgfbmfyfy1mf", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":"01pz58t6p04ymgsgfbmfyfy1mf","type":"lead_added","entity_type":"lead","entity_id":1,"value_after":[{"note":{"id":42743871}}],"value_before":[]}`))
	})
	mux.HandleFunc("GET /amo/api/v4/events/types", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "ru", r.URL.Query().Get("language_code"))
		serveFixture(t, c, w, http.StatusOK, "events_types.json")
	})
	opts := &EventListOptions{Entities: []EventEntity{EventEntityLead}, EntityIDs: []int64{26060763},
		Types: []string{"lead_status_changed", "custom_field_value_changed"}, Created: TimeRange{From: time.Unix(1888888000, 0)},
		With: []EventWith{EventWithLeadName}, Limit: MaxEventsPageSize}
	var events []Event
	for e, err := range c.Events.All(t.Context(), opts) {
		require.NoError(t, err)
		events = append(events, e)
	}
	require.Len(t, events, 2)
	e := events[0]
	assert.Equal(t, "01pz58t6p04ymgsgfbmfyfy1mf", e.ID)
	assert.Equal(t, EventEntityLead, e.EntityType)
	assert.Equal(t, "Окно 120×140", e.Embedded.Entity.Name)
	after, err := Decode[EventLeadStatus](e.ValueAfter, "lead_status")
	require.NoError(t, err)
	assert.Equal(t, []EventLeadStatus{{ID: StatusWon, PipelineID: 3177727}}, after)
	cf, err := Decode[EventCustomFieldValue](events[1].ValueAfter, "custom_field_value")
	require.NoError(t, err)
	assert.Equal(t, int64(411), cf[0].EnumID)
	none, err := Decode[EventLeadStatus](events[1].ValueBefore, "lead_status")
	require.NoError(t, err)
	assert.Empty(t, none)

	one, err := c.Events.Get(t.Context(), "01pz58t6p04ymgsgfbmfyfy1mf")
	require.NoError(t, err)
	notes, err := Decode[EntityRef](one.ValueAfter, "note")
	require.NoError(t, err)
	assert.Equal(t, []EntityRef{{ID: 42743871}}, notes)
	types, err := c.Events.Types(t.Context(), "ru")
	require.NoError(t, err)
	assert.Equal(t, EventType{Key: "lead_added", Type: 1, Lang: "Новая сделка"}, types[0])

	for _, bad := range []*EventListOptions{
		{Limit: 250},
		{EntityIDs: []int64{1}},
		{EntityIDs: []int64{1}, Entities: []EventEntity{EventEntityLead, EventEntityContact}},
		{Types: []string{"custom_field_271211_value_changed", "lead_added"}},
		{CreatedBy: make([]int64, 11)},
	} {
		_, err := c.Events.List(t.Context(), bad)
		assert.Error(t, err, "%+v", bad)
	}
	_, err = c.Events.Get(t.Context(), "../leads")
	assert.Error(t, err)
	assert.Equal(t, EventEntity("catalog_4521"), EventEntityCatalog(4521))
}
