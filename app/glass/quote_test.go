package glass_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
)

// workedExample is the order of the worked example in the domain
// description, in its wire format.
const workedExample = `{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1,
  "edge":"polish","tempered":true,"holes":[12,12],"cutouts":1,"rounded_corners":0}],
 "hardware":[{"code":"hinge_wall_glass","count":2}],
 "installation":true,"delivery":false,"urgent":false,"discount_percent":0}`

func TestQuote_workedExample(t *testing.T) {
	t.Parallel()
	order, err := glass.DecodeOrder([]byte(workedExample))
	require.NoError(t, err)
	q, err := glass.DefaultPriceList().Quote(order)
	require.NoError(t, err)

	piece := func(i int) *int { return &i }
	want := []glass.Line{
		// 900 × 2000 mm = 1.8 m² × 2300 ₽ = 4140.00 ₽
		{Code: "float-8", Name: "Стекло прозрачное М1, 8 мм", Quantity: 1_800_000, Unit: glass.UnitM2, UnitPrice: 230000, Amount: 414000, Piece: piece(0)},
		// 2 × (900 + 2000) = 5.8 m × 280 ₽ = 1624.00 ₽
		{Code: "edge-polish-8", Name: "Полировка кромки, 8 мм", Quantity: 5_800_000, Unit: glass.UnitM, UnitPrice: 28000, Amount: 162400, Piece: piece(0)},
		// 1.8 m² × 1300 ₽ = 2340.00 ₽
		{Code: "temper-8", Name: "Закалка, 8 мм", Quantity: 1_800_000, Unit: glass.UnitM2, UnitPrice: 130000, Amount: 234000, Piece: piece(0)},
		// 2 holes × 150 ₽ = 300.00 ₽
		{Code: "hole-12", Name: "Отверстие до 12 мм", Quantity: 2_000_000, Unit: glass.UnitPcs, UnitPrice: 15000, Amount: 30000, Piece: piece(0)},
		// 1 × 800 ₽
		{Code: "cutout", Name: "Вырез", Quantity: 1_000_000, Unit: glass.UnitPcs, UnitPrice: 80000, Amount: 80000, Piece: piece(0)},
		// 2 × 2500 ₽ = 5000.00 ₽
		{Code: "hw-hinge_wall_glass", Name: "Петля душевая стена–стекло", Quantity: 2_000_000, Unit: glass.UnitPcs, UnitPrice: 250000, Amount: 500000},
		// max(1.8 × 1500 = 2700, 3000) = 3000.00 ₽
		{Code: "installation-minimum", Name: "Монтаж, минимальная стоимость", Quantity: 1_000_000, Unit: glass.UnitPcs, UnitPrice: 300000, Amount: 300000},
	}
	assert.Equal(t, want, q.Lines)
	// 4140 + 1624 + 2340 + 300 + 800 + 5000 + 3000 = 17204.00 ₽
	assert.Equal(t, int64(1_720_400), q.Total)
	assert.Equal(t, int64(17204), q.LeadPrice)
	assert.Equal(t, "default-2025.1", q.PriceListVersion)
}

func TestQuote_wireFormat(t *testing.T) {
	t.Parallel()
	order, err := glass.DecodeOrder([]byte(workedExample))
	require.NoError(t, err)
	q, err := glass.DefaultPriceList().Quote(order)
	require.NoError(t, err)
	got, err := json.Marshal(q)
	require.NoError(t, err)
	want := `{"lines":[
	 {"code":"float-8","name":"Стекло прозрачное М1, 8 мм","quantity":1.8,"unit":"m2","unit_price":230000,"amount":414000,"piece":0},
	 {"code":"edge-polish-8","name":"Полировка кромки, 8 мм","quantity":5.8,"unit":"m","unit_price":28000,"amount":162400,"piece":0},
	 {"code":"temper-8","name":"Закалка, 8 мм","quantity":1.8,"unit":"m2","unit_price":130000,"amount":234000,"piece":0},
	 {"code":"hole-12","name":"Отверстие до 12 мм","quantity":2,"unit":"pcs","unit_price":15000,"amount":30000,"piece":0},
	 {"code":"cutout","name":"Вырез","quantity":1,"unit":"pcs","unit_price":80000,"amount":80000,"piece":0},
	 {"code":"hw-hinge_wall_glass","name":"Петля душевая стена–стекло","quantity":2,"unit":"pcs","unit_price":250000,"amount":500000},
	 {"code":"installation-minimum","name":"Монтаж, минимальная стоимость","quantity":1,"unit":"pcs","unit_price":300000,"amount":300000}],
	 "total":1720400,"lead_price":17204,"price_list_version":"default-2025.1"}`
	assert.JSONEq(t, want, string(got))

	// A quote read back from JSON keeps every line exactly.
	var back glass.Quote
	require.NoError(t, json.Unmarshal(got, &back))
	assert.Equal(t, q.Lines, back.Lines)
	assert.Equal(t, q.Total, back.Total)
}

