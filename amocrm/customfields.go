package amocrm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FieldType is a custom field's field_type (docs/amocrm-reference.md#custom-fields).
type FieldType string

// Field types amoCRM documents. Values of any other type still decode.
const (
	FieldText          FieldType = "text"
	FieldNumeric       FieldType = "numeric"
	FieldCheckbox      FieldType = "checkbox"
	FieldSelect        FieldType = "select"
	FieldMultiselect   FieldType = "multiselect"
	FieldMultitext     FieldType = "multitext"
	FieldDate          FieldType = "date"
	FieldURL           FieldType = "url"
	FieldTextarea      FieldType = "textarea"
	FieldRadiobutton   FieldType = "radiobutton"
	FieldStreetAddress FieldType = "streetaddress"
	FieldSmartAddress  FieldType = "smart_address"
	FieldBirthday      FieldType = "birthday"
	FieldLegalEntity   FieldType = "legal_entity"
	FieldDateTime      FieldType = "date_time"
	FieldItems         FieldType = "items"
	FieldCategory      FieldType = "category"
	FieldPrice         FieldType = "price"
	FieldTrackingData  FieldType = "tracking_data"
	FieldLinkedEntity  FieldType = "linked_entity"
	FieldOrgLegalName  FieldType = "org_legal_name"
	FieldMonetary      FieldType = "monetary"
	FieldChainedList   FieldType = "chained_list"
	FieldFile          FieldType = "file"
	FieldPayer         FieldType = "payer"
	FieldSupplier      FieldType = "supplier"
)

// CustomField is one entry of an entity's custom_fields_values as amoCRM returns it.
type CustomField struct {
	FieldID   int64              `json:"field_id"`
	FieldName string             `json:"field_name"`
	FieldCode string             `json:"field_code"` // "" for fields made by users (null on the wire)
	FieldType FieldType          `json:"field_type"`
	Values    []CustomFieldValue `json:"values"`
}

// First returns the field's first value, or the zero CustomFieldValue when it has none.
func (f CustomField) First() CustomFieldValue {
	if len(f.Values) == 0 {
		return CustomFieldValue{}
	}
	return f.Values[0]
}

// Input returns a CustomFieldInput that writes f's values back to the same field by its id, e.g.
// to copy a field from one entity to another.
func (f CustomField) Input() CustomFieldInput {
	return CustomFieldInput{FieldID: f.FieldID, Values: slices.Clone(f.Values)}
}

// CustomFields is an entity's custom_fields_values. amoCRM sends null rather than [] when an entity
// has none, which decodes to a nil CustomFields.
type CustomFields []CustomField

// ByID returns the field with the given field_id.
func (fs CustomFields) ByID(id int64) (CustomField, bool) {
	for _, f := range fs {
		if f.FieldID == id {
			return f, true
		}
	}
	return CustomField{}, false
}

// ByCode returns the field with the given field_code, such as "PHONE" or "SKU".
func (fs CustomFields) ByCode(code string) (CustomField, bool) {
	for _, f := range fs {
		if f.FieldCode != "" && strings.EqualFold(f.FieldCode, code) {
			return f, true
		}
	}
	return CustomField{}, false
}

// CustomFieldValue is one value of a custom field, of any field_type. It reads what amoCRM sends
// (numbers as strings or numbers, "enum" next to or instead of "enum_code", dates as Unix seconds
// or text, objects for addresses and linked entities) and is read through typed accessors: String,
// Int64, Decimal, Bool, Time, Raw. To write one, use a constructor such as TextValue, IntValue,
// DecimalValue, DateValue, EnumValue, Phone or Email.
type CustomFieldValue struct {
	value json.RawMessage // the "value" member as sent; nil when absent or null
	err   error           // set by a constructor given bad input; reported when the value is sent

	// EnumID is the chosen option of a select, multiselect, radiobutton or category field, or the
	// kind of a multitext value.
	EnumID int64
	// EnumCode is the symbolic kind of a multitext value, such as "WORK" or "MOB" (see PhoneType
	// and EmailType). amoCRM sometimes sends it as "enum"; both are read here.
	EnumCode string
	// Subtype names the part of a smart_address value, e.g. "address_line_1".
	Subtype string
}

// valueWire is the JSON shape of a value as amoCRM sends it.
type valueWire struct {
	Value    json.RawMessage `json:"value,omitempty"`
	EnumID   flexString      `json:"enum_id,omitempty"`
	EnumCode string          `json:"enum_code,omitempty"`
	Enum     string          `json:"enum,omitempty"`
	Subtype  string          `json:"subtype,omitempty"`
}

