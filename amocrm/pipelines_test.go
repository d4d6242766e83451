package amocrm

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPipelinesReads(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/leads/pipelines", func(w http.ResponseWriter, r *http.Request) {
		assert.Empty(t, r.URL.RawQuery, "the list is not paginated")
		serveFixture(t, c, w, http.StatusOK, "pipelines_list.json")
	})
	mux.HandleFunc("GET /amo/api/v4/leads/pipelines/3177727/statuses", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "descriptions", r.URL.Query().Get("with"))
		serveFixture(t, c, w, http.StatusOK, "statuses_descriptions.json")
	})
	mux.HandleFunc("GET /amo/api/v4/leads/pipelines/0", func(w http.ResponseWriter, r *http.Request) {
		t.Error("an invalid id is refused before sending")
	})
	mux.HandleFunc("GET /amo/api/v4/leads/pipelines/9", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"title":"Not Found","status":404,"detail":"Pipeline not found"}`))
	})
	ps, err := c.Pipelines.List(t.Context())
	require.NoError(t, err)
	require.Len(t, ps, 1)
	p := ps[0]
	assert.True(t, p.IsMain)
	require.Len(t, p.Statuses(), 4)
	assert.Equal(t, StatusTypeUnsorted, p.Statuses()[0].Type)
	won, ok := p.Status(StatusWon)
	require.True(t, ok)
	assert.True(t, won.IsClosed())
	assert.Equal(t, StatusTypeRegular, won.Type, "142 and 143 are of type 0")
	assert.False(t, won.IsEditable)
	first, ok := p.FirstStatus()
	require.True(t, ok)
	assert.Equal(t, int64(32392159), first.ID)
	main, err := c.Pipelines.Main(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int64(3177727), main.ID)

	sts, err := c.Pipelines.ListStatuses(t.Context(), 3177727, StatusWithDescriptions)
	require.NoError(t, err)
	require.Len(t, sts[0].Descriptions, 1)
	d := sts[0].Descriptions[0]
	assert.Equal(t, "newbie", d.Level)
	assert.Equal(t, "2021-09-01 12:33:05", d.CreatedAt, "descriptions keep amoCRM's text times")
	assert.Equal(t, int64(0), d.UpdatedBy)

	_, err = c.Pipelines.Get(t.Context(), 0)
	assert.Error(t, err)
	_, err = c.Pipelines.Get(t.Context(), 9)
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestPipelinesWrites(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/leads/pipelines", func(w http.ResponseWriter, r *http.Request) {
		assertBodyFixture(t, r, "pipelines_create.json")
		w.Write([]byte(`{"_total_items":1,"_embedded":{"pipelines":[{"id":3270355,"name":"Доп продажи","request_id":"0","_embedded":{"statuses":[]}}]}}`))
	})
	mux.HandleFunc("PATCH /amo/api/v4/leads/pipelines/3270355", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `{"name":"Новое имя","is_main":false}`, rawBody(t, r))
		w.Write([]byte(`{"id":3270355,"name":"Новое имя","_embedded":{"statuses":[{"id":142}]}}`))
	})
	mux.HandleFunc("DELETE /amo/api/v4/leads/pipelines/3270355", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /amo/api/v4/leads/pipelines/3270355/statuses", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"request_id":"0","name":"Замер","sort":100,"color":"#98cbff"}]`, rawBody(t, r))
		w.Write([]byte(`{"_total_items":1,"_embedded":{"statuses":[{"id":33035290,"name":"Замер","sort":60,"request_id":"0"}]}}`))
	})
	mux.HandleFunc("PATCH /amo/api/v4/leads/pipelines/3270355/statuses/33035290", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `{"name":"Выезд на замер"}`, rawBody(t, r))
		w.Write([]byte(`{"id":33035290,"name":"Выезд на замер","sort":60,"pipeline_id":3270355}`))
	})
	mux.HandleFunc("DELETE /amo/api/v4/leads/pipelines/3270355/statuses/33035290", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /amo/api/v4/leads/pipelines/1", func(w http.ResponseWriter, r *http.Request) {
		serveFixture(t, c, w, http.StatusForbidden, "error_forbidden.json")
	})

	saved, err := c.Pipelines.Create(t.Context(), []CreatePipelineRequest{{
		Name: "Доп продажи", IsUnsortedOn: true, Statuses: []CreateStatusRequest{{Name: "Первичный контакт", Sort: 10, Color: "#FFFEB2"}}, WonName: "Продано",
	}})
	require.NoError(t, err)
	assert.Equal(t, []Saved{{Index: 0, ID: 3270355}}, saved)
	name, no := "Новое имя", false
	p, err := c.Pipelines.Update(t.Context(), 3270355, UpdatePipelineRequest{Name: &name, IsMain: &no})
	require.NoError(t, err)
	assert.Equal(t, "Новое имя", p.Name)
	saved, err = c.Pipelines.CreateStatuses(t.Context(), 3270355, []CreateStatusRequest{{Name: "Замер", Sort: 100, Color: "#98cbff"}})
	require.NoError(t, err)
	assert.Equal(t, int64(33035290), saved[0].ID)
	rename := "Выезд на замер"
	st, err := c.Pipelines.UpdateStatus(t.Context(), 3270355, 33035290, UpdateStatusRequest{Name: &rename})
	require.NoError(t, err)
	assert.Equal(t, int64(60), st.Sort, "amoCRM renumbers sorts")
	require.NoError(t, c.Pipelines.DeleteStatus(t.Context(), 3270355, 33035290))
	require.NoError(t, c.Pipelines.Delete(t.Context(), 3270355))

	err = c.Pipelines.Delete(t.Context(), 1)
	assert.ErrorIs(t, err, ErrAdminOnly)
	assert.Contains(t, err.Error(), "administrators only")

	assert.Error(t, c.Pipelines.DeleteStatus(t.Context(), 3270355, StatusWon), "system stages stay")
	_, err = c.Pipelines.UpdateStatus(t.Context(), 3270355, StatusLost, UpdateStatusRequest{Name: &rename})
	assert.Error(t, err)
	_, err = c.Pipelines.UpdateStatus(t.Context(), 3270355, 33035290, UpdateStatusRequest{Color: "#123456"})
	assert.Error(t, err, "a colour outside amoCRM's palette")
	_, err = json.Marshal(CreatePipelineRequest{})
	assert.Error(t, err)
}
