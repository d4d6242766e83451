package amocrm_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// fakeClients returns the fake with the account "acme", a client holding the administrator's
// token, one holding a manager's own token, and one holding the administrator's token of
// another account, "rival".
func fakeClients(t *testing.T) (srv *amocrmtest.Server, acct *amocrmtest.Account, admin, manager, rival *amocrm.Client) {
	t.Helper()
	srv = amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 1))
	t.Cleanup(srv.Close)
	acct = srv.AddAccount("acme")
	srv.AddAccount("rival")
	m := acct.AddUser(amocrmtest.User{Name: "Менеджер"})
	integ := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://app.example/oauth/callback"})
	client := func(tok amocrmtest.Token, err error) *amocrm.Client {
		require.NoError(t, err)
		c, err := amocrm.New("acme.amocrm.ru", amocrm.WithBaseURL(srv.URL), amocrm.WithAccessToken(tok.AccessToken),
			amocrm.WithRetry(amocrm.RetryPolicy{Attempts: 1}))
		require.NoError(t, err)
		return c
	}
	admin = client(srv.IssueToken(integ.ClientID, "acme"))
	manager = client(srv.IssueTokenFor(integ.ClientID, "acme", m.ID))
	rival = client(srv.IssueToken(integ.ClientID, "rival"))
	return srv, acct, admin, manager, rival
}

func TestFakeAdministratorOnlyServices(t *testing.T) {
	t.Parallel()
	_, _, _, manager, _ := fakeClients(t)
	ctx := t.Context()
	checks := map[string]error{}
	_, checks["pipelines.Create"] = manager.Pipelines.Create(ctx, []amocrm.CreatePipelineRequest{{Name: "x"}})
	_, checks["pipelines.CreateStatuses"] = manager.Pipelines.CreateStatuses(ctx, 1, []amocrm.CreateStatusRequest{{Name: "x"}})
	_, checks["fields.Create"] = manager.CustomFields.Create(ctx, amocrm.FieldsOfLeads, []amocrm.CreateFieldRequest{{Name: "x", Type: amocrm.FieldText}})
	_, checks["fields.CreateGroups"] = manager.CustomFields.CreateGroups(ctx, amocrm.FieldsOfLeads, []amocrm.FieldGroupRequest{{Name: "x"}})
	_, checks["sources.List"] = manager.Sources.List(ctx)
	_, checks["users.List"] = manager.Users.List(ctx, nil)
	_, checks["users.Create"] = manager.Users.Create(ctx, []amocrm.CreateUserRequest{{Name: "x", Email: "x@example.com", Password: "Passw0rd"}})
	_, checks["roles.List"] = manager.Users.ListRoles(ctx, nil)
	_, checks["roles.Create"] = manager.Users.CreateRoles(ctx, []amocrm.RoleRequest{{Name: "x"}})
	for name, err := range checks {
		assert.ErrorIs(t, err, amocrm.ErrAdminOnly, name)
	}
	// Reads of pipelines and fields are open to every user.
	_, err := manager.Pipelines.List(ctx)
	assert.NoError(t, err)
	_, err = manager.CustomFields.List(ctx, amocrm.FieldsOfContacts, nil)
	assert.NoError(t, err)
}

func TestFakeKeepsTenantsApart(t *testing.T) {
	t.Parallel()
	_, acct, admin, _, rival := fakeClients(t)
	ctx := t.Context()
	lead := acct.AddLead(amocrmtest.Lead{Name: "Витрина"})
	tasks, err := admin.Tasks.Create(ctx, []amocrm.CreateTaskRequest{{Text: "Замер", CompleteTill: amocrm.Unix(1900000000), EntityID: lead.ID, EntityType: amocrm.EntityLeads}})
	require.NoError(t, err)
	roles, err := admin.Users.CreateRoles(ctx, []amocrm.RoleRequest{{Name: "Замерщик"}})
	require.NoError(t, err)
	srcs, err := admin.Sources.Create(ctx, []amocrm.SourceRequest{{Name: "Сайт", ExternalID: "site"}})
	require.NoError(t, err)
	cos, err := admin.Companies.Create(ctx, []amocrm.CreateCompanyRequest{{Name: "ООО Стекло"}})
	require.NoError(t, err)

	_, err = rival.Tasks.Get(ctx, tasks[0].ID)
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	page, err := rival.Tasks.List(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, page.Items)
	_, err = rival.Users.GetRole(ctx, roles[0].ID)
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	_, err = rival.Sources.Get(ctx, srcs[0].ID)
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	left, err := rival.Sources.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, left)
	_, err = rival.Companies.Get(ctx, cos[0].ID)
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	_, err = rival.Tasks.Complete(ctx, tasks[0].ID, "чужая")
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
	got, err := admin.Tasks.Get(ctx, tasks[0].ID)
	require.NoError(t, err)
	assert.False(t, got.IsCompleted, "the rival's write did not land")
}

