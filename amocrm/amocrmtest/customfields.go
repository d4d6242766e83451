package amocrmtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CustomField is a custom field definition of an account's leads, contacts
// or companies, or of a catalog.
type CustomField struct {
	// ID is assigned by the server.
	ID int64
	// Name is what the UI shows ("Телефон").
	Name string
	// Code is the system code ("PHONE", "SKU"), empty for user fields.
	Code string
	// Type is amoCRM's field_type: "text", "numeric", "price", "textarea",
	// "select", "multiselect", "multitext", "checkbox", "category", "date", …
	Type string
	// Sort orders the fields.
	Sort int
	// Enums are the choices of select-like and multitext fields.
	Enums []Enum
}

// Enum is one choice of a field. For multitext fields (PHONE, EMAIL) Value is
// the enum code ("WORK", "MOB"). Code is a choice's symbolic code, which the
// options of user fields do not have: a value's enum_code is this code,
// never the option's text (docs/amocrmtest.md#custom-field-values).
type Enum struct {
	ID    int64
	Value string
	Sort  int
	Code  string
}

// CustomFieldValue is the value of one custom field of an entity. When
// seeding, give FieldID or FieldCode; FieldName and FieldType are filled in
// on read.
type CustomFieldValue struct {
	FieldID   int64
	FieldCode string
	FieldName string
	FieldType string
	Values    []FieldValue
}

// FieldValue is one value of a custom field. Value is always text: amoCRM sends
// numbers in custom fields back as strings (docs/amocrm-reference.md#custom-fields);
// a checkbox reads "true" or "false", a date unix seconds. EnumCode is the
// option's code, empty for options without one
// (docs/amocrmtest.md#custom-field-values).
type FieldValue struct {
	Value    string
	EnumID   int64
	EnumCode string
}

// cfUpdate is one element of custom_fields_values in a write.
type cfUpdate struct {
	def    *fieldDef
	values []fieldValue
	clear  bool
}

func findField(defs []*fieldDef, id int64, code string) *fieldDef {
	for _, d := range defs {
		if (id != 0 && d.ID == id) || (id == 0 && code != "" && strings.EqualFold(d.Code, code)) {
			return d
		}
	}
	return nil
}

func selectLike(typ string) bool {
	switch typ {
	case "select", "multiselect", "radiobutton":
		return true
	}
	return false
}

// cfLax are the leniencies of a custom field write (see Leniency).
type cfLax struct {
	unixDates bool // LenientDates
	enumText  bool // LenientEnumCode
}

func (c *call) cfLax() cfLax {
	return cfLax{unixDates: c.s.lenient(LenientDates), enumText: c.s.lenient(LenientEnumCode)}
}

// customFields reads custom_fields_values of a write: field_id or field_code
// must name a field of defs; "values": null clears the field
// (docs/amocrm-reference.md#custom-fields).
func (f *fields) customFields(defs []*fieldDef, lax cfLax) []cfUpdate {
	items, present := f.array("custom_fields_values")
	if !present {
		return nil
	}
	path := join(f.path, "custom_fields_values")
	var ups []cfUpdate
	for i, raw := range items {
		p := index(path, i)
		ff, ok := f.c.object(raw, p)
		if !ok {
			continue
		}
		id, hasID := ff.int("field_id")
		code, hasCode := ff.str("field_code")
		var def *fieldDef
		switch {
		case hasID:
			if def = findField(defs, id, ""); def == nil {
				f.c.add(codeNotSupported, join(p, "field_id"), "Custom field not found")
			}
		case hasCode:
			if def = findField(defs, 0, code); def == nil {
				f.c.add(codeNotSupported, join(p, "field_code"), "Custom field not found")
			}
		case !ff.has("field_id") && !ff.has("field_code"):
			f.c.add(codeFieldMissing, join(p, "field_id"), detailMissing)
		}
		up := cfUpdate{def: def}
		if ff.isNull("values") {
			ff.get("values")
			up.clear = true
		} else if vals, ok := ff.array("values"); ok {
			for j, vraw := range vals {
				vp := index(join(p, "values"), j)
				vf, ok := f.c.object(vraw, vp)
				if !ok {
					continue
				}
				if v, ok := f.c.fieldValue(vf, def, vp, lax); ok {
					up.values = append(up.values, v)
				}
			}
		} else if !ff.has("values") {
			f.c.add(codeFieldMissing, join(p, "values"), detailMissing)
		}
		ff.done()
		if def != nil {
			ups = append(ups, up)
		}
	}
	return ups
}

