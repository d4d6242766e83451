package glass_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
)

// TestQuote_validation lists, for each rule of docs/glass-domain.md#an-order, an
// order that breaks it and the exact field errors expected (path and code),
// all reported at once.
func TestQuote_validation(t *testing.T) {
	t.Parallel()
	many := make([]glass.Piece, 51)
	for i := range many {
		many[i] = p()
	}
	tests := []struct {
		name  string
		order glass.Order
		want  []string // "path code"
	}{
		{"no pieces", glass.Order{}, []string{"pieces too_few"}},
		{"51 pieces", glass.Order{Pieces: many}, []string{"pieces too_many"}},
		{"material missing", pieces(p(mat("", 8))), []string{"pieces[0].material missing"}},
		{"unknown material", pieces(p(mat("glassy", 8))), []string{"pieces[0].material unknown_material"}},
		{
			// no material at all comes 7 mm thick
			"unknown material and thickness", pieces(p(mat("glassy", 7))),
			[]string{"pieces[0].material unknown_material", "pieces[0].thickness_mm thickness_not_sold"},
		},
		{"mirror is not sold 8 mm thick", pieces(p(mat("mirror", 8))), []string{"pieces[0].thickness_mm thickness_not_sold"}},
		{"tinted is not sold 12 mm thick", pieces(p(mat("tinted", 12))), []string{"pieces[0].thickness_mm thickness_not_sold"}},
		{
			"sides under 100 mm", pieces(p(size(99, 0))),
			[]string{"pieces[0].width_mm too_small", "pieces[0].height_mm too_small"},
		},
		{"longer side over 3210 mm", pieces(p(size(1000, 3211))), []string{"pieces[0].height_mm too_large"}},
		{
			// a square: the width counts as the longer side, so the shorter is the height
			"shorter side over 2250 mm", pieces(p(size(2251, 2251))), []string{"pieces[0].height_mm too_large"},
		},
		{
			"both sides over the sheet", pieces(p(size(4000, 3000))),
			[]string{"pieces[0].width_mm too_large", "pieces[0].height_mm too_large"},
		},
		{
			"quantity 0 and 1001", pieces(p(qty(0)), p(qty(1001))),
			[]string{"pieces[0].quantity out_of_range", "pieces[1].quantity out_of_range"},
		},
		{"unknown edge", pieces(p(edge("bevel"))), []string{"pieces[0].edge unknown_edge"}},
		{"facet on 12 mm", pieces(p(mat("float", 12), edge(glass.EdgeFacet))), []string{"pieces[0].edge facet_too_thick"}},
		{"tempered mirror", pieces(p(mat("mirror", 4), tempered)), []string{"pieces[0].tempered not_temperable"}},
		{"tempered tinted mirror", pieces(p(mat("mirror_tinted", 6), tempered)), []string{"pieces[0].tempered not_temperable"}},
		{"tempered triplex", pieces(p(mat("triplex", 8), tempered)), []string{"pieces[0].tempered not_temperable"}},
		{"tempered piece under 250 mm", pieces(p(size(240, 100), tempered)), []string{"pieces[0].tempered too_small_to_temper"}},
		{"tempered piece 249 × 249 mm", pieces(p(size(249, 249), tempered)), []string{"pieces[0].tempered too_small_to_temper"}},
		{
			"holes thinner than the glass, zero, and over 100 mm", pieces(p(holes(5, 8, 0, 101, 100))),
			[]string{"pieces[0].holes[0] too_small", "pieces[0].holes[2] too_small", "pieces[0].holes[3] too_large"},
		},
		{"more than 100 holes", pieces(p(holes(make100(101)...))), []string{"pieces[0].holes too_many"}},
		{
			"cut-outs and corners out of range", pieces(p(cutouts(21), corners(5)), p(cutouts(-1), corners(-1))),
			[]string{
				"pieces[0].cutouts out_of_range", "pieces[0].rounded_corners out_of_range",
				"pieces[1].cutouts out_of_range", "pieces[1].rounded_corners out_of_range",
			},
		},
		{
			"hardware problems",
			glass.Order{Pieces: []glass.Piece{p()}, Hardware: []glass.HardwareItem{
				{Code: "hinge", Count: 1}, {Code: "seal", Count: 0}, {Code: "seal", Count: 101}, {Code: "", Count: 1},
			}},
			[]string{
				"hardware[0].code unknown_hardware", "hardware[1].count out_of_range",
				"hardware[2].count out_of_range", "hardware[3].code missing",
			},
		},
		{"discount over 30 %", glass.Order{Pieces: []glass.Piece{p()}, DiscountPercent: 31}, []string{"discount_percent out_of_range"}},
		{"negative discount", glass.Order{Pieces: []glass.Piece{p()}, DiscountPercent: -1}, []string{"discount_percent out_of_range"}},
		{
			"everything at once",
			glass.Order{
				Pieces: []glass.Piece{
					p(mat("mirror", 8), size(50, 5000), qty(0), edge(glass.EdgeFacet), tempered, holes(3), cutouts(30)),
					p(mat("float", 12), edge(glass.EdgeFacet), corners(9)),
				},
				Hardware:        []glass.HardwareItem{{Code: "nope", Count: 0}},
				DiscountPercent: 50,
			},
			[]string{
				"pieces[0].thickness_mm thickness_not_sold",
				"pieces[0].width_mm too_small",
				"pieces[0].height_mm too_large",
				"pieces[0].quantity out_of_range",
				"pieces[0].tempered not_temperable",
				"pieces[0].holes[0] too_small",
				"pieces[0].cutouts out_of_range",
				"pieces[1].edge facet_too_thick",
				"pieces[1].rounded_corners out_of_range",
				"hardware[0].code unknown_hardware",
				"hardware[0].count out_of_range",
				"discount_percent out_of_range",
			},
		},
	}
	pl := glass.DefaultPriceList()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := pl.Quote(tt.order)
			assert.Nil(t, q)
			var verr *glass.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.want, pathCodes(verr.Errors))
			for _, fe := range verr.Errors {
				assert.NotEmpty(t, fe.Message, fe.Path)
				assert.NotEmpty(t, fe.MessageEN, fe.Path)
			}
		})
	}
}

