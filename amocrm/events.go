package amocrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// EventsService reads the account's event log: /api/v4/events. Unlike the rest of the API, event
// ids are strings, entity types are singular ("lead", not "leads"), and a page holds at most
// MaxEventsPageSize events. Every user may read it; amoCRM filters it by the user's rights.
type EventsService service

// MaxEventsPageSize is the largest page of events amoCRM returns.
const MaxEventsPageSize = 100

// EventEntity is the singular entity name events use.
type EventEntity string

// Entities of events; a catalog's elements are EventEntityCatalog.
const (
	EventEntityLead     EventEntity = "lead"
	EventEntityContact  EventEntity = "contact"
	EventEntityCompany  EventEntity = "company"
	EventEntityCustomer EventEntity = "customer"
	EventEntityTask     EventEntity = "task"
)

// EventEntityCatalog is the entity of the elements of the catalog catalogID.
func EventEntityCatalog(catalogID int64) EventEntity {
	return EventEntity("catalog_" + strconv.FormatInt(catalogID, 10))
}

// Event is an entry of the event log.
type Event struct {
	ID         string      `json:"id"` // a string, such as "01pz58t6p04ymgsgfbmfyfy1mf"
	Type       string      `json:"type"`
	EntityID   int64       `json:"entity_id"`
	EntityType EventEntity `json:"entity_type"`
	CreatedBy  int64       `json:"created_by"`
	CreatedAt  Timestamp   `json:"created_at"`
	AccountID  int64       `json:"account_id"`
	// ValueAfter and ValueBefore are lists of one-key objects whose shape depends on Type, such as
	// {"lead_status":{"id":…,"pipeline_id":…}} or {"note":{"id":…}}; read them with Decode.
	ValueAfter  EventValues `json:"value_after"`
	ValueBefore EventValues `json:"value_before"`
	Embedded    struct {
		Entity struct {
			ID   int64  `json:"id"`
			Name string `json:"name"` // with the matching EventWith value
		} `json:"entity"`
	} `json:"_embedded"`
}

// EventValues are an event's value_after or value_before: one-key objects as amoCRM sent them.
type EventValues []json.RawMessage

// Decode decodes the value under key of every item that has it into a new T, for example
// Decode[EventLeadStatus](e.ValueAfter, "lead_status").
func Decode[T any](vs EventValues, key string) ([]T, error) {
	var out []T
	for _, raw := range vs {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("amocrm: event value %s: %w", truncate(string(raw), 40), err)
		}
		v, ok := m[key]
		if !ok {
			continue
		}
		var t T
		if err := json.Unmarshal(v, &t); err != nil {
			return nil, fmt.Errorf("amocrm: event value %q: %w", key, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// EventLeadStatus is the "lead_status" value of a lead_status_changed event.
type EventLeadStatus struct {
	ID         int64 `json:"id"`
	PipelineID int64 `json:"pipeline_id"`
}

// EventCustomFieldValue is the "custom_field_value" value of a custom_field_value_changed event.
type EventCustomFieldValue struct {
	FieldID   int64  `json:"field_id"`
	FieldType int64  `json:"field_type"`
	EnumID    int64  `json:"enum_id"` // 0 when null
	Text      string `json:"text"`
}

// EventWith names extra data to load with events: the name of the event's entity.
type EventWith string

// Values for EventListOptions.With and EventsService.Get.
const (
	EventWithContactName        EventWith = "contact_name"
	EventWithLeadName           EventWith = "lead_name"
	EventWithCompanyName        EventWith = "company_name"
	EventWithCustomerName       EventWith = "customer_name"
	EventWithCatalogElementName EventWith = "catalog_element_name"
	EventWithCatalogName        EventWith = "catalog_name"
)

// EventListOptions filters and pages EventsService.List and All.
type EventListOptions struct {
	IDs     []string
	Types   []string // such as "lead_status_changed"; a custom_field_{ID}_value_changed type must be alone
	Created TimeRange
	// CreatedBy is at most 10 user ids.
	CreatedBy []int64
	// Entities selects events of these entities; EntityIDs (at most 10) needs exactly one entity.
	Entities  []EventEntity
	EntityIDs []int64
	With      []EventWith
	// Page is the 1-based page to read (All starts there); Limit the page size, at most
	// MaxEventsPageSize.
	Page, Limit int
}

func (o *EventListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if o.Page < 0 || o.Limit < 0 || o.Limit > MaxEventsPageSize {
		return nil, fmt.Errorf("amocrm: events: page %d, limit %d: the limit is at most %d", o.Page, o.Limit, MaxEventsPageSize)
	}
	if len(o.EntityIDs) > 0 && len(o.Entities) != 1 {
		return nil, errors.New("amocrm: events: EntityIDs need exactly one entity in Entities")
	}
	if len(o.EntityIDs) > 10 || len(o.CreatedBy) > 10 {
		return nil, errors.New("amocrm: events: at most 10 EntityIDs and 10 CreatedBy")
	}
	for _, t := range o.Types {
		if strings.HasPrefix(t, "custom_field_") && strings.HasSuffix(t, "_value_changed") && t != "custom_field_value_changed" && len(o.Types) > 1 {
			return nil, fmt.Errorf("amocrm: events: the type %s must be the only type asked for", t)
		}
	}
	q.list("filter[id]", o.IDs...)
	q.list("filter[type]", o.Types...)
	q.timeRange("filter[created_at]", o.Created)
	q.ints("filter[created_by]", o.CreatedBy)
	q.list("filter[entity]", names(o.Entities)...)
	q.ints("filter[entity_id]", o.EntityIDs)
	q.with(names(o.With))
	q.page(o.Page, o.Limit)
	return q.values(), nil
}

// List returns one page of events; an empty result is an empty page.
//
// API docs: GET /api/v4/events, https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#events-list
func (s *EventsService) List(ctx context.Context, opts *EventListOptions) (*Page[Event], error) {
	return pageOf[Event](ctx, s.client, "api/v4/events", opts, "events")
}

// All ranges over every event matching opts, fetching pages lazily.
//
// API docs: GET /api/v4/events, https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#events-list
func (s *EventsService) All(ctx context.Context, opts *EventListOptions) iter.Seq2[Event, error] {
	return allOf[Event](ctx, s.client, "api/v4/events", opts, "events")
}

// Get returns the event id.
//
// API docs: GET /api/v4/events/{id}, https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#event-detail
func (s *EventsService) Get(ctx context.Context, id string, with ...EventWith) (*Event, error) {
	if id == "" || strings.ContainsFunc(id, func(c rune) bool {
		return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_')
	}) {
		return nil, fmt.Errorf("amocrm: invalid event id %q", id)
	}
	q := query{}
	q.with(names(with))
	var e Event
	if err := s.client.getOne(ctx, "api/v4/events/"+id, q.values(), &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// EventType is a kind of event with its name in one language.
type EventType struct {
	Key  string `json:"key"`  // such as "lead_added"
	Type int64  `json:"type"` // its number
	Lang string `json:"lang"` // its name, such as "Новая сделка"
}

// Types returns the kinds of events with their names in language ("ru", "en", "es", "pt"; ""
// for the account's).
//
// API docs: GET /api/v4/events/types, https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#events-types
func (s *EventsService) Types(ctx context.Context, language string) ([]EventType, error) {
	q := query{}
	q.set("language_code", language)
	p, err := listPage[EventType](ctx, s.client, "api/v4/events/types", q.values(), "events_types")
	if err != nil {
		return nil, err
	}
	return p.Items, nil
}
