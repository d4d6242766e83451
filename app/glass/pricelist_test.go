package glass_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
)

func TestDefaultPriceList(t *testing.T) {
	t.Parallel()
	pl := glass.DefaultPriceList()
	require.NoError(t, pl.Validate())
	assert.Equal(t, "default-2025.1", pl.Version)

	// The tables of docs/glass-domain.md#default-price-list, in kopecks.
	materials := map[string]map[int]glass.Price{}
	for _, m := range pl.Materials {
		materials[m.Code] = m.Prices
	}
	assert.Equal(t, map[string]map[int]glass.Price{
		"float":         {4: 110000, 5: 140000, 6: 170000, 8: 230000, 10: 290000, 12: 370000},
		"optiwhite":     {4: 190000, 5: 230000, 6: 270000, 8: 360000, 10: 450000, 12: 560000},
		"satin":         {4: 180000, 5: 220000, 6: 260000, 8: 340000, 10: 420000, 12: 520000},
		"tinted":        {4: 170000, 5: 210000, 6: 250000, 8: 330000, 10: 410000},
		"mirror":        {4: 150000, 6: 240000},
		"mirror_tinted": {4: 270000, 6: 360000},
		"triplex":       {8: 450000, 10: 550000, 12: 650000},
	}, materials)
	edges := map[glass.Edge]map[int]glass.Price{}
	for _, e := range pl.Edges {
		edges[e.Code] = e.Prices
	}
	assert.Equal(t, map[glass.Edge]map[int]glass.Price{
		glass.EdgeGrind:  {4: 12000, 5: 13000, 6: 15000, 8: 18000, 10: 22000, 12: 26000},
		glass.EdgePolish: {4: 18000, 5: 20000, 6: 22000, 8: 28000, 10: 33000, 12: 38000},
		glass.EdgeFacet:  {4: 45000, 5: 47000, 6: 50000, 8: 56000, 10: 62000},
	}, edges)
	assert.Equal(t, map[int]glass.Price{4: 90000, 5: 100000, 6: 110000, 8: 130000, 10: 150000, 12: 180000}, pl.Tempering)
	assert.Equal(t, []glass.HoleBand{{12, 15000}, {30, 25000}, {100, 40000}}, pl.Holes)
	assert.Equal(t, glass.Price(80000), pl.Cutout)
	assert.Equal(t, glass.Price(15000), pl.RoundedCorner)
	hardware := map[string]glass.Price{}
	for _, h := range pl.Hardware {
		hardware[h.Code+"/"+string(h.Unit)] = h.Price
	}
	assert.Equal(t, map[string]glass.Price{
		"hinge_wall_glass/pcs": 250000, "hinge_glass_glass/pcs": 290000, "handle_knob/pcs": 150000,
		"handle_bar/pcs": 320000, "u_profile/m": 90000, "seal/m": 30000, "mirror_mount/pcs": 60000, "standoff/pcs": 45000,
	}, hardware)
	assert.Equal(t, glass.Installation{PerM2: 150000, Minimum: 300000}, pl.Installation)
	assert.Equal(t, glass.Price(200000), pl.Delivery)
	assert.Equal(t, 30, pl.UrgencyPercent)
	kinds := map[string]glass.MaterialKind{}
	for _, m := range pl.Materials {
		kinds[m.Code] = m.Kind
	}
	assert.Equal(t, glass.KindMirror, kinds["mirror"])
	assert.Equal(t, glass.KindMirror, kinds["mirror_tinted"])
	assert.Equal(t, glass.KindLaminated, kinds["triplex"])
}

func TestDefaultPriceList_freshCopy(t *testing.T) {
	t.Parallel()
	a := glass.DefaultPriceList()
	a.Materials[0].Prices[8] = 1
	a.Hardware = nil
	a.Version = "changed"
	b := glass.DefaultPriceList()
	assert.Equal(t, glass.Price(230000), b.Materials[0].Prices[8])
	assert.Len(t, b.Hardware, 8)
	assert.Equal(t, "default-2025.1", b.Version)
}

