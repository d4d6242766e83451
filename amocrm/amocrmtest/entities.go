package amocrmtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Leads, contacts and companies (docs/amocrm-reference.md#leads,
// docs/amocrm-reference.md#contacts), their notes (docs/amocrm-reference.md#notes) and
// links (docs/amocrm-reference.md#links). Everything below
// /api/v4/{kind}/{id}/ goes through a subRoutes table (see subRoutes).
func init() {
	registerRoutes(func(_ *Server, m *mux) {
		m.api("POST /api/v4/leads/complex", complexCreate)
		for _, kind := range []string{"leads", "contacts", "companies"} {
			p := "/api/v4/" + kind
			m.api("GET "+p, listEntities(kind))
			m.api("POST "+p, createEntities(kind))
			m.api("PATCH "+p, updateEntities(kind))
			m.api("GET "+p+"/{id}", getEntity(kind))
			m.api("PATCH "+p+"/{id}", updateEntity(kind))
			m.api("GET "+p+"/custom_fields", listEntityFields(kind))

			m.api("GET "+p+"/notes", listNotes(kind, false))
			m.api("POST "+p+"/notes", writeNotes(kind, false, false))
			m.api("PATCH "+p+"/notes", writeNotes(kind, false, true))
			m.api("GET "+p+"/notes/{note_id}", getNote(kind, false))
			m.api("POST "+p+"/notes/{note_id}/pin", pinNote(kind, true))
			m.api("POST "+p+"/notes/{note_id}/unpin", pinNote(kind, false))
			m.api("POST "+p+"/link", linkMass(kind, false))
			m.api("POST "+p+"/unlink", linkMass(kind, true))
			m.api("GET "+p+"/links", listLinksMass(kind))

			m.api("GET "+p+"/{id}/{sub}", subRoutes{
				"notes": listNotes(kind, true),
				"links": listLinksOne(kind),
				"files": entityFiles(kind), // drive.go
			}.serve)
			m.api("POST "+p+"/{id}/{sub}", subRoutes{
				"notes":  writeNotes(kind, true, false),
				"link":   linkOne(kind, false),
				"unlink": linkOne(kind, true),
			}.serve)
			m.api("GET "+p+"/{id}/{sub}/{sub_id}", subRoutes{
				"notes": getNote(kind, true),
			}.serve)
			m.api("PATCH "+p+"/{id}/{sub}/{sub_id}", subRoutes{
				"notes": updateNote(kind),
			}.serve)
		}
	})
}

// Leads, contacts and companies share one model and one set of handlers;
// leads.go and contacts.go hold what differs.

// Write modes of parseEntity.
const (
	modeCreate    = iota // POST array
	modeUpdate           // PATCH array: every element needs an existing id
	modeUpdateOne        // PATCH /{id}: id optional, must agree
	modeComplex          // POST /leads/complex: full contact and company inside
	modeNested           // the contact or company inside a complex lead
)

// Won and lost: the system statuses of every pipeline
// (docs/amocrm-reference.md#lead-object).
const (
	statusWon  = 142
	statusLost = 143
)

type tagRef struct {
	id   int64
	name string
}

type embeddedRef struct {
	id     int64
	isMain bool
}

// entityWrite is one parsed element of a write.
type entityWrite struct {
	id        int64
	hasID     bool
	requestID json.RawMessage
	label     string

	name, firstName, lastName *string
	price                     *int64
	responsible, statusID     *int64
	pipelineID, lossReasonID  *int64
	createdBy, updatedBy      *int64
	createdAt, updatedAt      *int64
	closedAt                  *int64

	cf               []cfUpdate
	tagsAdd, tagsDel []tagRef
	tagsSet          []tagRef
	setTags          bool
	contacts         []embeddedRef
	companies        []embeddedRef
	nestedContacts   []entityWrite
	nestedCompanies  []entityWrite
}

func optStr(f *fields, key string) *string {
	if v, ok := f.str(key); ok {
		return &v
	}
	return nil
}

// optInt reads an integer; null reads as zero (clears closed_at and the like).
func optInt(f *fields, key string) *int64 {
	if f.isNull(key) {
		f.get(key)
		return new(int64(0))
	}
	if v, ok := f.int(key); ok {
		return &v
	}
	return nil
}

func (c *call) entity(kind string, id int64) *entity {
	e := c.st().Entity(kind, id)
	if e == nil || e.AccountID != c.acct.ID || !c.may(kind, "view", e) {
		return nil // what the acting user may not see does not exist for it
	}
	return e
}

func (c *call) isUser(id int64) bool {
	u := c.st().User(id)
	return u != nil && u.AccountID == c.acct.ID
}

// parseEntity reads one element of a lead, contact or company write and
// checks every reference it makes.
func (c *call) parseEntity(kind string, raw json.RawMessage, path string, mode int, ch *checker) entityWrite {
	var w entityWrite
	f, ok := ch.object(raw, path)
	if !ok {
		return w
	}
	if mode != modeNested {
		w.requestID, w.label = f.requestID()
	}
	switch mode {
	case modeCreate, modeComplex:
		if f.has("id") {
			f.get("id")
			ch.add(codeNotExpected, join(path, "id"), detailNotExpected)
		}
	case modeUpdate:
		f.require("id")
		fallthrough
	case modeUpdateOne, modeNested:
		w.id, w.hasID = f.int("id")
		if w.hasID && c.entity(kind, w.id) == nil {
			ch.add(codeNotSupported, join(path, "id"), "Entity not found")
		}
	}
	w.name = optStr(f, "name")
	w.responsible = optInt(f, "responsible_user_id")
	if w.responsible != nil && !c.isUser(*w.responsible) {
		ch.add(codeNotSupported, join(path, "responsible_user_id"), "User not found")
	}
	w.createdBy = optInt(f, "created_by")
	w.updatedBy = optInt(f, "updated_by")
	w.createdAt = optInt(f, "created_at")
	w.updatedAt = optInt(f, "updated_at")
	switch kind {
	case "leads":
		w.price = optInt(f, "price")
		w.statusID = optInt(f, "status_id")
		w.pipelineID = optInt(f, "pipeline_id")
		w.lossReasonID = optInt(f, "loss_reason_id")
		w.closedAt = optInt(f, "closed_at")
		f.str("visitor_uid")
		if w.pipelineID != nil && *w.pipelineID != c.acct.PipelineID {
			ch.add(codeNotSupported, join(path, "pipeline_id"), "Pipeline not found")
		}
		if w.statusID != nil && !c.acct.HasStatus(*w.statusID) {
			ch.add(codeNotSupported, join(path, "status_id"), "Status not found")
		}
	case "contacts":
		w.firstName = optStr(f, "first_name")
		w.lastName = optStr(f, "last_name")
	}
	w.cf = f.customFields(c.acct.Fields[kind], c.cfLax())
	if mode == modeComplex && len(w.cf) > 40 {
		ch.add(codeNotSupported, join(path, "custom_fields_values"), "No more than 40 custom field values per entity")
	}
	w.tagsAdd = c.tagRefs(f, "tags_to_add", ch)
	w.tagsDel = c.tagRefs(f, "tags_to_delete", ch)
	if emb, ok := f.sub("_embedded"); ok {
		if emb.isNull("tags") {
			emb.get("tags")
			w.setTags = true
		} else if emb.has("tags") {
			w.setTags = true
			w.tagsSet = c.tagRefs(emb, "tags", ch)
		}
		switch {
		case mode == modeCreate && kind == "leads":
			w.contacts = c.embeddedRefs(emb, "contacts", ch)
			w.companies = c.embeddedRefs(emb, "companies", ch)
		case mode == modeCreate && kind == "contacts":
			w.companies = c.embeddedRefs(emb, "companies", ch)
		case mode == modeComplex:
			w.nestedContacts = c.nested(emb, "contacts", ch)
			w.nestedCompanies = c.nested(emb, "companies", ch)
			if md, ok := emb.sub("metadata"); ok {
				for k := range md.m {
					md.get(k) // form/unsorted metadata is accepted as is
				}
			}
			if src, ok := emb.sub("source"); ok {
				src.str("external_id")
				src.str("type")
				src.done()
			}
		}
		emb.done()
	}
	f.done()
	return w
}

// nested reads the one full contact or company of a complex lead.
func (c *call) nested(emb *fields, kind string, ch *checker) []entityWrite {
	items, ok := emb.array(kind)
	if !ok {
		return nil
	}
	path := join(emb.path, kind)
	if len(items) > 1 {
		ch.add(codeNotSupported, path, "A complex lead takes at most one "+strings.TrimSuffix(kind, "s"))
		return nil
	}
	var out []entityWrite
	for i, raw := range items {
		out = append(out, c.parseEntity(kind, raw, index(path, i), modeNested, ch))
	}
	return out
}

// embeddedRefs reads _embedded.contacts/companies of a create: [{id, is_main}].
func (c *call) embeddedRefs(emb *fields, kind string, ch *checker) []embeddedRef {
	items, ok := emb.array(kind)
	if !ok {
		return nil
	}
	path := join(emb.path, kind)
	if kind == "companies" && len(items) > 1 {
		ch.add(codeNotSupported, path, "An entity has at most one company")
	}
	var out []embeddedRef
	for i, raw := range items {
		p := index(path, i)
		f, ok := ch.object(raw, p)
		if !ok {
			continue
		}
		f.require("id")
		id, hasID := f.int("id")
		isMain, _ := f.boolean("is_main")
		f.done()
		if !hasID {
			continue
		}
		if c.entity(kind, id) == nil {
			ch.add(codeNotSupported, join(p, "id"), "Entity not found")
			continue
		}
		out = append(out, embeddedRef{id: id, isMain: isMain})
	}
	return out
}

// tagRefs reads [{id} | {name}].
func (c *call) tagRefs(f *fields, key string, ch *checker) []tagRef {
	items, ok := f.array(key)
	if !ok {
		return nil
	}
	path := join(f.path, key)
	var out []tagRef
	for i, raw := range items {
		p := index(path, i)
		tf, ok := ch.object(raw, p)
		if !ok {
			continue
		}
		id, hasID := tf.int("id")
		name, hasName := tf.str("name")
		tf.str("color")
		tf.done()
		switch {
		case hasID:
			if _, ok := c.acct.TagNames[id]; !ok {
				ch.add(codeNotSupported, join(p, "id"), "Tag not found")
				continue
			}
			out = append(out, tagRef{id: id})
		case hasName && strings.TrimSpace(name) != "":
			out = append(out, tagRef{name: strings.TrimSpace(name)})
		default:
			ch.add(codeFieldMissing, join(p, "name"), detailMissing)
		}
	}
	return out
}

// finishNew fills the name amoCRM gives an unnamed entity.
func finishNew(e *entity) {
	if e.Name != "" {
		return
	}
	switch e.Kind {
	case "leads":
		e.Name = "Сделка #" + strconv.FormatInt(e.ID, 10)
	case "contacts":
		e.Name = strings.TrimSpace(e.FirstName + " " + e.LastName)
	case "companies":
		e.Name = "Компания #" + strconv.FormatInt(e.ID, 10)
	}
}

// applyEntity writes w into e.
func (c *call) applyEntity(e *entity, w entityWrite) {
	set := func(dst *int64, v *int64) {
		if v != nil {
			*dst = *v
		}
	}
	if w.name != nil {
		e.Name = *w.name
	}
	if w.firstName != nil {
		e.FirstName = *w.firstName
	}
	if w.lastName != nil {
		e.LastName = *w.lastName
	}
	if w.responsible != nil && *w.responsible != e.ResponsibleUserID {
		e.OldResponsibleUserID = e.ResponsibleUserID
	}
	if w.statusID != nil && *w.statusID != e.StatusID || w.pipelineID != nil && *w.pipelineID != e.PipelineID {
		e.OldStatusID, e.OldPipelineID = e.StatusID, e.PipelineID
	}
	set(&e.Price, w.price)
	set(&e.ResponsibleUserID, w.responsible)
	set(&e.PipelineID, w.pipelineID)
	set(&e.LossReasonID, w.lossReasonID)
	set(&e.CreatedBy, w.createdBy)
	set(&e.CreatedAt, w.createdAt)
	set(&e.ClosedAt, w.closedAt)
	if w.statusID != nil {
		e.StatusID = *w.statusID
		if (e.StatusID == statusWon || e.StatusID == statusLost) && e.ClosedAt == 0 {
			e.ClosedAt = c.now
		}
	}
	e.CF = applyCF(e.CF, w.cf)
	st := c.st()
	if w.setTags {
		e.Tags = nil
		for _, t := range w.tagsSet {
			e.Tags = appendUnique(e.Tags, st.TagID(c.acct, t.id, t.name))
		}
	}
	for _, t := range w.tagsAdd {
		e.Tags = appendUnique(e.Tags, st.TagID(c.acct, t.id, t.name))
	}
	for _, t := range w.tagsDel {
		id := t.id
		if id == 0 {
			id = c.acct.TagIDs[strings.ToLower(t.name)]
		}
		e.Tags = slices.DeleteFunc(e.Tags, func(x int64) bool { return x == id })
	}
	e.UpdatedAt, e.UpdatedBy = c.now, c.userID
	set(&e.UpdatedAt, w.updatedAt)
	set(&e.UpdatedBy, w.updatedBy)
}

func appendUnique(s []int64, v int64) []int64 {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// create stores a new entity from w, with its embedded links.
func (c *call) create(kind string, w entityWrite) *entity {
	e := c.st().NewEntity(c.acct, kind, c.userID, c.now)
	c.applyEntity(e, w)
	e.OldStatusID, e.OldPipelineID, e.OldResponsibleUserID = 0, 0, 0 // a new entity has not changed
	finishNew(e)
	for _, r := range w.contacts {
		c.st().SetLink(c.acct.ID, kind, e.ID, "contacts", r.id, marshal(obj{"is_main": r.isMain}))
	}
	for _, r := range w.companies {
		c.st().SetLink(c.acct.ID, kind, e.ID, "companies", r.id, nil)
	}
	return e
}

func (c *call) selfHref(kind string, id int64) obj {
	return obj{"href": c.base + "/api/v4/" + kind + "/" + strconv.FormatInt(id, 10)}
}

func (c *call) renderTags(ids []int64) []obj {
	out := []obj{}
	for _, id := range ids {
		out = append(out, obj{"id": id, "name": c.acct.TagNames[id], "color": nil})
	}
	return out
}

// renderEntity is the read model (docs/amocrm-reference.md#lead-object,
// docs/amocrm-reference.md#contact-object).
func (c *call) renderEntity(e *entity, with map[string]bool) obj {
	o := obj{
		"id": e.ID, "name": e.Name, "responsible_user_id": e.ResponsibleUserID,
		"group_id": e.GroupID, "created_by": e.CreatedBy, "updated_by": e.UpdatedBy,
		"created_at": e.CreatedAt, "updated_at": e.UpdatedAt, "closest_task_at": nullableTime(c.closestTaskAt(e.Kind, e.ID)),
		"is_deleted": false, "custom_fields_values": renderCF(e.CF), "account_id": e.AccountID,
		"_links": obj{"self": c.selfHref(e.Kind, e.ID)},
	}
	emb := obj{"tags": c.renderTags(e.Tags)}
	links := c.st().LinksOf(c.acct.ID, e.Kind, e.ID)
	refs := func(kind string, withMain bool) []obj {
		out := []obj{}
		for _, l := range links {
			if l.ToType != kind {
				continue
			}
			r := obj{"id": l.ToID, "_links": obj{"self": c.selfHref(kind, l.ToID)}}
			if withMain {
				var md struct {
					IsMain bool `json:"is_main"`
				}
				_ = json.Unmarshal(l.Meta, &md)
				r["is_main"] = md.IsMain
			}
			out = append(out, r)
		}
		return out
	}
	if with["catalog_elements"] {
		out := []obj{}
		for _, l := range links {
			if l.ToType == "catalog_elements" {
				out = append(out, obj{"id": l.ToID, "metadata": json.RawMessage(l.Meta)})
			}
		}
		emb["catalog_elements"] = out
	}
	switch e.Kind {
	case "leads":
		o["price"] = e.Price
		o["status_id"] = e.StatusID
		o["pipeline_id"] = e.PipelineID
		o["loss_reason_id"] = nullableID(e.LossReasonID)
		o["closed_at"] = nullableTime(e.ClosedAt)
		o["score"] = nil
		o["labor_cost"] = nil
		emb["companies"] = refs("companies", false)
		if with["contacts"] {
			emb["contacts"] = refs("contacts", true)
		}
	case "contacts":
		o["first_name"] = e.FirstName
		o["last_name"] = e.LastName
		o["is_unsorted"] = false
		emb["companies"] = refs("companies", false)
		if with["leads"] {
			emb["leads"] = refs("leads", false)
		}
	case "companies":
		if with["leads"] {
			emb["leads"] = refs("leads", false)
		}
		if with["contacts"] {
			emb["contacts"] = refs("contacts", false)
		}
	}
	o["_embedded"] = emb
	return o
}

// digitsOf keeps only the digits of s (phone search).
func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// matchesQuery is amoCRM's full-text "query": the id, the name and every
// custom field value; phone numbers also match by their digits.
func matchesQuery(id int64, names []string, cf []cfValue, q string) bool {
	if q == "" {
		return true
	}
	if strconv.FormatInt(id, 10) == q {
		return true
	}
	lq := strings.ToLower(q)
	dq := digitsOf(q)
	phoneLike := len(dq) >= 5 && strings.Trim(q, "0123456789 +-().") == ""
	for _, s := range append(names, cfText(cf)...) {
		if lowerContains(s, lq) {
			return true
		}
		if phoneLike && strings.Contains(digitsOf(s), dq) {
			return true
		}
	}
	return false
}

func orderFields(kind string) []string {
	if kind == "leads" {
		return []string{"created_at", "updated_at", "id"}
	}
	return []string{"updated_at", "id"}
}

// entityKey is the value of a numeric field, for filters and ordering.
func entityKey(e *entity, field string) int64 {
	switch field {
	case "created_at":
		return e.CreatedAt
	case "updated_at":
		return e.UpdatedAt
	case "closed_at":
		return e.ClosedAt
	case "price":
		return e.Price
	case "responsible_user_id":
		return e.ResponsibleUserID
	case "created_by":
		return e.CreatedBy
	case "updated_by":
		return e.UpdatedBy
	case "pipeline_id":
		return e.PipelineID
	}
	return e.ID
}

// findEntities applies the filters of docs/amocrm-reference.md#lead-lists /
// docs/amocrm-reference.md#contacts.
func (c *call) findEntities(kind string, lq listQuery) ([]*entity, *reply) {
	q := lq.q
	lists := map[string][]int64{}
	for _, key := range []string{"id", "responsible_user_id", "created_by", "updated_by", "pipeline_id"} {
		ids, ok, err := intList(q, "filter["+key+"]")
		if err != nil {
			return nil, filterError("filter[" + key + "]")
		}
		if ok {
			lists[key] = ids
		}
	}
	names, hasNames := stringList(q, "filter[name]")
	ranges := map[string]intRange{}
	for _, key := range []string{"created_at", "updated_at", "closed_at", "price"} {
		r, err := rangeFilter(q, "filter["+key+"]")
		if err != nil {
			return nil, filterError("filter[" + key + "]")
		}
		if r.set {
			ranges[key] = r
		}
	}
	extra, rep := c.parseExtraFilters(kind, lq)
	if rep != nil {
		return nil, rep
	}
	var out []*entity
	for _, e := range c.st().Entities(kind) {
		if e.AccountID != c.acct.ID || !c.matchExtra(e, extra) {
			continue
		}
		ok := true
		for key, ids := range lists {
			ok = ok && slices.Contains(ids, entityKey(e, key))
		}
		for key, r := range ranges {
			ok = ok && r.contains(entityKey(e, key))
		}
		if hasNames {
			ok = ok && slices.Contains(names, e.Name)
		}
		if ok && c.may(kind, "view", e) && matchesQuery(e.ID, []string{e.Name, e.FirstName, e.LastName}, e.CF, lq.query) {
			out = append(out, e)
		}
	}
	sortBy(out, lq, entityKey)
	return out, nil
}

func listEntities(kind string) func(c *call) reply {
	return func(c *call) reply {
		lq, rep := c.s.parseList(c.r.URL.Query(), orderFields(kind)...)
		if rep != nil {
			return *rep
		}
		items, rep := c.findEntities(kind, lq)
		if rep != nil {
			return *rep
		}
		return pageOf(c.r, lq, kind, items, func(e *entity) obj { return c.renderEntity(e, lq.with) })
	}
}

func getEntity(kind string) func(c *call) reply {
	return func(c *call) reply {
		e := c.entity(kind, c.pathID("id"))
		if e == nil {
			return c.missing(kind)
		}
		lq, rep := c.s.parseList(c.r.URL.Query())
		if rep != nil {
			return *rep
		}
		if rep := c.refuseUnknown(lq.q, nil, entityWith(kind)); rep != nil {
			return *rep
		}
		return okReply(c.renderEntity(e, lq.with))
	}
}

// parseEntities parses the items of a batch write of kind; see parseWrites.
func (c *call) parseEntities(kind string, mode int, max int, detail string) ([]entityWrite, *reply) {
	return parseWrites(c.body, max, detail, func(raw json.RawMessage, ch *checker) (entityWrite, string) {
		w := c.parseEntity(kind, raw, "", mode, ch)
		return w, w.label
	})
}

func createEntities(kind string) func(c *call) reply {
	return func(c *call) reply {
		if !c.may(kind, "add", nil) {
			return problem(http.StatusForbidden, "Access denied")
		}
		writes, rep := c.parseEntities(kind, modeCreate, maxBatch, detailLimit250)
		if rep != nil {
			return *rep
		}
		out := make([]obj, 0, len(writes))
		for i, w := range writes {
			e := c.create(kind, w)
			out = append(out, obj{"id": e.ID, "request_id": echoRequestID(w.requestID, i), "_links": obj{"self": c.selfHref(kind, e.ID)}})
		}
		return c.embeddedReply(kind, out)
	}
}

func updateEntities(kind string) func(c *call) reply {
	return func(c *call) reply {
		writes, rep := c.parseEntities(kind, modeUpdate, maxBatch, detailLimit250)
		if rep != nil {
			return *rep
		}
		for _, w := range writes {
			if rep := c.mayEdit(kind, c.entity(kind, w.id)); rep != nil {
				return *rep
			}
		}
		out := make([]obj, 0, len(writes))
		for i, w := range writes {
			e := c.entity(kind, w.id)
			c.applyEntity(e, w)
			out = append(out, obj{"id": e.ID, "updated_at": e.UpdatedAt, "request_id": echoRequestID(w.requestID, i), "_links": obj{"self": c.selfHref(kind, e.ID)}})
		}
		return c.embeddedReply(kind, out)
	}
}

func updateEntity(kind string) func(c *call) reply {
	return func(c *call) reply {
		e := c.entity(kind, c.pathID("id"))
		if e == nil {
			return notFound()
		}
		if rep := c.mayEdit(kind, e); rep != nil {
			return *rep
		}
		if rep := parseObjectBody(c.body); rep != nil {
			return *rep
		}
		var ch checker
		w := c.parseEntity(kind, c.body, "", modeUpdateOne, &ch)
		if w.hasID && w.id != e.ID {
			ch.add(codeNotSupported, "id", "id does not match the URL")
		}
		var errs batchErrors
		errs.add(0, w.label, &ch)
		if len(errs) > 0 {
			return validationReply(errs)
		}
		c.applyEntity(e, w)
		return okReply(obj{"id": e.ID, "updated_at": e.UpdatedAt, "_links": obj{"self": c.selfHref(kind, e.ID)}})
	}
}

func listEntityFields(kind string) func(c *call) reply {
	return func(c *call) reply {
		lq, rep := c.s.parseList(c.r.URL.Query())
		if rep != nil {
			return *rep
		}
		self := "/api/v4/" + kind + "/custom_fields"
		return pageOf(c.r, lq, "custom_fields", c.acct.Fields[kind], func(d *fieldDef) obj {
			return renderFieldDef(d, c.acct.ID, c.base, self)
		})
	}
}

// entityTypeOK reports whether kind is an entity type the fake stores.
func entityTypeOK(kind string) bool {
	switch kind {
	case "leads", "contacts", "companies":
		return true
	}
	return false
}