// p returns a piece of float glass 8 mm, 1000 × 1000 mm, one of it, with
// the changes applied.
func p(changes ...func(*glass.Piece)) glass.Piece {
	pc := glass.Piece{Material: "float", ThicknessMM: 8, WidthMM: 1000, HeightMM: 1000, Quantity: 1}
	for _, c := range changes {
		c(&pc)
	}
	return pc
}

func mat(code string, t int) func(*glass.Piece) {
	return func(p *glass.Piece) { p.Material, p.ThicknessMM = code, t }
}

func size(w, h int) func(*glass.Piece) {
	return func(p *glass.Piece) { p.WidthMM, p.HeightMM = w, h }
}

func qty(n int) func(*glass.Piece) { return func(p *glass.Piece) { p.Quantity = n } }

func edge(e glass.Edge) func(*glass.Piece) { return func(p *glass.Piece) { p.Edge = e } }

func tempered(p *glass.Piece) { p.Tempered = true }

func holes(d ...int) func(*glass.Piece) { return func(p *glass.Piece) { p.Holes = d } }

func cutouts(n int) func(*glass.Piece) { return func(p *glass.Piece) { p.Cutouts = n } }

func corners(n int) func(*glass.Piece) { return func(p *glass.Piece) { p.RoundedCorners = n } }

func pieces(ps ...glass.Piece) glass.Order { return glass.Order{Pieces: ps} }

// worked returns the worked example's order as a Go value.
func worked() glass.Order {
	return glass.Order{
		Pieces:       []glass.Piece{p(size(900, 2000), edge(glass.EdgePolish), tempered, holes(12, 12), cutouts(1))},
		Hardware:     []glass.HardwareItem{{Code: "hinge_wall_glass", Count: 2}},
		Installation: true,
	}
}

func with(o glass.Order, change func(*glass.Order)) glass.Order {
	change(&o)
	return o
}