// fieldValue reads one element of values[] and checks it against the field.
// A date is RFC 3339 text on write and is kept (and read back) as unix
// seconds; enum_code names an option by its code
// (docs/amocrmtest.md#custom-field-values).
func (c *checker) fieldValue(vf *fields, def *fieldDef, path string, lax cfLax) (fieldValue, bool) {
	before := len(c.errs)
	raw, hasValue := vf.get("value")
	enumID, hasEnumID := vf.int("enum_id")
	enumCode, hasEnumCode := vf.str("enum_code")
	vf.done()
	if def == nil || len(c.errs) > before {
		return fieldValue{}, false
	}
	var v fieldValue
	vpath := join(path, "value")
	kind := jsonKind(raw)
	switch {
	case !hasValue || kind == 'n':
		if !(selectLike(def.Type) && (hasEnumID || hasEnumCode)) {
			c.add(codeFieldMissing, vpath, detailMissing)
			return v, false
		}
	case def.Type == "checkbox":
		if kind != 'b' {
			c.typeErr(vpath, "bool")
			return v, false
		}
		v.Value = strings.TrimSpace(string(raw))
	case def.Type == "numeric" || def.Type == "price" || def.Type == "monetary":
		text, ok := scalarText(raw)
		if _, err := strconv.ParseFloat(text, 64); !ok || kind == 'b' || err != nil {
			c.typeErr(vpath, "numeric")
			return v, false
		}
		v.Value = text
	case isDateType(def.Type):
		secs, ok := dateValue(raw, lax.unixDates)
		if !ok {
			c.add(codeInvalidType, vpath, "This value should be a date in RFC 3339 format.")
			return v, false
		}
		v.Value = strconv.FormatInt(secs, 10)
	default:
		text, ok := scalarText(raw)
		if !ok || kind == 'b' {
			c.typeErr(vpath, "string")
			return v, false
		}
		v.Value = text
	}
	if len(def.Enums) == 0 {
		return v, true
	}
	var e *enumDef
	for i := range def.Enums {
		d := &def.Enums[i]
		switch {
		case hasEnumID && d.ID == enumID,
			!hasEnumID && hasEnumCode && enumCode != "" && def.EnumCode(*d) == enumCode,
			!hasEnumID && hasEnumCode && lax.enumText && selectLike(def.Type) && d.Value == enumCode,
			!hasEnumID && !hasEnumCode && selectLike(def.Type) && d.Value == v.Value:
			e = d
		}
		if e != nil {
			break
		}
	}
	switch {
	case e != nil:
	case hasEnumID:
		c.add(codeNotSupported, join(path, "enum_id"), detailChoice)
		return v, false
	case hasEnumCode:
		c.add(codeNotSupported, join(path, "enum_code"), detailChoice)
		return v, false
	case selectLike(def.Type):
		c.add(codeNotSupported, vpath, detailChoice)
		return v, false
	default:
		e = &def.Enums[0] // multitext without an enum gets the first one
	}
	v.EnumID, v.EnumCode = e.ID, def.EnumCode(*e)
	if selectLike(def.Type) {
		v.Value = e.Value
	}
	return v, true
}

func isDateType(typ string) bool {
	switch typ {
	case "date", "date_time", "birthday":
		return true
	}
	return false
}

// dateValue reads a date written as RFC 3339 text or, with unix, as unix
// seconds (a number or a string of digits).
func dateValue(raw json.RawMessage, unix bool) (int64, bool) {
	text, ok := scalarText(raw)
	if !ok {
		return 0, false
	}
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t.Unix(), true
	}
	if unix {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

// scalarText is the text of a JSON string or number.
func scalarText(raw json.RawMessage) (string, bool) {
	switch jsonKind(raw) {
	case 's':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, true
		}
	case 'd':
		return strings.TrimSpace(string(raw)), true
	}
	return "", false
}

// applyCF merges updates into current values: listed fields are replaced or
// cleared, others are kept.
func applyCF(cur []cfValue, ups []cfUpdate) []cfValue {
	out := append([]cfValue(nil), cur...)
	for _, u := range ups {
		i := -1
		for j, c := range out {
			if c.Def == u.def {
				i = j
				break
			}
		}
		switch {
		case u.clear || len(u.values) == 0:
			if i >= 0 {
				out = append(out[:i], out[i+1:]...)
			}
		case i >= 0:
			out[i] = cfValue{Def: u.def, Values: u.values}
		default:
			out = append(out, cfValue{Def: u.def, Values: u.values})
		}
	}
	return out
}

