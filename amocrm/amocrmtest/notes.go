package amocrmtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Note is a note on a lead, contact or company (docs/amocrm-reference.md#notes).
type Note struct {
	// ID and AccountID are assigned by the server.
	ID        int64
	AccountID int64
	// EntityType is "leads", "contacts" or "companies".
	EntityType string
	EntityID   int64
	// NoteType is the v4 string type: "common", "call_in", "service_message", …
	NoteType string
	// Params are the type's parameters, e.g. {"text": "…"} for "common";
	// numbers decode as float64.
	Params            map[string]any
	ResponsibleUserID int64
	CreatedBy         int64
	UpdatedBy         int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
	IsPinned          bool
}

// noteTypeOK lists the v4 note types (docs/amocrm-reference.md#note-types). Integers (the v2 codes)
// are refused: whether v4 still takes them is UNVERIFIED, so the fake is
// strict.
func noteTypeOK(t string) bool {
	switch t {
	case "common", "call_in", "call_out", "service_message", "extended_service_message",
		"message_cashier", "geolocation", "sms_in", "sms_out", "attachment",
		"amomail_message", "chat", "site_visit", "targeting_in", "targeting_out",
		"transaction", "invoice_paid", "zoom_meeting", "dropbox_attachment",
		"link_followed", "bill_paid", "ai_result":
		return true
	}
	return false
}

// noteNeedsText lists the types whose params must carry a text.
func noteNeedsText(t string) bool {
	switch t {
	case "common", "service_message", "extended_service_message", "message_cashier",
		"geolocation", "sms_in", "sms_out":
		return true
	}
	return false
}

type noteWrite struct {
	id          int64
	hasID       bool
	requestID   json.RawMessage
	label       string
	entityID    int64
	noteType    string
	params      json.RawMessage
	responsible *int64
	createdBy   *int64
	createdAt   *int64
	updatedAt   *int64
}

func (c *call) note(kind string, id int64) *note {
	n := c.st().Note(id)
	if n == nil || n.AccountID != c.acct.ID || n.EntityType != kind {
		return nil
	}
	return n
}

// parseNote reads one note of a write. entityID is the URL's entity, or 0
// when each note must carry entity_id.
func (c *call) parseNote(kind string, entityID int64, raw json.RawMessage, update bool, ch *checker) noteWrite {
	var w noteWrite
	f, ok := ch.object(raw, "")
	if !ok {
		return w
	}
	w.requestID, w.label = f.requestID()
	w.entityID = entityID
	if update {
		f.require("id")
		w.id, w.hasID = f.int("id")
		if w.hasID {
			n := c.note(kind, w.id)
			if n == nil || (entityID != 0 && n.EntityID != entityID) {
				ch.add(codeNotSupported, "id", "Note not found")
			} else {
				w.entityID = n.EntityID
			}
		}
	} else if f.has("id") {
		f.get("id")
		ch.add(codeNotExpected, "id", detailNotExpected)
	}
	if entityID == 0 && !update {
		f.require("entity_id")
	}
	if id, ok := f.int("entity_id"); ok {
		if c.entity(kind, id) == nil || (entityID != 0 && id != entityID) {
			ch.add(codeNotSupported, "entity_id", "Entity not found")
		} else if !update {
			w.entityID = id
		}
	}
	if !update {
		f.require("note_type")
	}
	if raw, ok := f.get("note_type"); ok {
		t, isStr := scalarText(raw)
		switch {
		case jsonKind(raw) != 's' || !isStr:
			ch.typeErr("note_type", "string")
		case !noteTypeOK(t), !noteWritable(t) && !c.s.lenient(LenientNoteParams):
			ch.add(codeNotSupported, "note_type", detailChoice)
		default:
			w.noteType = t
		}
	}
	if !update {
		f.require("params")
	}
	if update && w.noteType != "" && w.hasID {
		// Whether amoCRM changes a note's type is not documented: the fake refuses it.
		if n := c.note(kind, w.id); n != nil && n.NoteType != w.noteType {
			ch.add(codeNotSupported, "note_type", "A note's type cannot change")
		}
	}
	if pf, ok := f.sub("params"); ok {
		t := w.noteType
		if t == "" && w.hasID {
			if n := c.note(kind, w.id); n != nil {
				t = n.NoteType
			}
		}
		switch {
		case c.s.lenient(LenientNoteParams):
			if noteNeedsText(t) {
				pf.require("text")
				pf.str("text")
			}
			for k := range pf.m {
				pf.get(k)
			}
		case noteWritable(t):
			checkNoteParams(pf, t)
		}
		w.params = append(json.RawMessage(nil), pf.raw()...)
	} else if f.isNull("params") {
		f.get("params")
		ch.typeErr("params", "object")
	}
	w.responsible = optInt(f, "responsible_user_id")
	if w.responsible != nil && !c.isUser(*w.responsible) {
		ch.add(codeNotSupported, "responsible_user_id", "User not found")
	}
	w.createdBy = optInt(f, "created_by")
	w.createdAt = optInt(f, "created_at")
	w.updatedAt = optInt(f, "updated_at")
	f.boolean("is_need_to_trigger_digital_pipeline")
	f.done()
	return w
}

// raw re-encodes the object being read.
func (f *fields) raw() json.RawMessage { return marshal(f.m) }

func (c *call) applyNote(n *note, w noteWrite) {
	if w.noteType != "" {
		n.NoteType = w.noteType
	}
	if w.params != nil {
		n.Params = w.params
	}
	if w.responsible != nil {
		n.Responsible = *w.responsible
	}
	if w.createdBy != nil {
		n.CreatedBy = *w.createdBy
	}
	if w.createdAt != nil {
		n.CreatedAt = *w.createdAt
	}
	n.UpdatedAt, n.UpdatedBy = c.now, c.userID
	if w.updatedAt != nil {
		n.UpdatedAt = *w.updatedAt
	}
}

func (c *call) noteHref(n *note) obj {
	return obj{"href": c.base + "/api/v4/" + n.EntityType + "/" + strconv.FormatInt(n.EntityID, 10) + "/notes/" + strconv.FormatInt(n.ID, 10)}
}

func (c *call) renderNote(n *note) obj {
	return obj{
		"id": n.ID, "entity_id": n.EntityID, "created_by": n.CreatedBy, "updated_by": n.UpdatedBy,
		"created_at": n.CreatedAt, "updated_at": n.UpdatedAt, "responsible_user_id": n.Responsible,
		"group_id": 0, "note_type": n.NoteType, "params": json.RawMessage(n.Params),
		"account_id": n.AccountID, "is_pinned": n.Pinned, "_links": obj{"self": c.noteHref(n)},
	}
}

func noteKey(n *note, field string) int64 {
	if field == "updated_at" {
		return n.UpdatedAt
	}
	return n.ID
}

func listNotes(kind string, byEntity bool) func(c *call) reply {
	return func(c *call) reply {
		var entityID int64
		if byEntity {
			entityID = c.pathID("id")
			if c.entity(kind, entityID) == nil {
				return notFound()
			}
		}
		lq, rep := c.s.parseList(c.r.URL.Query(), "updated_at", "id")
		if rep != nil {
			return *rep
		}
		if rep := c.refuseUnknown(lq.q, []string{"id", "entity_id", "note_type", "updated_at"}, nil); rep != nil {
			return *rep
		}
		q := lq.q
		ids, hasIDs, err := intList(q, "filter[id]")
		if err != nil {
			return *filterError("filter[id]")
		}
		ents, hasEnts, err := intList(q, "filter[entity_id]")
		if err != nil {
			return *filterError("filter[entity_id]")
		}
		types, hasTypes := stringList(q, "filter[note_type]")
		upd, err := rangeFilter(q, "filter[updated_at]")
		if err != nil {
			return *filterError("filter[updated_at]")
		}
		if v := q.Get("filter[updated_at]"); v != "" {
			// A bare value means "changed since" (docs/amocrm-reference.md#notes).
			upd.hasTo = false
		}
		var out []*note
		for _, n := range c.st().Notes() {
			if n.AccountID != c.acct.ID || n.EntityType != kind || (byEntity && n.EntityID != entityID) {
				continue
			}
			if hasIDs && !slices.Contains(ids, n.ID) || hasEnts && !slices.Contains(ents, n.EntityID) ||
				hasTypes && !slices.Contains(types, n.NoteType) || upd.set && !upd.contains(n.UpdatedAt) {
				continue
			}
			out = append(out, n)
		}
		sortBy(out, lq, noteKey)
		return pageOf(c.r, lq, "notes", out, c.renderNote)
	}
}

func getNote(kind string, byEntity bool) func(c *call) reply {
	return func(c *call) reply {
		n := c.note(kind, c.noteID())
		if n == nil || (byEntity && (n.EntityID != c.pathID("id") || c.entity(kind, n.EntityID) == nil)) {
			return notFound()
		}
		return okReply(c.renderNote(n))
	}
}

// writeNotes serves POST (update false) and PATCH (update true) of notes of kind, and, with
// byEntity, POST of notes of the entity in the path. amoCRM documents no PATCH of an entity's
// notes as a batch, only of one note (updateNote), so the fake serves none.
func writeNotes(kind string, byEntity, update bool) func(c *call) reply {
	return func(c *call) reply {
		var entityID int64
		if byEntity {
			entityID = c.pathID("id")
			if c.entity(kind, entityID) == nil {
				return notFound()
			}
		}
		writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (noteWrite, string) {
			w := c.parseNote(kind, entityID, raw, update, ch)
			return w, w.label
		})
		if rep != nil {
			return *rep
		}
		for _, w := range writes {
			if rep := c.mayEdit(kind, c.entity(kind, w.entityID)); rep != nil {
				return *rep
			}
		}
		out := make([]obj, 0, len(writes))
		for i, w := range writes {
			var n *note
			if update {
				n = c.note(kind, w.id)
			} else {
				n = c.st().NewNote(c.acct.ID, kind, w.entityID, c.userID, c.now)
			}
			c.applyNote(n, w)
			o := obj{"id": n.ID, "entity_id": n.EntityID, "request_id": echoRequestID(w.requestID, i), "_links": obj{"self": c.noteHref(n)}}
			if update {
				o["updated_at"] = n.UpdatedAt
			}
			out = append(out, o)
		}
		return c.embeddedReply("notes", out)
	}
}

