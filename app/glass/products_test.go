package glass_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
)

func TestQuote_Products(t *testing.T) {
	t.Parallel()
	order := glass.Order{
		Pieces: []glass.Piece{
			p(size(900, 2000), edge(glass.EdgePolish), tempered, holes(12, 12), cutouts(1)),
			p(size(500, 600), qty(2), edge(glass.EdgePolish), holes(14)),
		},
		Hardware:     []glass.HardwareItem{{Code: "hinge_wall_glass", Count: 2}, {Code: "seal", Count: 3}},
		Installation: true, Delivery: true, Urgent: true, DiscountPercent: 5,
	}
	q, err := glass.DefaultPriceList().Quote(order)
	require.NoError(t, err)
	assert.Equal(t, []glass.Product{
		// 1.8 m² + 2 × 0.3 m² = 2.4 m²
		{SKU: "float-8", Name: "Стекло прозрачное М1, 8 мм", Unit: glass.UnitM2, UnitPrice: 230000, Quantity: 2_400_000},
		// 5.8 m + 2 × 2.2 m = 10.2 m
		{SKU: "edge-polish-8", Name: "Полировка кромки, 8 мм", Unit: glass.UnitM, UnitPrice: 28000, Quantity: 10_200_000},
		{SKU: "temper-8", Name: "Закалка, 8 мм", Unit: glass.UnitM2, UnitPrice: 130000, Quantity: 1_800_000},
		{SKU: "hole-12", Name: "Отверстие до 12 мм", Unit: glass.UnitPcs, UnitPrice: 15000, Quantity: 2_000_000},
		{SKU: "cutout", Name: "Вырез", Unit: glass.UnitPcs, UnitPrice: 80000, Quantity: 1_000_000},
		// one 14 mm hole in each of 2 pieces
		{SKU: "hole-30", Name: "Отверстие 13–30 мм", Unit: glass.UnitPcs, UnitPrice: 25000, Quantity: 2_000_000},
		{SKU: "hw-hinge_wall_glass", Name: "Петля душевая стена–стекло", Unit: glass.UnitPcs, UnitPrice: 250000, Quantity: 2_000_000},
		{SKU: "hw-seal", Name: "Уплотнитель", Unit: glass.UnitM, UnitPrice: 30000, Quantity: 3_000_000},
		// 1.8 + 0.6 = 2.4 m² × 1500 = 3600 ≥ 3000
		{SKU: "installation", Name: "Монтаж", Unit: glass.UnitM2, UnitPrice: 150000, Quantity: 2_400_000},
		{SKU: "delivery", Name: "Доставка", Unit: glass.UnitPcs, UnitPrice: 200000, Quantity: 1_000_000},
		// no urgency, no discount
	}, q.Products())
}

// TestQuote_ProductsConsistent checks on generated orders that every SKU
// has one name, unit and unit price, and that each product's quantity is
// the exact sum of its lines.
func TestQuote_ProductsConsistent(t *testing.T) {
	t.Parallel()
	pl := glass.DefaultPriceList()
	gen := newOrderGen(pl, 7)
	for range 300 {
		q, err := pl.Quote(gen.order())
		require.NoError(t, err)
		sums := map[string]glass.Decimal{}
		for _, l := range q.Lines {
			sums[l.Code] += l.Quantity
		}
		seen := map[string]bool{}
		for _, pr := range q.Products() {
			assert.False(t, seen[pr.SKU], "SKU %s twice", pr.SKU)
			seen[pr.SKU] = true
			assert.NotEqual(t, glass.CodeUrgency, pr.SKU)
			assert.NotEqual(t, glass.CodeDiscount, pr.SKU)
			assert.Equal(t, sums[pr.SKU], pr.Quantity, pr.SKU)
			for _, l := range q.Lines {
				if l.Code == pr.SKU {
					assert.Equal(t, []any{pr.Name, pr.Unit, pr.UnitPrice}, []any{l.Name, l.Unit, l.UnitPrice}, pr.SKU)
				}
			}
		}
	}
}