func TestFakeTaskQuirks(t *testing.T) {
	t.Parallel()
	_, acct, c, _, _ := fakeClients(t)
	ctx := t.Context()
	lead := acct.AddLead(amocrmtest.Lead{Name: "Окно"})
	saved, err := c.Tasks.Create(ctx, []amocrm.CreateTaskRequest{
		{Text: "Звонок", CompleteTill: amocrm.Unix(1900000000), EntityID: lead.ID, EntityType: amocrm.EntityLeads},
		{Text: "Встреча", CompleteTill: amocrm.Unix(1900000100), TaskTypeID: amocrm.TaskTypeMeeting},
	})
	require.NoError(t, err)
	var raw struct {
		Result any `json:"result"`
	}
	require.NoError(t, c.Do(ctx, http.MethodGet, "api/v4/tasks/"+strconv.FormatInt(saved[0].ID, 10), nil, &raw))
	assert.Equal(t, []any{}, raw.Result, "no result is an empty array")

	err = c.Do(ctx, http.MethodGet, "api/v4/tasks?filter[entity_id]="+strconv.FormatInt(lead.ID, 10), nil, nil)
	assert.ErrorIs(t, err, amocrm.ErrValidation, "entity ids need the entity type")
	err = c.Do(ctx, http.MethodGet, "api/v4/tasks?filter[closed_at]=1", nil, nil)
	assert.ErrorIs(t, err, amocrm.ErrValidation, "a filter the fake does not apply is refused, not ignored")
	err = c.Do(ctx, http.MethodPost, "api/v4/tasks", []map[string]any{{"text": "без срока"}}, nil)
	assert.ErrorIs(t, err, amocrm.ErrValidation, "complete_till is required")

	var page struct {
		Embedded struct {
			Tasks []amocrm.Task `json:"tasks"`
		} `json:"_embedded"`
	}
	require.NoError(t, c.Do(ctx, http.MethodGet, "api/v4/tasks?filter[task_type_id][]=2", nil, &page), "the PHP SDK's filter name")
	require.Len(t, page.Embedded.Tasks, 1)
	assert.Equal(t, "Встреча", page.Embedded.Tasks[0].Text)

	_, err = c.Tasks.Complete(ctx, saved[1].ID, "Провели")
	require.NoError(t, err)
	open := false
	for task, err := range c.Tasks.All(ctx, &amocrm.TaskListOptions{Completed: &open}) {
		require.NoError(t, err)
		assert.Equal(t, saved[0].ID, task.ID)
	}
}

