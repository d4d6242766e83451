package amocrm_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// from sets the entity a link starts from.
func from(id int64, l amocrm.Link) amocrm.Link {
	l.EntityID = id
	return l
}

func TestFakeMassLinks(t *testing.T) {
	t.Parallel()
	c, acct := amocrmtest.NewClient(t)
	rival := rivalOf(t, acct)
	ctx := t.Context()
	srv := acct.Server()
	l1 := acct.AddLead(amocrmtest.Lead{Name: "Душевая"})
	l2 := acct.AddLead(amocrmtest.Lead{Name: "Витрина"})
	l3 := acct.AddLead(amocrmtest.Lead{Name: "Зеркало"})
	anna := acct.AddContact(amocrmtest.Contact{Name: "Анна"})
	boris := acct.AddContact(amocrmtest.Contact{Name: "Борис"})
	co := acct.AddCompany(amocrmtest.Company{Name: "ООО Стекло"})
	cat := acct.ProductsCatalog()
	glass := acct.AddElement(cat.ID, amocrmtest.Element{Name: "Стекло 4 мм"})

	made, err := c.Links.Link(ctx, amocrm.EntityLeads, []amocrm.Link{
		from(l1.ID, amocrm.LinkContact(anna.ID, true)),
		from(l1.ID, amocrm.LinkCompany(co.ID)),
		from(l2.ID, amocrm.LinkContact(boris.ID, false)),
		from(l2.ID, amocrm.LinkCatalogElement(glass.ID, cat.ID, "1.5", 0)),
	})
	require.NoError(t, err)
	require.Len(t, made, 4)
	assert.Equal(t, l2.ID, made[3].EntityID)
	assert.Equal(t, amocrm.Decimal("1.5"), made[3].Metadata.Quantity)
	assert.Len(t, srv.Links("leads", l1.ID), 2)

	page, err := c.Links.List(ctx, amocrm.EntityLeads, &amocrm.LinkListOptions{EntityIDs: []int64{l1.ID, l2.ID, l3.ID}})
	require.NoError(t, err)
	require.Len(t, page.Items, 4)
	var contacts []int64
	for l, err := range c.Links.All(ctx, amocrm.EntityLeads, &amocrm.LinkListOptions{EntityIDs: []int64{l1.ID, l2.ID},
		LinkFilter: amocrm.LinkFilter{ToEntityType: amocrm.EntityContacts}}) {
		require.NoError(t, err)
		contacts = append(contacts, l.ToEntityID)
	}
	assert.ElementsMatch(t, []int64{anna.ID, boris.ID}, contacts)
	none, err := c.Links.List(ctx, amocrm.EntityLeads, &amocrm.LinkListOptions{EntityIDs: []int64{l3.ID}})
	require.NoError(t, err)
	assert.Empty(t, none.Items, "no links is an empty page")

	require.NoError(t, c.Links.Unlink(ctx, amocrm.EntityLeads, []amocrm.Link{
		from(l1.ID, amocrm.LinkCompany(co.ID)),
		from(l2.ID, amocrm.LinkCatalogElement(glass.ID, cat.ID, "", 0)),
	}))
	left := srv.Links("leads", l1.ID)
	require.Len(t, left, 1)
	assert.Equal(t, anna.ID, left[0].ToEntityID)
	assert.Len(t, srv.Links("leads", l2.ID), 1)

	// A second company for a lead is refused as a whole: nothing of the request is linked.
	other := acct.AddCompany(amocrmtest.Company{Name: "ИП Зеркала"})
	_, err = c.Links.Link(ctx, amocrm.EntityLeads, []amocrm.Link{
		from(l3.ID, amocrm.LinkContact(anna.ID, false)),
		from(l3.ID, amocrm.LinkCompany(co.ID)),
		from(l3.ID, amocrm.LinkCompany(other.ID)),
	})
	assert.ErrorIs(t, err, amocrm.ErrValidation)
	assert.Empty(t, srv.Links("leads", l3.ID))

	// Bad input never leaves the client.
	before := len(srv.Requests())
	bad := map[string][]amocrm.Link{
		"no links":         nil,
		"no entity":        {amocrm.LinkContact(anna.ID, false)},
		"another type":     {{EntityID: l1.ID, EntityType: amocrm.EntityContacts, ToEntityID: anna.ID, ToEntityType: amocrm.EntityContacts}},
		"no catalog":       {from(l1.ID, amocrm.Link{ToEntityID: glass.ID, ToEntityType: amocrm.EntityCatalogElements})},
		"too many at once": make([]amocrm.Link, amocrm.MaxBatchSize+1),
	}
	for name, links := range bad {
		_, err := c.Links.Link(ctx, amocrm.EntityLeads, links)
		assert.Error(t, err, name)
		assert.Error(t, c.Links.Unlink(ctx, amocrm.EntityLeads, links), name)
	}
	_, err = c.Links.Link(ctx, amocrm.EntityCatalogElements, []amocrm.Link{from(glass.ID, amocrm.LinkLead(l1.ID))})
	assert.ErrorContains(t, err, "has no mass links")
	_, err = c.Links.List(ctx, amocrm.EntityLeads, nil)
	assert.ErrorContains(t, err, "needs the EntityIDs")
	_, err = c.Links.List(ctx, amocrm.EntityLeads, &amocrm.LinkListOptions{EntityIDs: []int64{l1.ID}, LinkFilter: amocrm.LinkFilter{ToEntityID: anna.ID}})
	assert.ErrorContains(t, err, "needs ToEntityType")
	for _, err := range c.Links.All(ctx, amocrm.EntityLeads, &amocrm.LinkListOptions{EntityIDs: []int64{0}}) {
		assert.ErrorContains(t, err, "invalid entity id")
	}
	assert.Len(t, srv.Requests(), before)

	// Another account's valid token: its ids are unknown there, so nothing is linked, unlinked or
	// listed.
	_, err = rival.Links.Link(ctx, amocrm.EntityLeads, []amocrm.Link{from(l3.ID, amocrm.LinkContact(anna.ID, false))})
	assert.ErrorIs(t, err, amocrm.ErrValidation)
	err = rival.Links.Unlink(ctx, amocrm.EntityLeads, []amocrm.Link{from(l1.ID, amocrm.LinkContact(anna.ID, true))})
	assert.ErrorIs(t, err, amocrm.ErrValidation)
	seen, err := rival.Links.List(ctx, amocrm.EntityLeads, &amocrm.LinkListOptions{EntityIDs: []int64{l1.ID, l2.ID}})
	require.NoError(t, err)
	assert.Empty(t, seen.Items)
	assert.Empty(t, srv.Links("leads", l3.ID))
	assert.Len(t, srv.Links("leads", l1.ID), 1)
}