// TestQuote_totals prices orders whose totals are worked out by hand from
// the default price list. Amounts in the comments are roubles; the expected
// totals are kopecks.
func TestQuote_totals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		order     glass.Order
		total     int64  // kopecks
		leadPrice int64  // roubles
		codes     string // the line codes, space-separated
	}{
		{
			// 1.0 m² × 2300 = 2300.00
			name: "material only", order: pieces(p()),
			total: 230000, leadPrice: 2300, codes: "float-8",
		},
		{
			// 200 × 300 = 0.06 m², billed as 0.25 m² × 1100 = 275.00
			name: "small piece billed at a quarter of a square metre", order: pieces(p(mat("float", 4), size(200, 300))),
			total: 27500, leadPrice: 275, codes: "float-4",
		},
		{
			// 500 × 499 = 0.2495 m², just under the minimum: 0.25 × 1100 = 275.00
			name: "minimum billable area just under a quarter", order: pieces(p(mat("float", 4), size(500, 499))),
			total: 27500, leadPrice: 275, codes: "float-4",
		},
		{
			// 1200 × 800 = 0.96 m² × 3 = 2.88 m² × 1700 = 4896.00
			name: "quantity multiplies the area", order: pieces(p(mat("float", 6), size(1200, 800), qty(3))),
			total: 489600, leadPrice: 4896, codes: "float-6",
		},
		{
			// 300 × 300 = 0.09 m² → 0.25 m² per piece × 4 = 1.0 m² × 1500 = 1500.00 (not 0.36 × 1500)
			name: "minimum area applies per piece before quantity", order: pieces(p(mat("mirror", 4), size(300, 300), qty(4))),
			total: 150000, leadPrice: 1500, codes: "mirror-4",
		},
		{
			// 0.5 m² × 1100 = 550; perimeter 2 × (1000 + 500) = 3.0 m × 120 = 360; 550 + 360 = 910.00
			name: "grind edge", order: pieces(p(mat("float", 4), size(1000, 500), edge(glass.EdgeGrind))),
			total: 91000, leadPrice: 910, codes: "float-4 edge-grind-4",
		},
		{
			// 1500 × 700 = 1.05 m² × 2 = 2.1 m² × 2900 = 6090;
			// perimeter 2 × 2200 = 4.4 m × 2 = 8.8 m × 330 = 2904; 6090 + 2904 = 8994.00
			name: "polish edge with quantity", order: pieces(p(mat("float", 10), size(1500, 700), qty(2), edge(glass.EdgePolish))),
			total: 899400, leadPrice: 8994, codes: "float-10 edge-polish-10",
		},
		{
			// 800 × 600 = 0.48 m² × 4500 = 2160; perimeter 2.8 m × 620 = 1736; 2160 + 1736 = 3896.00
			name: "facet on 10 mm, the thickest allowed", order: pieces(p(mat("optiwhite", 10), size(800, 600), edge(glass.EdgeFacet))),
			total: 389600, leadPrice: 3896, codes: "optiwhite-10 edge-facet-10",
		},
		{
			// 600 × 400 = 0.24 m² → 0.25 × 1500 = 375; perimeter 2.0 m × 450 = 900 (the edge uses the
			// real perimeter, not the billable area); 375 + 900 = 1275.00
			name: "facet on mirror", order: pieces(p(mat("mirror", 4), size(600, 400), edge(glass.EdgeFacet))),
			total: 127500, leadPrice: 1275, codes: "mirror-4 edge-facet-4",
		},
		{
			// 1000 × 600 = 0.6 m² × 2600 = 1560; tempering 0.6 × 1100 = 660; 1560 + 660 = 2220.00
			name: "tempering", order: pieces(p(mat("satin", 6), size(1000, 600), tempered)),
			total: 222000, leadPrice: 2220, codes: "satin-6 temper-6",
		},
		{
			// 250 × 100, the smallest temperable piece: 0.025 m² → 0.25 × 1100 = 275;
			// tempering also on the billable 0.25 m² × 900 = 225; 275 + 225 = 500.00
			name: "smallest tempered piece bills a quarter of a square metre", order: pieces(p(mat("float", 4), size(250, 100), tempered)),
			total: 50000, leadPrice: 500, codes: "float-4 temper-4",
		},
		{
			// 2300 + holes 8 mm (= thickness) and 12 mm, both ≤ 12: 2 × 150 = 300; 2600.00
			name: "holes up to 12 mm", order: pieces(p(holes(8, 12))),
			total: 260000, leadPrice: 2600, codes: "float-8 hole-12",
		},
		{
			// 2300 + holes 13 and 30 mm, both 13–30: 2 × 250 = 500; 2800.00
			name: "holes 13 to 30 mm", order: pieces(p(holes(13, 30))),
			total: 280000, leadPrice: 2800, codes: "float-8 hole-30",
		},
		{
			// 2300 + holes 31 and 100 mm, both 31–100: 2 × 400 = 800; 3100.00
			name: "holes 31 to 100 mm", order: pieces(p(holes(31, 100))),
			total: 310000, leadPrice: 3100, codes: "float-8 hole-100",
		},
		{
			// 2 m² × 1700 = 3400; holes 6, 20, 50 on each of 2 pieces: 2 × 150 + 2 × 250 + 2 × 400 = 1600;
			// 3400 + 1600 = 5000.00
			name: "holes of every band times piece quantity", order: pieces(p(mat("float", 6), qty(2), holes(50, 6, 20))),
			total: 500000, leadPrice: 5000, codes: "float-6 hole-12 hole-30 hole-100",
		},
		{
			// 2 m² × 2300 = 4600; cut-outs 3 × 2 = 6 × 800 = 4800; corners 4 × 2 = 8 × 150 = 1200;
			// 4600 + 4800 + 1200 = 10600.00
			name: "cut-outs and rounded corners times piece quantity", order: pieces(p(qty(2), cutouts(3), corners(4))),
			total: 1060000, leadPrice: 10600, codes: "float-8 cutout corner",
		},
		{
			// 1100 + U-profile 3 m × 900 = 2700 + seal 5 m × 300 = 1500 + knob 1 × 1500 = 1500; 6800.00
			name: "hardware by the piece and by the metre",
			order: glass.Order{Pieces: []glass.Piece{p(mat("float", 4))}, Hardware: []glass.HardwareItem{
				{Code: "u_profile", Count: 3}, {Code: "seal", Count: 5}, {Code: "handle_knob", Count: 1}}},
			total: 680000, leadPrice: 6800, codes: "float-4 hw-u_profile hw-seal hw-handle_knob",
		},
		{
			// 5 × 1.0 m² × 1100 = 5500; standoffs 4 × 450 = 1800, not multiplied by the 5 pieces; 7300.00
			name: "hardware count is per order, not per piece",
			order: glass.Order{Pieces: []glass.Piece{p(mat("float", 4), qty(5))}, Hardware: []glass.HardwareItem{
				{Code: "standoff", Count: 4}}},
			total: 730000, leadPrice: 7300, codes: "float-4 hw-standoff",
		},
		{
			// production: 2300 + perimeter 4.0 m × 280 = 1120 → 3420; hinges 2 × 2900 = 5800 (no urgency on it);
			// urgency 30 % × 3420 = 1026; 3420 + 5800 + 1026 = 10246.00
			name: "urgency is 30 % of production, not of hardware",
			order: glass.Order{Pieces: []glass.Piece{p(edge(glass.EdgePolish))}, Urgent: true,
				Hardware: []glass.HardwareItem{{Code: "hinge_glass_glass", Count: 2}}},
			total: 1024600, leadPrice: 10246, codes: "float-8 edge-polish-8 hw-hinge_glass_glass urgency",
		},
		{
			// 501 × 500 = 0.2505 m² × 1100 = 275.55; urgency 30 % × 275.55 = 82.665 → 82.67 (half-up);
			// 275.55 + 82.67 = 358.22
			name:  "urgency rounds half-up to the kopeck",
			order: glass.Order{Pieces: []glass.Piece{p(mat("float", 4), size(501, 500))}, Urgent: true},
			total: 35822, leadPrice: 358, codes: "float-4 urgency",
		},
		{
			// 1001 × 550 = 0.55055 m² × 1100 = 605.605 → 605.61 (half-up; half-even would give 605.60);
			// deal price 605.61 → 606
			name: "a line rounds half-up to the kopeck", order: pieces(p(mat("float", 4), size(1001, 550))),
			total: 60561, leadPrice: 606, codes: "float-4",
		},
		{
			// two pieces of 1001 × 550: each line 605.605 → 605.61 on its own, 1211.22 in all
			// (merging them first would give 1.1011 m² × 1100 = 1211.21)
			name:  "lines are per piece and rounded once each",
			order: pieces(p(mat("float", 4), size(1001, 550)), p(mat("float", 4), size(550, 1001))),
			total: 121122, leadPrice: 1211, codes: "float-4 float-4",
		},
		{
			// 1500 × 1500 = 2.25 m² × 2300 = 5175; installation 2.25 × 1500 = 3375 ≥ 3000; 5175 + 3375 = 8550.00
			name:  "installation by area above the minimum",
			order: glass.Order{Pieces: []glass.Piece{p(size(1500, 1500))}, Installation: true},
			total: 855000, leadPrice: 8550, codes: "float-8 installation",
		},
		{
			// 1100 + installation max(1.0 × 1500 = 1500, 3000) = 3000; 4100.00
			name:  "installation at the minimum charge",
			order: glass.Order{Pieces: []glass.Piece{p(mat("float", 4))}, Installation: true},
			total: 410000, leadPrice: 4100, codes: "float-4 installation-minimum",
		},
		{
			// 10 × (200 × 200 → 0.25 m²) = 2.5 m² × 1100 = 2750; 1.0 m² × 1100 = 1100;
			// installation (2.5 + 1.0) = 3.5 m² × 1500 = 5250; 2750 + 1100 + 5250 = 9100.00
			name: "installation on the billable area of all pieces and quantities",
			order: glass.Order{Pieces: []glass.Piece{p(mat("float", 4), size(200, 200), qty(10)), p(mat("float", 4))},
				Installation: true},
			total: 910000, leadPrice: 9100, codes: "float-4 float-4 installation",
		},
		{
			// 1100 + delivery 2000 = 3100.00
			name:  "delivery is a flat fee",
			order: glass.Order{Pieces: []glass.Piece{p(mat("float", 4))}, Delivery: true},
			total: 310000, leadPrice: 3100, codes: "float-4 delivery",
		},
		{
			// worked example 17204 + delivery 2000 = 19204; discount 10 % = 1920.40; 17283.60 → deal 17284
			name:  "discount on everything above, hardware and services included",
			order: with(worked(), func(o *glass.Order) { o.Delivery, o.DiscountPercent = true, 10 }),
			total: 1728360, leadPrice: 17284,
			codes: "float-8 edge-polish-8 temper-8 hole-12 cutout hw-hinge_wall_glass installation-minimum delivery discount",
		},
		{
			// 510 × 500 = 0.255 m² × 1100 = 280.50; discount 5 % = 14.025 → 14.03 (half-up); 266.47 → 266
			name:  "discount rounds half-up to the kopeck",
			order: glass.Order{Pieces: []glass.Piece{p(mat("float", 4), size(510, 500))}, DiscountPercent: 5},
			total: 26647, leadPrice: 266, codes: "float-4 discount",
		},
		{
			// 2300 − 30 % (690) = 1610.00
			name: "largest discount", order: glass.Order{Pieces: []glass.Piece{p()}, DiscountPercent: 30},
			total: 161000, leadPrice: 1610, codes: "float-8 discount",
		},
		{
			// worked example, urgent, with delivery and 30 % off:
			// production 4140 + 1624 + 2340 + 300 + 800 = 9204; urgency 30 % = 2761.20;
			// above = 9204 + 5000 + 2761.20 + 3000 + 2000 = 21965.20; discount 30 % = 6589.56;
			// 21965.20 − 6589.56 = 15375.64 → deal 15376
			name:  "every order-wide service at once",
			order: with(worked(), func(o *glass.Order) { o.Urgent, o.Delivery, o.DiscountPercent = true, true, 30 }),
			total: 1537564, leadPrice: 15376,
			codes: "float-8 edge-polish-8 temper-8 hole-12 cutout hw-hinge_wall_glass urgency installation-minimum delivery discount",
		},
		{
			// 510 × 500 = 0.255 m² × 1100 = 280.50 → deal price 281 (half-up)
			name: "deal price rounds half a rouble up", order: pieces(p(mat("float", 4), size(510, 500))),
			total: 28050, leadPrice: 281, codes: "float-4",
		},
		{
			// 853 × 300 = 0.2559 m² × 1100 = 281.49 → deal price 281
			name: "deal price rounds 49 kopecks down", order: pieces(p(mat("float", 4), size(853, 300))),
			total: 28149, leadPrice: 281, codes: "float-4",
		},
		{
			// 1000 × 2000 = 2.0 m² × 6500 = 13000; perimeter 6.0 m × 380 = 2280; 15280.00
			name: "triplex 12 mm with polished edges", order: pieces(p(mat("triplex", 12), size(1000, 2000), edge(glass.EdgePolish))),
			total: 1528000, leadPrice: 15280, codes: "triplex-12 edge-polish-12",
		},
		{
			// 3210 × 2250 = 7.2225 m² × 3700 = 26723.25 → deal 26723
			name: "a whole stock sheet", order: pieces(p(mat("float", 12), size(3210, 2250))),
			total: 2672325, leadPrice: 26723, codes: "float-12",
		},
		{
			// the same sheet turned: 2250 × 3210 = 7.2225 m² × 3700 = 26723.25
			name: "a whole stock sheet turned", order: pieces(p(mat("float", 12), size(2250, 3210))),
			total: 2672325, leadPrice: 26723, codes: "float-12",
		},
		{
			// 700 × 1900 = 1.33 m² × 3 = 3.99 m² × 4100 = 16359; perimeter 2 × 2600 = 5.2 m × 3 = 15.6 m × 220 = 3432;
			// tempering 3.99 × 1500 = 5985; hole 10 mm (= thickness) × 3 = 3 × 150 = 450;
			// 16359 + 3432 + 5985 + 450 = 26226.00
			name:  "tinted 10 mm, ground, tempered, drilled, three of them",
			order: pieces(p(mat("tinted", 10), size(700, 1900), qty(3), edge(glass.EdgeGrind), tempered, holes(10))),
			total: 2622600, leadPrice: 26226, codes: "tinted-10 edge-grind-10 temper-10 hole-12",
		},
		{
			// piece 1: 2300 + 4.0 m × 280 = 1120; piece 2: 500 × 600 = 0.3 m² × 2300 = 690 + 2.2 m × 280 = 616;
			// 2300 + 1120 + 690 + 616 = 4726.00
			name:  "two pieces of one material keep their own lines",
			order: pieces(p(edge(glass.EdgePolish)), p(size(500, 600), edge(glass.EdgePolish))),
			total: 472600, leadPrice: 4726, codes: "float-8 edge-polish-8 float-8 edge-polish-8",
		},
		{
			// 3 × (400 × 500 = 0.2 m² → 0.25) = 0.75 m² × 1500 = 1125; 4 mounts × 600 = 2400;
			// installation 0.75 × 1500 = 1125 < 3000 → 3000; 1125 + 2400 + 3000 = 6525; 5 % off = 326.25; 6198.75 → 6199
			name: "mirrors with mounts, installed, with a discount",
			order: glass.Order{Pieces: []glass.Piece{p(mat("mirror", 4), size(400, 500), qty(3))},
				Hardware: []glass.HardwareItem{{Code: "mirror_mount", Count: 4}}, Installation: true, DiscountPercent: 5},
			total: 619875, leadPrice: 6199, codes: "mirror-4 hw-mirror_mount installation-minimum discount",
		},
	}
	require.GreaterOrEqual(t, len(tests), 30)
	pl := glass.DefaultPriceList()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := pl.Quote(tt.order)
			require.NoError(t, err)
			assert.Equal(t, tt.total, q.Total, "total in kopecks")
			assert.Equal(t, tt.leadPrice, q.LeadPrice, "deal price in roubles")
			assert.Equal(t, tt.codes, lineCodes(q))
		})
	}
}

