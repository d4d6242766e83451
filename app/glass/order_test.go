package glass_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
)

func TestDecodeOrder(t *testing.T) {
	t.Parallel()
	got, err := glass.DecodeOrder([]byte(workedExample))
	require.NoError(t, err)
	assert.Equal(t, worked(), with(got, func(o *glass.Order) { o.Pieces[0].Edge = glass.EdgePolish }))
	assert.Equal(t, glass.EdgePolish, got.Pieces[0].Edge)

	// Optional fields may be left out.
	got, err = glass.DecodeOrder([]byte(`{"pieces":[{"material":"float","thickness_mm":4,"width_mm":500,"height_mm":400,"quantity":2}]}`))
	require.NoError(t, err)
	assert.Equal(t, pieces(p(mat("float", 4), size(500, 400), qty(2))), got)
}

func TestDecodeOrder_roundTrip(t *testing.T) {
	t.Parallel()
	order := with(worked(), func(o *glass.Order) { o.Urgent, o.DiscountPercent = true, 12 })
	data, err := json.Marshal(order)
	require.NoError(t, err)
	back, err := glass.DecodeOrder(data)
	require.NoError(t, err)
	assert.Equal(t, order, back)
}

func TestDecodeOrder_errors(t *testing.T) {
	t.Parallel()
	const piece = `"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1`
	tests := []struct {
		name, json string
		want       []string // "path code"
	}{
		{"empty input", ``, []string{" invalid_json"}},
		{"malformed", `{"pieces":[{"material":"float",}]}`, []string{"pieces[0] invalid_json"}},
		{"truncated", `{"pieces":[{` + piece, []string{"pieces[0] invalid_json"}},
		{"trailing data", `{"pieces":[{` + piece + `}]} {}`, []string{" trailing_data"}},
		{"trailing garbage", `{"pieces":[{` + piece + `}]}]`, []string{" trailing_data"}},
		{"not an object", `[1,2]`, []string{" invalid_type"}},
		{"null order", `null`, []string{" invalid_type"}},
		{"missing pieces", `{}`, []string{"pieces missing"}},
		{"unknown fields", `{"pieces":[{` + piece + `,"colour":"red"}],"vat":20}`,
			[]string{"pieces[0].colour unknown_field", "vat unknown_field"}},
		{"field names are case-sensitive", `{"Pieces":[]}`, []string{"Pieces unknown_field", "pieces missing"}},
		{"repeated field", `{"pieces":[{` + piece + `,"quantity":2}]}`, []string{"pieces[0].quantity duplicate_field"}},
		{"missing required piece fields", `{"pieces":[{"material":"float"}]}`, []string{
			"pieces[0].thickness_mm missing", "pieces[0].width_mm missing",
			"pieces[0].height_mm missing", "pieces[0].quantity missing",
		}},
		{"wrong types", `{"pieces":[{"material":8,"thickness_mm":"8","width_mm":true,"height_mm":[2000],"quantity":{},
			"edge":1,"tempered":"yes","holes":12,"cutouts":null,"rounded_corners":1.5}],
			"hardware":{"code":"seal"},"installation":1,"delivery":"no","urgent":null,"discount_percent":"5"}`,
			[]string{
				"pieces[0].material invalid_type", "pieces[0].thickness_mm invalid_type", "pieces[0].width_mm invalid_type",
				"pieces[0].height_mm invalid_type", "pieces[0].quantity invalid_type", "pieces[0].edge invalid_type",
				"pieces[0].tempered invalid_type", "pieces[0].holes invalid_type", "pieces[0].cutouts invalid_type",
				"pieces[0].rounded_corners invalid_type", "hardware invalid_type", "installation invalid_type",
				"delivery invalid_type", "urgent invalid_type", "discount_percent invalid_type",
			}},
		{"fractional millimetres and exponents", `{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900.5,"height_mm":2e3,"quantity":1.0}]}`,
			[]string{"pieces[0].width_mm invalid_type", "pieces[0].height_mm invalid_type", "pieces[0].quantity invalid_type"}},
		{"number too large", `{"pieces":[{` + piece + `,"cutouts":99999999999999999999}]}`, []string{"pieces[0].cutouts out_of_range"}},
		{"bad array elements", `{"pieces":[{` + piece + `,"holes":[12,"x",null,6.5]}],"hardware":[{"code":"seal","count":1},7]}`,
			[]string{"pieces[0].holes[1] invalid_type", "pieces[0].holes[2] invalid_type", "pieces[0].holes[3] invalid_type", "hardware[1] invalid_type"}},
		{"hardware fields", `{"pieces":[{` + piece + `}],"hardware":[{"code":"seal"},{"count":1,"sku":"x"}]}`,
			[]string{"hardware[0].count missing", "hardware[1].sku unknown_field", "hardware[1].code missing"}},
		{"odd keys are quoted in the path", `{"pieces":[{` + piece + `}],"a b":1,"":2}`,
			[]string{`["a b"] unknown_field`, `[""] unknown_field`}},
		{"syntax error after other errors", `{"vat":1,"pieces":[}`, []string{"vat unknown_field", "pieces invalid_json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := glass.DecodeOrder([]byte(tt.json))
			assert.Equal(t, glass.Order{}, o)
			var verr *glass.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.want, pathCodes(verr.Errors))
			for _, fe := range verr.Errors {
				assert.NotEmpty(t, fe.Message)
				assert.NotEmpty(t, fe.MessageEN)
			}
		})
	}
}

func TestDecodeOrder_messages(t *testing.T) {
	t.Parallel()
	_, err := glass.DecodeOrder([]byte(`{"pieces":[{"material":"float","thickness_mm":8,"width_mm":"900","height_mm":900.5,"quantity":1,"x":0}]}`))
	var verr *glass.ValidationError
	require.ErrorAs(t, err, &verr)
	var en []string
	for _, fe := range verr.Errors {
		en = append(en, fe.Path+": "+fe.MessageEN)
	}
	assert.Equal(t, `pieces[0].width_mm: expected a whole number, got a string
pieces[0].height_mm: expected a whole number, got 900.5
pieces[0].x: unknown field "x"`, strings.Join(en, "\n"))
	assert.Equal(t, "ожидается целое число, получено: строка", verr.Errors[0].Message)
}

// TestValidationIsCapped: a 48 KB body of 16,000 empty pieces holds tens of thousands of
// problems; the error lists MaxFieldErrors of them and counts the rest.
func TestValidationIsCapped(t *testing.T) {
	t.Parallel()
	body := `{"pieces":[` + strings.Repeat(`{},`, 15999) + `{}],"hardware":[],"installation":false,"delivery":false,"urgent":false,"discount_percent":0}`
	_, err := glass.DecodeOrder([]byte(body))
	var verr *glass.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Len(t, verr.Errors, glass.MaxFieldErrors)
	assert.Greater(t, verr.More, 1000, "every empty piece misses several fields")
	assert.Contains(t, err.Error(), "и ещё")

	// The rules of ValidateOrder are capped the same way.
	o := glass.Order{Pieces: make([]glass.Piece, 16000)}
	err = glass.DefaultPriceList().ValidateOrder(o)
	require.ErrorAs(t, err, &verr)
	assert.Len(t, verr.Errors, glass.MaxFieldErrors)
	assert.Greater(t, verr.More, 16000)
}