func updateNote(kind string) func(c *call) reply {
	return func(c *call) reply {
		entityID := c.pathID("id")
		n := c.note(kind, c.noteID())
		e := c.entity(kind, entityID)
		if n == nil || n.EntityID != entityID || e == nil {
			return notFound()
		}
		if rep := c.mayEdit(kind, e); rep != nil {
			return *rep
		}
		if rep := parseObjectBody(c.body); rep != nil {
			return *rep
		}
		body := c.body
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) == nil {
			if _, ok := m["id"]; !ok {
				m["id"] = json.RawMessage(strconv.FormatInt(n.ID, 10))
				body = marshal(m)
			}
		}
		var ch checker
		w := c.parseNote(kind, entityID, body, true, &ch)
		if w.hasID && w.id != n.ID {
			ch.add(codeNotSupported, "id", "id does not match the URL")
		}
		var errs batchErrors
		errs.add(0, w.label, &ch)
		if len(errs) > 0 {
			return validationReply(errs)
		}
		c.applyNote(n, w)
		return okReply(obj{"id": n.ID, "entity_id": n.EntityID, "updated_at": n.UpdatedAt, "_links": obj{"self": c.noteHref(n)}})
	}
}

func pinNote(kind string, pin bool) func(c *call) reply {
	return func(c *call) reply {
		n := c.note(kind, c.noteID())
		if n == nil {
			return notFound()
		}
		n.Pinned = pin
		return noContent()
	}
}

