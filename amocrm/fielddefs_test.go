package amocrm

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCustomFieldsReads(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/leads/custom_fields", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, []string{"select", "numeric"}, r.URL.Query()["filter[type][]"])
		assert.Equal(t, "asc", r.URL.Query().Get("order[sort]"))
		serveFixture(t, c, w, http.StatusOK, "custom_fields_list.json")
	})
	mux.HandleFunc("GET /amo/api/v4/catalogs/4521/custom_fields/7", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":7,"name":"Артикул","code":"SKU","type":"text","entity_type":"catalogs","settings":{"is_required":false}}`))
	})
	mux.HandleFunc("GET /amo/api/v4/leads/custom_fields/groups", func(w http.ResponseWriter, r *http.Request) {
		serveFixture(t, c, w, http.StatusOK, "custom_field_groups.json")
	})
	p, err := c.CustomFields.List(t.Context(), FieldsOfLeads, &FieldListOptions{Types: []FieldType{FieldSelect, FieldNumeric}, Order: Sort{By: SortBySort, Dir: Asc}})
	require.NoError(t, err)
	require.Len(t, p.Items, 2)
	f := p.Items[0]
	assert.Equal(t, FieldSelect, f.Type)
	assert.Equal(t, "", f.Code, "null code")
	assert.Equal(t, "", f.GroupID, "null group")
	e, ok := f.EnumByValue("Триплекс")
	require.True(t, ok)
	assert.Equal(t, FieldEnum{ID: 413, Value: "Триплекс", Sort: 20, Code: "TRIPLEX"}, e)
	assert.Equal(t, []FieldStage{{StatusID: 142, PipelineID: 3177727}}, f.RequiredStatuses)
	assert.Equal(t, "leads_2745158", p.Items[1].GroupID, "group ids are strings")
	assert.True(t, p.Items[1].IsAPIOnly)

	sku, err := c.CustomFields.Get(t.Context(), FieldsOfCatalog(4521), 7)
	require.NoError(t, err)
	assert.Equal(t, "SKU", sku.Code)
	assert.JSONEq(t, `{"is_required":false}`, string(sku.Settings))

	groups, err := c.CustomFields.Groups(t.Context(), FieldsOfLeads)
	require.NoError(t, err)
	require.Len(t, groups, 2)
	assert.Equal(t, "default", groups[0].ID)
	assert.Equal(t, []int64{271207, 271209}, []int64(groups[1].Fields))

	for _, bad := range []FieldOwner{"tasks", "catalogs/x", "catalogs/0", "../leads"} {
		_, err := c.CustomFields.List(t.Context(), bad, nil)
		assert.Error(t, err, bad)
	}
	_, err = c.CustomFields.Groups(t.Context(), FieldsOfSegments)
	assert.Error(t, err, "segments have no groups")
	_, err = c.CustomFields.Group(t.Context(), FieldsOfLeads, "../x")
	assert.Error(t, err)
}

func TestCustomFieldEnumsCannotBeDroppedByAccident(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/leads/custom_fields/271211", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":271211,"name":"Тип стекла","type":"select","enums":[{"id":411,"value":"Закалённое","sort":10},{"id":413,"value":"Триплекс","sort":20,"code":"TRIPLEX"},{"id":415,"value":"Матовое","sort":30}]}`))
	})
	mux.HandleFunc("PATCH /amo/api/v4/leads/custom_fields/271211", func(w http.ResponseWriter, r *http.Request) {
		assertBodyFixture(t, r, "custom_field_enums_edit.json")
		w.Write([]byte(`{"id":271211,"name":"Тип стекла","type":"select","enums":[{"id":411,"value":"Закалённое (ГОСТ)","sort":10},{"id":413,"value":"Триплекс","sort":20},{"id":417,"value":"Зеркало","sort":40}]}`))
	})
	f, err := c.CustomFields.UpdateEnums(t.Context(), FieldsOfLeads, 271211, func(ed *EnumEditor) {
		ed.Rename(411, "Закалённое (ГОСТ)").Remove(415).Add(NewEnum{Value: "Зеркало", Sort: 40})
	})
	require.NoError(t, err)
	assert.Len(t, f.Enums, 3)

	// Changing the name only sends no enums at all.
	b, err := json.Marshal(UpdateFieldRequest{ID: 1, Name: new("Тип")})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":1,"name":"Тип"}`, string(b))
	// Mistakes in an edit fail it rather than drop options.
	_, err = EditEnums([]FieldEnum{{ID: 1, Value: "a"}}).Remove(2).Change()
	assert.Error(t, err)
	_, err = EditEnums([]FieldEnum{{Value: "made up without an id"}}).Change()
	assert.Error(t, err)
	_, err = EditEnums([]FieldEnum{{ID: 1, Value: "a"}}).Remove(1).Change()
	assert.Error(t, err, "a field cannot be left without options")
	_, err = c.CustomFields.UpdateEnums(t.Context(), FieldsOfLeads, 271211, func(ed *EnumEditor) { ed.Rename(999, "x") })
	assert.Error(t, err)
	// Replacing every option is possible, and says so.
	b, err = json.Marshal(UpdateFieldRequest{ID: 1, Enums: ReplaceEnums(NewEnum{Value: "a", Sort: 1})})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":1,"enums":[{"value":"a","sort":1}]}`, string(b))
	_, err = json.Marshal(UpdateFieldRequest{ID: 1, Enums: ReplaceEnums()})
	assert.Error(t, err)
}