func TestFakePipelineRules(t *testing.T) {
	t.Parallel()
	srv, acct, c, _, _ := fakeClients(t)
	ctx := t.Context()
	main, err := c.Pipelines.Main(ctx)
	require.NoError(t, err)
	assert.Error(t, c.Pipelines.Delete(ctx, main.ID), "the last pipeline stays")

	saved, err := c.Pipelines.Create(ctx, []amocrm.CreatePipelineRequest{{Name: "Опт", WonName: "Отгружено",
		Statuses: []amocrm.CreateStatusRequest{{Name: "Заявка", Sort: 100, Color: "#fffeb2"}}}})
	require.NoError(t, err)
	p, err := c.Pipelines.Get(ctx, saved[0].ID)
	require.NoError(t, err)
	won, ok := p.Status(amocrm.StatusWon)
	require.True(t, ok)
	assert.Equal(t, "Отгружено", won.Name)
	assert.Equal(t, amocrm.StatusTypeUnsorted, p.Statuses()[0].Type, "every pipeline has its own unsorted stage")
	first, _ := p.FirstStatus()
	assert.Equal(t, int64(20), first.Sort, "the server renumbers sort")
	all, err := c.Pipelines.List(ctx)
	require.NoError(t, err)
	assert.Len(t, all, 2)

	// A stage deleted from the main pipeline sends its leads to the first stage.
	st, err := c.Pipelines.CreateStatuses(ctx, main.ID, []amocrm.CreateStatusRequest{{Name: "Замер", Sort: 60}})
	require.NoError(t, err)
	lead := acct.AddLead(amocrmtest.Lead{Name: "Дверь", StatusID: st[0].ID})
	require.NoError(t, c.Pipelines.DeleteStatus(ctx, main.ID, st[0].ID))
	got, ok := srv.Lead(lead.ID)
	require.True(t, ok)
	mainFirst, _ := main.FirstStatus()
	assert.Equal(t, mainFirst.ID, got.StatusID)

	// The system stages are refused by the fake as by amoCRM, even when the client is bypassed.
	err = c.Do(ctx, http.MethodPatch, "api/v4/leads/pipelines/"+strconv.FormatInt(main.ID, 10)+"/statuses/142", map[string]string{"name": "x"}, nil)
	assert.ErrorIs(t, err, amocrm.ErrValidation)
	err = c.Do(ctx, http.MethodPost, "api/v4/leads/pipelines/"+strconv.FormatInt(main.ID, 10)+"/statuses", []map[string]any{{"name": "x", "sort": 1, "color": "#123456"}}, nil)
	assert.ErrorIs(t, err, amocrm.ErrValidation, "a colour outside the palette")
	require.NoError(t, c.Pipelines.Delete(ctx, saved[0].ID))
	_, err = c.Pipelines.Get(ctx, saved[0].ID)
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
}

func TestFakeEnumListReplacesOptions(t *testing.T) {
	t.Parallel()
	_, _, c, _, _ := fakeClients(t)
	ctx := t.Context()
	saved, err := c.CustomFields.Create(ctx, amocrm.FieldsOfLeads, []amocrm.CreateFieldRequest{{Name: "Кромка", Type: amocrm.FieldSelect,
		Enums: []amocrm.NewEnum{{Value: "Шлифованная"}, {Value: "Полированная"}, {Value: "Фацет"}}}})
	require.NoError(t, err)
	id := saved[0].ID
	f, err := c.CustomFields.Get(ctx, amocrm.FieldsOfLeads, id)
	require.NoError(t, err)
	require.Len(t, f.Enums, 3)

	// A careless raw update that lists one option: the fake, like amoCRM, deletes the others.
	path := "api/v4/leads/custom_fields/" + strconv.FormatInt(id, 10)
	require.NoError(t, c.Do(ctx, http.MethodPatch, path, map[string]any{"enums": []map[string]any{{"id": f.Enums[0].ID, "value": "Шлифованная"}}}, nil))
	f, err = c.CustomFields.Get(ctx, amocrm.FieldsOfLeads, id)
	require.NoError(t, err)
	require.Len(t, f.Enums, 1)
	keep := f.Enums[0].ID

	// Options without an id are new options with new ids.
	_, err = c.CustomFields.UpdateOne(ctx, amocrm.FieldsOfLeads, id, amocrm.UpdateFieldRequest{Enums: amocrm.ReplaceEnums(amocrm.NewEnum{Value: "Шлифованная"})})
	require.NoError(t, err)
	f, err = c.CustomFields.Get(ctx, amocrm.FieldsOfLeads, id)
	require.NoError(t, err)
	assert.NotEqual(t, keep, f.Enums[0].ID, "ReplaceEnums gives every option a new id")

	// The SDK's editor keeps every id it was not told to remove; a name change sends no enums.
	_, err = c.CustomFields.UpdateEnums(ctx, amocrm.FieldsOfLeads, id, func(ed *amocrm.EnumEditor) { ed.Add(amocrm.NewEnum{Value: "Фацет"}) })
	require.NoError(t, err)
	_, err = c.CustomFields.UpdateOne(ctx, amocrm.FieldsOfLeads, id, amocrm.UpdateFieldRequest{Name: new("Обработка кромки")})
	require.NoError(t, err)
	f, err = c.CustomFields.Get(ctx, amocrm.FieldsOfLeads, id)
	require.NoError(t, err)
	assert.Equal(t, "Обработка кромки", f.Name)
	require.Len(t, f.Enums, 2)

	// Groups: string ids, fields moved in, the predefined group stays.
	groups, err := c.CustomFields.CreateGroups(ctx, amocrm.FieldsOfLeads, []amocrm.FieldGroupRequest{{Name: "Обработка"}})
	require.NoError(t, err)
	g, err := c.CustomFields.UpdateGroup(ctx, amocrm.FieldsOfLeads, groups[0].ID, amocrm.FieldGroupRequest{Fields: []int64{id}})
	require.NoError(t, err)
	assert.Equal(t, []int64{id}, []int64(g.Fields))
	f, err = c.CustomFields.Get(ctx, amocrm.FieldsOfLeads, id)
	require.NoError(t, err)
	assert.Equal(t, groups[0].ID, f.GroupID)
	assert.Error(t, c.CustomFields.DeleteGroup(ctx, amocrm.FieldsOfLeads, "default"))
	require.NoError(t, c.CustomFields.DeleteGroup(ctx, amocrm.FieldsOfLeads, groups[0].ID))
	require.NoError(t, c.CustomFields.Delete(ctx, amocrm.FieldsOfLeads, id))
	_, err = c.CustomFields.Get(ctx, amocrm.FieldsOfLeads, id)
	assert.ErrorIs(t, err, amocrm.ErrNotFound)
}

