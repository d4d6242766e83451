package amocrmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amokit/amokit/amocrm/amocrmtest/internal/backend"
	"github.com/amokit/amokit/internal/httpx"
)

// Webhooks (docs/webhooks.md): the subscription API, and deliveries the
// test asks for with DeliverEvent, sent to every subscribed destination the
// way amoCRM sends them: form-encoded with PHP's nesting, a 2-second
// timeout, and the webhook disabled after more than 100 failures within 2
// hours. Subscriptions live in the store (backend.Webhook), guarded by
// Server.mu.

const (
	maxWebhooks        = 100
	webhookTimeout     = 2 * time.Second
	webhookFailLimit   = 100
	webhookFailWindow  = 2 * time.Hour
	webhookUserAgent   = "amoCRM-WebHook-client/1.0"
	webhookContentType = "application/x-www-form-urlencoded"
)

// webhookSub is a webhook subscription, as the store keeps it.
type webhookSub = backend.Webhook

// knownWebhookEvents are the settings amoCRM's webhooks API lists.
var knownWebhookEvents = func() map[string]bool {
	m := map[string]bool{"status_lead": true, "add_talk": true, "update_talk": true, "add_chat_template_review": true}
	for _, a := range []string{"add", "update", "delete", "responsible"} {
		for _, e := range []string{"lead", "contact", "company", "customer", "task"} {
			m[a+"_"+e] = true
		}
	}
	for _, e := range []string{"lead", "contact", "company"} {
		m["restore_"+e] = true
	}
	for _, e := range []string{"lead", "contact", "company", "customer"} {
		m["note_"+e] = true
	}
	return m
}()

func init() {
	registerRoutes(func(s *Server, m *mux) {
		m.api("GET /api/v4/webhooks", listWebhooks)
		m.api("POST /api/v4/webhooks", addWebhook)
		m.api("DELETE /api/v4/webhooks", deleteWebhook)
	})
}

func webhookJSON(w *webhookSub) obj {
	return obj{
		"id": w.ID, "destination": w.Destination, "created_at": w.CreatedAt, "updated_at": w.UpdatedAt,
		"account_id": w.AccountID, "created_by": w.CreatedBy, "sort": w.Sort, "disabled": w.Disabled,
		"settings": slices.Clone(w.Settings),
	}
}

func (c *call) accountHooks() []*webhookSub {
	var out []*webhookSub
	for _, w := range c.st().Webhooks() {
		if w.AccountID == c.acct.ID {
			out = append(out, w)
		}
	}
	return out
}

// listWebhooks is GET /api/v4/webhooks, optionally filter[destination]
// (exact); not paged.
func listWebhooks(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	dest, filtered := c.r.URL.Query()["filter[destination]"]
	var out []obj
	for _, w := range c.accountHooks() {
		if !filtered || w.Destination == dest[0] {
			out = append(out, webhookJSON(w))
		}
	}
	if len(out) == 0 {
		return noContent()
	}
	return okReply(obj{"_total_items": len(out), "_embedded": obj{"webhooks": out}})
}

