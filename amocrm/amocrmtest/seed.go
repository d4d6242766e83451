package amocrmtest

import (
	"fmt"
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
	if st.AccountBySubdomain(subdomain) != nil {
		panic(fmt.Sprintf("amocrmtest: AddAccount: subdomain %q is taken", subdomain))
	}
	now := s.now().Unix()
	a := &account{
		ID: st.Next("account"), Subdomain: subdomain, Name: subdomain, CreatedAt: now,
		Fields: map[string][]*fieldDef{}, TagIDs: map[string]int64{}, TagNames: map[int64]string{},
	}
	a.UUID = fakeUUID('a', a.ID)
	a.AmojoID = fakeUUID('j', a.ID)
	st.AddAccount(a)
	admin := st.newUser(a, User{Name: "Администратор", Email: "admin@" + subdomain + ".example", IsAdmin: true})
	a.AdminID = admin.ID

	a.PipelineID = st.Next("pipeline")
	for i, name := range []string{"Неразобранное", "Первичный контакт", "Переговоры", "Принимают решение", "Согласование договора"} {
		typ := 0
		if i == 0 {
			typ = 1
		}
		a.Statuses = append(a.Statuses, status{ID: st.Next("status"), Name: name, Sort: 10 * (i + 1), Type: typ, Color: "#99ccff"})
	}
	a.Statuses = append(a.Statuses,
		status{ID: statusWon, Name: "Успешно реализовано", Sort: 10000, Color: "#CCFF66"},
		status{ID: statusLost, Name: "Закрыто и не реализовано", Sort: 11000, Color: "#D5D8DB"})

	phone := CustomField{Name: "Телефон", Code: "PHONE", Type: "multitext", Enums: enums("WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER")}
	email := CustomField{Name: "Email", Code: "EMAIL", Type: "multitext", Enums: enums("WORK", "PRIV", "OTHER")}
	for _, f := range []CustomField{{Name: "Должность", Code: "POSITION", Type: "text"}, phone, email} {
		f.Sort = 10 * (len(a.Fields["contacts"]) + 1)
		a.Fields["contacts"] = append(a.Fields["contacts"], st.newField(f, "contacts", 0))
	}
	for _, f := range []CustomField{phone, email, {Name: "Web", Code: "WEB", Type: "url"}, {Name: "Адрес", Code: "ADDRESS", Type: "textarea"}} {
		f.Sort = 10 * (len(a.Fields["companies"]) + 1)
		a.Fields["companies"] = append(a.Fields["companies"], st.newField(f, "companies", 0))
	}

	products := st.NewCatalog(a, "Товары", "products", now)
	for i, f := range []CustomField{
		{Name: "Артикул", Code: "SKU", Type: "text"},
		{Name: "Цена", Code: "PRICE", Type: "price"},
		{Name: "Описание", Code: "DESCRIPTION", Type: "textarea"},
		{Name: "Группа", Code: "GROUP", Type: "category"},
	} {
		f.Sort = 10 * (i + 1)
		products.Fields = append(products.Fields, st.newField(f, "catalogs", products.ID))
	}
	a.ProductsID = products.ID
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
	a := s.st.Account(accountID)
	return &call{s: s, acct: a, userID: a.AdminID, now: s.now().Unix(), base: "https://" + s.host(a)}
}
