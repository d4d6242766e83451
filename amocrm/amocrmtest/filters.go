package amocrmtest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The list parameters of leads, contacts and companies beyond the plain ones findEntities reads:
// filter[statuses], filter[custom_fields_values], filter[closest_task_at] and with=only_deleted,
// and the refusal of everything the server does not implement (docs/amocrmtest.md#list-filters).

// entityFilters are the filter[...] names each entity list takes
// (docs/amocrm-reference.md#lead-lists, docs/amocrm-reference.md#contacts).
func entityFilters(kind string) []string {
	common := []string{"id", "name", "created_by", "updated_by", "responsible_user_id", "created_at", "updated_at",
		"closest_task_at", "custom_fields_values"}
	if kind == "leads" {
		return append(common, "price", "closed_at", "pipeline_id", "statuses")
	}
	return common
}

// entityWith are the with= values each entity type documents.
func entityWith(kind string) []string {
	switch kind {
	case "leads":
		return []string{"contacts", "catalog_elements", "is_price_modified_by_robot", "loss_reason", "source_id", "source", "only_deleted"}
	case "contacts":
		return []string{"leads", "customers", "catalog_elements", "social_profiles", "only_deleted"}
	}
	return []string{"leads", "contacts", "customers", "catalog_elements", "only_deleted"}
}

// filterName is "statuses" for the key "filter[statuses][0][status_id]".
func filterName(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "filter[")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "]")
	return name, ok
}

// refuseUnknown answers 400 for a filter[...] key whose name is not in filters or a with value
// not in with, unless LenientFilters is on: a filter amoCRM would apply and the fake ignored
// would let a wrongly encoded filter pass a test.
func (c *call) refuseUnknown(q url.Values, filters, with []string) *reply {
	if c.s.lenient(LenientFilters) {
		return nil
	}
	for key := range q {
		if name, ok := filterName(key); ok && !slices.Contains(filters, name) {
			return refusal("filter[" + name + "] is not supported here")
		}
		if strings.HasPrefix(key, "filter") && !strings.HasPrefix(key, "filter[") {
			return refusal(key + " is not a filter[...] parameter")
		}
	}
	for _, w := range strings.Split(q.Get("with"), ",") {
		if w = strings.TrimSpace(w); w != "" && !slices.Contains(with, w) {
			return refusal("with=" + w + " is not supported here")
		}
	}
	return nil
}

func refusal(detail string) *reply {
	rep := problem(http.StatusBadRequest, detail)
	return &rep
}

// statusPair is one filter[statuses][N] element.
type statusPair struct{ pipeline, status int64 }

// statusFilter reads filter[statuses][N][pipeline_id] and [status_id]. Each element needs both,
// and one pipeline may appear once: amoCRM filters one stage per pipeline.
func statusFilter(q url.Values) ([]statusPair, *reply) {
	byIndex := map[string]*statusPair{}
	var order []string
	for key, vals := range q {
		rest, ok := strings.CutPrefix(key, "filter[statuses]")
		if !ok {
			continue
		}
		var idx, field string
		if !splitBrackets(rest, &idx, &field) || !allDigits(idx) || len(vals) != 1 {
			return nil, refusal("filter[statuses] takes filter[statuses][N][pipeline_id] and filter[statuses][N][status_id]")
		}
		n, err := strconv.ParseInt(vals[0], 10, 64)
		if err != nil || n <= 0 {
			return nil, filterError(key)
		}
		p := byIndex[idx]
		if p == nil {
			p = &statusPair{}
			byIndex[idx] = p
			order = append(order, idx)
		}
		switch field {
		case "pipeline_id":
			p.pipeline = n
		case "status_id":
			p.status = n
		default:
			return nil, refusal("filter[statuses][" + idx + "][" + field + "] is not supported")
		}
	}
	slices.Sort(order)
	var out []statusPair
	seen := map[int64]bool{}
	for _, idx := range order {
		p := byIndex[idx]
		if p.pipeline == 0 || p.status == 0 {
			return nil, refusal("filter[statuses][" + idx + "] needs both pipeline_id and status_id")
		}
		if seen[p.pipeline] {
			return nil, refusal("filter[statuses] takes one status per pipeline")
		}
		seen[p.pipeline] = true
		out = append(out, *p)
	}
	return out, nil
}

// splitBrackets splits "[a][b]" into a and b.
func splitBrackets(s string, a, b *string) bool {
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), "][")
	if len(parts) != 2 || !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return false
	}
	*a, *b = parts[0], parts[1]
	return true
}

// cfFilter is one field of filter[custom_fields_values]: any of values, or a range.
type cfFilter struct {
	def    *fieldDef
	values []string
	rng    intRange
}

