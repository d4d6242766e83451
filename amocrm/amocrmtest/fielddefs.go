package amocrmtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Custom field definitions and groups (docs/amocrm-services.md#custom-field-definitions):
// writes are for administrators; create answers 201; select, multiselect and radiobutton fields
// need options; an update that sends enums replaces the whole list: options it leaves out are
// deleted and options without an id get new ids; system fields (those with a code) cannot be
// deleted. Groups have string ids; the predefined "default" group cannot be deleted.

var fieldTypes = []string{"text", "numeric", "checkbox", "select", "multiselect", "date", "url", "textarea", "radiobutton",
	"streetaddress", "smart_address", "birthday", "legal_entity", "date_time", "price", "category", "items", "tracking_data",
	"linked_entity", "chained_list", "monetary", "file", "payer", "supplier", "multitext"}

func (c *call) fieldDef(kind string, id int64) *fieldDef {
	for _, d := range c.acct.Fields[kind] {
		if d.ID == id {
			return d
		}
	}
	return nil
}

func (c *call) renderField(kind string, d *fieldDef) obj {
	o := renderFieldDef(d, c.acct.ID, c.base, "/api/v4/"+kind+"/custom_fields")
	for _, g := range c.crm().Groups[kind] {
		if slices.Contains(g.Fields, d.ID) {
			o["group_id"] = g.ID
		}
	}
	return o
}

// parseEnums reads an enums list; cur are the field's options (nil on create). It returns the
// new list: kept options keep their ids, new ones get ids, and the rest are gone.
func (c *call) parseEnums(f *fields, cur []enumDef) ([]enumDef, bool) {
	items, present := f.array("enums")
	if !present {
		return nil, false
	}
	var out []enumDef
	for i, raw := range items {
		ef, ok := f.c.object(raw, index("enums", i))
		if !ok {
			continue
		}
		var e enumDef
		if id, ok := ef.int("id"); ok {
			j := slices.IndexFunc(cur, func(x enumDef) bool { return x.ID == id })
			if j < 0 {
				f.c.add(codeNotSupported, ef.path+".id", "Enum not found")
			}
			e.ID = id
		}
		e.Value, _ = ef.str("value")
		if strings.TrimSpace(e.Value) == "" {
			f.c.add(codeFieldMissing, ef.path+".value", detailMissing)
		}
		if s, ok := ef.int("sort"); ok {
			e.Sort = int(s)
		}
		ef.get("code")
		ef.done()
		out = append(out, e)
	}
	return out, true
}

type fieldWrite struct {
	rid      json.RawMessage
	id       int64
	d        fieldDef
	has      map[string]bool
	enums    []enumDef
	hasEnums bool
}

func (c *call) parseField(kind string, raw json.RawMessage, create, one bool, ch *checker) (fieldWrite, string) {
	w := fieldWrite{has: map[string]bool{}}
	f, ok := ch.object(raw, "")
	if !ok {
		return w, ""
	}
	var label string
	w.rid, label = f.requestID()
	var cur *fieldDef
	if create {
		f.require("name", "type")
	} else if !one {
		f.require("id")
	}
	if one {
		cur = c.fieldDef(kind, c.pathID("id"))
	}
	if id, ok := f.int("id"); ok {
		w.id = id
		if cur = c.fieldDef(kind, id); cur == nil {
			ch.add(codeNotSupported, "id", "Custom field not found")
		}
	}
	if v, ok := f.str("name"); ok {
		w.d.Name, w.has["name"] = v, true
	}
	if v, ok := f.str("code"); ok {
		w.d.Code, w.has["code"] = v, true
	}
	if v, ok := f.int("sort"); ok {
		w.d.Sort, w.has["sort"] = int(v), true
	}
	if v, ok := f.str("type"); ok {
		if !create {
			ch.add(codeNotExpected, "type", "The type of a field cannot change")
		} else if !slices.Contains(fieldTypes, v) {
			ch.add(codeNotSupported, "type", detailChoice)
		}
		w.d.Type = v
	}
	var curEnums []enumDef
	if cur != nil {
		curEnums = cur.Enums
	}
	w.enums, w.hasEnums = c.parseEnums(f, curEnums)
	if create && selectLike(w.d.Type) && w.d.Type != "multitext" && w.d.Type != "category" && len(w.enums) == 0 {
		ch.add(codeFieldMissing, "enums", detailMissing)
	}
	for _, k := range []string{"group_id", "is_api_only", "is_visible", "is_required", "required_statuses", "remind", "currency", "settings"} {
		f.get(k)
	}
	f.done()
	return w, label
}

func (c *call) applyField(d *fieldDef, w fieldWrite) {
	if w.has["name"] {
		d.Name = w.d.Name
	}
	if w.has["code"] {
		d.Code = w.d.Code
	}
	if w.has["sort"] {
		d.Sort = w.d.Sort
	}
	if w.hasEnums {
		// The list replaces the options: those left out are gone.
		for i := range w.enums {
			if w.enums[i].ID == 0 {
				w.enums[i].ID = c.st().Next("enum")
			}
			if w.enums[i].Sort == 0 {
				w.enums[i].Sort = 10 * (i + 1)
			}
		}
		d.Enums = w.enums
	}
}

func getField(kind string) func(c *call) reply {
	return func(c *call) reply {
		d := c.fieldDef(kind, c.pathID("id"))
		if d == nil {
			return problem(http.StatusNotFound, "Custom field not found")
		}
		return okReply(c.renderField(kind, d))
	}
}

func createFields(kind string) func(c *call) reply {
	return func(c *call) reply {
		if rep := c.adminOnly(); rep != nil {
			return *rep
		}
		writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (fieldWrite, string) {
			return c.parseField(kind, raw, true, false, ch)
		})
		if rep != nil {
			return *rep
		}
		out := make([]obj, 0, len(writes))
		for i, w := range writes {
			d := c.st().newField(CustomField{Name: w.d.Name, Code: w.d.Code, Type: w.d.Type, Sort: w.d.Sort}, kind, 0)
			if d.Sort == 0 {
				d.Sort = 10 * (len(c.acct.Fields[kind]) + 1)
			}
			c.applyField(d, fieldWrite{hasEnums: w.hasEnums, enums: w.enums})
			c.acct.Fields[kind] = append(c.acct.Fields[kind], d)
			o := c.renderField(kind, d)
			o["request_id"] = echoRequestID(w.rid, i)
			out = append(out, o)
		}
		rep2 := c.embeddedReply("custom_fields", out)
		rep2.status = http.StatusCreated
		rep2.body.(obj)["_total_items"] = len(out)
		return rep2
	}
}

