package amocrm

import (
	"context"
	"errors"
	"net/http"

	"github.com/amokit/amokit/internal/httpx"
)

// WebhooksService subscribes the account's events to a URL: /api/v4/webhooks. Only an
// administrator's token may use it; another user's gets an error matching ErrAdminOnly. Package webhook receives and decodes what amoCRM sends.
// See docs/webhooks.md.
type WebhooksService service

// WebhookEvent names an event a webhook subscribes to, such as "status_lead".
type WebhookEvent string

// The events of amoCRM's webhooks API. Companies have their own names here although their
// deliveries arrive under "contacts".
const (
	WebhookAddLead         WebhookEvent = "add_lead"
	WebhookUpdateLead      WebhookEvent = "update_lead"
	WebhookDeleteLead      WebhookEvent = "delete_lead"
	WebhookRestoreLead     WebhookEvent = "restore_lead"
	WebhookStatusLead      WebhookEvent = "status_lead"
	WebhookResponsibleLead WebhookEvent = "responsible_lead"
	WebhookNoteLead        WebhookEvent = "note_lead"

	WebhookAddContact         WebhookEvent = "add_contact"
	WebhookUpdateContact      WebhookEvent = "update_contact"
	WebhookDeleteContact      WebhookEvent = "delete_contact"
	WebhookRestoreContact     WebhookEvent = "restore_contact"
	WebhookResponsibleContact WebhookEvent = "responsible_contact"
	WebhookNoteContact        WebhookEvent = "note_contact"

	WebhookAddCompany         WebhookEvent = "add_company"
	WebhookUpdateCompany      WebhookEvent = "update_company"
	WebhookDeleteCompany      WebhookEvent = "delete_company"
	WebhookRestoreCompany     WebhookEvent = "restore_company"
	WebhookResponsibleCompany WebhookEvent = "responsible_company"
	WebhookNoteCompany        WebhookEvent = "note_company"

	WebhookAddCustomer         WebhookEvent = "add_customer"
	WebhookUpdateCustomer      WebhookEvent = "update_customer"
	WebhookDeleteCustomer      WebhookEvent = "delete_customer"
	WebhookResponsibleCustomer WebhookEvent = "responsible_customer"
	WebhookNoteCustomer        WebhookEvent = "note_customer"

	WebhookAddTask         WebhookEvent = "add_task"
	WebhookUpdateTask      WebhookEvent = "update_task"
	WebhookDeleteTask      WebhookEvent = "delete_task"
	WebhookResponsibleTask WebhookEvent = "responsible_task"

	WebhookAddTalk               WebhookEvent = "add_talk"
	WebhookUpdateTalk            WebhookEvent = "update_talk"
	WebhookAddChatTemplateReview WebhookEvent = "add_chat_template_review"
)

// Webhook is a subscription as amoCRM returns it.
type Webhook struct {
	ID          int64     `json:"id"`
	Destination string    `json:"destination"`
	CreatedAt   Timestamp `json:"created_at"`
	UpdatedAt   Timestamp `json:"updated_at"`
	AccountID   int64     `json:"account_id"`
	CreatedBy   int64     `json:"created_by"`
	// Sort is the order among the account's webhooks; amoCRM may renumber it.
	Sort int `json:"sort"`
	// Disabled is set when amoCRM switched the webhook off after too many failed deliveries; an
	// administrator turns it back on in the account's settings.
	Disabled bool           `json:"disabled"`
	Settings []WebhookEvent `json:"settings"`
}

// AddWebhookRequest subscribes Destination to Settings.
type AddWebhookRequest struct {
	// Destination is the URL amoCRM posts to: absolute http or https, with an ASCII host. Keep
	// the exact string: Delete and List match it byte for byte. Carry a secret in it (see
	// package webhook), since amoCRM does not sign deliveries.
	Destination string         `json:"destination"`
	Settings    []WebhookEvent `json:"settings"`
	Sort        int            `json:"sort,omitzero"`
}

// checkDestination refuses what amoCRM cannot post to.
func checkDestination(dest string) error {
	if dest == "" {
		return errors.New("amocrm: webhook destination is empty")
	}
	u, ok := httpx.AbsoluteURL(dest)
	if !ok {
		return errors.New("amocrm: webhook destination is not an absolute http(s) URL")
	}
	for i := 0; i < len(u.Host); i++ {
		if u.Host[i] >= 0x80 {
			return errors.New("amocrm: webhook destination: amoCRM does not post to internationalised (Cyrillic) domains; use the punycode form")
		}
	}
	return nil
}

// List returns the account's webhooks, or only the one whose destination is exactly destination
// when it is not "". amoCRM does not page this list.
//
// API docs: GET /api/v4/webhooks, https://www.amocrm.ru/developers/content/crm_platform/webhooks-api
func (s *WebhooksService) List(ctx context.Context, destination string) ([]Webhook, error) {
	q := query{}
	q.set("filter[destination]", destination)
	var env struct {
		Embedded struct {
			Webhooks []Webhook `json:"webhooks"`
		} `json:"_embedded"`
	}
	if _, err := s.client.get(ctx, "api/v4/webhooks", q.values(), &env); err != nil {
		return nil, adminOnly(err)
	}
	return env.Embedded.Webhooks, nil
}

// Add subscribes a destination to events. amoCRM keeps one webhook per destination: adding a
// destination again replaces its events and sort.
//
// API docs: POST /api/v4/webhooks, https://www.amocrm.ru/developers/content/crm_platform/webhooks-api
func (s *WebhooksService) Add(ctx context.Context, req AddWebhookRequest) (*Webhook, error) {
	if err := checkDestination(req.Destination); err != nil {
		return nil, err
	}
	if len(req.Settings) == 0 {
		return nil, errors.New("amocrm: a webhook needs at least one event in Settings")
	}
	for _, e := range req.Settings {
		if e == "" {
			return nil, errors.New("amocrm: an empty event name in Settings")
		}
	}
	var w Webhook
	if _, err := s.client.send(ctx, http.MethodPost, "api/v4/webhooks", req, &w); err != nil {
		return nil, adminOnly(err)
	}
	return &w, nil
}

// Delete unsubscribes destination, which must match the subscribed URL exactly. An unknown
// destination is an error matching ErrNotFound.
//
// API docs: DELETE /api/v4/webhooks, https://www.amocrm.ru/developers/content/crm_platform/webhooks-api
func (s *WebhooksService) Delete(ctx context.Context, destination string) error {
	if err := checkDestination(destination); err != nil {
		return err
	}
	body := struct {
		Destination string `json:"destination"`
	}{destination}
	_, err := s.client.send(ctx, http.MethodDelete, "api/v4/webhooks", body, nil)
	return adminOnly(err)
}