// customFieldFilters reads filter[custom_fields_values][{field_id}][]=v (also [N] or a bare
// value) and …[{field_id}][from]/[to]. The field must be one of defs. A select-like field is
// filtered by option ids (enum_id), others by value; a range compares numbers (dates in unix
// seconds).
func customFieldFilters(q url.Values, defs []*fieldDef) ([]cfFilter, *reply) {
	const prefix = "filter[custom_fields_values]["
	byField := map[int64]*cfFilter{}
	var ids []int64
	for key := range q {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok {
			if name, isFilter := filterName(key); isFilter && name == "custom_fields_values" {
				return nil, refusal("filter[custom_fields_values] takes filter[custom_fields_values][{field_id}][]=…")
			}
			continue
		}
		idText, tail, _ := strings.Cut(rest, "]")
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			return nil, filterError(key)
		}
		def := findField(defs, id, "")
		if def == nil {
			return nil, refusal("filter[custom_fields_values][" + idText + "]: custom field not found")
		}
		f := byField[id]
		if f == nil {
			f = &cfFilter{def: def}
			byField[id] = f
			ids = append(ids, id)
		}
		switch {
		case tail == "" || isIndexSuffix(tail):
			for _, v := range q[key] {
				if selectLike(def.Type) && !allDigits(v) {
					return nil, refusal(key + ": a list field is filtered by option id (enum_id)")
				}
				f.values = append(f.values, v)
			}
		case tail == "[from]" || tail == "[to]":
			n, err := strconv.ParseInt(q.Get(key), 10, 64)
			if err != nil {
				return nil, filterError(key)
			}
			if tail == "[from]" {
				f.rng.from, f.rng.hasFrom = n, true
			} else {
				f.rng.to, f.rng.hasTo = n, true
			}
			f.rng.set = true
		default:
			return nil, filterError(key)
		}
	}
	slices.Sort(ids)
	out := make([]cfFilter, 0, len(ids))
	for _, id := range ids {
		f := byField[id]
		if f.rng.set && len(f.values) > 0 {
			return nil, refusal("filter[custom_fields_values][" + strconv.FormatInt(id, 10) + "] is either values or a range")
		}
		out = append(out, *f)
	}
	return out, nil
}

// matches reports whether cf has a value of f's field that f accepts.
func (f cfFilter) matches(cf []cfValue) bool {
	for _, v := range cf {
		if v.Def != f.def {
			continue
		}
		for _, fv := range v.Values {
			if f.rng.set {
				n, err := strconv.ParseFloat(fv.Value, 64)
				if err == nil && (!f.rng.hasFrom || n >= float64(f.rng.from)) && (!f.rng.hasTo || n <= float64(f.rng.to)) {
					return true
				}
				continue
			}
			for _, want := range f.values {
				if selectLike(f.def.Type) && strconv.FormatInt(fv.EnumID, 10) == want || !selectLike(f.def.Type) && fv.Value == want {
					return true
				}
			}
		}
	}
	return false
}

// closestTaskAt is the deadline of the entity's earliest open task, 0 without one.
func (c *call) closestTaskAt(kind string, id int64) int64 {
	var at int64
	for _, t := range c.crm().Tasks {
		if t.EntityType == kind && t.EntityID == id && !t.Completed && (at == 0 || t.CompleteTill < at) {
			at = t.CompleteTill
		}
	}
	return at
}

// extraFilters are the parsed filters of this file for one entity list.
type extraFilters struct {
	statuses    []statusPair
	cf          []cfFilter
	closestTask intRange
	onlyDeleted bool
}

func (c *call) parseExtraFilters(kind string, lq listQuery) (extraFilters, *reply) {
	var x extraFilters
	if rep := c.refuseUnknown(lq.q, entityFilters(kind), entityWith(kind)); rep != nil {
		return x, rep
	}
	var rep *reply
	if x.statuses, rep = statusFilter(lq.q); rep != nil {
		return x, rep
	}
	if x.cf, rep = customFieldFilters(lq.q, c.acct.Fields[kind]); rep != nil {
		return x, rep
	}
	r, err := rangeFilter(lq.q, "filter[closest_task_at]")
	if err != nil {
		return x, filterError("filter[closest_task_at]")
	}
	x.closestTask = r
	x.onlyDeleted = lq.with["only_deleted"]
	return x, nil
}

// matchExtra reports whether e passes x. The server deletes no entity, so with=only_deleted
// matches none.
func (c *call) matchExtra(e *entity, x extraFilters) bool {
	if x.onlyDeleted {
		return false
	}
	if len(x.statuses) > 0 && !slices.ContainsFunc(x.statuses, func(p statusPair) bool {
		return p.pipeline == e.PipelineID && p.status == e.StatusID
	}) {
		return false
	}
	for _, f := range x.cf {
		if !f.matches(e.CF) {
			return false
		}
	}
	if x.closestTask.set {
		at := c.closestTaskAt(e.Kind, e.ID)
		if at == 0 || !x.closestTask.contains(at) {
			return false
		}
	}
	return true
}
