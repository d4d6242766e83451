// Package amocrmtest is an in-process fake amoCRM for tests and demos, in
// the spirit of net/http/httptest: it serves OAuth 2.0 and the REST API v4
// over real HTTP, from memory, the way amoCRM does, quirks included. Test
// your own amoCRM code against it with any HTTP client; no *testing.T is
// needed, so a demo server can run it too.
//
// Its behaviour follows docs/amocrm-api.md and docs/widget.md. Where those
// say a fact is not documented, the fake takes the stricter reading
// and offers an Option for the other one.
//
// # Starting
//
// A test of code written on the SDK starts with one call:
//
//	client, acme := amocrmtest.NewClient(t)
//	acme.AddLead(amocrmtest.Lead{Name: "Зеркало"})
//	// … run the code under test with client, then check acme or acme.Server().
//
// NewClient starts a server with the account "acme" and its rate limit off,
// and returns an unpaced *amocrm.Client on it; Account.NewClient does the
// same for an account of a server you built.
//
// NewServer starts a listener on 127.0.0.1; Server.URL is its base URL and
// Close stops it. NewUnstartedServer and Start split the two steps, as in
// httptest. Handler returns the same server as an http.Handler to mount
// elsewhere. Every account has its own host in production
// ("acme.amocrm.ru"); here all accounts share one listener and the access
// token says which account a call is for. Transport and Client route
// requests for any host under the base domain to the fake, so code under
// test can use real-looking https URLs.
//
// # Seeding and reading back
//
// AddAccount creates an account (with an admin user, a main pipeline, the
// system PHONE and EMAIL contact fields and the products catalog with SKU,
// PRICE, DESCRIPTION and GROUP) and returns an *Account handle whose methods
// seed it: AddUser, AddLead, AddContact, AddCompany, AddNote, AddCatalog,
// AddElement, AddCustomField, Link. AddIntegration registers an OAuth integration. Lead, Contact,
// Notes, Links, Elements and their siblings return copies for assertions.
// Ids are sequential per kind, so a fixed seeding order gives fixed ids.
//
// # OAuth
//
// GET /oauth renders the consent page («Разрешить» / «Отказать»); its form
// redirects (302) to the integration's redirect URI with code, state,
// referer and client_id, or with error=access_denied. POST
// /oauth2/access_token takes JSON or a form: codes are single use and live
// 20 minutes, redirect_uri must match byte for byte, and every refresh
// rotates the refresh token. By default (RefreshStrict) a used refresh token
// answers 401 "Token has been revoked" and the replaced access token stops
// working (WithRevokeOnRefresh(false) keeps it until it expires);
// WithRefreshReuse(RefreshKommoGrace) keeps the old pair alive until the new
// access token is first used. Access tokens are JWTs with the
// claims amoCRM puts in them (account_id, base_domain, api_domain, exp, …).
// For tests that skip the dance, IssueToken and AuthorizationCode hand out
// tokens and codes directly. InstallWidget and RevokeIntegration make the
// calls amoCRM makes to an integration, and DisposableToken mints the
// widget's X-Auth-Token.
//
// # API
//
// Leads, contacts and companies (list, get, batch create and update, PATCH
// by id, complex lead creation), notes per entity, catalogs and their
// elements, links, custom field definitions, users and the account. Lists
// page with _page and _links (an absolute next href) and answer 204 when
// empty or past the end. Writes take arrays (at most 250 elements, else
// 422) and answer 400 with validation-errors for wrong types, unknown fields,
// missing or unknown ids, and unknown custom fields or enums; a batch with
// one bad element writes nothing. custom_fields_values reads null when
// empty, and numbers in it read as strings.
//
// # Limits
//
// Every account's API calls and OAuth token calls draw on one budget at the
// edge, before the token is checked, so a call with a bad token counts too.
// By default the server counts strictly: at most 7 requests in any sliding
// second, refused ones included (WithSlidingWindow); WithSpacing counts as
// nginx's limit_req and WithRateLimit as a token bucket. A refused call gets
// 429: by default an nginx HTML page without Retry-After, as production sent;
// With429Style gives Kommo's JSON and the header. After 10 refusals within a
// minute (WithBlockAfter) the server answers everything with a 403 HTML page
// until ResetBlock, so a client that ignores 429 is punished as it would be in
// production. Throttle forces a burst of 429s. docs/pacing.md explains the
// readings.
//
// # Drive and webhooks
//
// The account's Drive (docs/files.md) answers on drive-b.<base domain>
// through Transport, and under /drive on the listener for clients made
// WithBaseURL; the account's drive_url names the one the caller reached.
// It keeps upload sessions with strict part sizes and totals, files per
// account, and the Files tab of leads, contacts and companies.
// SetDriveLimits, LoseDrivePartAnswers, DriveFiles, DrivePartsReceived and
// EntityFiles set it up and read it back. The webhooks API
// (docs/webhooks.md) keeps subscriptions; DeliverEvent posts an event of a
// lead, contact or company to every subscribed destination in amoCRM's
// form-encoded format, with its 2-second timeout, and disables a webhook
// after more than 100 failures within 2 hours, so a receiver can be tested
// end to end.
//
// # Faults
//
// FailNext makes the next n matching requests fail with a status and body,
// a dropped connection or a delay; WithLatency slows every request.
//
// # Observation
//
// Requests returns the request log (method, path, query, body and a
// Fingerprint of the bearer token, never the token) and Counters the number
// of requests, refreshes, code exchanges, 429s, 403s and answers by status.
//
// # Time
//
// The server reads time only from its Clock (WithClock; FakeClock is a
// manual one) and never sleeps except for a configured latency or fault
// delay, which it waits on that clock; FakeClock.BlockUntil tells a test
// that a request has reached such a wait. With the default clock inside a
// testing/synctest bubble (and a server from NewUnstartedServer, driven
// through Handler) the delays cost no real time either.
package amocrmtest
