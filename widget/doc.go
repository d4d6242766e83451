// Package widget is a kit for the server side of an amoCRM lead-card widget: the archive amoCRM
// installs, the checks that tell who is calling, and NewHandler, which serves the widget's
// sessions, the iframe page and the accounts' connections, and an application's own endpoints
// (Config.Endpoints) behind the session ticket. The glass-shop calculator (app/calculator) is
// one such application.
//
// # The archive
//
// BuildArchive writes widget.zip as amoCRM accepts it: manifest.json at the root with its texts
// as i18n keys, script.js, i18n/ru.json and i18n/en.json, and the logos at the exact sizes
// amoCRM asks for. The application names itself: ArchiveConfig.Text holds its name, descriptions
// and the card block's messages, ArchiveConfig.Logo draws its logo; without them the archive has
// the kit's neutral texts («Виджет», "Widget") and a placeholder logo. CheckArchive reports every reason amoCRM would refuse an archive,
// so CI can check an upload before a person makes it. Upload the file to the private
// integration, bumping ArchiveConfig.Version every time.
//
// script.js renders one block in the lead card's right column. Its init asks our server for a
// session with amoCRM's $authorizedAjax:
//
//	POST <api_url>/widget/session   X-Auth-Token: <disposable JWT>   {"lead_id": 4242}
//	→ 200 {"iframe_url": "https://calc.example.com/widget/page?ticket=…"}
//
// and loads that URL (which must be on the api_url origin) into an iframe. On a failed answer it
// shows the server's error message and a retry button. The framed page may post
// {"type":"amokit:calc:resize","height":<px>} to its parent to set the iframe's height. The
// height is capped by the card window's (less 16 px) and follows the window's resizes, so a long
// page scrolls inside the frame, where it can keep its own controls in view (position: sticky).
//
// # Who is calling
//
// Three layers, outermost first:
//
//   - CORS answers the browser's preflight for the session endpoint, for
//     https://<account>.amocrm.ru, .amocrm.com and .kommo.com (AllowedOrigin) only.
//   - RequireDisposableToken checks the X-Auth-Token that $authorizedAjax adds: an HS256 JWT
//     signed with the client secret that the account named by its iss uses for the integration
//     named by its client_uuid (found through a SecretLookup, typically that account's own
//     connection), with its account_id, audience, issuer, times and lifetime checked
//     (VerifyDisposableToken). The handler reads the *Caller with CallerFrom.
//   - The session endpoint asks the application (Endpoints.OpenLead) whether amoCRM shows the
//     lead to the caller's user, then signs a Ticket with a TicketSigner: a 15-minute HMAC proof
//     of account, user and lead that the iframe sends with every call (Authorization: Bearer or
//     ?ticket=). RequireTicket checks it, and checks the X-Lead-Id and X-Account-Domain headers
//     against it; the handler reads it with TicketFrom, and every amoCRM call made under its
//     context acts as the ticket's user (amocrm.AsUser).
//
// The iframe pages are wrapped in FrameAncestors, which lets amoCRM account pages frame them.
//
//	session := widget.CORS(widget.RequireDisposableToken(verifierConfig, sessionHandler))
//	api := widget.RequireTicket(signer, apiHandler)
//	page := widget.FrameAncestors(appPage)
//
// # Errors
//
// Every error answer has one shape, written by WriteError:
//
//	{"error":{"code":"ticket_expired","message":"…","fields":[{"path":"…","message":"…"}]}}
//
// The codes are stable (see the Code constants); messages are for people and never carry a
// token, a ticket or a secret.
package widget
