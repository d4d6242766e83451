package amocrm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// fakeAccount starts the fake amoCRM with one account and returns a client holding its
// administrator's token. Call stop when done.
func fakeAccount() (acct *amocrmtest.Account, c *amocrm.Client, stop func()) {
	srv := amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 1))
	acct = srv.AddAccount("acme")
	integ := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://app.example/oauth/callback"})
	tok, err := srv.IssueToken(integ.ClientID, "acme")
	if err != nil {
		panic(err)
	}
	c, err = amocrm.New("acme.amocrm.ru", amocrm.WithBaseURL(srv.URL), amocrm.WithAccessToken(tok.AccessToken))
	if err != nil {
		panic(err)
	}
	return acct, c, srv.Close
}

// A company with a phone, linked to a lead, read back with its leads.
func ExampleCompaniesService_Create() {
	acct, c, stop := fakeAccount()
	defer stop()
	ctx := context.Background()
	lead := acct.AddLead(amocrmtest.Lead{Name: "Остекление офиса"})

	saved, err := c.Companies.Create(ctx, []amocrm.CreateCompanyRequest{{
		Name:               "ООО Стекло",
		CustomFieldsValues: []amocrm.CustomFieldInput{amocrm.PhoneField(amocrm.Phone("+74951234567", amocrm.PhoneWork))},
	}})
	if err != nil {
		panic(err)
	}
	if _, err := c.Companies.Link(ctx, saved[0].ID, []amocrm.Link{amocrm.LinkLead(lead.ID)}); err != nil {
		panic(err)
	}
	co, err := c.Companies.Get(ctx, saved[0].ID, amocrm.CompanyWithLeads)
	if err != nil {
		panic(err)
	}
	fmt.Println(co.Name, co.Phones()[0].String(), co.Embedded.Leads[0].ID == lead.ID)
	_, err = c.Companies.Get(ctx, 999)
	fmt.Println(errors.Is(err, amocrm.ErrNotFound))
	// Output:
	// ООО Стекло +74951234567 true
	// true
}

// A call-back task on a lead, completed with a result, then found among the lead's completed tasks.
func ExampleTasksService_Complete() {
	acct, c, stop := fakeAccount()
	defer stop()
	ctx := context.Background()
	lead := acct.AddLead(amocrmtest.Lead{Name: "Зеркало в ванную"})

	saved, err := c.Tasks.Create(ctx, []amocrm.CreateTaskRequest{{
		Text: "Перезвонить после замера", CompleteTill: amocrm.At(time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)),
		EntityID: lead.ID, EntityType: amocrm.EntityLeads,
	}})
	if err != nil {
		panic(err)
	}
	if _, err := c.Tasks.Complete(ctx, saved[0].ID, "Клиент согласовал размеры"); err != nil {
		panic(err)
	}
	done := true
	for task, err := range c.Tasks.All(ctx, &amocrm.TaskListOptions{EntityType: amocrm.EntityLeads, EntityIDs: []int64{lead.ID}, Completed: &done}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(task.Text, "→", task.Result.Text)
	}
	// Output: Перезвонить после замера → Клиент согласовал размеры
}

// The stages of the main pipeline, with the won and lost stages every pipeline shares.
func ExamplePipelinesService_Main() {
	_, c, stop := fakeAccount()
	defer stop()
	p, err := c.Pipelines.Main(context.Background())
	if err != nil {
		panic(err)
	}
	first, _ := p.FirstStatus()
	fmt.Println("new leads go to:", first.Name)
	for _, s := range p.Statuses() {
		if s.IsClosed() {
			fmt.Println(s.ID, s.Name)
		}
	}
	// Output:
	// new leads go to: Первичный контакт
	// 142 Успешно реализовано
	// 143 Закрыто и не реализовано
}