func TestFakeEventsAndSourcesQuirks(t *testing.T) {
	t.Parallel()
	_, acct, c, _, _ := fakeClients(t)
	ctx := t.Context()
	lead := acct.AddLead(amocrmtest.Lead{Name: "Фасад"})
	e1 := acct.AddEvent(amocrmtest.Event{Type: "lead_added", EntityType: "lead", EntityID: lead.ID, CreatedAt: time.Unix(1800000000, 0)})
	e2 := acct.AddEvent(amocrmtest.Event{Type: "lead_deleted", EntityType: "lead", EntityID: lead.ID, CreatedAt: time.Unix(1800000100, 0)})

	assert.ErrorIs(t, c.Do(ctx, http.MethodGet, "api/v4/events?limit=250", nil, nil), amocrm.ErrValidation, "pages of at most 100")
	assert.ErrorIs(t, c.Do(ctx, http.MethodGet, "api/v4/events?filter[entity][]=leads", nil, nil), amocrm.ErrValidation, "entity names are singular")
	var page struct {
		Embedded struct {
			Events []amocrm.Event `json:"events"`
		} `json:"_embedded"`
	}
	require.NoError(t, c.Do(ctx, http.MethodGet, "api/v4/events?filter[id]="+e1.ID+","+e2.ID, nil, &page), "comma-joined ids")
	assert.Len(t, page.Embedded.Events, 2)
	one, err := c.Events.Get(ctx, e2.ID)
	require.NoError(t, err)
	assert.Equal(t, "lead_deleted", one.Type)
	types, err := c.Events.Types(ctx, "en")
	require.NoError(t, err)
	assert.Equal(t, "Lead added", types[0].Lang)

	_, err = c.Sources.Create(ctx, []amocrm.SourceRequest{{Name: "A", ExternalID: "dup"}})
	require.NoError(t, err)
	_, err = c.Sources.Create(ctx, []amocrm.SourceRequest{{Name: "B", ExternalID: "dup"}})
	assert.ErrorIs(t, err, amocrm.ErrValidation, "external ids are unique")
	err = c.Sources.Delete(ctx, 424242)
	assert.ErrorIs(t, err, amocrm.ErrValidation, "an unknown id refuses the whole delete")
	var apiErr *amocrm.Error
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "Request validation failed", apiErr.Detail)

	// An unknown company is a 204, which the client reports as not found.
	_, err = c.Companies.Get(ctx, 999999)
	require.ErrorIs(t, err, amocrm.ErrNotFound)
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, http.StatusNoContent, apiErr.StatusCode)
}

func TestFakeUsersCreate(t *testing.T) {
	t.Parallel()
	_, acct, c, _, _ := fakeClients(t)
	users := make([]amocrm.CreateUserRequest, 12)
	for i := range users {
		users[i] = amocrm.CreateUserRequest{Name: "Монтажник " + strconv.Itoa(i), Email: "m" + strconv.Itoa(i) + "@example.com", Password: "Passw0rd"}
	}
	saved, err := c.Users.Create(t.Context(), users)
	require.NoError(t, err, "sent 10 and 2")
	require.Len(t, saved, 12)
	assert.Len(t, acct.Users(), 14)
	u, err := c.Users.Get(t.Context(), saved[11].ID)
	require.NoError(t, err)
	assert.Equal(t, "Монтажник 11", u.Name)
}
