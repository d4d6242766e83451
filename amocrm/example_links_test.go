package amocrm_test

import (
	"context"
	"fmt"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// One contact made the main contact of two leads in one request, then the links of both read back.
func ExampleLinksService_Link() {
	acct, c, stop := fakeAccount()
	defer stop()
	ctx := context.Background()
	shower := acct.AddLead(amocrmtest.Lead{Name: "Душевая"})
	mirror := acct.AddLead(amocrmtest.Lead{Name: "Зеркало"})
	anna := acct.AddContact(amocrmtest.Contact{Name: "Анна"})

	var links []amocrm.Link
	for _, lead := range []int64{shower.ID, mirror.ID} {
		l := amocrm.LinkContact(anna.ID, true)
		l.EntityID = lead
		links = append(links, l)
	}
	if _, err := c.Links.Link(ctx, amocrm.EntityLeads, links); err != nil {
		panic(err)
	}
	for l, err := range c.Links.All(ctx, amocrm.EntityLeads, &amocrm.LinkListOptions{EntityIDs: []int64{shower.ID, mirror.ID}}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(l.EntityID == shower.ID, l.ToEntityType, l.ToEntityID == anna.ID, l.Metadata.IsMain)
	}
	// Output:
	// true contacts true true
	// false contacts true true
}