func updateFields(kind string) func(c *call) reply {
	return func(c *call) reply {
		if rep := c.adminOnly(); rep != nil {
			return *rep
		}
		writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (fieldWrite, string) {
			return c.parseField(kind, raw, false, false, ch)
		})
		if rep != nil {
			return *rep
		}
		out := make([]obj, 0, len(writes))
		for i, w := range writes {
			d := c.fieldDef(kind, w.id)
			c.applyField(d, w)
			o := c.renderField(kind, d)
			o["request_id"] = echoRequestID(w.rid, i)
			out = append(out, o)
		}
		return c.embeddedReply("custom_fields", out)
	}
}

func updateField(kind string) func(c *call) reply {
	return func(c *call) reply {
		if rep := c.adminOnly(); rep != nil {
			return *rep
		}
		d := c.fieldDef(kind, c.pathID("id"))
		if d == nil {
			return problem(http.StatusNotFound, "Custom field not found")
		}
		if rep := parseObjectBody(c.body); rep != nil {
			return *rep
		}
		var ch checker
		w, _ := c.parseField(kind, c.body, false, true, &ch)
		if w.id != 0 && w.id != d.ID {
			ch.add(codeNotSupported, "id", "id does not match the URL")
		}
		var errs batchErrors
		errs.add(0, "0", &ch)
		if len(errs) > 0 {
			return validationReply(errs)
		}
		c.applyField(d, w)
		return okReply(c.renderField(kind, d))
	}
}

func deleteField(kind string) func(c *call) reply {
	return func(c *call) reply {
		if rep := c.adminOnly(); rep != nil {
			return *rep
		}
		d := c.fieldDef(kind, c.pathID("id"))
		if d == nil {
			return problem(http.StatusNotFound, "Custom field not found")
		}
		if d.Code != "" {
			return problem(http.StatusBadRequest, "A system field cannot be deleted")
		}
		c.acct.Fields[kind] = slices.DeleteFunc(c.acct.Fields[kind], func(x *fieldDef) bool { return x == d })
		for _, e := range c.st().Entities(kind) {
			if e.AccountID == c.acct.ID {
				e.CF = slices.DeleteFunc(e.CF, func(v cfValue) bool { return v.Def == d })
			}
		}
		return noContent()
	}
}

// groups returns the groups of kind, the predefined "default" first.
func (c *call) groups(kind string) []*fieldGroup {
	ca := c.crm()
	if len(ca.Groups[kind]) == 0 {
		ca.Groups[kind] = []*fieldGroup{{ID: "default", Name: "Основное"}}
	}
	return ca.Groups[kind]
}

func (c *call) renderGroup(kind string, g *fieldGroup) obj {
	o := obj{"id": g.ID, "name": g.Name, "sort": g.Sort, "entity_type": kind, "is_predefined": g.ID == "default",
		"type": "custom_field_group", "_links": obj{"self": obj{"href": c.base + "/api/v4/" + kind + "/custom_fields/groups/" + g.ID}}}
	if len(g.Fields) > 0 {
		o["fields"] = g.Fields
	}
	return o
}