func exportNote(n *note) Note {
	out := Note{
		ID: n.ID, AccountID: n.AccountID, EntityType: n.EntityType, EntityID: n.EntityID,
		NoteType: n.NoteType, ResponsibleUserID: n.Responsible, CreatedBy: n.CreatedBy,
		UpdatedBy: n.UpdatedBy, CreatedAt: unix(n.CreatedAt), UpdatedAt: unix(n.UpdatedAt), IsPinned: n.Pinned,
	}
	_ = json.Unmarshal(n.Params, &out.Params)
	return out
}

// Notes returns copies of the notes of one entity ("leads", "contacts" or
// "companies"), oldest first.
func (s *Server) Notes(entityType string, entityID int64) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Note
	for _, n := range s.st.Notes() {
		if n.EntityType == entityType && n.EntityID == entityID {
			out = append(out, exportNote(n))
		}
	}
	sortNotes(out)
	return out
}

func sortNotes(ns []Note) {
	slices.SortFunc(ns, func(a, b Note) int { return cmpInt(a.ID, b.ID) })
}

// AddNote seeds a note. EntityType and EntityID must name an entity of the
// account and NoteType a v4 type; it panics otherwise. Zero times and users
// default to now and the account's admin.
func (a *Account) AddNote(n Note) Note {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	c := a.s.seedCall(a.ID)
	if !entityTypeOK(n.EntityType) {
		panic(fmt.Sprintf("amocrmtest: AddNote: unknown entity type %q", n.EntityType))
	}
	params := n.Params
	if params == nil {
		params = map[string]any{}
	}
	item := obj{"entity_id": n.EntityID, "note_type": n.NoteType, "params": params}
	if n.ResponsibleUserID != 0 {
		item["responsible_user_id"] = n.ResponsibleUserID
	}
	var ch checker
	w := c.parseNote(n.EntityType, 0, marshal(item), false, &ch)
	if ch.failed() {
		panic(fmt.Sprintf("amocrmtest: AddNote: %s: %s", ch.errs[0].Path, ch.errs[0].Detail))
	}
	nn := c.st().NewNote(a.ID, n.EntityType, w.entityID, c.userID, c.now)
	c.applyNote(nn, w)
	if n.CreatedBy != 0 {
		nn.CreatedBy = n.CreatedBy
	}
	if !n.CreatedAt.IsZero() {
		nn.CreatedAt = n.CreatedAt.Unix()
	}
	if !n.UpdatedAt.IsZero() {
		nn.UpdatedAt = n.UpdatedAt.Unix()
	}
	nn.Pinned = n.IsPinned
	return exportNote(nn)
}

// noteID is the note's id in /{kind}/notes/{note_id} or, through subRoutes,
// /{kind}/{id}/notes/{sub_id}.
func (c *call) noteID() int64 {
	if c.r.PathValue("note_id") != "" {
		return c.pathID("note_id")
	}
	return c.pathID("sub_id")
}
