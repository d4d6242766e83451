// Package calculator is the backend of the glass-shop calculator that runs in an amoCRM lead
// card: it prices orders with package glass, saves calculations and writes them to the lead
// (price, a note with the breakdown, the catalog products), and reads the lead's card. It is
// served by the generic widget kit (package widget), which checks who is calling; NewHandler
// wires the two. NewPage is the page the widget frames in the card (web/calculator.html, its
// stylesheet and script in Assets), set as widget.Config.Page.
//
//	page, err := calculator.NewPage(prices) // a *pricelist.Live, or any PriceSource
//	…
//	h, err := calculator.NewHandler(calculator.Config{
//		Config:       widget.Config{PublicURL: …, TicketKey: …, OAuth: …, States: …, Connections: …, Page: page},
//		Calculations: calculator.NewMemoryCalculations(), // or app/calculator/postgres
//		Prices:       prices,
//		CRMFor:       calculator.NewAmoCRMClients(ctx, oauthConfig, connections).CRM,
//	})
//
// # Saving
//
// A save is identified by (account, lead, idempotency key) and writes three parts to amoCRM at
// the same time; a CalculationStore records each part's outcome under a lease, so that a retry
// writes only what is missing, in this process or any other that shares the store. amoCRM takes
// no idempotency key: before a retry writes a part again, a CRM that is a SaveChecker is asked
// whether the part is already there.
package calculator
