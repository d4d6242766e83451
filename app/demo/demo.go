// Package demo seeds the glass-shop demo account: a Russian glass workshop
// with a manager, contacts, a company, leads, glass and hardware in the
// products catalog and a catalog of services. The demo server
// (examples/widgetserver), the load benchmark and the calculator's tests
// start from it.
//
// Site is the demo mode of the server: Start runs a fake amoCRM with the
// seeded account and serves the demo deal card, which imitates amoCRM's lead
// card around the real script.js, so the calculator runs as it does in
// amoCRM with no account and no database.
package demo

import (
	"time"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// Demo is what Seed created.
type Demo struct {
	Account *amocrmtest.Account
	// Manager is a sales manager, responsible for the demo leads.
	Manager  amocrmtest.User
	Leads    []amocrmtest.Lead
	Contacts []amocrmtest.Contact
	Company  amocrmtest.Company
	// Products is the products catalog and ProductElements its glass and
	// hardware items.
	Products        amocrmtest.Catalog
	ProductElements []amocrmtest.Element
	// Services is a regular catalog of services.
	Services        amocrmtest.Catalog
	ServiceElements []amocrmtest.Element
}

// Subdomain is the subdomain of the account Seed creates.
const Subdomain = "steklo"

// Seed creates a realistic account of a Russian glass workshop
// (subdomain Subdomain) on s: a manager, contacts with phones and e-mails, a
// company, leads linked to them, glass and hardware in the products
// catalog, two products attached to the first lead, a note, and a regular
// catalog of services. The ids are the same on every run with the same
// seeding order. It panics if called twice on one server.
func Seed(s *amocrmtest.Server) Demo {
	a := s.AddAccount(Subdomain)
	a.SetName("Стекольная мастерская «Грань»")
	d := Demo{Account: a}
	d.Manager = a.AddUser(amocrmtest.User{Name: "Ирина Смирнова", Email: "i.smirnova@steklo.example"})

	phone := func(v, enum string) amocrmtest.CustomFieldValue {
		return amocrmtest.CustomFieldValue{FieldCode: "PHONE", Values: []amocrmtest.FieldValue{{Value: v, EnumCode: enum}}}
	}
	email := func(v, enum string) amocrmtest.CustomFieldValue {
		return amocrmtest.CustomFieldValue{FieldCode: "EMAIL", Values: []amocrmtest.FieldValue{{Value: v, EnumCode: enum}}}
	}
	d.Company = a.AddCompany(amocrmtest.Company{Name: "ООО «Ремстрой»", ResponsibleUserID: d.Manager.ID,
		CustomFields: []amocrmtest.CustomFieldValue{phone("+7 495 640-12-00", "WORK"), email("zakaz@remstroy.example", "WORK")}})
	for _, c := range []amocrmtest.Contact{
		{FirstName: "Алексей", LastName: "Петров", CustomFields: []amocrmtest.CustomFieldValue{phone("+7 916 123-45-67", "MOB"), email("a.petrov@example.ru", "PRIV")}},
		{FirstName: "Мария", LastName: "Иванова", CustomFields: []amocrmtest.CustomFieldValue{phone("+7 903 765-43-21", "MOB"), email("m.ivanova@example.ru", "PRIV")}},
		{FirstName: "Сергей", LastName: "Кузнецов", CompanyID: d.Company.ID, CustomFields: []amocrmtest.CustomFieldValue{phone("+7 495 640-12-01", "WORK"), email("s.kuznetsov@remstroy.example", "WORK")}},
	} {
		c.ResponsibleUserID = d.Manager.ID
		d.Contacts = append(d.Contacts, a.AddContact(c))
	}

	d.Products = a.ProductsCatalog()
	product := func(name, sku, price, desc, group string) amocrmtest.Element {
		return amocrmtest.Element{Name: name, CustomFields: []amocrmtest.CustomFieldValue{
			{FieldCode: "SKU", Values: []amocrmtest.FieldValue{{Value: sku}}},
			{FieldCode: "PRICE", Values: []amocrmtest.FieldValue{{Value: price}}},
			{FieldCode: "DESCRIPTION", Values: []amocrmtest.FieldValue{{Value: desc}}},
			{FieldCode: "GROUP", Values: []amocrmtest.FieldValue{{Value: group}}},
		}}
	}
	for _, e := range []amocrmtest.Element{
		product("Стекло прозрачное М1, 8 мм", "float-8", "2300", "Листовое стекло М1, цена за м²", "Стекло"),
		product("Стекло осветлённое, 10 мм", "optiwhite-10", "4500", "Осветлённое стекло, цена за м²", "Стекло"),
		product("Стекло матовое сатин, 6 мм", "satin-6", "2600", "Матовое стекло сатин, цена за м²", "Стекло"),
		product("Зеркало серебро, 4 мм", "mirror-4", "1500", "Зеркало серебро, цена за м²", "Зеркало"),
		product("Петля стена–стекло", "hinge_wall_glass", "2500", "Петля для душевой двери, шт.", "Фурнитура"),
		product("Ручка-кнопка", "handle_knob", "1500", "Ручка-кнопка, шт.", "Фурнитура"),
	} {
		d.ProductElements = append(d.ProductElements, a.AddElement(d.Products.ID, e))
	}

	d.Services = a.AddCatalog(amocrmtest.Catalog{Name: "Услуги", Fields: []amocrmtest.CustomField{{Name: "Стоимость", Type: "numeric"}}})
	cost := d.Services.Fields[0]
	for _, sv := range [][2]string{{"Замер", "0"}, {"Монтаж", "1500"}, {"Доставка", "2000"}} {
		d.ServiceElements = append(d.ServiceElements, a.AddElement(d.Services.ID, amocrmtest.Element{Name: sv[0],
			CustomFields: []amocrmtest.CustomFieldValue{{FieldID: cost.ID, Values: []amocrmtest.FieldValue{{Value: sv[1]}}}}}))
	}

	day := 24 * time.Hour
	now := s.Now().Truncate(time.Second)
	for i, l := range []amocrmtest.Lead{
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
	a.Link(amocrmtest.Link{EntityType: "leads", EntityID: d.Leads[0].ID, ToEntityType: "catalog_elements", ToEntityID: d.ProductElements[0].ID,
		Metadata: map[string]any{"catalog_id": d.Products.ID, "quantity": 1.8, "price_id": priceField.ID}})
	a.Link(amocrmtest.Link{EntityType: "leads", EntityID: d.Leads[0].ID, ToEntityType: "catalog_elements", ToEntityID: d.ProductElements[4].ID,
		Metadata: map[string]any{"catalog_id": d.Products.ID, "quantity": 2, "price_id": priceField.ID}})
	a.AddNote(amocrmtest.Note{EntityType: "leads", EntityID: d.Leads[0].ID, NoteType: "common",
		Params: map[string]any{"text": "Клиент просит замер в субботу до 12:00."}})
	for i := range d.Leads {
		d.Leads[i], _ = s.Lead(d.Leads[i].ID)
	}
	for i := range d.Contacts {
		d.Contacts[i], _ = s.Contact(d.Contacts[i].ID)
	}
	return d
}
