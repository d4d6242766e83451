// Package glass is the pricing engine of a glass shop: it turns an order
// for cut glass and mirror (pieces with edges, tempering, holes and
// cut-outs, plus hardware, installation, delivery, urgency and a discount)
// into priced lines and a total, to the kopeck.
//
// It has no HTTP and no amoCRM inside, so any service can use it: the
// amoCRM widget, a script, a batch job.
//
// # Price lists
//
// A PriceList holds the shop's prices. DefaultPriceList returns the
// embedded default (pricelist_default.json); LoadPriceList reads a shop's
// own file in the same format and reports every problem in it at once.
// Prices in the file are roubles; in memory every amount is int64 kopecks.
// The rules that do not depend on the shop (limits, the order of the lines,
// the minimum billable area, rounding) are all in rules.go.
//
// # Quoting
//
// DecodeOrder reads an order from its JSON wire format strictly, and
// PriceList.Quote prices it:
//
//	order, err := glass.DecodeOrder(body)
//	if err != nil { ... }
//	q, err := glass.DefaultPriceList().Quote(order)
//
// Every line amount is computed exactly from the millimetres and rounded
// half-up to the kopeck once; the total is the exact sum of the lines, and
// Quote.LeadPrice is the total rounded half-up to a whole rouble, the price
// of the deal in amoCRM. Line quantities are Decimal values, exact
// fixed-point numbers that travel as JSON numbers.
//
// # Errors
//
// An invalid order is reported whole: DecodeOrder and Quote return a
// *ValidationError with one FieldError per problem, each with the JSON path
// it concerns, a stable code and a message in Russian and in English:
//
//	var verr *glass.ValidationError
//	if errors.As(err, &verr) {
//		for _, fe := range verr.Errors {
//			fmt.Println(fe.Path, fe.Code, fe.MessageEN)
//		}
//	}
//
// A price list with problems gives a *PriceListError in the same shape.
//
// # Outputs for the deal
//
// Quote.NoteText renders the quote as a Russian note for the deal, and
// Quote.Products lists the catalog products (one per SKU, quantities summed
// across pieces) to attach to it.
package glass
