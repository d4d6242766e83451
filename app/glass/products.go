package glass

// Product is one catalog product to attach to the deal: what is sold, in
// which unit, at which price, and how much of it.
type Product struct {
	// SKU is the line code, stable for a given price-list code and
	// thickness: "float-8", "edge-polish-8", "temper-8", "hole-12",
	// "cutout", "corner", "hw-hinge_wall_glass", "installation",
	// "installation-minimum", "delivery".
	SKU string `json:"sku"`
	// Name is the Russian name of the product.
	Name string `json:"name"`
	// Unit is the unit of Quantity.
	Unit Unit `json:"unit"`
	// UnitPrice is the price of one unit, in kopecks.
	UnitPrice int64 `json:"unit_price"`
	// Quantity is the exact quantity sold in this order.
	Quantity Decimal `json:"quantity"`
}

// Products lists the products of the quote, one per distinct SKU in the
// order the SKUs first appear. Lines with the same SKU (the same material
// and thickness in two pieces, say) become one product with their
// quantities summed exactly; a SKU always has one unit price within a quote.
//
// Urgency and discount are not products: their price is a share of this
// particular order rather than a catalog price, so they appear only in the
// note and in the deal price. For the same reason, and because merged lines
// are rounded once instead of once per piece, the products' prices times
// quantities need not add up to Quote.Total; the deal price
// (Quote.LeadPrice) is authoritative.
func (q *Quote) Products() []Product {
	products := make([]Product, 0, len(q.Lines))
	for _, l := range q.Lines {
		if l.Code == CodeUrgency || l.Code == CodeDiscount {
			continue
		}
		merged := false
		for i := range products {
			if products[i].SKU == l.Code {
				products[i].Quantity += l.Quantity
				merged = true
				break
			}
		}
		if !merged {
			products = append(products, Product{SKU: l.Code, Name: l.Name, Unit: l.Unit,
				UnitPrice: l.UnitPrice, Quantity: l.Quantity})
		}
	}
	return products
}
