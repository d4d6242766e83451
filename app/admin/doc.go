// Package admin is the shop administrator's page of the glass calculator: where the
// administrator logs in with the admin token, connects the shop's amoCRM account (the
// integration's ID and secret, then amoCRM's consent page), sees the connections' health,
// downloads widget.zip to upload into amoCRM, and reaches the price list (/admin/prices/) and the
// proposal settings (/admin/proposal/).
//
//	page, err := admin.New(admin.Config{
//		Token: adminToken, Key: sessionKey, PublicURL: "https://calc.example.com",
//		Connections: connections, Connect: admin.WidgetConnector(widgetBackend, adminToken),
//		Archive: buildWidgetZip, PriceLists: priceLists, Prices: prices, ProposalSettings: settings,
//	})
//	mux.Handle("/admin", page)
//	mux.Handle("/admin/", page)
//
// The page links its stylesheet and script as /static/admin.css and /static/admin.js; Assets
// holds them for the server to serve there.
//
// A person proves the token once, by the link the server prints at start (LoginURL) or the login
// form, and gets a session cookie signed with Key; wrong tokens are throttled per client. Every
// form and script call that changes something carries the session's CSRF token and, when the
// browser sends one, our own Origin. No secret or token is ever written into the page.
package admin