func TestLoadPriceList_roundTrip(t *testing.T) {
	t.Parallel()
	pl := glass.DefaultPriceList()
	pl.Delivery = 150050 // 1500.50 ₽
	data, err := json.Marshal(pl)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"delivery":1500.5`)
	back, err := glass.LoadPriceList(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, pl, back)
}

func TestLoadPriceList_embeddedFileIsTheDefault(t *testing.T) {
	t.Parallel()
	f, err := os.Open("pricelist_default.json")
	require.NoError(t, err)
	defer f.Close()
	pl, err := glass.LoadPriceList(f)
	require.NoError(t, err)
	assert.Equal(t, glass.DefaultPriceList(), pl)
}

// TestLoadPriceList_problems loads a price list with many problems and
// expects every one of them in one error.
func TestLoadPriceList_problems(t *testing.T) {
	t.Parallel()
	const bad = `{
	  "version": " ",
	  "materials": [
	    {"code": "float", "name": "Стекло", "kind": "glass", "prices": {"4": 1100, "8": -5}},
	    {"code": "float", "name": "", "kind": "crystal", "prices": {}},
	    {"code": "Mirror!", "name": "Зеркало", "kind": "mirror", "prices": {"6": 2400, "0": 10, "x": 1}},
	    {"code": "satin", "name": "Сатин", "kind": "glass", "prices": {"5": 10.555}, "colour": "white"},
	    {"name": "Без кода", "kind": "glass"}
	  ],
	  "edges": [
	    {"code": "grind", "name": "Шлифовка", "prices": {"4": 120, "6": 150}},
	    {"code": "bevel", "name": "Скос", "prices": {"4": 100}},
	    {"code": "grind", "name": "Ещё раз", "prices": {}}
	  ],
	  "tempering": {"4": 900},
	  "holes": [{"max_diameter_mm": 30, "price": 250}, {"max_diameter_mm": 12, "price": 150}],
	  "cutout": 800,
	  "rounded_corner": 20000000,
	  "hardware": [
	    {"code": "seal", "name": "Уплотнитель", "unit": "km", "price": 300},
	    {"code": "seal", "name": "Уплотнитель", "unit": "m", "price": 300}
	  ],
	  "installation": {"per_m2": 1500},
	  "urgency_percent": 130
	}`
	pl, err := glass.LoadPriceList(strings.NewReader(bad))
	assert.Nil(t, pl)
	var plErr *glass.PriceListError
	require.ErrorAs(t, err, &plErr)
	assert.Equal(t, []string{
		// read by the strict decoder, in document order
		`materials[2].prices["x"] invalid_type`,
		`materials[3].prices["5"] invalid_value`,
		`materials[3].colour unknown_field`,
		`materials[4].code missing`,
		`materials[4].prices missing`,
		`installation.minimum missing`,
		`delivery missing`,
		// found by validation
		`version missing`,
		`materials[0].prices["8"] negative_price`,
		`materials[1].code duplicate_code`,
		`materials[1].name missing`,
		`materials[1].kind unknown_code`,
		`materials[1].prices no_thicknesses`,
		`materials[2].code invalid_code`,
		`materials[2].prices["0"] out_of_range`,
		`materials[4].prices no_thicknesses`,
		`edges[1].code unknown_code`,
		`edges[2].code duplicate_code`,
		`edges[0].prices missing_price`, // grind for 5 mm (satin)
		`edges[0].prices missing_price`, // grind for 8 mm (float)
		`edges missing_price`,           // no polish at all
		`tempering missing_price`,       // tempering for 5 mm (satin)
		`tempering missing_price`,       // tempering for 8 mm (float)
		`holes[1].max_diameter_mm unordered`,
		`holes missing_price`, // nothing up to 100 mm
		`rounded_corner too_large`,
		`urgency_percent out_of_range`,
		`hardware[0].unit unknown_code`,
		`hardware[1].code duplicate_code`,
	}, pathCodes(plErr.Problems))
	assert.True(t, strings.HasPrefix(err.Error(), `glass: ошибки в прайс-листе: materials[2].prices["x"]: ключ "x" должен быть целым числом; `))
	assert.Contains(t, err.Error(), "; edges[0].prices: нет цены кромки «grind» для толщины 8 мм; ")
}

func TestLoadPriceList_malformed(t *testing.T) {
	t.Parallel()
	for name, input := range map[string]string{
		"syntax":   `{"version": "x", "materials": [}`,
		"trailing": `{}{}`,
		"empty":    ``,
	} {
		_, err := glass.LoadPriceList(strings.NewReader(input))
		var plErr *glass.PriceListError
		require.ErrorAs(t, err, &plErr, name)
		assert.NotEmpty(t, plErr.Problems, name)
	}

	// A syntax error is reported alone: the rest of the file cannot be judged.
	_, err := glass.LoadPriceList(strings.NewReader(`{"version": "x", "materials": [}`))
	var plErr *glass.PriceListError
	require.ErrorAs(t, err, &plErr)
	assert.Equal(t, []string{"materials invalid_json"}, pathCodes(plErr.Problems))

	_, err = glass.LoadPriceList(strings.NewReader(`"` + strings.Repeat("x", 1<<20) + `"`))
	require.ErrorAs(t, err, &plErr)
	assert.Equal(t, []string{" too_large"}, pathCodes(plErr.Problems))
}

func TestPrice_JSON(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]glass.Price{"2300": 230000, "2300.5": 230050, "0.01": 1, "-3": -300, "0": 0} {
		var p glass.Price
		require.NoError(t, json.Unmarshal([]byte(in), &p), in)
		assert.Equal(t, want, p, in)
		out, err := json.Marshal(p)
		require.NoError(t, err)
		assert.Equal(t, in, string(out))
	}
	for _, in := range []string{"0.001", "1e3", `"5"`, "1.", ".5"} {
		var p glass.Price
		assert.Error(t, json.Unmarshal([]byte(in), &p), in)
	}
}
