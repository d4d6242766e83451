// Package amocrm is a client for the REST API v4 of amoCRM and Kommo.
//
// # A map of amoCRM
//
// Each part of the API is a service of the Client:
//
//	Client.Account       GET /api/v4/account: the account, its task types, groups and entity names
//	Client.Leads         /api/v4/leads: leads (deals), complex creation with a contact and company,
//	                     links, products
//	Client.Contacts      /api/v4/contacts: contacts and their links
//	Client.Companies     /api/v4/companies: companies and their links to contacts and leads
//	Client.Notes         /api/v4/{entity}/notes: notes of leads, contacts and companies, all
//	                     of a type or one entity's
//	Client.Links         /api/v4/{entity}/link, unlink, links: links of many entities at once
//	Client.Tasks         /api/v4/tasks: tasks, their filters, completing with a result
//	Client.Pipelines     /api/v4/leads/pipelines: pipelines and statuses, with the won (142) and
//	                     lost (143) stages every pipeline shares; not paginated
//	Client.Catalogs      /api/v4/catalogs: catalogs and elements, products included; FindBySKU
//	Client.CustomFields  /api/v4/{entity}/custom_fields: field definitions, options and groups
//	Client.Tags          /api/v4/{entity}/tags: the tags of each kind of entity
//	Client.Users         /api/v4/users, /api/v4/roles: users with their rights, and roles
//	Client.Sources       /api/v4/sources: the integration's lead sources
//	Client.Events        /api/v4/events: the event log, with string ids and singular entity names
//	Client.Webhooks      /api/v4/webhooks: webhook subscriptions (package amocrm/webhook reads
//	                     what amoCRM then sends)
//
// Whatever has no method is reached with Client.Do, or NewRequest and DoRequest, which go through
// the same rate limiter, token source, retries and errors as every service, and only ever to the
// account's host:
//
//	err := c.Do(ctx, http.MethodGet, "api/v4/leads/loss_reasons", nil, &out)
//
// Users, roles, sources and every write of pipelines and custom fields are for account
// administrators only: with another user's token they fail with an error matching ErrAdminOnly.
// docs/amocrm-services.md in the repository records what the services rely on, with links to
// amoCRM's documentation.
//
// # Creating a client
//
// A Client serves one account, named by its host:
//
//	c, err := amocrm.New("acme.amocrm.ru", amocrm.WithTokenSource(ts))
//
// The host is checked with ParseDomain: only <account>.amocrm.ru, <account>.amocrm.com and
// <account>.kommo.com are accepted, because the host receives the access token. WithBaseURL points
// the client at anything else on purpose: a test server, a proxy, or the fake in package
// amocrmtest.
//
// # Authentication
//
// WithTokenSource takes any oauth2.TokenSource; the token source of package
// github.com/amokit/amokit/oauth refreshes tokens across processes and implements Refresher, so a
// 401 gets one forced refresh and one replay. WithAccessToken takes a long-lived token.
//
// # Rate limits and retries
//
// amoCRM allows 7 requests a second per account and answers more with 429, then blocks the
// client's IP with 403. How it counts is not documented, so every Client paces for the strictest
// reading: requests to an account leave one at a time, evenly spaced at DefaultPace of the limit,
// with no burst (a LocalPacer). Clients of one account share one Pacer (WithPacer). A 429 pauses every
// request of the Client for at least a second, longer on repeats, and it resumes gradually; a 403
// block stops every call at once with ErrBlocked until Client.Unblock. WithRateLimit and
// WithLimiter put a token bucket in place of the pacer. docs/pacing.md has the design and sources.
//
// Every attempt waits for the pacer and asks the token source again. GET, HEAD and DELETE are
// retried on connection errors, 429 and 5xx; POST and PATCH only on 429 and on failures before the
// request was sent, since amoCRM has no idempotency key.
// A Retry-After header or a JSON retry_after is honoured up to RetryPolicy.MaxRetryAfter.
//
// # Pagination
//
// List methods return one *Page; All methods return an iter.Seq2 that fetches pages lazily as the
// loop runs, follows amoCRM's next links on the same host only, and stops at the end or on break:
//
//	for lead, err := range c.Leads.All(ctx, &amocrm.LeadListOptions{Query: "стекло"}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(lead.Name)
//	}
//
// An empty list is a 204 answer in amoCRM: it is an empty page here, never an error.
//
// # Errors
//
// Errors from amoCRM are *Error values; read their fields with errors.As and compare them with the
// sentinels with errors.Is:
//
//	var apiErr *amocrm.Error
//	switch {
//	case errors.Is(err, amocrm.ErrNotFound):
//	case errors.As(err, &apiErr) && len(apiErr.ValidationErrors) > 0:
//		for _, v := range apiErr.ValidationErrors {
//			log.Printf("item %s: %s", v.RequestID, v)
//		}
//	}
//
// Error strings and logs never carry tokens or secrets; URLs in them are masked.
//
// # Batches
//
// Create and Update take any number of items. They are sent in requests of at most 50 (see
// WithBatchSize; amoCRM takes up to 250), in order, each item's request_id set to its index in
// its request, and every answer is mapped back to the caller's item. What failed comes back as a
// *BatchError naming each failed input index with its validation errors, next to the results of
// everything that succeeded: nothing is dropped silently.
//
//	saved, err := c.Leads.Create(ctx, leads)
//	var be *amocrm.BatchError
//	if errors.As(err, &be) {
//		for _, f := range be.Failed {
//			log.Printf("lead %d: %v", f.Index, f)
//		}
//	}
//
// Resend picks the items worth sending again: those amoCRM did not refuse themselves (items of a
// request refused for another item's errors, items never sent, items that met a 429 or a 5xx).
// ErrValidation matches amoCRM's refusal of a request's data.
//
// # Custom fields
//
// Custom field values are read with one type, CustomFieldValue, that accepts every field_type
// amoCRM returns, including numbers sent as strings and enum next to enum_code, and written with
// CustomFieldInput by field_id or field_code, including the explicit null that clears a field
// (ClearFieldByCode).
package amocrm