// renderCF is custom_fields_values on read: null when empty, numbers as
// strings (docs/amocrm-reference.md#custom-fields).
func renderCF(cf []cfValue) any {
	if len(cf) == 0 {
		return nil
	}
	out := make([]obj, 0, len(cf))
	for _, c := range cf {
		vals := make([]obj, 0, len(c.Values))
		for _, v := range c.Values {
			o := obj{"value": v.Value}
			switch {
			case c.Def.Type == "checkbox":
				o["value"] = v.Value == "true"
			case isDateType(c.Def.Type):
				secs, _ := strconv.ParseInt(v.Value, 10, 64)
				o["value"] = secs // unix seconds on read
			}
			if v.EnumID != 0 {
				o["enum_id"] = v.EnumID
				o["enum_code"] = nullableString(v.EnumCode)
			}
			vals = append(vals, o)
		}
		var code any
		if c.Def.Code != "" {
			code = c.Def.Code
		}
		out = append(out, obj{
			"field_id": c.Def.ID, "field_name": c.Def.Name, "field_code": code,
			"field_type": c.Def.Type, "values": vals,
		})
	}
	return out
}

func cfText(cf []cfValue) []string {
	var out []string
	for _, c := range cf {
		for _, v := range c.Values {
			out = append(out, v.Value)
		}
	}
	return out
}

func exportField(d *fieldDef) CustomField {
	cf := CustomField{ID: d.ID, Name: d.Name, Code: d.Code, Type: d.Type, Sort: d.Sort}
	for _, e := range d.Enums {
		cf.Enums = append(cf.Enums, Enum{ID: e.ID, Value: e.Value, Sort: e.Sort, Code: d.EnumCode(e)})
	}
	return cf
}

func exportCF(cf []cfValue) []CustomFieldValue {
	var out []CustomFieldValue
	for _, c := range cf {
		v := CustomFieldValue{FieldID: c.Def.ID, FieldCode: c.Def.Code, FieldName: c.Def.Name, FieldType: c.Def.Type}
		for _, fv := range c.Values {
			v.Values = append(v.Values, FieldValue{Value: fv.Value, EnumID: fv.EnumID, EnumCode: fv.EnumCode})
		}
		out = append(out, v)
	}
	return out
}

// importCF turns seeded values into updates through the same checks the
// API applies.
func importCF(defs []*fieldDef, vals []CustomFieldValue) ([]cfUpdate, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	wire := make([]obj, 0, len(vals))
	for _, v := range vals {
		o := obj{}
		if v.FieldID != 0 {
			o["field_id"] = v.FieldID
		} else {
			o["field_code"] = v.FieldCode
		}
		def := findField(defs, v.FieldID, v.FieldCode)
		items := make([]obj, 0, len(v.Values))
		for _, fv := range v.Values {
			item := obj{}
			switch {
			case def != nil && def.Type == "checkbox":
				item["value"] = fv.Value == "true"
			case fv.Value != "" || !(fv.EnumID != 0 || fv.EnumCode != ""):
				item["value"] = fv.Value
			}
			if fv.EnumID != 0 {
				item["enum_id"] = fv.EnumID
			} else if fv.EnumCode != "" {
				item["enum_code"] = fv.EnumCode
			}
			items = append(items, item)
		}
		o["values"] = items
		wire = append(wire, o)
	}
	var c checker
	f, _ := c.object(marshal(obj{"custom_fields_values": wire}), "")
	ups := f.customFields(defs, cfLax{unixDates: true}) // a seed may give a date either way
	if c.failed() {
		e := c.errs[0]
		return nil, fmt.Errorf("custom field %s: %s", e.Path, e.Detail)
	}
	return ups, nil
}

// renderFieldDef is a field on /custom_fields.
func renderFieldDef(d *fieldDef, accountID int64, base, self string) obj {
	var enums any
	if len(d.Enums) > 0 {
		list := make([]obj, 0, len(d.Enums))
		for _, e := range d.Enums {
			list = append(list, obj{"id": e.ID, "value": e.Value, "sort": e.Sort, "code": nullableString(d.EnumCode(e))})
		}
		enums = list
	}
	var code any
	if d.Code != "" {
		code = d.Code
	}
	o := obj{
		"id": d.ID, "name": d.Name, "type": d.Type, "code": code, "sort": d.Sort,
		"account_id": accountID, "is_api_only": false, "enums": enums, "group_id": nil,
		"required_statuses": []any{}, "is_deletable": d.Code == "", "is_predefined": d.Code != "",
		"entity_type": d.Entity,
		"_links":      obj{"self": obj{"href": base + self + "/" + strconv.FormatInt(d.ID, 10)}},
	}
	if d.CatalogID != 0 {
		o["catalog_id"] = d.CatalogID
	}
	return o
}

// nullableString is s for JSON, or null for "".
func nullableString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
