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

type cfValue struct {
	def    *fieldDef
	values []fieldValue
}

type fieldValue struct {
	value    string
	enumID   int64
	enumCode string
}

// cfUpdate is one element of custom_fields_values in a write.
type cfUpdate struct {
	def    *fieldDef
	values []fieldValue
	clear  bool
}

func findField(defs []*fieldDef, id int64, code string) *fieldDef {
	for _, d := range defs {
		if (id != 0 && d.id == id) || (id == 0 && code != "" && strings.EqualFold(d.code, code)) {
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
		if !(selectLike(def.typ) && (hasEnumID || hasEnumCode)) {
			c.add(codeFieldMissing, vpath, detailMissing)
			return v, false
		}
	case def.typ == "checkbox":
		if kind != 'b' {
			c.typeErr(vpath, "bool")
			return v, false
		}
		v.value = strings.TrimSpace(string(raw))
	case def.typ == "numeric" || def.typ == "price" || def.typ == "monetary":
		text, ok := scalarText(raw)
		if _, err := strconv.ParseFloat(text, 64); !ok || kind == 'b' || err != nil {
			c.typeErr(vpath, "numeric")
			return v, false
		}
		v.value = text
	case isDateType(def.typ):
		secs, ok := dateValue(raw, lax.unixDates)
		if !ok {
			c.add(codeInvalidType, vpath, "This value should be a date in RFC 3339 format.")
			return v, false
		}
		v.value = strconv.FormatInt(secs, 10)
	default:
		text, ok := scalarText(raw)
		if !ok || kind == 'b' {
			c.typeErr(vpath, "string")
			return v, false
		}
		v.value = text
	}
	if len(def.enums) == 0 {
		return v, true
	}
	var e *enumDef
	for i := range def.enums {
		d := &def.enums[i]
		switch {
		case hasEnumID && d.id == enumID,
			!hasEnumID && hasEnumCode && enumCode != "" && def.enumCode(*d) == enumCode,
			!hasEnumID && hasEnumCode && lax.enumText && selectLike(def.typ) && d.value == enumCode,
			!hasEnumID && !hasEnumCode && selectLike(def.typ) && d.value == v.value:
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
	case selectLike(def.typ):
		c.add(codeNotSupported, vpath, detailChoice)
		return v, false
	default:
		e = &def.enums[0] // multitext without an enum gets the first one
	}
	v.enumID, v.enumCode = e.id, def.enumCode(*e)
	if selectLike(def.typ) {
		v.value = e.value
	}
	return v, true
}

// enumCode is the code of one of d's options: its own, or for a multitext
// field (PHONE, EMAIL) its value ("WORK"); options of select-like user
// fields have none.
func (d *fieldDef) enumCode(e enumDef) string {
	if e.code != "" {
		return e.code
	}
	if d.typ == "multitext" {
		return e.value
	}
	return ""
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
			if c.def == u.def {
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
			out[i] = cfValue{def: u.def, values: u.values}
		default:
			out = append(out, cfValue{def: u.def, values: u.values})
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
		vals := make([]obj, 0, len(c.values))
		for _, v := range c.values {
			o := obj{"value": v.value}
			switch {
			case c.def.typ == "checkbox":
				o["value"] = v.value == "true"
			case isDateType(c.def.typ):
				secs, _ := strconv.ParseInt(v.value, 10, 64)
				o["value"] = secs // unix seconds on read
			}
			if v.enumID != 0 {
				o["enum_id"] = v.enumID
				o["enum_code"] = nullableString(v.enumCode)
			}
			vals = append(vals, o)
		}
		var code any
		if c.def.code != "" {
			code = c.def.code
		}
		out = append(out, obj{
			"field_id": c.def.id, "field_name": c.def.name, "field_code": code,
			"field_type": c.def.typ, "values": vals,
		})
	}
	return out
}

func cfText(cf []cfValue) []string {
	var out []string
	for _, c := range cf {
		for _, v := range c.values {
			out = append(out, v.value)
		}
	}
	return out
}

func (d *fieldDef) export() CustomField {
	cf := CustomField{ID: d.id, Name: d.name, Code: d.code, Type: d.typ, Sort: d.sort}
	for _, e := range d.enums {
		cf.Enums = append(cf.Enums, Enum{ID: e.id, Value: e.value, Sort: e.sort, Code: d.enumCode(e)})
	}
	return cf
}

func exportCF(cf []cfValue) []CustomFieldValue {
	var out []CustomFieldValue
	for _, c := range cf {
		v := CustomFieldValue{FieldID: c.def.id, FieldCode: c.def.code, FieldName: c.def.name, FieldType: c.def.typ}
		for _, fv := range c.values {
			v.Values = append(v.Values, FieldValue{Value: fv.value, EnumID: fv.enumID, EnumCode: fv.enumCode})
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
			case def != nil && def.typ == "checkbox":
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
	if len(d.enums) > 0 {
		list := make([]obj, 0, len(d.enums))
		for _, e := range d.enums {
			list = append(list, obj{"id": e.id, "value": e.value, "sort": e.sort, "code": nullableString(d.enumCode(e))})
		}
		enums = list
	}
	var code any
	if d.code != "" {
		code = d.code
	}
	o := obj{
		"id": d.id, "name": d.name, "type": d.typ, "code": code, "sort": d.sort,
		"account_id": accountID, "is_api_only": false, "enums": enums, "group_id": nil,
		"required_statuses": []any{}, "is_deletable": d.code == "", "is_predefined": d.code != "",
		"entity_type": d.entity,
		"_links":      obj{"self": obj{"href": base + self + "/" + strconv.FormatInt(d.id, 10)}},
	}
	if d.catalogID != 0 {
		o["catalog_id"] = d.catalogID
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