func TestCustomFieldsWrites(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/leads/custom_fields", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"request_id":"0","name":"Тип стекла","type":"select","sort":510,"enums":[{"value":"Закалённое","sort":10},{"value":"Триплекс","sort":20,"code":"TRIPLEX"}]},
			{"request_id":"1","name":"Площадь","type":"numeric","code":"AREA","is_api_only":true}]`, rawBody(t, r))
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"_total_items":2,"_embedded":{"custom_fields":[{"id":271211,"request_id":"0"},{"id":271207,"request_id":"1"}]}}`))
	})
	mux.HandleFunc("PATCH /amo/api/v4/leads/custom_fields", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"request_id":"0","id":271207,"sort":600}]`, rawBody(t, r))
		w.Write([]byte(`{"_embedded":{"custom_fields":[{"id":271207,"request_id":"0"}]}}`))
	})
	mux.HandleFunc("DELETE /amo/api/v4/leads/custom_fields/271207", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("DELETE /amo/api/v4/leads/custom_fields/3", func(w http.ResponseWriter, r *http.Request) {
		serveFixture(t, c, w, http.StatusForbidden, "error_forbidden.json")
	})
	mux.HandleFunc("POST /amo/api/v4/leads/custom_fields/groups", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"request_id":"0","name":"Замер","sort":2},{"request_id":"1","name":"Монтаж"}]`, rawBody(t, r))
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"_total_items":2,"_embedded":{"custom_field_groups":[
			{"id":"leads_2745160","name":"Монтаж","request_id":"1"},{"id":"leads_2745158","name":"Замер","sort":2,"request_id":"0"}]}}`))
	})
	mux.HandleFunc("PATCH /amo/api/v4/leads/custom_fields/groups/leads_2745158", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `{"fields":[271207,271211]}`, rawBody(t, r))
		w.Write([]byte(`{"id":"leads_2745158","name":"Замер","fields":[271207,271211]}`))
	})
	mux.HandleFunc("DELETE /amo/api/v4/leads/custom_fields/groups/leads_2745158", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

	saved, err := c.CustomFields.Create(t.Context(), FieldsOfLeads, []CreateFieldRequest{
		{Name: "Тип стекла", Type: FieldSelect, Sort: 510, Enums: []NewEnum{{Value: "Закалённое", Sort: 10}, {Value: "Триплекс", Sort: 20, Code: "TRIPLEX"}}},
		{Name: "Площадь", Type: FieldNumeric, Code: "AREA", IsAPIOnly: true},
	})
	require.NoError(t, err)
	assert.Equal(t, []Saved{{Index: 0, ID: 271211}, {Index: 1, ID: 271207}}, saved)
	_, err = c.CustomFields.Update(t.Context(), FieldsOfLeads, []UpdateFieldRequest{{ID: 271207, Sort: new(int64(600))}})
	require.NoError(t, err)
	require.NoError(t, c.CustomFields.Delete(t.Context(), FieldsOfLeads, 271207))
	assert.ErrorIs(t, c.CustomFields.Delete(t.Context(), FieldsOfLeads, 3), ErrAdminOnly)

	groups, err := c.CustomFields.CreateGroups(t.Context(), FieldsOfLeads, []FieldGroupRequest{{Name: "Замер", Sort: new(int64(2))}, {Name: "Монтаж"}})
	require.NoError(t, err)
	assert.Equal(t, "leads_2745158", groups[0].ID, "matched by request_id")
	assert.Equal(t, "leads_2745160", groups[1].ID)
	g, err := c.CustomFields.UpdateGroup(t.Context(), FieldsOfLeads, "leads_2745158", FieldGroupRequest{Fields: []int64{271207, 271211}})
	require.NoError(t, err)
	assert.Len(t, g.Fields, 2)
	require.NoError(t, c.CustomFields.DeleteGroup(t.Context(), FieldsOfLeads, "leads_2745158"))

	_, err = json.Marshal(CreateFieldRequest{Name: "x", Type: FieldSelect})
	assert.Error(t, err, "a select without options")
}
