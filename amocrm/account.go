package amocrm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AccountService reads the account the Client is connected to.
type AccountService service

// Account is an amoCRM account (docs/amocrm-reference.md#account).
type Account struct {
	ID                      int64     `json:"id"`
	Name                    string    `json:"name"`
	Subdomain               string    `json:"subdomain"`
	CreatedAt               Timestamp `json:"created_at"`
	CreatedBy               int64     `json:"created_by"`
	UpdatedAt               Timestamp `json:"updated_at"`
	UpdatedBy               int64     `json:"updated_by"`
	CurrentUserID           int64     `json:"current_user_id"`
	Country                 string    `json:"country"`
	Currency                string    `json:"currency"`
	CurrencySymbol          string    `json:"currency_symbol"`
	CustomersMode           string    `json:"customers_mode"`
	IsUnsortedOn            bool      `json:"is_unsorted_on"`
	IsLossReasonEnabled     bool      `json:"is_loss_reason_enabled"`
	IsHelpbotEnabled        bool      `json:"is_helpbot_enabled"`
	IsTechnicalAccount      bool      `json:"is_technical_account"`
	ContactNameDisplayOrder int       `json:"contact_name_display_order"`

	// Filled only when asked for with the matching AccountWith value.
	AmojoID            string `json:"amojo_id"`
	UUID               string `json:"uuid"`
	Version            int    `json:"version"`
	IsAPIFilterEnabled bool   `json:"is_api_filter_enabled"`
	DriveURL           string `json:"drive_url"`
	// EntityNames are the names the account gives its entities (AccountWithEntityNames). amoCRM's
	// documented sample sends them at the top level and the official PHP SDK reads them under
	// _embedded; both are read, use Names to look one up.
	EntityNames      EntityNames       `json:"entity_names"`
	InvoicesSettings *InvoicesSettings `json:"invoices_settings"` // AccountWithInvoicesSettings

	Embedded AccountEmbedded `json:"_embedded"`
}

// EntityNames maps an entity type ("leads") and a language ("ru", "en", "es") to the names the
// account uses for that entity.
type EntityNames map[string]map[string]EntityName

// EntityName is how an account names one entity in one language: grammatical gender ("m", "f")
// and the singular and plural forms by case ("default", "genitive", "dative", "accusative",
// "instrumental", "prepositional"; other languages have only "default").
type EntityName struct {
	Gender       string            `json:"gender"`
	SingularForm map[string]string `json:"singular_form"`
	PluralForm   map[string]string `json:"plural_form"`
}

// Names returns the names of entity (such as EntityLeads) in lang, wherever amoCRM put them.
func (a *Account) Names(entity EntityType, lang string) (EntityName, bool) {
	for _, m := range []EntityNames{a.EntityNames, a.Embedded.EntityNames} {
		if n, ok := m[string(entity)][lang]; ok {
			return n, true
		}
	}
	return EntityName{}, false
}

// InvoicesSettings are the account's invoice settings: the language of invoices and the id of the
// invoices catalog.
type InvoicesSettings struct {
	Lang              string `json:"lang"`
	InvoicesCatalogID int64  `json:"invoices_catalog_id"`
}

// AccountEmbedded holds the parts of an account that come under _embedded.
type AccountEmbedded struct {
	AmojoRights *struct {
		CanDirect       bool `json:"can_direct"`
		CanCreateGroups bool `json:"can_create_groups"`
	} `json:"amojo_rights"`
	UsersGroups      []UsersGroup      `json:"users_groups"`
	TaskTypes        []TaskType        `json:"task_types"`
	DatetimeSettings *DatetimeSettings `json:"datetime_settings"`
	EntityNames      EntityNames       `json:"entity_names"` // see Account.Names
}

// UsersGroup is a group of the account's users.
type UsersGroup struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

// TaskType is a kind of task, such as 1 FOLLOW_UP or 2 MEETING.
type TaskType struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Color  string `json:"color"`
	IconID int64  `json:"icon_id"`
	Code   string `json:"code"`
}

// DatetimeSettings are the account's date and time formats and time zone.
type DatetimeSettings struct {
	DatePattern      string `json:"date_pattern"`
	ShortDatePattern string `json:"short_date_pattern"`
	ShortTimePattern string `json:"short_time_pattern"`
	DateFormat       string `json:"date_format"`
	TimeFormat       string `json:"time_format"`
	Timezone         string `json:"timezone"`
	TimezoneOffset   string `json:"timezone_offset"`
}

// Location is the account's time zone (docs/amocrm-reference.md#account-time-zone): the zone
// Timezone names in the IANA database ("Asia/Yekaterinburg"); failing that, the fixed offset
// TimezoneOffset gives ("+05:00"), named by Timezone when set. It returns an error when neither
// can be read, so that a caller chooses its own default rather than the server's zone.
func (d *DatetimeSettings) Location() (*time.Location, error) {
	if d == nil {
		return nil, fmt.Errorf("amocrm: the account's datetime_settings are missing")
	}
	name := strings.TrimSpace(d.Timezone)
	// "" and "Local" would be the server's zone, not the account's.
	if name != "" && name != "Local" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, nil
		}
	}
	if secs, ok := parseOffset(d.TimezoneOffset); ok {
		if name == "" || name == "Local" {
			name = "UTC" + strings.TrimSpace(d.TimezoneOffset)
		}
		return time.FixedZone(name, secs), nil
	}
	return nil, fmt.Errorf("amocrm: unknown account time zone %q with offset %q", d.Timezone, d.TimezoneOffset)
}

// parseOffset reads a UTC offset written "+05:00" or "-03:30" into seconds.
func parseOffset(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[1:3])
	m, err2 := strconv.Atoi(s[4:6])
	if err1 != nil || err2 != nil || h > 14 || m > 59 {
		return 0, false
	}
	secs := h*3600 + m*60
	if s[0] == '-' {
		secs = -secs
	}
	return secs, true
}

// AccountWith names extra data for AccountService.Get.
type AccountWith string

// Values for AccountService.Get.
const (
	AccountWithAmojoID            AccountWith = "amojo_id"
	AccountWithUUID               AccountWith = "uuid"
	AccountWithAmojoRights        AccountWith = "amojo_rights"
	AccountWithUsersGroups        AccountWith = "users_groups"
	AccountWithTaskTypes          AccountWith = "task_types"
	AccountWithVersion            AccountWith = "version"
	AccountWithDatetimeSettings   AccountWith = "datetime_settings"
	AccountWithEntityNames        AccountWith = "entity_names"
	AccountWithInvoicesSettings   AccountWith = "invoices_settings"
	AccountWithIsAPIFilterEnabled AccountWith = "is_api_filter_enabled"
	AccountWithDriveURL           AccountWith = "drive_url"
)

// Get returns the account, with the extra data named in with.
//
// API docs: GET /api/v4/account, https://www.amocrm.ru/developers/content/crm_platform/account-info
func (s *AccountService) Get(ctx context.Context, with ...AccountWith) (*Account, error) {
	q := query{}
	names := make([]string, len(with))
	for i, w := range with {
		names[i] = string(w)
	}
	q.with(names)
	var a Account
	if err := s.client.getOne(ctx, "api/v4/account", q.values(), &a); err != nil {
		return nil, err
	}
	return &a, nil
}
