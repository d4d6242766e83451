package amocrm

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestQueryBracketSyntax(t *testing.T) {
	t.Parallel()
	from := time.Unix(1700000000, 0)
	to := time.Unix(1700086400, 0)
	tests := []struct {
		name  string
		build func(q query)
		want  url.Values
	}{
		{"list of ids", func(q query) { q.ints("filter[id]", []int64{1, 2}) }, url.Values{"filter[id][]": {"1", "2"}}},
		{"names", func(q query) { q.list("filter[name]", "Окно", "Дверь") }, url.Values{"filter[name][]": {"Окно", "Дверь"}}},
		{"int range", func(q query) { q.intRange("filter[price]", IntRange{From: 100, To: 500}) }, url.Values{"filter[price][from]": {"100"}, "filter[price][to]": {"500"}}},
		{"open range", func(q query) { q.intRange("filter[price]", IntRange{To: 500}) }, url.Values{"filter[price][to]": {"500"}}},
		{"time range", func(q query) { q.timeRange("filter[created_at]", TimeRange{From: from, To: to}) }, url.Values{"filter[created_at][from]": {"1700000000"}, "filter[created_at][to]": {"1700086400"}}},
		{"order", func(q query) { q.order("created_at", Desc) }, url.Values{"order[created_at]": {"desc"}}},
		{"no order without a direction", func(q query) { q.order("created_at", "") }, url.Values{}},
		{"with", func(q query) { q.with([]string{"contacts", "", "catalog_elements", "contacts"}) }, url.Values{"with": {"contacts,catalog_elements"}}},
		{"page and limit", func(q query) { q.page(2, 250) }, url.Values{"page": {"2"}, "limit": {"250"}}},
		{"empty values are left out", func(q query) { q.set("query", ""); q.setInt("filter[id]", 0); q.with(nil) }, url.Values{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := query{}
			tt.build(q)
			assert.Equal(t, tt.want, q.values())
		})
	}
	q := query{}
	q.ints("filter[id]", []int64{7})
	q.order("id", Asc)
	assert.Equal(t, "filter%5Bid%5D%5B%5D=7&order%5Bid%5D=asc", q.values().Encode())
}
