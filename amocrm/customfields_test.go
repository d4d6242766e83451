package amocrm

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeValue(t *testing.T, s string) CustomFieldValue {
	t.Helper()
	var v CustomFieldValue
	require.NoError(t, json.Unmarshal([]byte(s), &v), s)
	return v
}

func TestCustomFieldValueReadsEveryShape(t *testing.T) {
	t.Parallel()

	v := decodeValue(t, `{"value":"12"}`)
	n, err := v.Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(12), n, "numbers arrive as strings")
	assert.Equal(t, "12", v.String())

	v = decodeValue(t, `{"value":12.0}`)
	n, err = v.Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(12), n)
	_, err = decodeValue(t, `{"value":"12.5"}`).Int64()
	assert.Error(t, err, "a fraction is not silently dropped")

	d, err := decodeValue(t, `{"value":"1250.50"}`).Decimal()
	require.NoError(t, err)
	assert.Equal(t, Decimal("1250.50"), d)
	d, err = decodeValue(t, `{"value":15.5}`).Decimal()
	require.NoError(t, err)
	assert.Equal(t, Decimal("15.5"), d)
	_, err = decodeValue(t, `{"value":"about 5"}`).Decimal()
	assert.Error(t, err)
	_, err = decodeValue(t, `{"value":true}`).Decimal()
	assert.Error(t, err)

	for in, want := range map[string]bool{`true`: true, `false`: false, `"1"`: true, `"0"`: false, `1`: true, `"true"`: true} {
		b, err := decodeValue(t, `{"value":`+in+`}`).Bool()
		require.NoError(t, err, in)
		assert.Equal(t, want, b, in)
	}
	_, err = decodeValue(t, `{"value":"maybe"}`).Bool()
	assert.Error(t, err)

	for in, want := range map[string]time.Time{
		`1585267200`:                  time.Unix(1585267200, 0).UTC(),
		`"1585267200"`:                time.Unix(1585267200, 0).UTC(),
		`"2024-05-01T10:00:00+03:00"`: time.Date(2024, 5, 1, 7, 0, 0, 0, time.UTC),
		`"2024-05-01"`:                time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
	} {
		got, err := decodeValue(t, `{"value":`+in+`}`).Time()
		require.NoError(t, err, in)
		assert.True(t, want.Equal(got), "%s: got %v", in, got)
	}
	_, err = decodeValue(t, `{"value":"next week"}`).Time()
	assert.Error(t, err)

	v = decodeValue(t, `{"value":"Tempered","enum_id":411,"enum_code":null}`)
	assert.Equal(t, int64(411), v.EnumID)
	assert.Equal(t, "", v.EnumCode)
	assert.Equal(t, "Tempered", v.String())

	v = decodeValue(t, `{"value":"ivan@example.com","enum_id":"7","enum":"WORK"}`)
	assert.Equal(t, int64(7), v.EnumID, "enum_id as a string")
	assert.Equal(t, "WORK", v.EnumCode, `"enum" read as enum_code`)
	v = decodeValue(t, `{"value":"x","enum":"HOME","enum_code":"MOB"}`)
	assert.Equal(t, "MOB", v.EnumCode, "enum_code wins over enum")

	v = decodeValue(t, `{"value":{"name":"OOO Glass","vat_id":"7701"}}`)
	assert.JSONEq(t, `{"name":"OOO Glass","vat_id":"7701"}`, string(v.Raw()))
	assert.JSONEq(t, `{"name":"OOO Glass","vat_id":"7701"}`, v.String())
	v.Raw()[0] = 'X'
	assert.JSONEq(t, `{"name":"OOO Glass","vat_id":"7701"}`, string(v.Raw()), "Raw returns a copy")

	v = decodeValue(t, `{"value":null}`)
	assert.True(t, v.IsNull())
	assert.Nil(t, v.Raw())
	assert.Equal(t, "", v.String())
	assert.False(t, decodeValue(t, `{"value":0}`).IsNull())

	v = decodeValue(t, `{"value":"Lenina 1","subtype":"address_line_1"}`)
	assert.Equal(t, "address_line_1", v.Subtype)

	var bad CustomFieldValue
	assert.Error(t, json.Unmarshal([]byte(`{"value":"x","enum_id":"seven"}`), &bad))
}

