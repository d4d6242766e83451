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
