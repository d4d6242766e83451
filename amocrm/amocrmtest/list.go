package amocrmtest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// listQuery is what a list request asks for (docs/amocrm-reference.md#pagination,
// docs/amocrm-reference.md#lead-lists).
type listQuery struct {
	page  int
	limit int
	query string
	with  map[string]bool
	order string // field, "" for the default (id ascending)
	desc  bool
	q     url.Values
}

// isIndexSuffix reports whether s is "[]" or "[N]", the tail of
// "filter[id][]" and "filter[id][0]".
func isIndexSuffix(s string) bool {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return false
	}
	return s == "[]" || allDigits(s[1:len(s)-1])
}

// parseList reads page, limit, query, with and order[...]; orderFields are
// the fields this list can be sorted by.
func (s *Server) parseList(q url.Values, orderFields ...string) (listQuery, *reply) {
	lq := listQuery{page: 1, limit: defaultLimit, with: map[string]bool{}, q: q}
	bad := func(detail string) (listQuery, *reply) {
		rep := problem(http.StatusBadRequest, detail)
		return lq, &rep
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return bad("page must be a positive integer")
		}
		lq.page = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return bad("limit must be a positive integer")
		}
		if n > maxPageLimit {
			if !s.cfg.limitFallback {
				rep := problem(http.StatusUnprocessableEntity, detailLimit250)
				return lq, &rep
			}
			n = defaultLimit
		}
		lq.limit = n
	}
	lq.query = strings.TrimSpace(q.Get("query"))
	for _, w := range strings.Split(q.Get("with"), ",") {
		if w = strings.TrimSpace(w); w != "" {
			lq.with[w] = true
		}
	}
	var orders []string
	for k := range q {
		if strings.HasPrefix(k, "order[") && strings.HasSuffix(k, "]") {
			orders = append(orders, k)
		}
	}
	if len(orders) > 1 {
		// Whether several keys combine is not documented
		// (docs/amocrm-reference.md#lead-lists).
		return bad("only one order[...] key is supported")
	}
	if len(orders) == 1 {
		field := strings.TrimSuffix(strings.TrimPrefix(orders[0], "order["), "]")
		if !slices.Contains(orderFields, field) {
			return bad("order by " + field + " is not supported")
		}
		switch strings.ToLower(q.Get(orders[0])) {
		case "asc":
		case "desc":
			lq.desc = true
		default:
			return bad("order must be asc or desc")
		}
		lq.order = field
	}
	return lq, nil
}

// intList reads key in any of its forms: key=1, key[]=1&key[]=2,
// key[0]=1&key[1]=2. ok is false when the key is absent.
func intList(q url.Values, key string) (ids []int64, ok bool, err error) {
	var keys []string
	for k := range q {
		if k == key || (strings.HasPrefix(k, key) && isIndexSuffix(k[len(key):])) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range q[k] {
			n, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if perr != nil {
				return nil, true, perr
			}
			ids = append(ids, n)
		}
	}
	return ids, len(keys) > 0, nil
}

// stringList reads key like intList does.
func stringList(q url.Values, key string) ([]string, bool) {
	var keys []string
	for k := range q {
		if k == key || (strings.HasPrefix(k, key) && isIndexSuffix(k[len(key):])) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		out = append(out, q[k]...)
	}
	return out, len(keys) > 0
}

// intRange is filter[x]=N or filter[x][from]=A&filter[x][to]=B.
type intRange struct {
	set      bool
	from, to int64
	hasFrom  bool
	hasTo    bool
}

func rangeFilter(q url.Values, key string) (intRange, error) {
	var r intRange
	parse := func(k string) (int64, bool, error) {
		v := q.Get(k)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil, err
	}
	n, ok, err := parse(key)
	if err != nil {
		return r, err
	}
	if ok {
		return intRange{set: true, from: n, to: n, hasFrom: true, hasTo: true}, nil
	}
	if r.from, r.hasFrom, err = parse(key + "[from]"); err != nil {
		return r, err
	}
	if r.to, r.hasTo, err = parse(key + "[to]"); err != nil {
		return r, err
	}
	r.set = r.hasFrom || r.hasTo
	return r, nil
}

func (r intRange) contains(v int64) bool {
	return (!r.hasFrom || v >= r.from) && (!r.hasTo || v <= r.to)
}

// pageOf cuts one page out of items (already filtered and sorted) and wraps
// it in the HAL envelope; an empty result or a page past the end is 204.
func pageOf[T any](r *http.Request, lq listQuery, key string, items []T, render func(T) obj) reply {
	start := (lq.page - 1) * lq.limit
	if start >= len(items) {
		return noContent()
	}
	end := min(start+lq.limit, len(items))
	out := make([]obj, 0, end-start)
	for _, it := range items[start:end] {
		out = append(out, render(it))
	}
	href := func(page int) obj {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(page))
		q.Set("limit", strconv.Itoa(lq.limit))
		return obj{"href": baseURL(r) + r.URL.Path + "?" + q.Encode()}
	}
	links := obj{"self": href(lq.page)}
	if end < len(items) {
		links["next"] = href(lq.page + 1)
	}
	if lq.page > 1 {
		links["first"] = href(1)
		links["prev"] = href(lq.page - 1)
	}
	return okReply(obj{"_page": lq.page, "_links": links, "_embedded": obj{key: out}})
}

// sortBy orders items by the list's order key; key returns the sort value
// for a field name ("id" must be supported).
func sortBy[T any](items []T, lq listQuery, key func(T, string) int64) {
	field := lq.order
	if field == "" {
		field = "id"
	}
	slices.SortStableFunc(items, func(a, b T) int {
		c := cmpInt(key(a, field), key(b, field))
		if c == 0 {
			c = cmpInt(key(a, "id"), key(b, "id"))
		}
		if lq.desc {
			return -c
		}
		return c
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// filterError is the 400 for an unparsable filter value.
func filterError(key string) *reply {
	rep := problem(http.StatusBadRequest, "Invalid value of "+key)
	return &rep
}

// sortByID sorts read-back copies by id.
func sortByID[T any](items []T, id func(T) int64) {
	slices.SortFunc(items, func(a, b T) int { return cmpInt(id(a), id(b)) })
}
