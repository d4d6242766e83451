package glass

// Order is what a customer asks for: one or more pieces and some
// order-wide services. Its JSON form is the wire format of the domain
// description; DecodeOrder reads it strictly.
type Order struct {
	// Pieces are the glass pieces, MinPieces to MaxPieces of them.
	Pieces []Piece `json:"pieces" glass:"required"`
	// Hardware lists resold items; a code given on several lines counts
	// the sum of their counts.
	Hardware []HardwareItem `json:"hardware,omitempty"`
	// Installation asks for installation by the shop.
	Installation bool `json:"installation"`
	// Delivery asks for delivery.
	Delivery bool `json:"delivery"`
	// Urgent asks for urgent production, at a surcharge.
	Urgent bool `json:"urgent"`
	// DiscountPercent is a discount of 0 to MaxDiscountPercent whole percent.
	DiscountPercent int `json:"discount_percent"`
}

// Piece is one size of glass or mirror, cut Quantity times.
type Piece struct {
	// Material is a material code from the price list, such as "float".
	Material string `json:"material" glass:"required"`
	// ThicknessMM must be a thickness the material is sold in.
	ThicknessMM int `json:"thickness_mm" glass:"required"`
	// WidthMM and HeightMM are the size of one piece in whole millimetres.
	WidthMM  int `json:"width_mm" glass:"required"`
	HeightMM int `json:"height_mm" glass:"required"`
	// Quantity is the number of identical pieces.
	Quantity int `json:"quantity" glass:"required"`
	// Edge is the edge processing; empty means EdgeNone.
	Edge Edge `json:"edge,omitempty"`
	// Tempered asks for tempering (закалка).
	Tempered bool `json:"tempered"`
	// Holes are the diameters of the holes in one piece, in millimetres.
	Holes []int `json:"holes,omitempty"`
	// Cutouts is the number of cut-outs in one piece.
	Cutouts int `json:"cutouts"`
	// RoundedCorners is the number of rounded corners of one piece.
	RoundedCorners int `json:"rounded_corners"`
}

// HardwareItem orders Count units of the hardware with the given price-list
// code. The count is for the whole order, not per piece.
type HardwareItem struct {
	Code  string `json:"code" glass:"required"`
	Count int    `json:"count" glass:"required"`
}

// edge returns the piece's edge, EdgeNone when unset.
func (p Piece) edge() Edge {
	if p.Edge == "" {
		return EdgeNone
	}
	return p.Edge
}

// DecodeOrder reads an order in the wire format. It is strict: unknown or
// repeated fields, values of the wrong type (including null and fractional
// millimetres), missing required fields and data after the order are all
// rejected. The problems are reported at once in a *ValidationError whose
// field errors carry the JSON path, such as pieces[0].width_mm: the first
// MaxFieldErrors of them, the rest counted in More.
//
// DecodeOrder checks the form of the order only; Quote and
// PriceList.ValidateOrder check it against the rules and the price list.
func DecodeOrder(data []byte) (Order, error) {
	var o Order
	if errs, more := decodeStrictLimit(data, &o, MaxFieldErrors); len(errs) > 0 {
		return Order{}, &ValidationError{Errors: errs, More: more}
	}
	return o, nil
}

// clone returns a deep copy of the order, so a Quote does not share slices
// with its caller.
func (o Order) clone() Order {
	c := o
	c.Pieces = make([]Piece, len(o.Pieces))
	for i, p := range o.Pieces {
		c.Pieces[i] = p
		if p.Holes != nil {
			c.Pieces[i].Holes = append([]int(nil), p.Holes...)
		}
	}
	if o.Hardware != nil {
		c.Hardware = append([]HardwareItem(nil), o.Hardware...)
	}
	return c
}