func TestFakeMassLinksActingAsUser(t *testing.T) {
	t.Parallel()
	c, acct := amocrmtest.NewClient(t)
	ctx := t.Context()
	srv := acct.Server()
	manager := acct.AddUser(amocrmtest.User{Name: "Менеджер", GroupID: 7, Leads: amocrmtest.Rights{View: "M", Edit: "M"}})
	colleague := acct.AddUser(amocrmtest.User{Name: "Коллега", GroupID: 7, Leads: amocrmtest.Rights{View: "G", Edit: "D"}})
	own := acct.AddLead(amocrmtest.Lead{Name: "Своя", ResponsibleUserID: manager.ID})
	other := acct.AddLead(amocrmtest.Lead{Name: "Чужая"})
	anna := acct.AddContact(amocrmtest.Contact{Name: "Анна"})
	acct.Link(amocrmtest.Link{EntityType: "leads", EntityID: other.ID, ToEntityType: "contacts", ToEntityID: anna.ID})

	_, err := c.Links.Link(amocrm.AsUser(ctx, colleague.ID), amocrm.EntityLeads, []amocrm.Link{from(own.ID, amocrm.LinkContact(anna.ID, false))})
	var apiErr *amocrm.Error
	require.ErrorAs(t, err, &apiErr, "the colleague sees the lead but may not edit it")
	assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
	_, err = c.Links.Link(amocrm.AsUser(ctx, manager.ID), amocrm.EntityLeads, []amocrm.Link{from(other.ID, amocrm.LinkContact(anna.ID, false))})
	assert.ErrorIs(t, err, amocrm.ErrValidation, "a lead the manager may not see does not exist for them")
	seen, err := c.Links.List(amocrm.AsUser(ctx, manager.ID), amocrm.EntityLeads, &amocrm.LinkListOptions{EntityIDs: []int64{own.ID, other.ID}})
	require.NoError(t, err)
	assert.Empty(t, seen.Items, "nor do its links")
	_, err = c.Links.Link(amocrm.AsUser(ctx, manager.ID), amocrm.EntityLeads, []amocrm.Link{from(own.ID, amocrm.LinkContact(anna.ID, false))})
	require.NoError(t, err)
	assert.Len(t, srv.Links("leads", own.ID), 1)
	assert.Len(t, srv.Links("leads", other.ID), 1)
}
