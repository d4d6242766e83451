package backend_test

import (
	"fmt"

	"github.com/amokit/amokit/amocrm/amocrmtest/internal/backend"
)

// Example is what a handler does once it has checked a request: make the
// records, link them, and read them back.
func Example() {
	st := backend.New()
	acme := &backend.Account{
		ID: st.Next("account"), Subdomain: "acme", PipelineID: st.Next("pipeline"),
		Statuses: []backend.Status{{ID: 1, Type: 1}, {ID: 2}},
		TagIDs:   map[string]int64{}, TagNames: map[int64]string{},
	}
	st.AddAccount(acme)

	lead := st.NewEntity(acme, "leads", 0, 1700000000)
	lead.Name = "Зеркало"
	contact := st.NewEntity(acme, "contacts", 0, 1700000000)
	st.SetLink(acme.ID, "leads", lead.ID, "contacts", contact.ID, []byte(`{"is_main":true}`))

	for _, l := range st.LinksOf(acme.ID, "contacts", contact.ID) {
		fmt.Println(l.ToType, l.ToID, st.Entity(l.ToType, l.ToID).Name, string(l.Meta))
	}
	// Output:
	// leads 21000001 Зеркало {"is_main":true}
}