func lineCodes(q *glass.Quote) string {
	s := ""
	for i, l := range q.Lines {
		if i > 0 {
			s += " "
		}
		s += l.Code
	}
	return s
}

func TestQuote_linesKeepTheirPiece(t *testing.T) {
	t.Parallel()
	order := glass.Order{
		Pieces:   []glass.Piece{p(edge(glass.EdgeGrind)), p(mat("float", 4), holes(6))},
		Hardware: []glass.HardwareItem{{Code: "seal", Count: 2}},
		Delivery: true,
	}
	q, err := glass.DefaultPriceList().Quote(order)
	require.NoError(t, err)
	var got []any
	for _, l := range q.Lines {
		if l.Piece == nil {
			got = append(got, l.Code+"@order")
		} else {
			got = append(got, l.Code+"@"+string(rune('0'+*l.Piece)))
		}
	}
	assert.Equal(t, []any{"float-8@0", "edge-grind-8@0", "float-4@1", "hole-12@1", "hw-seal@order", "delivery@order"}, got)
}

// TestQuote_lineInvariant checks amount = round_half_up(quantity × unit
// price) on the lines of a varied order, with the rounding done here by
// hand: quantity in millionths × price, plus half a million, divided by a
// million.
func TestQuote_lineInvariant(t *testing.T) {
	t.Parallel()
	order := with(worked(), func(o *glass.Order) {
		o.Pieces = append(o.Pieces, p(mat("float", 4), size(1001, 550), qty(3), edge(glass.EdgeGrind), tempered, corners(2)))
		o.Urgent, o.Delivery, o.DiscountPercent = true, true, 7
	})
	q, err := glass.DefaultPriceList().Quote(order)
	require.NoError(t, err)
	for _, l := range q.Lines {
		sign := int64(1)
		if l.UnitPrice < 0 {
			sign = -1
		}
		want := sign * ((int64(l.Quantity)*sign*l.UnitPrice + 500_000) / 1_000_000)
		assert.Equal(t, want, l.Amount, l.Code)
	}
	urgency := q.Lines[len(q.Lines)-4] // then installation, delivery, discount
	require.Equal(t, glass.CodeUrgency, urgency.Code)
	// The urgency line is one piece of work priced at its amount.
	assert.Equal(t, glass.DecimalFromInt(1), urgency.Quantity)
	assert.Equal(t, glass.UnitPcs, urgency.Unit)
}