// UnmarshalJSON reads a value object of any field type.
func (v *CustomFieldValue) UnmarshalJSON(b []byte) error {
	var w valueWire
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("amocrm: custom field value: %w", err)
	}
	*v = CustomFieldValue{Subtype: w.Subtype, EnumCode: w.EnumCode}
	if v.EnumCode == "" {
		v.EnumCode = w.Enum
	}
	if w.EnumID != "" {
		id, err := strconv.ParseInt(string(w.EnumID), 10, 64)
		if err != nil {
			return fmt.Errorf("amocrm: custom field value: enum_id %q is not an integer", truncate(string(w.EnumID), 40))
		}
		v.EnumID = id
	}
	if raw := bytes.TrimSpace(w.Value); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		v.value = slices.Clone(raw)
	}
	return nil
}

// MarshalJSON writes the value the way amoCRM takes it: value, enum_id, enum_code and subtype,
// each only when set.
func (v CustomFieldValue) MarshalJSON() ([]byte, error) {
	if v.err != nil {
		return nil, v.err
	}
	if v.value == nil && v.EnumID == 0 && v.EnumCode == "" {
		return nil, errors.New("amocrm: a custom field value has neither a value nor an enum")
	}
	type wire struct {
		Value    json.RawMessage `json:"value,omitempty"`
		EnumID   int64           `json:"enum_id,omitzero"`
		EnumCode string          `json:"enum_code,omitempty"`
		Subtype  string          `json:"subtype,omitempty"`
	}
	return json.Marshal(wire{Value: v.value, EnumID: v.EnumID, EnumCode: v.EnumCode, Subtype: v.Subtype})
}

// IsNull reports whether the value has no "value" member (or a null one). A select value may still
// carry an EnumID.
func (v CustomFieldValue) IsNull() bool { return v.value == nil }

// Raw returns the "value" member exactly as amoCRM sent it (a JSON string, number, boolean or
// object), or nil when it was absent or null. Use it for object-valued types such as legal_entity,
// linked_entity or chained_list.
func (v CustomFieldValue) Raw() []byte { return slices.Clone(v.value) }

// String returns the value as text: a string without its quotes, a number or boolean as written,
// an object as its JSON. An absent value is "".
func (v CustomFieldValue) String() string {
	if s, ok := v.text(); ok {
		return s
	}
	return string(v.value)
}

// text returns the value when it is a JSON string.
func (v CustomFieldValue) text() (string, bool) {
	if len(v.value) == 0 || v.value[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(v.value, &s) != nil {
		return "", false
	}
	return s, true
}

// scalar returns the value's text when it is a string or a number.
func (v CustomFieldValue) scalar(kind string) (string, error) {
	if s, ok := v.text(); ok {
		return strings.TrimSpace(s), nil
	}
	if len(v.value) > 0 && (v.value[0] == '-' || isDigit(v.value[0])) {
		return string(v.value), nil
	}
	return "", fmt.Errorf("amocrm: custom field value %s is not %s", truncate(string(v.value), 40), kind)
}

// Decimal returns a numeric, price or monetary value exactly, whether it arrived as a number or a
// string ("1250.50").
func (v CustomFieldValue) Decimal() (Decimal, error) {
	s, err := v.scalar("a number")
	if err != nil {
		return "", err
	}
	return ParseDecimal(s)
}

// Int64 returns a whole-number value, whether it arrived as a number or a string ("12", "12.0").
func (v CustomFieldValue) Int64() (int64, error) {
	d, err := v.Decimal()
	if err != nil {
		return 0, err
	}
	return d.MinorUnits(0)
}

// Bool returns a checkbox value: true or false, also given as "1"/"0", 1/0 or "true"/"false".
func (v CustomFieldValue) Bool() (bool, error) {
	switch s := strings.ToLower(v.String()); s {
	case "true", "1", "y", "yes":
		return true, nil
	case "false", "0", "", "n", "no":
		return false, nil
	}
	return false, fmt.Errorf("amocrm: custom field value %s is not a boolean", truncate(string(v.value), 40))
}

// Time returns a date, date_time or birthday value. amoCRM sends Unix seconds (as a number or a
// string) or, for values written by RFC 3339 clients, text such as "2024-05-01T00:00:00+03:00".
func (v CustomFieldValue) Time() (time.Time, error) {
	s, err := v.scalar("a date")
	if err != nil {
		return time.Time{}, err
	}
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Unix(sec).Time, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.DateOnly, "02.01.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("amocrm: custom field value %q is not a date", truncate(s, 40))
}

// TextValue is a value for text, textarea, url, multitext and similar fields.
func TextValue(s string) CustomFieldValue { return CustomFieldValue{value: mustJSON(s)} }

// IntValue is a value for a numeric field.
func IntValue(n int64) CustomFieldValue {
	return CustomFieldValue{value: json.RawMessage(strconv.FormatInt(n, 10))}
}

// DecimalValue is a value for a numeric, price or monetary field, sent as a JSON number. A
// malformed d is reported when the request is built.
func DecimalValue(d Decimal) CustomFieldValue {
	c, err := canonicalDecimal(string(d))
	if err != nil {
		return CustomFieldValue{err: err}
	}
	return CustomFieldValue{value: json.RawMessage(c)}
}

// BoolValue is a value for a checkbox field.
func BoolValue(b bool) CustomFieldValue { return CustomFieldValue{value: mustJSON(b)} }

// DateValue is a value for a date, date_time or birthday field. It is sent as RFC 3339 text, the
// way the official PHP SDK writes dates (docs/amocrm-reference.md#custom-fields).
func DateValue(t time.Time) CustomFieldValue {
	return CustomFieldValue{value: mustJSON(t.Format(time.RFC3339))}
}

// EnumValue chooses the option enumID of a select, multiselect, radiobutton or category field.
func EnumValue(enumID int64) CustomFieldValue { return CustomFieldValue{EnumID: enumID} }

// EnumCodeValue chooses an option by its code.
func EnumCodeValue(code string) CustomFieldValue { return CustomFieldValue{EnumCode: code} }

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with strings and booleans
	}
	return b
}