// Users and roles are for administrators: acting as a manager, the same call is refused.
func ExampleUsersService_CreateRoles() {
	acct, c, stop := fakeAccount()
	defer stop()
	ctx := context.Background()
	manager := acct.AddUser(amocrmtest.User{Name: "Менеджер", Leads: amocrmtest.Rights{View: "M", Edit: "M"}})

	saved, err := c.Users.CreateRoles(ctx, []amocrm.RoleRequest{{Name: "Замерщик", Rights: amocrm.Rights{
		Leads: amocrm.EntityRights{View: amocrm.RightGroup, Edit: amocrm.RightMain, Add: amocrm.RightAll, Delete: amocrm.RightDenied, Export: amocrm.RightDenied},
	}}})
	if err != nil {
		panic(err)
	}
	role, err := c.Users.GetRole(ctx, saved[0].ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(role.Name, role.Rights.Leads.View, role.Rights.Leads.Edit)

	u, err := c.Users.Get(ctx, manager.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Name, u.Rights.Leads.View, u.Rights.IsAdmin)

	_, err = c.Users.ListRoles(amocrm.AsUser(ctx, manager.ID), nil)
	fmt.Println(errors.Is(err, amocrm.ErrAdminOnly))
	// Output:
	// Замерщик G M
	// Менеджер M false
	// true
}

// Adding an option to a select field keeps the ids of the others, so values already chosen in
// leads stay valid.
func ExampleCustomFieldsService_UpdateEnums() {
	_, c, stop := fakeAccount()
	defer stop()
	ctx := context.Background()
	saved, err := c.CustomFields.Create(ctx, amocrm.FieldsOfLeads, []amocrm.CreateFieldRequest{{
		Name: "Тип стекла", Type: amocrm.FieldSelect,
		Enums: []amocrm.NewEnum{{Value: "Закалённое", Sort: 10}, {Value: "Триплекс", Sort: 20}},
	}})
	if err != nil {
		panic(err)
	}
	before, err := c.CustomFields.Get(ctx, amocrm.FieldsOfLeads, saved[0].ID)
	if err != nil {
		panic(err)
	}
	after, err := c.CustomFields.UpdateEnums(ctx, amocrm.FieldsOfLeads, saved[0].ID, func(ed *amocrm.EnumEditor) {
		ed.Add(amocrm.NewEnum{Value: "Матовое", Sort: 30})
	})
	if err != nil {
		panic(err)
	}
	for _, e := range after.Enums {
		_, kept := before.Enum(e.ID)
		fmt.Println(e.Value, kept)
	}
	// Output:
	// Закалённое true
	// Триплекс true
	// Матовое false
}

// Tags are added to a kind of entity's list; a name that exists answers with its id.
func ExampleTagsService_Create() {
	_, c, stop := fakeAccount()
	defer stop()
	ctx := context.Background()
	first, err := c.Tags.Create(ctx, amocrm.EntityLeads, []amocrm.NewTag{{Name: "срочно", Color: "FF8F92"}})
	if err != nil {
		panic(err)
	}
	again, err := c.Tags.Create(ctx, amocrm.EntityLeads, []amocrm.NewTag{{Name: "срочно"}})
	if err != nil {
		panic(err)
	}
	page, err := c.Tags.List(ctx, amocrm.EntityLeads, &amocrm.TagListOptions{Name: "срочно"})
	if err != nil {
		panic(err)
	}
	fmt.Println(first[0].ID == again[0].ID, page.Items[0].Name, page.Items[0].Color)
	// Output: true срочно FF8F92
}

// The integration's own lead sources: created, found by external id, deleted.
func ExampleSourcesService_Create() {
	_, c, stop := fakeAccount()
	defer stop()
	ctx := context.Background()
	if _, err := c.Sources.Create(ctx, []amocrm.SourceRequest{{Name: "Калькулятор на сайте", ExternalID: "site-calc"}}); err != nil {
		panic(err)
	}
	found, err := c.Sources.List(ctx, "site-calc")
	if err != nil {
		panic(err)
	}
	fmt.Println(found[0].Name)
	if err := c.Sources.Delete(ctx, found[0].ID); err != nil {
		panic(err)
	}
	left, err := c.Sources.List(ctx)
	fmt.Println(len(left), err)
	// Output:
	// Калькулятор на сайте
	// 0 <nil>
}

// The event log: a lead's stage changes, with their before and after values.
func ExampleEventsService_All() {
	acct, c, stop := fakeAccount()
	defer stop()
	ctx := context.Background()
	lead := acct.AddLead(amocrmtest.Lead{Name: "Душевая"})
	acct.AddEvent(amocrmtest.Event{Type: "lead_status_changed", EntityType: "lead", EntityID: lead.ID,
		ValueBefore: []map[string]any{{"lead_status": map[string]any{"id": 70000002, "pipeline_id": acct.PipelineID}}},
		ValueAfter:  []map[string]any{{"lead_status": map[string]any{"id": amocrm.StatusWon, "pipeline_id": acct.PipelineID}}}})

	opts := &amocrm.EventListOptions{Entities: []amocrm.EventEntity{amocrm.EventEntityLead}, EntityIDs: []int64{lead.ID}, Types: []string{"lead_status_changed"}}
	for e, err := range c.Events.All(ctx, opts) {
		if err != nil {
			panic(err)
		}
		after, err := amocrm.Decode[amocrm.EventLeadStatus](e.ValueAfter, "lead_status")
		if err != nil {
			panic(err)
		}
		fmt.Println(e.Type, e.EntityType, after[0].ID == amocrm.StatusWon)
	}
	// Output: lead_status_changed lead true
}

// Finding a product by its article matches the SKU exactly, not the full-text search.
func ExampleCatalogsService_FindBySKU() {
	acct, c, stop := fakeAccount()
	defer stop()
	ctx := context.Background()
	cat, err := c.Catalogs.ProductsCatalog(ctx)
	if err != nil {
		panic(err)
	}
	for _, sku := range []string{"GL-4", "GL-40"} {
		acct.AddElement(cat.ID, amocrmtest.Element{Name: "Стекло " + sku, CustomFields: []amocrmtest.CustomFieldValue{{FieldCode: "SKU", Values: []amocrmtest.FieldValue{{Value: sku}}}}})
	}
	found, err := c.Catalogs.FindBySKU(ctx, cat.ID, "GL-4")
	if err != nil {
		panic(err)
	}
	for _, e := range found {
		fmt.Println(e.Name)
	}
	// Output: Стекло GL-4
}

// An endpoint the SDK has no method for, called through the client's limiter, token and retries.
func ExampleClient_Do() {
	_, c, stop := fakeAccount()
	defer stop()
	var out struct {
		Total    int `json:"_total_items"`
		Embedded struct {
			Pipelines []struct {
				Name string `json:"name"`
			} `json:"pipelines"`
		} `json:"_embedded"`
	}
	if err := c.Do(context.Background(), http.MethodGet, "api/v4/leads/pipelines", nil, &out); err != nil {
		panic(err)
	}
	fmt.Println(out.Total, out.Embedded.Pipelines[0].Name)
	// Output: 1 Воронка
}

// A batch refused for one bad item: Resend picks the items amoCRM did not refuse themselves, and
// they are sent again on their own.
func ExampleResend() {
	_, c, stop := fakeAccount()
	defer stop()
	ctx := context.Background()
	leads := []amocrm.CreateLeadRequest{
		{Name: "Зеркало"},
		{Name: "Витрина", CustomFieldsValues: []amocrm.CustomFieldInput{amocrm.FieldByID(987654321, amocrm.TextValue("нет такого поля"))}},
		{Name: "Душевая"},
	}
	_, err := c.Leads.Create(ctx, leads)
	var be *amocrm.BatchError
	if errors.As(err, &be) {
		for _, f := range be.Failed {
			fmt.Println(f.Index, len(f.ValidationErrors) > 0, errors.Is(f.Err, amocrm.ErrValidation))
		}
	}
	again, idx := amocrm.Resend(err, leads)
	saved, err := c.Leads.Create(ctx, again)
	if err != nil {
		panic(err)
	}
	for _, s := range saved {
		fmt.Println("saved", leads[idx[s.Index]].Name)
	}
	// Output:
	// 0 false true
	// 1 true true
	// 2 false true
	// saved Зеркало
	// saved Душевая
}
