package amocrm

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hookURL = "https://hooks.example.com/amocrm/hook?secret=0f1e2d3c4b5a6978"

func TestWebhooksAddSendsOneObject(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		assert.JSONEq(t, `{"destination":"`+hookURL+`","settings":["add_lead","status_lead"],"sort":10}`, string(b))
		w.Header().Set("Content-Type", "application/hal+json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":7,"destination":"`+hookURL+`","created_at":1700000000,"account_id":31415,"created_by":1,"sort":1,"disabled":false,"settings":["add_lead","status_lead"]}`)
	})
	w, err := c.Webhooks.Add(t.Context(), AddWebhookRequest{Destination: hookURL, Settings: []WebhookEvent{WebhookAddLead, WebhookStatusLead}, Sort: 10})
	require.NoError(t, err)
	assert.Equal(t, int64(7), w.ID)
	assert.Equal(t, 1, w.Sort, "amoCRM renumbers sort")
	assert.Equal(t, []WebhookEvent{WebhookAddLead, WebhookStatusLead}, w.Settings)
}

func TestWebhooksAddChecksInput(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	for _, req := range []AddWebhookRequest{
		{Destination: "", Settings: []WebhookEvent{WebhookAddLead}},
		{Destination: "/relative", Settings: []WebhookEvent{WebhookAddLead}},
		{Destination: "ftp://hooks.example.com/", Settings: []WebhookEvent{WebhookAddLead}},
		{Destination: "https://хуки.рф/amocrm", Settings: []WebhookEvent{WebhookAddLead}},
		{Destination: hookURL},
		{Destination: hookURL, Settings: []WebhookEvent{""}},
	} {
		_, err := c.Webhooks.Add(t.Context(), req)
		require.Error(t, err, req.Destination)
		assert.NotContains(t, err.Error(), "0f1e2d3c4b5a6978", "the secret in the destination leaked")
	}
}

func TestWebhooksListFiltersByDestination(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, hookURL, r.URL.Query().Get("filter[destination]"))
		writeJSON(t, w, http.StatusOK, map[string]any{"_total_items": 1, "_embedded": map[string]any{"webhooks": []map[string]any{
			{"id": 7, "destination": hookURL, "disabled": true, "settings": []string{"add_lead"}},
		}}})
	})
	hooks, err := c.Webhooks.List(t.Context(), hookURL)
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	assert.True(t, hooks[0].Disabled)
}

func TestWebhooksListEmpty(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
		assert.False(t, r.URL.Query().Has("filter[destination]"))
		w.WriteHeader(http.StatusNoContent)
	})
	hooks, err := c.Webhooks.List(t.Context(), "")
	require.NoError(t, err)
	assert.Empty(t, hooks)
}

func TestWebhooksDeleteSendsTheDestinationInTheBody(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	calls := 0
	mux.HandleFunc("DELETE /amo/api/v4/webhooks", func(w http.ResponseWriter, r *http.Request) {
		calls++
		var body map[string]string
		require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		assert.Equal(t, map[string]string{"destination": hookURL}, body)
		if calls == 1 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"title":"Not Found","status":404,"detail":"Webhook not found"}`)
	})
	require.NoError(t, c.Webhooks.Delete(t.Context(), hookURL))
	err := c.Webhooks.Delete(t.Context(), hookURL)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.NotContains(t, err.Error(), "0f1e2d3c4b5a6978")
}
