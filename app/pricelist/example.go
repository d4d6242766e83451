package pricelist

import "github.com/amokit/amokit/app/glass"

// WorkedExample is the order the admin page prices with a price list before
// it is published: a shower screen of 8 mm clear tempered glass, 900 × 2000
// mm, polished, with two 12 mm holes, a cut-out, two wall-to-glass hinges
// and installation. With the default price list it costs 17 204,00 ₽.
func WorkedExample() glass.Order {
	return glass.Order{
		Pieces: []glass.Piece{{Material: "float", ThicknessMM: 8, WidthMM: 900, HeightMM: 2000, Quantity: 1,
			Edge: glass.EdgePolish, Tempered: true, Holes: []int{12, 12}, Cutouts: 1}},
		Hardware:     []glass.HardwareItem{{Code: "hinge_wall_glass", Count: 2}},
		Installation: true,
	}
}
