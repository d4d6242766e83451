package amocrmtest

import (
	"fmt"
	"time"
)

// Account and users (docs/amocrm-reference.md#account).
func init() {
	registerRoutes(func(_ *Server, m *mux) {
		m.api("GET /api/v4/account", getAccount)
		m.api("GET /api/v4/users", listUsers)
		m.api("GET /api/v4/users/{id}", getUser)
	})
}

// Account is a handle on one amoCRM account of the server: its identity
// (fixed at creation) and the methods that seed it. It stays valid as long
// as the server does.
type Account struct {
	// ID is the numeric account id (the access token's account_id).
	ID int64
	// Subdomain is "acme" for https://acme.amocrm.ru.
	Subdomain string
	// Host is the account host, "acme.amocrm.ru": what the OAuth redirect
	// sends as referer.
	Host string
	// Name is the account's display name.
	Name string
	// AdminID is the id of the administrator created with the account, the
	// user that consents on the OAuth page and the default author of seeds.
	AdminID int64
	// PipelineID is the main pipeline's id.
	PipelineID int64

	s *Server
}

func (s *Server) accountHandle(a *account) *Account {
	return &Account{
		ID: a.ID, Subdomain: a.Subdomain, Host: s.host(a), Name: a.Name,
		AdminID: a.AdminID, PipelineID: a.PipelineID, s: s,
	}
}

func (s *Server) host(a *account) string { return a.Subdomain + "." + s.cfg.baseDomain }

// Account returns the handle of the account with the given subdomain.
func (s *Server) Account(subdomain string) (*Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.AccountBySubdomain(subdomain)
	if a == nil {
		return nil, false
	}
	return s.accountHandle(a), true
}

// SetName renames the account (its display name, as GET /api/v4/account
// answers it).
func (a *Account) SetName(name string) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.s.st.Account(a.ID).Name = name
	a.Name = name
}

// SetTimezone sets the account's time zone, an IANA name ("Asia/Yekaterinburg"), which
// GET /api/v4/account?with=datetime_settings answers with its offset at the server's current
// time (docs/amocrm-reference.md#account-time-zone). A new account keeps Europe/Moscow. It
// panics if the zone is unknown.
func (a *Account) SetTimezone(name string) {
	if _, err := time.LoadLocation(name); err != nil || name == "" || name == "Local" {
		panic(fmt.Sprintf("amocrmtest: SetTimezone: unknown zone %q", name))
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.s.st.Account(a.ID).Timezone = name
}

// datetimeSettings is the account's _embedded.datetime_settings at now.
func datetimeSettings(a *account, now time.Time) obj {
	name := a.Timezone
	if name == "" {
		name = "Europe/Moscow"
	}
	offset := "+03:00"
	if loc, err := time.LoadLocation(name); err == nil {
		offset = now.In(loc).Format("-07:00")
	}
	return obj{
		"date_pattern": "d.m.Y H:i", "short_date_pattern": "d.m.Y", "short_time_pattern": "H:i",
		"date_format": "d.m.Y", "time_format": "H:i", "timezone": name, "timezone_offset": offset,
	}
}

// AddCustomField adds a custom field to the account's "leads", "contacts"
// or "companies" and returns it with its id (and its enums' ids).
func (a *Account) AddCustomField(entityType string, f CustomField) CustomField {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if !entityTypeOK(entityType) {
		panic(fmt.Sprintf("amocrmtest: AddCustomField: unknown entity type %q", entityType))
	}
	if f.Name == "" {
		panic("amocrmtest: AddCustomField: empty name")
	}
	acct := a.s.st.Account(a.ID)
	if f.Sort == 0 {
		f.Sort = 10 * (len(acct.Fields[entityType]) + 1)
	}
	d := a.s.st.newField(f, entityType, 0)
	acct.Fields[entityType] = append(acct.Fields[entityType], d)
	return exportField(d)
}

// CustomFields returns the custom fields of the account's "leads",
// "contacts" or "companies".
func (a *Account) CustomFields(entityType string) []CustomField {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out []CustomField
	for _, d := range a.s.st.Account(a.ID).Fields[entityType] {
		out = append(out, exportField(d))
	}
	return out
}

// getAccount is GET /api/v4/account (docs/amocrm-reference.md#account).
func getAccount(c *call) reply {
	a := c.acct
	lq, rep := c.s.parseList(c.r.URL.Query())
	if rep != nil {
		return *rep
	}
	o := obj{
		"id": a.ID, "name": a.Name, "subdomain": a.Subdomain, "created_at": a.CreatedAt,
		"created_by": a.AdminID, "updated_at": a.CreatedAt, "updated_by": a.AdminID,
		"current_user_id": c.userID, "country": "RU", "currency": "RUB", "currency_symbol": "₽",
		"customers_mode": "disabled", "is_unsorted_on": true, "is_loss_reason_enabled": true,
		"is_helpbot_enabled": false, "is_technical_account": false, "contact_name_display_order": 1,
		"mobile_feature_version": 0,
		"_links":                 obj{"self": obj{"href": c.base + "/api/v4/account"}},
	}
	top := map[string]any{
		"amojo_id": a.AmojoID, "uuid": a.UUID, "version": 27, "is_api_filter_enabled": true,
		"drive_url":         c.s.driveBaseURL(c.base),
		"invoices_settings": obj{"lang": "ru", "invoices_catalog_id": nil},
	}
	emb := obj{}
	embedded := map[string]any{
		"amojo_rights": obj{"can_direct": true, "can_create_groups": true},
		"users_groups": []obj{{"id": 0, "name": "Отдел продаж", "uuid": nil}},
		"task_types": []obj{
			{"id": 1, "name": "Связаться", "color": nil, "icon_id": nil, "code": "FOLLOW_UP"},
			{"id": 2, "name": "Встреча", "color": nil, "icon_id": nil, "code": "MEETING"},
		},
		"datetime_settings": datetimeSettings(a, c.s.now()),
		"entity_names":      obj{"leads": obj{"ru": obj{"gender": "f", "singular_form": obj{"nominative": "сделка"}, "plural_form": obj{"nominative": "сделки"}}}},
	}
	for w := range lq.with {
		if v, ok := top[w]; ok {
			o[w] = v
		}
		if v, ok := embedded[w]; ok {
			emb[w] = v
		}
	}
	if len(emb) > 0 {
		o["_embedded"] = emb
	}
	return okReply(o)
}