func listGroups(kind string) func(c *call) reply {
	return func(c *call) reply {
		var out []obj
		for _, g := range c.groups(kind) {
			out = append(out, c.renderGroup(kind, g))
		}
		return c.unpaged("custom_field_groups", out)
	}
}

func (c *call) group(kind string) (*fieldGroup, *reply) {
	id := c.r.PathValue("group")
	for _, g := range c.groups(kind) {
		if g.ID == id {
			return g, nil
		}
	}
	rep := problem(http.StatusNotFound, "Group not found")
	return nil, &rep
}

func getGroup(kind string) func(c *call) reply {
	return func(c *call) reply {
		g, rep := c.group(kind)
		if rep != nil {
			return *rep
		}
		return okReply(c.renderGroup(kind, g))
	}
}

func createGroups(kind string) func(c *call) reply {
	return func(c *call) reply {
		if rep := c.adminOnly(); rep != nil {
			return *rep
		}
		type gw struct {
			rid json.RawMessage
			g   fieldGroup
		}
		writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (gw, string) {
			var w gw
			f, ok := ch.object(raw, "")
			if !ok {
				return w, ""
			}
			var label string
			w.rid, label = f.requestID()
			f.require("name")
			w.g.Name, _ = f.str("name")
			w.g.Sort, _ = f.int("sort")
			f.done()
			return w, label
		})
		if rep != nil {
			return *rep
		}
		out := make([]obj, 0, len(writes))
		for i, w := range writes {
			g := w.g
			g.ID = kind + "_" + strconv.FormatInt(2745000+c.st().Next("field_group"), 10)
			c.crm().Groups[kind] = append(c.groups(kind), &g)
			o := c.renderGroup(kind, &g)
			o["request_id"] = echoRequestID(w.rid, i)
			out = append(out, o)
		}
		rep2 := c.embeddedReply("custom_field_groups", out)
		rep2.status = http.StatusCreated
		rep2.body.(obj)["_total_items"] = len(out)
		return rep2
	}
}

func updateGroup(kind string) func(c *call) reply {
	return func(c *call) reply {
		if rep := c.adminOnly(); rep != nil {
			return *rep
		}
		g, rep := c.group(kind)
		if rep != nil {
			return *rep
		}
		if rep := parseObjectBody(c.body); rep != nil {
			return *rep
		}
		var ch checker
		if f, ok := ch.object(c.body, ""); ok {
			name, hasName := f.str("name")
			sort, hasSort := f.int("sort")
			items, hasFields := f.array("fields")
			var ids []int64
			for i, raw := range items {
				if id, ok := ch.intValue(raw, index("fields", i)); ok {
					if c.fieldDef(kind, id) == nil {
						ch.add(codeNotSupported, index("fields", i), "Custom field not found")
					}
					ids = append(ids, id)
				}
			}
			f.done()
			if !ch.failed() {
				if hasName {
					g.Name = name
				}
				if hasSort {
					g.Sort = sort
				}
				if hasFields {
					for _, other := range c.groups(kind) { // a field is in one group
						other.Fields = slices.DeleteFunc(other.Fields, func(id int64) bool { return slices.Contains(ids, id) })
					}
					g.Fields = ids
				}
			}
		}
		var errs batchErrors
		errs.add(0, "0", &ch)
		if len(errs) > 0 {
			return validationReply(errs)
		}
		return okReply(c.renderGroup(kind, g))
	}
}

func deleteGroup(kind string) func(c *call) reply {
	return func(c *call) reply {
		if rep := c.adminOnly(); rep != nil {
			return *rep
		}
		g, rep := c.group(kind)
		if rep != nil {
			return *rep
		}
		if g.ID == "default" {
			return problem(http.StatusBadRequest, "A predefined group cannot be deleted")
		}
		ca := c.crm()
		ca.Groups[kind] = slices.DeleteFunc(ca.Groups[kind], func(x *fieldGroup) bool { return x == g })
		return noContent()
	}
}

func fieldRoutes(m *mux) {
	for _, kind := range []string{"leads", "contacts", "companies"} {
		p := "/api/v4/" + kind + "/custom_fields"
		m.api("POST "+p, createFields(kind))
		m.api("PATCH "+p, updateFields(kind))
		m.api("GET "+p+"/groups", listGroups(kind))
		m.api("POST "+p+"/groups", createGroups(kind))
		m.api("GET "+p+"/groups/{group}", getGroup(kind))
		m.api("PATCH "+p+"/groups/{group}", updateGroup(kind))
		m.api("DELETE "+p+"/groups/{group}", deleteGroup(kind))
		m.api("GET "+p+"/{id}", getField(kind))
		m.api("PATCH "+p+"/{id}", updateField(kind))
		m.api("DELETE "+p+"/{id}", deleteField(kind))
	}
}
