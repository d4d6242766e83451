package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
)

// BenchmarkLeadsList is Leads.List of a 250-lead page against the plain net/http + encoding/json
// baseline, over loopback and over an in-memory transport:
//
//	go test -bench LeadsList -benchmem ./bench/clientoverhead
func BenchmarkLeadsList(b *testing.B) {
	e, err := newEnv(b.Context())
	require.NoError(b, err)
	b.Cleanup(e.close)
	for _, tr := range transports {
		for _, cl := range clients {
			b.Run(tr+"/"+cl, func(b *testing.B) { e.bench(b, tr, cl) })
		}
	}
}

// TestBothClientsReadTheSamePage checks that the two sides of the comparison do the same work:
// the same leads, field by field.
func TestBothClientsReadTheSamePage(t *testing.T) {
	t.Parallel()
	e, err := newEnv(t.Context())
	require.NoError(t, err)
	t.Cleanup(e.close)
	c, err := amocrm.New("bench.amocrm.ru", amocrm.WithBaseURL(e.srv.URL+"/"), amocrm.WithAccessToken(token))
	require.NoError(t, err)
	page, err := c.Leads.List(t.Context(), &amocrm.LeadListOptions{Limit: pageSize, With: []amocrm.LeadWith{amocrm.LeadWithContacts}})
	require.NoError(t, err)
	base, err := baselineList(t.Context(), http.DefaultClient, e.srv.URL+listPath, false)
	require.NoError(t, err)
	twoPass, err := baselineList(t.Context(), http.DefaultClient, e.srv.URL+listPath, true)
	require.NoError(t, err)
	assert.Equal(t, base, twoPass)
	sdk := page.Items
	require.Len(t, sdk, pageSize)
	assert.Equal(t, base, sdk)
	assert.NotEmpty(t, sdk[0].CustomFieldsValues, "the page is realistic: custom fields")
	assert.NotEmpty(t, sdk[0].Embedded.Contacts, "and contacts")
	assert.NotEmpty(t, sdk[0].Embedded.Tags, "and tags")
}