// CustomFieldInput sets or clears one custom field in a create or update request. It names the
// field by FieldID or by FieldCode (exactly one) and either gives Values or sets Clear, which sends
// "values": null and empties the field (docs/amocrm-reference.md#custom-fields). Build it with FieldByID,
// FieldByCode, ClearFieldByID or ClearFieldByCode.
type CustomFieldInput struct {
	FieldID   int64
	FieldCode string
	Values    []CustomFieldValue
	Clear     bool
}

// FieldByID sets the field with the given field_id to values.
func FieldByID(id int64, values ...CustomFieldValue) CustomFieldInput {
	return CustomFieldInput{FieldID: id, Values: values}
}

// FieldByCode sets the field with the given field_code (such as "PHONE" or "SKU") to values.
func FieldByCode(code string, values ...CustomFieldValue) CustomFieldInput {
	return CustomFieldInput{FieldCode: code, Values: values}
}

// ClearFieldByID empties the field with the given field_id.
func ClearFieldByID(id int64) CustomFieldInput { return CustomFieldInput{FieldID: id, Clear: true} }

// ClearFieldByCode empties the field with the given field_code.
func ClearFieldByCode(code string) CustomFieldInput {
	return CustomFieldInput{FieldCode: code, Clear: true}
}

// MarshalJSON writes {"field_id":…,"values":[…]} or {"field_code":…,"values":null}. It refuses a
// field named both or neither way, values together with Clear, and no values without Clear.
func (f CustomFieldInput) MarshalJSON() ([]byte, error) {
	switch {
	case (f.FieldID == 0) == (f.FieldCode == ""):
		return nil, fmt.Errorf("amocrm: a custom field needs exactly one of FieldID and FieldCode (got %d and %q)", f.FieldID, f.FieldCode)
	case f.Clear && len(f.Values) > 0:
		return nil, fmt.Errorf("amocrm: custom field %s: Clear and Values are exclusive", f.name())
	case !f.Clear && len(f.Values) == 0:
		return nil, fmt.Errorf("amocrm: custom field %s has no values; set Clear to empty it", f.name())
	}
	type wire struct {
		FieldID   int64              `json:"field_id,omitzero"`
		FieldCode string             `json:"field_code,omitempty"`
		Values    []CustomFieldValue `json:"values"` // nil is the null that clears
	}
	w := wire{FieldID: f.FieldID, FieldCode: f.FieldCode}
	if !f.Clear {
		w.Values = f.Values
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("amocrm: custom field %s: %w", f.name(), unwrapMarshal(err))
	}
	return b, nil
}

func (f CustomFieldInput) name() string {
	if f.FieldCode != "" {
		return f.FieldCode
	}
	return strconv.FormatInt(f.FieldID, 10)
}

// unwrapMarshal strips encoding/json's "json: error calling MarshalJSON for type …" wrapper.
func unwrapMarshal(err error) error {
	var me *json.MarshalerError
	if errors.As(err, &me) {
		return me.Unwrap()
	}
	return err
}

// CustomFieldFilter filters a list by a custom field: either by any of Values, or by the range
// From..To (numbers or Unix seconds; a zero bound is no bound). It becomes
// filter[custom_fields_values][{FieldID}][]=… or …[from]/[to] (docs/amocrm-reference.md#lead-lists).
type CustomFieldFilter struct {
	FieldID int64
	Values  []string
	Range   IntRange
}

// customFieldFilters adds fs to q.
func customFieldFilters(q query, fs []CustomFieldFilter) error {
	for _, f := range fs {
		if f.FieldID <= 0 {
			return fmt.Errorf("amocrm: custom field filter without a FieldID")
		}
		ranged := f.Range != IntRange{}
		if ranged == (len(f.Values) > 0) {
			return fmt.Errorf("amocrm: custom field filter %d needs either Values or a Range", f.FieldID)
		}
		key := "filter[custom_fields_values][" + strconv.FormatInt(f.FieldID, 10) + "]"
		if ranged {
			q.intRange(key, f.Range)
		} else {
			q.list(key, f.Values...)
		}
	}
	return nil
}