// addWebhook is POST /api/v4/webhooks: one object, not an array; a known
// destination is updated in place.
func addWebhook(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	var in struct {
		Destination *string   `json:"destination"`
		Settings    *[]string `json:"settings"`
		Sort        *int      `json:"sort"`
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if t := bytes.TrimSpace(c.body); len(t) == 0 || t[0] != '{' {
		return problem(http.StatusBadRequest, "The body must be one webhook object, not an array")
	}
	if err := dec.Decode(&in); err != nil {
		return problem(http.StatusBadRequest, "Invalid webhook: "+err.Error())
	}
	if in.Destination == nil || in.Settings == nil || len(*in.Settings) == 0 {
		return problem(http.StatusBadRequest, "destination and settings are required")
	}
	u, ok := httpx.AbsoluteURL(*in.Destination)
	if !ok {
		return problem(http.StatusBadRequest, "destination is not an absolute http(s) URL")
	}
	for _, r := range u.Host {
		if r >= 0x80 {
			return problem(http.StatusBadRequest, "Cyrillic domains are not supported")
		}
	}
	for _, e := range *in.Settings {
		if !knownWebhookEvents[e] {
			return problem(http.StatusBadRequest, "Unknown event "+strconv.Quote(e))
		}
	}
	hooks := c.accountHooks()
	i := slices.IndexFunc(hooks, func(w *webhookSub) bool { return w.Destination == *in.Destination })
	var w *webhookSub
	if i >= 0 {
		w = hooks[i]
	} else {
		if len(hooks) >= maxWebhooks {
			return problem(http.StatusBadRequest, fmt.Sprintf("An account has at most %d webhooks", maxWebhooks))
		}
		w = &webhookSub{AccountID: c.acct.ID, CreatedBy: c.userID, Destination: *in.Destination, CreatedAt: c.now, Sort: len(hooks) + 1}
		c.st().AddWebhook(w)
	}
	w.Settings = slices.Clone(*in.Settings)
	w.UpdatedAt = c.now
	// amoCRM renumbers sort: the documented sample sent 10 and got 1 back.
	return reply{status: http.StatusCreated, body: webhookJSON(w)}
}

// deleteWebhook is DELETE /api/v4/webhooks with {"destination": …}.
func deleteWebhook(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	var in struct {
		Destination string `json:"destination"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil || in.Destination == "" {
		return problem(http.StatusBadRequest, "The body must be {\"destination\": …}")
	}
	if !c.st().DeleteWebhook(c.acct.ID, in.Destination) {
		return problem(http.StatusNotFound, "Webhook not found")
	}
	return noContent()
}

// Webhook is a subscription as the fake holds it.
type Webhook struct {
	ID          int64
	AccountID   int64
	Destination string
	Settings    []string
	Disabled    bool
}

// Webhooks returns copies of an account's webhook subscriptions.
func (s *Server) Webhooks(accountID int64) []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Webhook
	for _, w := range s.st.Webhooks() {
		if w.AccountID == accountID {
			out = append(out, Webhook{ID: w.ID, AccountID: w.AccountID, Destination: w.Destination, Settings: slices.Clone(w.Settings), Disabled: w.Disabled})
		}
	}
	return out
}

// WebhookDelivery is what one destination answered to one delivery.
type WebhookDelivery struct {
	Destination string
	Event       string
	// Status is the HTTP status, 0 when the request failed (Err says why).
	Status int
	Err    error
	// Disabled reports that this failure switched the webhook off.
	Disabled bool
}

// OK reports whether amoCRM counts the delivery as a success: a status from
// 100 to 299 within the timeout.
func (d WebhookDelivery) OK() bool { return d.Err == nil && d.Status >= 100 && d.Status <= 299 }

// DeliverEvent sends the webhooks of one event to every enabled destination
// of the entity's account that subscribed to it, and returns what each
// answered. kind is "leads", "contacts" or "companies"; action is add,
// update, delete, restore, status (leads only) or responsible. The payload
// is built from the entity as the fake holds it, in amoCRM's format
// (docs/webhooks.md#payload-format): companies go under "contacts" with
// type=company. Requests go out with amoCRM's headers and 2-second timeout
// through the client of WithHookClient (by default one with that timeout);
// a webhook with more than 100 failures within 2 hours is disabled.
func (s *Server) DeliverEvent(ctx context.Context, kind string, id int64, action string) ([]WebhookDelivery, error) {
	singular := map[string]string{"leads": "lead", "contacts": "contact", "companies": "company"}[kind]
	if singular == "" {
		return nil, fmt.Errorf("amocrmtest: DeliverEvent: kind %q is not leads, contacts or companies", kind)
	}
	event := action + "_" + singular
	if !knownWebhookEvents[event] || action == "note" {
		return nil, fmt.Errorf("amocrmtest: DeliverEvent: %s is not an event of %s", action, kind)
	}
	s.mu.Lock()
	e := s.st.Entity(kind, id)
	if e == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("amocrmtest: DeliverEvent: no %s %d", singular, id)
	}
	a := s.st.Account(e.AccountID)
	body := s.eventPayload(a, e, action)
	var targets []*webhookSub
	for _, w := range s.st.Webhooks() {
		if w.AccountID == a.ID && !w.Disabled && slices.Contains(w.Settings, event) {
			targets = append(targets, w)
		}
	}
	s.mu.Unlock()

	out := make([]WebhookDelivery, 0, len(targets))
	for _, w := range targets {
		d := WebhookDelivery{Destination: w.Destination, Event: event}
		d.Status, d.Err = s.postWebhook(ctx, w.Destination, body)
		s.mu.Lock()
		now := s.now()
		if !d.OK() {
			w.Failures = append(w.Failures, now)
		}
		kept := w.Failures[:0]
		for _, t := range w.Failures {
			if now.Sub(t) < webhookFailWindow {
				kept = append(kept, t)
			}
		}
		w.Failures = kept
		if !d.OK() && len(w.Failures) > webhookFailLimit && !w.Disabled {
			w.Disabled, d.Disabled = true, true
		}
		s.mu.Unlock()
		out = append(out, d)
	}
	return out, nil
}

func (s *Server) postWebhook(ctx context.Context, dest string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dest, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", webhookContentType)
	req.Header.Set("User-Agent", webhookUserAgent)
	req.Header.Set("Accept", "*/*")
	hc := s.cfg.hookClient
	if hc == nil {
		hc = &http.Client{Timeout: webhookTimeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, nil
}

// form is a payload under construction: key=value pairs in order, encoded
// the way PHP's http_build_query encodes them.
type form []string

func (f *form) add(key string, v any) {
	*f = append(*f, phpURLEncode(key)+"="+phpURLEncode(fmt.Sprint(v)))
}

// phpURLEncode is PHP's urlencode: letters, digits and -_. stay, a space is
// '+', every other byte %XX.
func phpURLEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// eventPayload writes the delivery of one event in amoCRM's v2-era shape.
// The caller holds s.mu.
func (s *Server) eventPayload(a *account, e *entity, action string) []byte {
	root := "leads"
	if e.Kind != "leads" {
		root = "contacts"
	}
	p := root + "[" + action + "][0]"
	var f form
	f.add(p+"[id]", e.ID)
	if action == "delete" {
		if e.Kind == "leads" {
			f.add(p+"[status_id]", e.StatusID)
			f.add(p+"[pipeline_id]", e.PipelineID)
		} else {
			f.add(p+"[type]", map[string]string{"contacts": "contact", "companies": "company"}[e.Kind])
		}
	} else {
		f.add(p+"[name]", e.Name)
		if e.Kind == "leads" {
			f.add(p+"[status_id]", e.StatusID)
			f.add(p+"[price]", e.Price)
		}
		f.add(p+"[responsible_user_id]", e.ResponsibleUserID)
		f.add(p+"[last_modified]", e.UpdatedAt)
		f.add(p+"[modified_user_id]", e.UpdatedBy)
		f.add(p+"[created_user_id]", e.CreatedBy)
		f.add(p+"[date_create]", e.CreatedAt)
		if e.Kind == "leads" {
			f.add(p+"[pipeline_id]", e.PipelineID)
		}
		for i, id := range e.Tags {
			f.add(fmt.Sprintf("%s[tags][%d][id]", p, i), id)
			f.add(fmt.Sprintf("%s[tags][%d][name]", p, i), a.TagNames[id])
		}
		f.add(p+"[account_id]", a.ID)
		for i, v := range e.CF {
			cp := fmt.Sprintf("%s[custom_fields][%d]", p, i)
			f.add(cp+"[id]", v.Def.ID)
			f.add(cp+"[name]", v.Def.Name)
			for j, fv := range v.Values {
				vp := fmt.Sprintf("%s[values][%d]", cp, j)
				switch v.Def.Type {
				case "date", "date_time", "birthday", "checkbox":
					// Dates and checkboxes come without [value].
					f.add(vp, fv.Value)
				default:
					f.add(vp+"[value]", fv.Value)
					if fv.EnumID != 0 {
						f.add(vp+"[enum]", fv.EnumID)
					}
				}
			}
			if v.Def.Code != "" {
				f.add(cp+"[code]", v.Def.Code)
			}
		}
		f.add(p+"[created_at]", e.CreatedAt)
		f.add(p+"[updated_at]", e.UpdatedAt)
		if e.Kind != "leads" {
			f.add(p+"[type]", map[string]string{"contacts": "contact", "companies": "company"}[e.Kind])
		}
	}
	f.add("account[subdomain]", a.Subdomain)
	f.add("account[id]", a.ID)
	f.add("account[_links][self]", "https://"+a.Subdomain+"."+s.cfg.baseDomain)
	return []byte(strings.Join(f, "&"))
}
