package amocrm

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsersReadRights(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/users", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "role,group,phone_number", r.URL.Query().Get("with"))
		serveFixture(t, c, w, http.StatusOK, "users_list.json")
	})
	mux.HandleFunc("GET /amo/api/v4/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		serveFixture(t, c, w, http.StatusForbidden, "error_forbidden.json")
	})
	p, err := c.Users.List(t.Context(), &UserListOptions{With: []UserWith{UserWithRole, UserWithGroup, UserWithPhoneNumber}})
	require.NoError(t, err)
	require.Len(t, p.Items, 2)
	u := p.Items[0]
	assert.Equal(t, RightMain, u.Rights.Leads.View)
	assert.Equal(t, RightGroup, u.Rights.Contacts.Edit)
	assert.Equal(t, RightDenied, u.Rights.Tasks.Delete)
	assert.Equal(t, Right(""), u.Rights.Tasks.View, "task rights have no view")
	assert.Nil(t, u.Rights.GroupID, "null is the default group")
	require.NotNil(t, u.Rights.RoleID)
	assert.Equal(t, int64(3141), *u.Rights.RoleID)
	sr, ok := u.Rights.StatusRight(2194576, 142)
	require.True(t, ok)
	assert.Equal(t, RightDenied, sr.Edit)
	_, ok = u.Rights.StatusRight(2194576, 143)
	assert.False(t, ok)
	assert.Equal(t, []RoleRef{{ID: 3141, Name: "Менеджер"}}, u.Embedded.Roles)
	assert.Equal(t, "", u.UUID, "null uuid")
	assert.Equal(t, "newbie", u.UserRank)
	admin := p.Items[1]
	assert.True(t, admin.Rights.IsAdmin)
	assert.Nil(t, admin.Rights.StatusRights)
	assert.Equal(t, int64(2), *admin.Rights.GroupID)

	_, err = c.Users.Get(t.Context(), 123123)
	assert.ErrorIs(t, err, ErrAdminOnly, "another user's token is refused as not an administrator")
	n := 0
	for _, err := range c.Users.All(t.Context(), &UserListOptions{With: []UserWith{UserWithRole, UserWithGroup, UserWithPhoneNumber}}) {
		assert.NoError(t, err)
		n++
	}
	assert.Equal(t, 2, n)
}

func TestUsersAdminOnlyEverywhere(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	forbid := func(w http.ResponseWriter, r *http.Request) {
		serveFixture(t, c, w, http.StatusForbidden, "error_forbidden.json")
	}
	for _, p := range []string{"GET /amo/api/v4/users", "POST /amo/api/v4/users", "GET /amo/api/v4/roles", "POST /amo/api/v4/roles",
		"GET /amo/api/v4/roles/1", "PATCH /amo/api/v4/roles/1", "DELETE /amo/api/v4/roles/1"} {
		mux.HandleFunc(p, forbid)
	}
	ctx := t.Context()
	_, err := c.Users.List(ctx, nil)
	assert.ErrorIs(t, err, ErrAdminOnly)
	for _, err := range c.Users.All(ctx, nil) {
		assert.ErrorIs(t, err, ErrAdminOnly)
	}
	_, err = c.Users.Create(ctx, []CreateUserRequest{{Name: "x", Email: "x@example.com", Password: "Secret1x"}})
	assert.ErrorIs(t, err, ErrAdminOnly)
	_, err = c.Users.ListRoles(ctx, nil)
	assert.ErrorIs(t, err, ErrAdminOnly)
	for _, err := range c.Users.AllRoles(ctx, nil) {
		assert.ErrorIs(t, err, ErrAdminOnly)
	}
	_, err = c.Users.GetRole(ctx, 1)
	assert.ErrorIs(t, err, ErrAdminOnly)
	_, err = c.Users.CreateRoles(ctx, []RoleRequest{{Name: "r"}})
	assert.ErrorIs(t, err, ErrAdminOnly)
	_, err = c.Users.UpdateRole(ctx, 1, RoleRequest{Name: "r"})
	assert.ErrorIs(t, err, ErrAdminOnly)
	assert.ErrorIs(t, c.Users.DeleteRole(ctx, 1), ErrAdminOnly)
}

