package amocrm

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// IntRange bounds a number filter, such as a lead's price. A zero bound is no bound.
type IntRange struct {
	From, To int64
}

// TimeRange bounds a date filter, such as created_at. A zero bound is no bound.
type TimeRange struct {
	From, To time.Time
}

// Order is a sort direction for list calls.
type Order string

// Sort directions.
const (
	Asc  Order = "asc"
	Desc Order = "desc"
)

// query builds amoCRM's PHP-style bracket query strings (docs/amocrm-reference.md#query-strings):
//
//	filter[id][]=1&filter[id][]=2   a list
//	filter[created_at][from]=1700000000&filter[created_at][to]=…   a range
//	order[created_at]=desc          the sort
//	with=contacts,catalog_elements  extra data
//
// url.Values encodes the brackets as %5B and %5D, which amoCRM decodes like any PHP backend.
type query url.Values

func (q query) values() url.Values { return url.Values(q) }

// set sets key to v unless v is empty.
func (q query) set(key, v string) {
	if v != "" {
		url.Values(q).Set(key, v)
	}
}

// setInt sets key to n unless n is 0.
func (q query) setInt(key string, n int64) {
	if n != 0 {
		url.Values(q).Set(key, strconv.FormatInt(n, 10))
	}
}

// list appends key[]=v for each v.
func (q query) list(key string, vs ...string) {
	for _, v := range vs {
		url.Values(q).Add(key+"[]", v)
	}
}

// ints appends key[]=n for each n.
func (q query) ints(key string, ns []int64) {
	for _, n := range ns {
		url.Values(q).Add(key+"[]", strconv.FormatInt(n, 10))
	}
}

// intRange sets key[from] and key[to] for the bounds that are set.
func (q query) intRange(key string, r IntRange) {
	q.setInt(key+"[from]", r.From)
	q.setInt(key+"[to]", r.To)
}

// timeRange sets key[from] and key[to] in Unix seconds for the bounds that are set.
func (q query) timeRange(key string, r TimeRange) {
	if !r.From.IsZero() {
		q.setInt(key+"[from]", r.From.Unix())
	}
	if !r.To.IsZero() {
		q.setInt(key+"[to]", r.To.Unix())
	}
}

// order sets order[field]=dir when both are given.
func (q query) order(field string, dir Order) {
	if field != "" && dir != "" {
		url.Values(q).Set("order["+field+"]", string(dir))
	}
}

// with sets with=a,b,c, dropping empty and repeated names.
func (q query) with(names []string) {
	seen := make(map[string]bool, len(names))
	var kept []string
	for _, n := range names {
		if n != "" && !seen[n] {
			seen[n] = true
			kept = append(kept, n)
		}
	}
	if len(kept) > 0 {
		url.Values(q).Set("with", strings.Join(kept, ","))
	}
}

// page sets page and limit when they are positive.
func (q query) page(page, limit int) {
	if page > 0 {
		url.Values(q).Set("page", strconv.Itoa(page))
	}
	if limit > 0 {
		url.Values(q).Set("limit", strconv.Itoa(limit))
	}
}
