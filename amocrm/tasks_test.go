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

func TestTasksListFiltersAndDecoding(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/tasks", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, url.Values{
			"filter[responsible_user_id][]": {"123123"}, "filter[task_type][]": {"1", "2"},
			"filter[is_completed]": {"1"}, "filter[entity_type]": {"leads"}, "filter[entity_id][]": {"167353"},
			"filter[updated_at][from]": {"1575000000"}, "filter[updated_at][to]": {"1577000000"},
			"order[complete_till]": {"asc"}, "limit": {"2"},
		}, r.URL.Query())
		serveFixture(t, c, w, http.StatusOK, "tasks_list.json")
	})
	done := true
	p, err := c.Tasks.List(t.Context(), &TaskListOptions{
		ResponsibleUserIDs: []int64{123123}, TaskTypeIDs: []int64{TaskTypeCall, TaskTypeMeeting}, Completed: &done,
		EntityType: EntityLeads, EntityIDs: []int64{167353},
		Updated: TimeRange{From: time.Unix(1575000000, 0), To: time.Unix(1577000000, 0)},
		Order:   Sort{By: SortByCompleteTill, Dir: Asc}, Limit: 2,
	})
	require.NoError(t, err)
	require.Len(t, p.Items, 2)
	assert.Equal(t, TaskResult{}, p.Items[0].Result, "[] is no result")
	assert.Equal(t, EntityLeads, p.Items[0].EntityType)
	assert.Equal(t, "Удалось связаться с клиентом", p.Items[1].Result.Text)
	assert.Equal(t, int64(0), p.Items[1].EntityID, "an unattached task")
	assert.Equal(t, int64(1800), p.Items[1].Duration)
	assert.Equal(t, int64(0), p.Items[1].CreatedBy, "made by a robot")

	for _, bad := range []*TaskListOptions{{EntityIDs: []int64{1}}, {Order: Sort{By: SortByUpdatedAt, Dir: Asc}}, {Limit: 251}} {
		_, err := c.Tasks.List(t.Context(), bad)
		assert.Error(t, err)
	}
	var r TaskResult
	assert.Error(t, json.Unmarshal([]byte(`["x"]`), &r))
}

func TestTasksWrites(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/tasks", func(w http.ResponseWriter, r *http.Request) {
		assertBodyFixture(t, r, "tasks_create.json")
		w.Write([]byte(`{"_embedded":{"tasks":[{"id":4745251,"request_id":"0"},{"id":4745253,"request_id":"1"}]}}`))
	})
	mux.HandleFunc("PATCH /amo/api/v4/tasks", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"request_id":"0","id":4745251,"text":"Замер окон","complete_till":1588971540}]`, rawBody(t, r))
		w.Write([]byte(`{"_embedded":{"tasks":[{"id":4745251,"updated_at":1588760725,"request_id":"0"}]}}`))
	})
	mux.HandleFunc("PATCH /amo/api/v4/tasks/4747929", func(w http.ResponseWriter, r *http.Request) {
		assertBodyFixture(t, r, "task_complete.json")
		w.Write([]byte(`{"id":4747929,"updated_at":1588770600,"request_id":"0","_links":{"self":{"href":"https://acme.amocrm.ru/api/v4/tasks/4747929"}}}`))
	})
	saved, err := c.Tasks.Create(t.Context(), []CreateTaskRequest{
		{Text: "Замер", CompleteTill: Unix(1588885140), EntityID: 9785993, EntityType: EntityLeads},
		{Text: "Встреча", CompleteTill: Unix(1588885140), TaskTypeID: TaskTypeMeeting, ResponsibleUserID: 7, Duration: 3600},
	})
	require.NoError(t, err)
	assert.Equal(t, []Saved{{Index: 0, ID: 4745251}, {Index: 1, ID: 4745253}}, saved)
	text := "Замер окон"
	saved, err = c.Tasks.Update(t.Context(), []UpdateTaskRequest{{ID: 4745251, Text: &text, CompleteTill: Unix(1588971540)}})
	require.NoError(t, err)
	assert.Equal(t, Unix(1588760725), saved[0].UpdatedAt)
	one, err := c.Tasks.Complete(t.Context(), 4747929, "Удалось связаться с клиентом")
	require.NoError(t, err)
	assert.Equal(t, Saved{ID: 4747929, UpdatedAt: Unix(1588770600)}, one)

	for _, bad := range []any{
		CreateTaskRequest{CompleteTill: Unix(1)},                         // no text
		CreateTaskRequest{Text: "x"},                                     // no deadline
		CreateTaskRequest{Text: "x", CompleteTill: Unix(1), EntityID: 5}, // id without type
		UpdateTaskRequest{ID: 1, Result: "done"},                         // a result without completing
		UpdateTaskRequest{Text: &text},                                   // no id
	} {
		_, err := json.Marshal(bad)
		assert.Error(t, err, "%#v", bad)
	}
}
