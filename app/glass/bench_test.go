package glass_test

import (
	"testing"

	"github.com/amokit/amokit/app/glass"
)

// BenchmarkQuote20Pieces quotes a busy 20-piece order: every piece has an
// edge, half are tempered, all have holes, and every order-wide service is
// on.
func BenchmarkQuote20Pieces(b *testing.B) {
	pl := glass.DefaultPriceList()
	order := glass.Order{
		Hardware: []glass.HardwareItem{
			{Code: "hinge_wall_glass", Count: 4}, {Code: "handle_bar", Count: 2}, {Code: "seal", Count: 12},
		},
		Installation: true, Delivery: true, Urgent: true, DiscountPercent: 10,
	}
	materials := []string{"float", "optiwhite", "satin", "tinted"}
	for i := range 20 {
		order.Pieces = append(order.Pieces, glass.Piece{
			Material: materials[i%len(materials)], ThicknessMM: []int{6, 8, 10}[i%3],
			WidthMM: 400 + 50*i, HeightMM: 1800 - 30*i, Quantity: 1 + i%3,
			Edge:     []glass.Edge{glass.EdgeGrind, glass.EdgePolish, glass.EdgeFacet}[i%3],
			Tempered: i%2 == 0, Holes: []int{12, 12, 20, 40}[:1+i%4], Cutouts: i % 2, RoundedCorners: i % 5,
		})
	}
	if _, err := pl.Quote(order); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pl.Quote(order); err != nil {
			b.Fatal(err)
		}
	}
}