func make100(n int) []int {
	d := make([]int, n)
	for i := range d {
		d[i] = 10
	}
	return d
}

func TestQuote_validationMessages(t *testing.T) {
	t.Parallel()
	pl := glass.DefaultPriceList()
	tests := []struct {
		order  glass.Order
		ru, en string
	}{
		{
			pieces(p(mat("mirror", 8))),
			"«Зеркало серебро» не продаётся толщиной 8 мм; есть 4, 6 мм",
			`material "mirror" is not sold 8 mm thick; it comes in 4, 6 mm`,
		},
		{
			pieces(p(size(3300, 1000))),
			"длинная сторона 3300 мм больше 3210 мм (лист 3210 × 2250 мм)",
			"the longer side of 3300 mm exceeds 3210 mm (the sheet is 3210 × 2250 mm)",
		},
		{
			pieces(p(mat("float", 12), edge(glass.EdgeFacet))),
			"фацет делается на стекле толщиной до 10 мм, а здесь 12 мм",
			"a facet edge is made on glass up to 10 mm thick, this one is 12 mm",
		},
		{
			pieces(p(size(240, 100), tempered)),
			"закалить можно изделие не меньше 250 × 100 мм, а это 240 × 100 мм",
			"tempering needs a piece of at least 250 × 100 mm, this one is 240 × 100 mm",
		},
		{
			glass.Order{Pieces: []glass.Piece{p()}, DiscountPercent: 31},
			"скидка в процентах должна быть от 0 до 30, указано 31",
			"the discount percentage must be 0 to 30, got 31",
		},
	}
	for _, tt := range tests {
		_, err := pl.Quote(tt.order)
		var verr *glass.ValidationError
		require.ErrorAs(t, err, &verr)
		require.Len(t, verr.Errors, 1)
		assert.Equal(t, tt.ru, verr.Errors[0].Message)
		assert.Equal(t, tt.en, verr.Errors[0].MessageEN)
	}
}

// TestQuote_edgeNotOffered uses a shop price list without a facet price
// for 4 mm glass.
func TestQuote_edgeNotOffered(t *testing.T) {
	t.Parallel()
	pl := glass.DefaultPriceList()
	for i := range pl.Edges {
		if pl.Edges[i].Code == glass.EdgeFacet {
			delete(pl.Edges[i].Prices, 4)
		}
	}
	require.NoError(t, pl.Validate())
	_, err := pl.Quote(pieces(p(mat("float", 4), edge(glass.EdgeFacet))))
	var verr *glass.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, []string{"pieces[0].edge edge_not_offered"}, pathCodes(verr.Errors))

	// The same order is fine with the default list, which is a separate copy.
	_, err = glass.DefaultPriceList().Quote(pieces(p(mat("float", 4), edge(glass.EdgeFacet))))
	assert.NoError(t, err)
}

func TestQuote_validBoundaries(t *testing.T) {
	t.Parallel()
	fifty := make([]glass.Piece, 50)
	for i := range fifty {
		fifty[i] = p()
	}
	orders := map[string]glass.Order{
		"50 pieces":                    {Pieces: fifty},
		"100 × 100 mm":                 pieces(p(size(100, 100))),
		"3210 × 2250 mm":               pieces(p(size(3210, 2250))),
		"quantity 1000":                pieces(p(qty(1000))),
		"hole as wide as the glass":    pieces(p(mat("float", 12), holes(12))),
		"100 holes of 100 mm":          pieces(p(holes(make100(100)...))),
		"20 cut-outs and 4 corners":    pieces(p(cutouts(20), corners(4))),
		"tempered 100 × 250 mm":        pieces(p(size(100, 250), tempered)),
		"edge none spelled out":        pieces(p(edge(glass.EdgeNone))),
		"hardware counts 1 and 100":    {Pieces: []glass.Piece{p()}, Hardware: []glass.HardwareItem{{Code: "seal", Count: 1}, {Code: "u_profile", Count: 100}}},
		"discount 0":                   {Pieces: []glass.Piece{p()}},
		"facet on mirror 6":            pieces(p(mat("mirror", 6), edge(glass.EdgeFacet))),
		"grind on triplex 8":           pieces(p(mat("triplex", 8), edge(glass.EdgeGrind))),
		"every material and thickness": everyMaterial(),
	}
	pl := glass.DefaultPriceList()
	for name, o := range orders {
		_, err := pl.Quote(o)
		assert.NoError(t, err, name)
	}
}

func everyMaterial() glass.Order {
	var o glass.Order
	for _, m := range glass.DefaultPriceList().Materials {
		for t := range m.Prices {
			o.Pieces = append(o.Pieces, p(mat(m.Code, t)))
		}
	}
	return o
}

func TestFieldError_Error(t *testing.T) {
	t.Parallel()
	fe := glass.FieldError{Path: "pieces[0].quantity", Message: "плохо"}
	assert.Equal(t, "pieces[0].quantity: плохо", fe.Error())
	fe.Path = ""
	assert.Equal(t, "плохо", fe.Error())
	err := &glass.ValidationError{Errors: []glass.FieldError{{Path: "a", Message: "x"}, {Path: "b", Message: "y"}}}
	assert.True(t, strings.HasSuffix(err.Error(), "a: x; b: y"))
}
