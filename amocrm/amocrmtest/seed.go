package amocrmtest

import (
	"fmt"
	"time"
)

// AddAccount creates an account with the given subdomain (lowercase
// letters, digits and hyphens) and returns its handle. Like every amoCRM
// account it comes with an administrator, a main pipeline, the system
// contact and company fields (PHONE, EMAIL, …) and the products catalog
// (fields SKU, PRICE, DESCRIPTION, GROUP). It panics if the subdomain is
// malformed or taken.
func (s *Server) AddAccount(subdomain string) *Account {
	if !validSubdomain(subdomain) {
		panic(fmt.Sprintf("amocrmtest: AddAccount: bad subdomain %q", subdomain))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if st.bySubdomain[subdomain] != nil {
		panic(fmt.Sprintf("amocrmtest: AddAccount: subdomain %q is taken", subdomain))
	}
	now := s.now().Unix()
	a := &account{
		id: st.next("account"), subdomain: subdomain, name: subdomain, createdAt: now,
		fields: map[string][]*fieldDef{}, tagIDs: map[string]int64{}, tagNames: map[int64]string{},
	}
	a.uuid = fakeUUID('a', a.id)
	a.amojoID = fakeUUID('j', a.id)
	st.accounts[a.id] = a
	st.bySubdomain[subdomain] = a
	admin := st.newUser(a, User{Name: "Администратор", Email: "admin@" + subdomain + ".example", IsAdmin: true})
	a.adminID = admin.id

	a.pipelineID = st.next("pipeline")
	for i, name := range []string{"Неразобранное", "Первичный контакт", "Переговоры", "Принимают решение", "Согласование договора"} {
		typ := 0
		if i == 0 {
			typ = 1
		}
		a.statuses = append(a.statuses, status{id: st.next("status"), name: name, sort: 10 * (i + 1), typ: typ, color: "#99ccff"})
	}
	a.statuses = append(a.statuses,
		status{id: statusWon, name: "Успешно реализовано", sort: 10000, color: "#CCFF66"},
		status{id: statusLost, name: "Закрыто и не реализовано", sort: 11000, color: "#D5D8DB"})

	phone := CustomField{Name: "Телефон", Code: "PHONE", Type: "multitext", Enums: enums("WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER")}
	email := CustomField{Name: "Email", Code: "EMAIL", Type: "multitext", Enums: enums("WORK", "PRIV", "OTHER")}
	for _, f := range []CustomField{{Name: "Должность", Code: "POSITION", Type: "text"}, phone, email} {
		f.Sort = 10 * (len(a.fields["contacts"]) + 1)
		a.fields["contacts"] = append(a.fields["contacts"], st.newField(f, "contacts", 0))
	}
	for _, f := range []CustomField{phone, email, {Name: "Web", Code: "WEB", Type: "url"}, {Name: "Адрес", Code: "ADDRESS", Type: "textarea"}} {
		f.Sort = 10 * (len(a.fields["companies"]) + 1)
		a.fields["companies"] = append(a.fields["companies"], st.newField(f, "companies", 0))
	}

	products := st.newCatalog(a, "Товары", "products", now)
	for i, f := range []CustomField{
		{Name: "Артикул", Code: "SKU", Type: "text"},
		{Name: "Цена", Code: "PRICE", Type: "price"},
		{Name: "Описание", Code: "DESCRIPTION", Type: "textarea"},
		{Name: "Группа", Code: "GROUP", Type: "category"},
	} {
		f.Sort = 10 * (i + 1)
		products.fields = append(products.fields, st.newField(f, "catalogs", products.id))
	}
	a.productsID = products.id
	return s.accountHandle(a)
}

func enums(values ...string) []Enum {
	out := make([]Enum, 0, len(values))
	for _, v := range values {
		out = append(out, Enum{Value: v})
	}
	return out
}

func validSubdomain(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// seedCall is the context seed helpers act in: the account's admin, now.
// The caller holds s.mu.
func (s *Server) seedCall(accountID int64) *call {
	a := s.st.accounts[accountID]
	return &call{s: s, acct: a, userID: a.adminID, now: s.now().Unix(), base: "https://" + s.host(a)}
}

// Demo is what SeedDemo created.
type Demo struct {
	Account *Account
	// Manager is a sales manager, responsible for the demo leads.
	Manager  User
	Leads    []Lead
	Contacts []Contact
	Company  Company
	// Products is the products catalog and ProductElements its glass and
	// hardware items.
	Products        Catalog
	ProductElements []Element
	// Services is a regular catalog of services.
	Services        Catalog
	ServiceElements []Element
}

// DemoSubdomain is the subdomain of the account SeedDemo creates.
const DemoSubdomain = "steklo"

// SeedDemo creates a realistic account of a Russian glass workshop
// (subdomain DemoSubdomain): a manager, contacts with phones and e-mails, a
// company, leads linked to them, glass and hardware in the products
// catalog, two products attached to the first lead, a note, and a regular
// catalog of services. The ids are the same on every run with the same
// seeding order. It panics if called twice on one server.
func (s *Server) SeedDemo() Demo {
	a := s.AddAccount(DemoSubdomain)
	s.mu.Lock()
	s.st.accounts[a.ID].name = "Стекольная мастерская «Грань»"
	s.mu.Unlock()
	a.Name = "Стекольная мастерская «Грань»"
	d := Demo{Account: a}
	d.Manager = a.AddUser(User{Name: "Ирина Смирнова", Email: "i.smirnova@steklo.example"})

	phone := func(v, enum string) CustomFieldValue {
		return CustomFieldValue{FieldCode: "PHONE", Values: []FieldValue{{Value: v, EnumCode: enum}}}
	}
	email := func(v, enum string) CustomFieldValue {
		return CustomFieldValue{FieldCode: "EMAIL", Values: []FieldValue{{Value: v, EnumCode: enum}}}
	}
	d.Company = a.AddCompany(Company{Name: "ООО «Ремстрой»", ResponsibleUserID: d.Manager.ID,
		CustomFields: []CustomFieldValue{phone("+7 495 640-12-00", "WORK"), email("zakaz@remstroy.example", "WORK")}})
	for _, c := range []Contact{
		{FirstName: "Алексей", LastName: "Петров", CustomFields: []CustomFieldValue{phone("+7 916 123-45-67", "MOB"), email("a.petrov@example.ru", "PRIV")}},
		{FirstName: "Мария", LastName: "Иванова", CustomFields: []CustomFieldValue{phone("+7 903 765-43-21", "MOB"), email("m.ivanova@example.ru", "PRIV")}},
		{FirstName: "Сергей", LastName: "Кузнецов", CompanyID: d.Company.ID, CustomFields: []CustomFieldValue{phone("+7 495 640-12-01", "WORK"), email("s.kuznetsov@remstroy.example", "WORK")}},
	} {
		c.ResponsibleUserID = d.Manager.ID
		d.Contacts = append(d.Contacts, a.AddContact(c))
	}

	d.Products = a.ProductsCatalog()
	product := func(name, sku, price, desc, group string) Element {
		return Element{Name: name, CustomFields: []CustomFieldValue{
			{FieldCode: "SKU", Values: []FieldValue{{Value: sku}}},
			{FieldCode: "PRICE", Values: []FieldValue{{Value: price}}},
			{FieldCode: "DESCRIPTION", Values: []FieldValue{{Value: desc}}},
			{FieldCode: "GROUP", Values: []FieldValue{{Value: group}}},
		}}
	}
	for _, e := range []Element{
		product("Стекло прозрачное М1, 8 мм", "float-8", "2300", "Листовое стекло М1, цена за м²", "Стекло"),
		product("Стекло осветлённое, 10 мм", "optiwhite-10", "4500", "Осветлённое стекло, цена за м²", "Стекло"),
		product("Стекло матовое сатин, 6 мм", "satin-6", "2600", "Матовое стекло сатин, цена за м²", "Стекло"),
		product("Зеркало серебро, 4 мм", "mirror-4", "1500", "Зеркало серебро, цена за м²", "Зеркало"),
		product("Петля стена–стекло", "hinge_wall_glass", "2500", "Петля для душевой двери, шт.", "Фурнитура"),
		product("Ручка-кнопка", "handle_knob", "1500", "Ручка-кнопка, шт.", "Фурнитура"),
	} {
		d.ProductElements = append(d.ProductElements, a.AddElement(d.Products.ID, e))
	}

	d.Services = a.AddCatalog(Catalog{Name: "Услуги", Fields: []CustomField{{Name: "Стоимость", Type: "numeric"}}})
	cost := d.Services.Fields[0]
	for _, sv := range [][2]string{{"Замер", "0"}, {"Монтаж", "1500"}, {"Доставка", "2000"}} {
		d.ServiceElements = append(d.ServiceElements, a.AddElement(d.Services.ID, Element{Name: sv[0],
			CustomFields: []CustomFieldValue{{FieldID: cost.ID, Values: []FieldValue{{Value: sv[1]}}}}}))
	}

	day := 24 * time.Hour
	now := s.now().Truncate(time.Second)
	for i, l := range []Lead{
		{Name: "Душевое ограждение 900×2000", Price: 17204, ContactIDs: []int64{d.Contacts[0].ID}, Tags: []string{"сайт"}},
		{Name: "Зеркало в прихожую 600×1600", Price: 5600, ContactIDs: []int64{d.Contacts[1].ID}, Tags: []string{"звонок"}},
		{Name: "Кухонный фартук из стекла", Price: 24500, ContactIDs: []int64{d.Contacts[2].ID}, CompanyID: d.Company.ID},
		{Name: "Стеклянная перегородка в офис", ContactIDs: []int64{d.Contacts[2].ID}, CompanyID: d.Company.ID},
	} {
		l.ResponsibleUserID = d.Manager.ID
		l.CreatedAt = now.Add(time.Duration(i-4) * day)
		l.UpdatedAt = l.CreatedAt
		d.Leads = append(d.Leads, a.AddLead(l))
	}
	priceField, _ := d.Products.Field("PRICE")
	a.Link(Link{EntityType: "leads", EntityID: d.Leads[0].ID, ToEntityType: "catalog_elements", ToEntityID: d.ProductElements[0].ID,
		Metadata: map[string]any{"catalog_id": d.Products.ID, "quantity": 1.8, "price_id": priceField.ID}})
	a.Link(Link{EntityType: "leads", EntityID: d.Leads[0].ID, ToEntityType: "catalog_elements", ToEntityID: d.ProductElements[4].ID,
		Metadata: map[string]any{"catalog_id": d.Products.ID, "quantity": 2, "price_id": priceField.ID}})
	a.AddNote(Note{EntityType: "leads", EntityID: d.Leads[0].ID, NoteType: "common",
		Params: map[string]any{"text": "Клиент просит замер в субботу до 12:00."}})
	for i := range d.Leads {
		d.Leads[i], _ = s.Lead(d.Leads[i].ID)
	}
	for i := range d.Contacts {
		d.Contacts[i], _ = s.Contact(d.Contacts[i].ID)
	}
	return d
}
