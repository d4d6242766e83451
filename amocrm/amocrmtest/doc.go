// Package amocrmtest is an in-process fake amoCRM for tests and demos, in
// the spirit of net/http/httptest: it serves OAuth 2.0 and the REST API v4
// over real HTTP, from memory, the way amoCRM does, quirks included. Test
// your own amoCRM code against it with any HTTP client; no *testing.T is
// needed, so a demo server can run it too.
//
// Its behaviour follows docs/amocrm-reference.md and docs/widget-backend.md. Where those
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
// Beyond those: tasks (a result of [] until one is written), pipelines and
// their statuses (unpaginated, with the shared stages 142 and 143),
// custom field definitions and groups (an enums list replaces the options,
// dropping those left out), roles and adding users, the integration's
// sources, the tags of each kind of entity, and the event log, which holds
// what Account.AddEvent seeds. Writes of pipelines, fields, roles, users and
// sources answer 403 to anyone but an administrator. What these rely on is in
// docs/amocrm-services.md; where the fake knowingly differs from amoCRM is in
// docs/amocrmtest.md.
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
// lead, contact, company or task, and DeliverNote one of a note, built from
// what was written through the API, to every subscribed destination in
// amoCRM's form-encoded format, with its 2-second timeout, and disables a
// webhook after more than 100 failures within 2 hours, so a receiver can be
// tested end to end. Status and responsible events carry the stage and user
// before the latest change, so they need one.
//
// # Strictness and known differences
//
// The fake is as strict as amoCRM's documentation allows and takes the
// strictest reading where it is silent (docs/amocrmtest.md): only the
// account's own host answers the API and the token endpoint; a missing
// company answers 204 and other missing entities 404; date fields are RFC
// 3339 on write and unix seconds on read; enum_code is an option's code;
// documented list filters apply and the rest answer 400; typed notes must
// carry their params; a lead or contact has one company; an account past
// its paid period answers 402 (SetPaymentRequired); API writes must be
// declared JSON; long-lived tokens come from IssueLongLivedToken. Where it
// knowingly differs from amoCRM, and what turns each difference off:
//
//   - All accounts share one listener. A host outside the base domain (the
//     listener's own address, a demo's host) serves every account, the
//     token naming it; amoCRM has no such host. No option: it is how a test
//     reaches the fake without Transport.
//   - A host under the base domain that is no account's answers 404
//     "Account not found"; amoCRM's answer there is not documented.
//     WithLeniency(LenientHost) serves every such host.
//   - A write not declared application/json answers 400; whether amoCRM
//     checks is not documented. WithLeniency(LenientContentType).
//   - Only companies are documented to answer 204 for a missing id; every
//     other type answers 404. WithNotFoundStatus picks per type.
//   - A date written as unix seconds is refused. WithLeniency(LenientDates).
//   - enum_code holding an option's text is refused.
//     WithLeniency(LenientEnumCode).
//   - A filter or with value the fake does not implement answers 400 where
//     amoCRM would apply or ignore it, and two stages of one pipeline in
//     filter[statuses] answer 400 where amoCRM keeps one.
//     WithLeniency(LenientFilters) ignores what is not implemented.
//   - API filtering is always on; amoCRM ignores filters, silently, for an
//     account without it. No option.
//   - Nothing is ever deleted, so with=only_deleted lists are empty.
//   - Typed notes must carry the params documented examples send, and
//     types only amoCRM writes are refused. WithLeniency(LenientNoteParams).
//   - Two order[...] keys, a v2 numeric note type and a page limit over 250
//     answer 400, 400 and 422. WithPageLimitFallback(true) gives the
//     suspected silent 50 for the last.
//   - Rate limit: at most 7 calls in any sliding second, bad tokens and
//     OAuth calls included, and a block after 10 refusals within a minute;
//     amoCRM publishes neither the counting nor the threshold
//     (docs/pacing.md). WithSpacing, WithRateLimit, WithSlidingWindow,
//     WithBlockAfter; With429Style for Kommo's JSON 429 with Retry-After.
//   - OAuth: a used refresh token is dead at once and the replaced access
//     token with it (WithRefreshReuse(RefreshKommoGrace),
//     WithRevokeOnRefresh(false)); a refresh must repeat redirect_uri
//     (WithRefreshRedirectURI(false)); the account keeps OAuth while its
//     API answers 402. Access tokens are HS256-signed by the fake, not
//     RS256 by amoCRM: read their claims, never verify them.
//   - Complex lead creation does no duplicate control: merged is always
//     false.
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