func TestCustomFieldsNullAndLookups(t *testing.T) {
	t.Parallel()
	var e struct {
		CF CustomFields `json:"custom_fields_values"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"custom_fields_values":null}`), &e))
	assert.Nil(t, e.CF)
	_, ok := e.CF.ByCode("PHONE")
	assert.False(t, ok)

	require.NoError(t, json.Unmarshal([]byte(`{"custom_fields_values":[
		{"field_id":1,"field_name":"A","field_code":null,"field_type":"text","values":[{"value":"a"}]},
		{"field_id":2,"field_name":"Phone","field_code":"PHONE","field_type":"multitext","values":[{"value":"+7","enum_code":"MOB"}]}]}`), &e))
	f, ok := e.CF.ByID(1)
	require.True(t, ok)
	assert.Equal(t, FieldText, f.FieldType)
	assert.Equal(t, "a", f.First().String())
	f, ok = e.CF.ByCode("phone")
	require.True(t, ok)
	assert.Equal(t, int64(2), f.FieldID)
	_, ok = e.CF.ByID(3)
	assert.False(t, ok)
	_, ok = e.CF.ByCode("")
	assert.False(t, ok, "user fields have no code and must not match an empty one")
	assert.Equal(t, CustomFieldValue{}, CustomField{}.First())

	b, err := json.Marshal(f.Input())
	require.NoError(t, err)
	assert.JSONEq(t, `{"field_id":2,"values":[{"value":"+7","enum_code":"MOB"}]}`, string(b), "a read field written back")
}

func TestCustomFieldInputWritesByIDOrCodeAndClears(t *testing.T) {
	t.Parallel()
	when := time.Date(2024, 5, 1, 10, 0, 0, 0, time.FixedZone("MSK", 3*3600))
	b, err := json.Marshal([]CustomFieldInput{
		FieldByID(10, TextValue(`a "quoted" <b>`)),
		FieldByID(11, IntValue(-5)),
		FieldByID(12, DecimalValue("1250.50")),
		FieldByID(13, BoolValue(true)),
		FieldByID(14, DateValue(when)),
		FieldByID(15, EnumValue(411), EnumValue(412)),
		FieldByCode("SOURCE", EnumCodeValue("SITE")),
		FieldByCode("PHONE", Phone("+79001234567", PhoneMobile), Phone("+74951234567", PhoneWorkDD)),
		FieldByCode("EMAIL", Email("a@example.com", EmailPrivate)),
		ClearFieldByID(16),
		ClearFieldByCode("POSITION"),
	})
	require.NoError(t, err)
	assert.JSONEq(t, `[
		{"field_id":10,"values":[{"value":"a \"quoted\" <b>"}]},
		{"field_id":11,"values":[{"value":-5}]},
		{"field_id":12,"values":[{"value":1250.50}]},
		{"field_id":13,"values":[{"value":true}]},
		{"field_id":14,"values":[{"value":"2024-05-01T10:00:00+03:00"}]},
		{"field_id":15,"values":[{"enum_id":411},{"enum_id":412}]},
		{"field_code":"SOURCE","values":[{"enum_code":"SITE"}]},
		{"field_code":"PHONE","values":[{"value":"+79001234567","enum_code":"MOB"},{"value":"+74951234567","enum_code":"WORKDD"}]},
		{"field_code":"EMAIL","values":[{"value":"a@example.com","enum_code":"PRIV"}]},
		{"field_id":16,"values":null},
		{"field_code":"POSITION","values":null}
	]`, string(b))
	assert.Contains(t, string(b), `{"field_id":16,"values":null}`, "the clearing null is explicit")
	assert.Contains(t, string(b), `{"value":1250.50}`, "a decimal is sent as a number, digits intact")

	for name, f := range map[string]CustomFieldInput{
		"both names":        {FieldID: 1, FieldCode: "X", Values: []CustomFieldValue{TextValue("a")}},
		"no name":           {Values: []CustomFieldValue{TextValue("a")}},
		"clear with values": {FieldID: 1, Clear: true, Values: []CustomFieldValue{TextValue("a")}},
		"nothing to write":  FieldByID(1),
		"bad decimal":       FieldByID(1, DecimalValue("1,5")),
		"empty value":       FieldByID(1, CustomFieldValue{}),
	} {
		_, err := json.Marshal(f)
		assert.Error(t, err, name)
	}
}

func TestCustomFieldFilters(t *testing.T) {
	t.Parallel()
	q := query{}
	require.NoError(t, customFieldFilters(q, []CustomFieldFilter{
		{FieldID: 271207, Values: []string{"a", "b"}},
		{FieldID: 271209, Range: IntRange{From: 10, To: 20}},
		{FieldID: 271211, Range: IntRange{From: 5}},
	}))
	assert.Equal(t, url.Values{
		"filter[custom_fields_values][271207][]":     {"a", "b"},
		"filter[custom_fields_values][271209][from]": {"10"},
		"filter[custom_fields_values][271209][to]":   {"20"},
		"filter[custom_fields_values][271211][from]": {"5"},
	}, q.values())
	for _, f := range []CustomFieldFilter{
		{Values: []string{"a"}},
		{FieldID: 1},
		{FieldID: 1, Values: []string{"a"}, Range: IntRange{From: 1}},
	} {
		assert.Error(t, customFieldFilters(query{}, []CustomFieldFilter{f}), "%+v", f)
	}
}
