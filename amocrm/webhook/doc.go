// Package webhook receives amoCRM's webhooks: it decodes their form-encoded payloads into typed
// events and serves them through an http.Handler that authenticates, answers in time and counts
// failures. Subscribing a URL is amocrm.Client.Webhooks; docs/webhooks.md has the wire format
// and its sources.
//
// # Payloads
//
// amoCRM posts application/x-www-form-urlencoded bodies nested the way PHP nests arrays:
//
//	leads[status][0][id]=25399013&leads[status][0][status_id]=142&account[id]=7039099
//
// Parse turns one into a Delivery: the Account it names and one Event per item, with Entity
// (lead, contact, company, task) and Action (add, update, delete, restore, status, responsible,
// note). Companies arrive under "contacts" with type=company and tasks under the singular "task";
// both come out with their own Entity. Every value is text on the wire; Parse reads numbers,
// Unix times and the "2017-07-20 15:00:00" dates of tasks and notes into typed fields, and keeps
// fields it does not name in Other.
//
// # Authentication
//
// amoCRM signs nothing. The Handler therefore takes three measures, and the application a fourth:
//
//   - the destination URL carries a secret (WithSecret), compared in constant time;
//   - the account the payload names must be one the application is connected to
//     (WithConnections), by id and subdomain together;
//   - the body is capped (WithMaxBody) and a malformed one answers 400;
//   - an event is a hint: read the entity through the API, with the account's own token, before
//     acting on it, and act idempotently, since amoCRM delivers again after a failure.
//
// # Answering in time
//
// amoCRM waits 2 seconds for an answer and disables a webhook after more than 100 failed
// deliveries within 2 hours. With WithQueue the Handler answers 200 as soon as the delivery is
// queued and runs the function on workers; a full queue answers 503 at once, and amoCRM tries
// again later. Without a queue the function runs inside the request and must be quick. Stats
// exposes the counters, and the Handler logs a warning as failures approach the threshold.
package webhook