func TestQuote_invalidPriceList(t *testing.T) {
	t.Parallel()
	pl := glass.DefaultPriceList()
	pl.Delivery = -1
	_, err := pl.Quote(worked())
	var plErr *glass.PriceListError
	require.ErrorAs(t, err, &plErr)
	assert.Equal(t, []string{"delivery negative_price"}, pathCodes(plErr.Problems))
}

func pathCodes(errs []glass.FieldError) []string {
	out := make([]string, len(errs))
	for i, fe := range errs {
		out[i] = fe.Path + " " + fe.Code
	}
	return out
}

func TestQuote_doesNotAliasTheOrder(t *testing.T) {
	t.Parallel()
	order := worked()
	q, err := glass.DefaultPriceList().Quote(order)
	require.NoError(t, err)
	order.Pieces[0].Holes[0] = 99
	order.Hardware[0].Count = 50
	assert.Equal(t, []int{12, 12}, q.Order.Pieces[0].Holes)
	assert.Equal(t, 2, q.Order.Hardware[0].Count)
}

func TestValidationError_errorsAs(t *testing.T) {
	t.Parallel()
	_, err := glass.DefaultPriceList().Quote(pieces(p(holes(5))))
	var verr *glass.ValidationError
	require.True(t, errors.As(err, &verr))
	require.Len(t, verr.Errors, 1)
	fe := verr.Errors[0]
	assert.Equal(t, "pieces[0].holes[0]", fe.Path)
	assert.Equal(t, glass.CodeTooSmall, fe.Code)
	assert.Equal(t, "отверстие 5 мм меньше толщины стекла 8 мм", fe.Message)
	assert.Equal(t, "a 5 mm hole is smaller than the 8 mm glass it goes through", fe.MessageEN)
	assert.Equal(t, "glass: заказ не прошёл проверку: pieces[0].holes[0]: отверстие 5 мм меньше толщины стекла 8 мм", err.Error())
}

// A hardware code given on two order lines is priced as one line with the counts summed, exactly
// as if it had been given once.
func TestQuote_sameHardwareTwiceIsSummed(t *testing.T) {
	t.Parallel()
	twice, err := glass.DecodeOrder([]byte(`{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1}],
	 "hardware":[{"code":"hinge_wall_glass","count":2},{"code":"handle_knob","count":1},{"code":"hinge_wall_glass","count":3}]}`))
	require.NoError(t, err)
	once, err := glass.DecodeOrder([]byte(`{"pieces":[{"material":"float","thickness_mm":8,"width_mm":900,"height_mm":2000,"quantity":1}],
	 "hardware":[{"code":"hinge_wall_glass","count":5},{"code":"handle_knob","count":1}]}`))
	require.NoError(t, err)
	pl := glass.DefaultPriceList()
	got, err := pl.Quote(twice)
	require.NoError(t, err, "the same code on two lines is not an error")
	want, err := pl.Quote(once)
	require.NoError(t, err)
	assert.Equal(t, want.Lines, got.Lines)
	assert.Equal(t, want.Total, got.Total)
	assert.Equal(t, want.Products(), got.Products())
}
