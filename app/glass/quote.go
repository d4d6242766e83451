package glass

// Quote is a priced order: its lines, the total in kopecks and the deal
// price in whole roubles. Its JSON form is the wire format of the domain
// description, with one addition: each line made for a piece carries the
// index of that piece ("piece", omitted for order-wide lines).
type Quote struct {
	// Lines are the priced lines: per piece in order (material, edge,
	// tempering, holes by diameter band, cut-outs, rounded corners), then
	// hardware, urgency, installation, delivery and discount.
	Lines []Line `json:"lines"`
	// Total is the exact sum of the line amounts, in kopecks.
	Total int64 `json:"total"`
	// LeadPrice is the deal's price in amoCRM: Total rounded half-up to a
	// whole number of roubles.
	LeadPrice int64 `json:"lead_price"`
	// PriceListVersion is the version of the price list used.
	PriceListVersion string `json:"price_list_version"`
	// Order is a copy of the order that was priced, used by NoteText to
	// describe the pieces. It is not part of the wire format.
	Order Order `json:"-"`
}

// Line is one priced line of a quote.
//
// Amount is always UnitPrice × Quantity rounded half-up to the kopeck,
// computed exactly from the millimetres. Lines whose amount depends on the
// whole order rather than on a measurable quantity (urgency, installation at
// the minimum charge, discount) are one piece of work: Quantity 1, Unit
// "pcs", UnitPrice equal to Amount, and a Name that says what they are
// ("Монтаж, минимальная стоимость"). The discount line is the only line
// with a negative amount.
type Line struct {
	// Code identifies what is sold and doubles as the product SKU:
	// "float-8", "edge-polish-8", "temper-8", "hole-12", "cutout", "corner",
	// "hw-hinge_wall_glass", "urgency", "installation",
	// "installation-minimum", "delivery", "discount".
	Code string `json:"code"`
	// Name is the Russian name of what is sold.
	Name string `json:"name"`
	// Quantity is exact: square metres, metres or pieces.
	Quantity Decimal `json:"quantity"`
	// Unit is the unit of Quantity.
	Unit Unit `json:"unit"`
	// UnitPrice is the price of one unit of Quantity, in kopecks.
	UnitPrice int64 `json:"unit_price"`
	// Amount is the line's amount in kopecks.
	Amount int64 `json:"amount"`
	// Piece is the index of the piece in Order.Pieces the line was made
	// for, or nil for an order-wide line.
	Piece *int `json:"piece,omitempty"`
}

// Quote prices an order. It first checks the price list (Validate) and the
// order (ValidateOrder): an invalid order gives a *ValidationError listing
// every violation at once, an invalid price list a *PriceListError. It then
// builds the lines and totals by the rules in rules.go.
//
// Quote does not modify the price list, so concurrent calls may share it.
func (pl *PriceList) Quote(o Order) (*Quote, error) {
	if err := pl.Validate(); err != nil {
		return nil, err
	}
	if err := pl.ValidateOrder(o); err != nil {
		return nil, err
	}
	return pl.price(o), nil
}
