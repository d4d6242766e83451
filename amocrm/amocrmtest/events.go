package amocrmtest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amokit/amokit/amocrm/amocrmtest/internal/backend"
)

// The event log (docs/amocrm-services.md#events): ids are strings, entity types are singular, a
// page holds at most 100, filter[entity_id] needs exactly one filter[entity], and lists given
// comma-joined (as the official PHP SDK sends them) are read like arrays. The log holds the events
// seeded with Account.AddEvent.

// Event is an entry of an account's event log.
type Event struct {
	// ID is assigned by the server when empty.
	ID string
	// Type is such as "lead_added" or "lead_status_changed".
	Type string
	// EntityType is singular: "lead", "contact", "company", "customer", "task".
	EntityType string
	EntityID   int64
	CreatedBy  int64
	CreatedAt  time.Time
	// ValueAfter and ValueBefore are one-key objects, such as
	// {"lead_status": {"id": 142, "pipeline_id": 1}}.
	ValueAfter, ValueBefore []map[string]any
}

const maxEventsLimit = 100

var eventEntities = []string{"lead", "contact", "company", "customer", "task"}

// AddEvent adds an event to the account's log and returns it with its id.
func (a *Account) AddEvent(e Event) Event {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if e.Type == "" || e.EntityType == "" {
		panic("amocrmtest: AddEvent: Type and EntityType are required")
	}
	ca := a.s.st.Services(a.ID)
	if e.ID == "" {
		e.ID = "01ev" + strconv.FormatInt(a.s.st.Next("event"), 36) + "a" + strconv.FormatInt(a.ID, 36)
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = a.s.now()
	}
	ca.Events = append(ca.Events, backend.Event(e))
	return e
}

func (c *call) renderEvent(e Event) obj {
	list := func(vs []map[string]any) []map[string]any {
		if vs == nil {
			return []map[string]any{}
		}
		return vs
	}
	return obj{
		"id": e.ID, "type": e.Type, "entity_id": e.EntityID, "entity_type": e.EntityType, "created_by": e.CreatedBy,
		"created_at": e.CreatedAt.Unix(), "value_after": list(e.ValueAfter), "value_before": list(e.ValueBefore),
		"account_id": c.acct.ID, "_links": obj{"self": obj{"href": c.base + "/api/v4/events/" + e.ID}},
		"_embedded": obj{"entity": obj{"id": e.EntityID}},
	}
}

// listValues reads key as an array or a comma-joined list.
func listValues(q map[string][]string, key string) ([]string, bool) {
	vs, ok := stringList(q, key)
	var out []string
	for _, v := range vs {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out, ok
}

func listEvents(c *call) reply {
	q := c.r.URL.Query()
	if v := q.Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > maxEventsLimit {
			return problem(http.StatusBadRequest, "Limit 100 per page")
		}
	}
	lq, rep := c.s.parseList(q)
	if rep != nil {
		return *rep
	}
	if rep := c.refuseUnknown(q, []string{"id", "type", "entity", "entity_id", "created_by", "created_at"},
		[]string{"contact_name", "lead_name", "company_name", "customer_name", "catalog_element_name", "catalog_name"}); rep != nil {
		return *rep
	}
	ids, _ := listValues(q, "filter[id]")
	types, _ := listValues(q, "filter[type]")
	entities, _ := listValues(q, "filter[entity]")
	for _, e := range entities {
		if !slices.Contains(eventEntities, e) && !strings.HasPrefix(e, "catalog_") {
			return problem(http.StatusBadRequest, "Invalid value of filter[entity]: "+e+" (entity names are singular)")
		}
	}
	rawEntityIDs, hasEntityIDs := listValues(q, "filter[entity_id]")
	if hasEntityIDs && len(entities) != 1 {
		return problem(http.StatusBadRequest, "filter[entity_id] requires exactly one filter[entity]")
	}
	rawCreatedBy, _ := listValues(q, "filter[created_by]")
	if len(rawEntityIDs) > 10 || len(rawCreatedBy) > 10 {
		return problem(http.StatusBadRequest, "At most 10 values per filter")
	}
	created, err := rangeFilter(q, "filter[created_at]")
	if err != nil {
		return *filterError("filter[created_at]")
	}
	var items []Event
	for _, e := range c.crm().Events {
		switch {
		case len(ids) > 0 && !slices.Contains(ids, e.ID),
			len(types) > 0 && !slices.Contains(types, e.Type),
			len(entities) > 0 && !slices.Contains(entities, e.EntityType),
			hasEntityIDs && !slices.Contains(rawEntityIDs, strconv.FormatInt(e.EntityID, 10)),
			len(rawCreatedBy) > 0 && !slices.Contains(rawCreatedBy, strconv.FormatInt(e.CreatedBy, 10)),
			created.set && !created.contains(e.CreatedAt.Unix()):
			continue
		}
		items = append(items, Event(e))
	}
	slices.SortStableFunc(items, func(a, b Event) int { return -a.CreatedAt.Compare(b.CreatedAt) }) // newest first
	return pageOf(c.r, lq, "events", items, c.renderEvent)
}

func getEvent(c *call) reply {
	id := c.r.PathValue("event")
	for _, e := range c.crm().Events {
		if e.ID == id {
			return okReply(c.renderEvent(Event(e)))
		}
	}
	return notFound()
}

var eventTypeNames = []struct {
	key    string
	typ    int
	ru, en string
}{
	{"lead_added", 1, "Новая сделка", "Lead added"},
	{"lead_deleted", 7, "Сделка удалена", "Lead deleted"},
}

func eventTypes(c *call) reply {
	lang := c.r.URL.Query().Get("language_code")
	var out []obj
	for _, t := range eventTypeNames {
		name := t.ru
		if lang == "en" {
			name = t.en
		}
		out = append(out, obj{"key": t.key, "type": t.typ, "lang": name})
	}
	return c.unpaged("events_types", out)
}

func eventRoutes(m *mux) {
	m.api("GET /api/v4/events", listEvents)
	m.api("GET /api/v4/events/types", eventTypes)
	m.api("GET /api/v4/events/{event}", getEvent)
}
