// Command widgetserver is the glass calculator for amoCRM deal cards as one binary: the widget
// backend with the calculator's endpoints and page (package app/calculator on package widget),
// the OAuth callback and revoke hook (package oauth), the connection store (package tokenstore,
// in memory or PostgreSQL), the admin page where an administrator connects an account and
// downloads widget.zip (package app/admin), and the price lists and proposals behind it.
//
// This package is only the wiring: flags and environment, the stores, one handler of the
// packages above, listening and graceful shutdown. The request ids, logs and health checks come
// from internal/serve.
//
// # Demo
//
//	go run ./examples/widgetserver -demo
//
// starts an in-process fake amoCRM (package amocrm/amocrmtest) with the demo account of a glass
// workshop (package app/demo) and prints two links: the admin page, where a person connects the demo account
// through the fake's consent page (the real OAuth flow), and a demo deal card that imitates
// amoCRM's lead card around the real script.js, with just enough of amoCRM's page (define,
// APP.data.current_card, render_template, $authorizedAjax) for the session → iframe flow to
// run as it does in amoCRM. No database and no amoCRM account are needed.
//
// # Production
//
// Every setting is a flag and an environment variable; -h lists them and README.md explains
// them, with a production checklist: an https public URL, PostgreSQL, an encryption key and an
// admin token.
//
// # Operations
//
// Logs are JSON lines (log/slog) on stderr, each with the request id that every response
// carries in X-Request-Id; no secret, token, ticket or query string is logged. /healthz answers
// while the process runs, /readyz while the database answers. SIGTERM stops accepting work and
// lets requests in flight, saves into amoCRM among them, finish.
package main
