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
// answered. kind is "leads", "contacts", "companies" or "tasks"; action is
// add, update, delete, restore (not tasks), status (leads only) or
// responsible. The payload is built from the entity as the fake holds it, in
// amoCRM's format (docs/webhooks.md#payload-format): companies go under
// "contacts" with type=company, tasks under the singular "task" with their
// dates as wall-clock strings in the account's time zone. A status event
// needs a lead moved to another stage through the API and carries
// old_status_id and old_pipeline_id; a responsible event needs a change of
// responsible user through the API and carries old_responsible_user_id, and
// for a contact, company or task goes out as an update, as amoCRM sends it.
// Requests go out with amoCRM's headers and 2-second timeout through the
// client of WithHookClient (by default one with that timeout); a webhook
// with more than 100 failures within 2 hours is disabled.
func (s *Server) DeliverEvent(ctx context.Context, kind string, id int64, action string) ([]WebhookDelivery, error) {
	singular := map[string]string{"leads": "lead", "contacts": "contact", "companies": "company", "tasks": "task"}[kind]
	if singular == "" {
		return nil, fmt.Errorf("amocrmtest: DeliverEvent: kind %q is not leads, contacts, companies or tasks", kind)
	}
	event := action + "_" + singular
	if !knownWebhookEvents[event] || action == "note" {
		return nil, fmt.Errorf("amocrmtest: DeliverEvent: %s is not an event of %s", action, kind)
	}
	s.mu.Lock()
	var a *account
	var body []byte
	var err error
	if kind == "tasks" {
		var t *backend.Task
		if a, t = s.task(id); t == nil {
			err = fmt.Errorf("amocrmtest: DeliverEvent: no task %d", id)
		} else {
			body, err = s.taskPayload(a, t, action)
		}
	} else if e := s.st.Entity(kind, id); e == nil {
		err = fmt.Errorf("amocrmtest: DeliverEvent: no %s %d", singular, id)
	} else {
		a = s.st.Account(e.AccountID)
		body, err = s.eventPayload(a, e, action)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.deliver(ctx, a.ID, event, body), nil
}

// DeliverNote sends the note_lead, note_contact or note_company webhooks of
// a note, written through the API or with Account.AddNote, to the
// subscribed destinations, as DeliverEvent does. kind is the note's entity:
// "leads", "contacts" or "companies". The payload carries the note's legacy
// number type (docs/webhooks.md#payload-format), so a note whose v4 type has
// no documented number is refused.
func (s *Server) DeliverNote(ctx context.Context, kind string, noteID int64) ([]WebhookDelivery, error) {
	singular := map[string]string{"leads": "lead", "contacts": "contact", "companies": "company"}[kind]
	if singular == "" {
		return nil, fmt.Errorf("amocrmtest: DeliverNote: kind %q is not leads, contacts or companies", kind)
	}
	s.mu.Lock()
	var a *account
	var body []byte
	var err error
	if n := s.st.Note(noteID); n == nil || n.EntityType != kind {
		err = fmt.Errorf("amocrmtest: DeliverNote: no note %d of %s", noteID, kind)
	} else {
		a = s.st.Account(n.AccountID)
		body, err = s.notePayload(a, n)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.deliver(ctx, a.ID, "note_"+singular, body), nil
}

// task finds a task of any account. The caller holds s.mu.
func (s *Server) task(id int64) (*account, *backend.Task) {
	for _, a := range s.st.Accounts() {
		if t := s.st.Services(a.ID).Tasks[id]; t != nil {
			return a, t
		}
	}
	return nil, nil
}

// deliver posts body to the account's enabled destinations subscribed to
// event, counting failures towards disabling each webhook.
func (s *Server) deliver(ctx context.Context, accountID int64, event string, body []byte) []WebhookDelivery {
	s.mu.Lock()
	var targets []*webhookSub
	for _, w := range s.st.Webhooks() {
		if w.AccountID == accountID && !w.Disabled && slices.Contains(w.Settings, event) {
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
	return out
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

// addResponsible writes an entity's responsible user under prefix p and, when
// the event is a change of responsible user, the one before it.
func (f *form) addResponsible(p, action string, id, old int64) {
	f.add(p+"[responsible_user_id]", id)
	if action == "responsible" {
		f.add(p+"[old_responsible_user_id]", old)
	}
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
func (s *Server) eventPayload(a *account, e *entity, action string) ([]byte, error) {
	root, key := "leads", action
	if e.Kind != "leads" {
		root = "contacts"
		if action == "responsible" {
			key = "update"
		}
	}
	switch {
	case action == "status" && e.OldStatusID == 0:
		return nil, fmt.Errorf("amocrmtest: DeliverEvent: lead %d has not moved to another stage through the API", e.ID)
	case action == "responsible" && e.OldResponsibleUserID == 0:
		return nil, fmt.Errorf("amocrmtest: DeliverEvent: the responsible user of %s %d has not changed through the API", e.Kind, e.ID)
	}
	p := root + "[" + key + "][0]"
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
			if action == "status" {
				f.add(p+"[old_status_id]", e.OldStatusID)
			}
			f.add(p+"[price]", e.Price)
		}
		f.addResponsible(p, action, e.ResponsibleUserID, e.OldResponsibleUserID)
		f.add(p+"[last_modified]", e.UpdatedAt)
		f.add(p+"[modified_user_id]", e.UpdatedBy)
		f.add(p+"[created_user_id]", e.CreatedBy)
		f.add(p+"[date_create]", e.CreatedAt)
		if e.Kind == "leads" {
			f.add(p+"[pipeline_id]", e.PipelineID)
			if action == "status" {
				f.add(p+"[old_pipeline_id]", e.OldPipelineID)
			}
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
	return s.withAccount(f, a), nil
}

// withAccount ends a payload with the account's part and encodes it.
func (s *Server) withAccount(f form, a *account) []byte {
	f.add("account[subdomain]", a.Subdomain)
	f.add("account[id]", a.ID)
	f.add("account[_links][self]", "https://"+a.Subdomain+"."+s.cfg.baseDomain)
	return []byte(strings.Join(f, "&"))
}

// elementTypes are the legacy numbers of the entities a task or note is on.
var elementTypes = map[string]int{"contacts": 1, "leads": 2, "companies": 3, "customers": 12}

// wallClock writes a Unix time as task and note payloads write dates: a
// wall-clock "2017-07-20 15:00:00" in the account's time zone.
func wallClock(a *account, t int64) string {
	loc := time.UTC
	name := a.Timezone
	if name == "" {
		name = "Europe/Moscow"
	}
	if l, err := time.LoadLocation(name); err == nil {
		loc = l
	}
	return time.Unix(t, 0).In(loc).Format(time.DateTime)
}

// taskPayload writes the delivery of a task event: under the singular
// "task", a change of responsible user as an update. The caller holds s.mu.
func (s *Server) taskPayload(a *account, t *backend.Task, action string) ([]byte, error) {
	key := action
	if action == "responsible" {
		if t.OldResponsible == 0 {
			return nil, fmt.Errorf("amocrmtest: DeliverEvent: the responsible user of task %d has not changed through the API", t.ID)
		}
		key = "update"
	}
	p := "task[" + key + "][0]"
	var f form
	f.add(p+"[id]", t.ID)
	if typ, ok := elementTypes[t.EntityType]; ok && t.EntityID != 0 {
		f.add(p+"[element_id]", t.EntityID)
		f.add(p+"[element_type]", typ)
	}
	if action != "delete" {
		status := 0
		if t.Completed {
			status = 1
		}
		f.add(p+"[task_type]", t.TaskType)
		f.add(p+"[text]", t.Text)
		f.add(p+"[status]", status)
		if t.Result != "" {
			f.add(p+"[result][text]", t.Result)
		}
		f.addResponsible(p, action, t.Responsible, t.OldResponsible)
		f.add(p+"[created_user_id]", t.CreatedBy)
		f.add(p+"[modified_by]", t.UpdatedBy)
		f.add(p+"[account_id]", a.ID)
		f.add(p+"[date_create]", wallClock(a, t.CreatedAt))
		f.add(p+"[last_modified]", wallClock(a, t.UpdatedAt))
		f.add(p+"[complete_till]", wallClock(a, t.CompleteTill))
		f.add(p+"[created_at]", t.CreatedAt)
		f.add(p+"[updated_at]", t.UpdatedAt)
		f.add(p+"[complete_before]", t.CompleteTill)
	}
	return s.withAccount(f, a), nil
}

// legacyNoteTypes are the numbers of API v2 for the v4 note types that have
// one, which note webhooks still carry.
var legacyNoteTypes = map[string]int{
	"common": 4, "attachment": 5, "call_in": 10, "call_out": 11, "service_message": 25, "sms_in": 102, "sms_out": 103,
}

// notePayload writes the delivery of a note event:
// {entity}[note][0][note][…], with the entity's type for contacts and
// companies. The caller holds s.mu.
func (s *Server) notePayload(a *account, n *note) ([]byte, error) {
	number, ok := legacyNoteTypes[n.NoteType]
	if !ok {
		return nil, fmt.Errorf("amocrmtest: DeliverNote: note type %q has no documented number for webhooks", n.NoteType)
	}
	var params map[string]any
	_ = json.Unmarshal(n.Params, &params)
	root := "leads"
	if n.EntityType != "leads" {
		root = "contacts"
	}
	p := root + "[note][0]"
	var f form
	np := p + "[note]"
	f.add(np+"[id]", n.ID)
	if text, ok := params["text"].(string); ok {
		f.add(np+"[text]", text)
	}
	f.add(np+"[note_type]", number)
	if name, ok := params["file_name"].(string); ok {
		// The file's Drive path, whose form is not documented: its name stands for it.
		f.add(np+"[attachement]", name)
	}
	f.add(np+"[element_id]", n.EntityID)
	f.add(np+"[element_type]", elementTypes[n.EntityType])
	f.add(np+"[date_create]", wallClock(a, n.CreatedAt))
	f.add(np+"[timestamp_x]", wallClock(a, n.UpdatedAt))
	f.add(np+"[created_by]", n.CreatedBy)
	f.add(np+"[modified_by]", n.UpdatedBy)
	f.add(np+"[main_user_id]", n.Responsible)
	f.add(np+"[account_id]", a.ID)
	f.add(np+"[created_at]", n.CreatedAt)
	f.add(np+"[updated_at]", n.UpdatedAt)
	if root == "contacts" {
		f.add(p+"[type]", map[string]string{"contacts": "contact", "companies": "company"}[n.EntityType])
	}
	return s.withAccount(f, a), nil
}