func TestUsersAndRolesWrites(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var posts int
	mux.HandleFunc("POST /amo/api/v4/users", func(w http.ResponseWriter, r *http.Request) {
		posts++
		var items []map[string]any
		require.NoError(t, json.Unmarshal([]byte(rawBody(t, r)), &items))
		assert.LessOrEqual(t, len(items), 10, "at most 10 users a request")
		out := `{"_embedded":{"users":[`
		for i := range items {
			if i > 0 {
				out += ","
			}
			out += `{"id":` + strconv.Itoa(100+i) + `,"request_id":"` + strconv.Itoa(i) + `"}`
		}
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(out + `]}}`))
	})
	mux.HandleFunc("GET /amo/api/v4/roles", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "users", r.URL.Query().Get("with"))
		serveFixture(t, c, w, http.StatusOK, "roles_list.json")
	})
	mux.HandleFunc("POST /amo/api/v4/roles", func(w http.ResponseWriter, r *http.Request) {
		assertBodyFixture(t, r, "roles_create.json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"_embedded":{"roles":[{"id":901,"name":"Замерщик","request_id":"0"}]}}`))
	})
	mux.HandleFunc("PATCH /amo/api/v4/roles/901", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `{"name":"Старший замерщик"}`, rawBody(t, r))
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{"id":901,"name":"Старший замерщик","rights":{"leads":{"view":"A"}}}`))
	})
	mux.HandleFunc("DELETE /amo/api/v4/roles/901", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

	users := make([]CreateUserRequest, 12)
	for i := range users {
		users[i] = CreateUserRequest{Name: "Мастер", Email: "m@example.com", Password: "Passw0rd", Rights: Rights{Leads: EntityRights{View: RightAll}}}
	}
	saved, err := c.Users.Create(t.Context(), users)
	require.NoError(t, err)
	assert.Len(t, saved, 12)
	assert.Equal(t, 2, posts)

	roles, err := c.Users.ListRoles(t.Context(), &RoleListOptions{With: []RoleWith{RoleWithUsers}})
	require.NoError(t, err)
	require.Len(t, roles.Items, 1)
	assert.Equal(t, []int64{123123, 777}, roles.Items[0].UserIDs(), "user ids as numbers or objects")
	assert.Equal(t, RightGroup, roles.Items[0].Rights.Leads.View)

	saved, err = c.Users.CreateRoles(t.Context(), []RoleRequest{{Name: "Замерщик", Rights: Rights{
		Leads:        EntityRights{View: RightGroup, Edit: RightGroup, Add: RightAll, Delete: RightDenied, Export: RightDenied},
		Tasks:        EntityRights{Edit: RightAll, Delete: RightDenied},
		StatusRights: []StatusRight{{EntityType: EntityLeads, PipelineID: 1, StatusID: 2, Rights: EntityRights{View: RightAll, Edit: RightDenied}}},
	}}})
	require.NoError(t, err)
	assert.Equal(t, int64(901), saved[0].ID)
	role, err := c.Users.UpdateRole(t.Context(), 901, RoleRequest{Name: "Старший замерщик"})
	require.NoError(t, err)
	assert.Equal(t, "Старший замерщик", role.Name)
	require.NoError(t, c.Users.DeleteRole(t.Context(), 901))

	for _, bad := range []CreateUserRequest{{Email: "a", Password: "b"}, {Name: strings.Repeat("я", 51), Email: "a", Password: "b"}} {
		_, err := json.Marshal(bad)
		assert.Error(t, err)
	}
	b, err := json.Marshal(CreateUserRequest{Name: "a", Email: "a@example.com", Password: "Passw0rd", Lang: "en"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"a","email":"a@example.com","password":"Passw0rd","lang":"en"}`, string(b))
}
