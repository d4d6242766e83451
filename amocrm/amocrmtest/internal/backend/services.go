package backend

import (
	"encoding/json"
	"time"
)

// Services is one account's data of the services beyond the store's
// records: tasks, the pipelines added through the API, roles, sources,
// custom field groups, tag colours and the event log.
type Services struct {
	Tasks     map[int64]*Task
	Pipelines []*Pipeline // pipelines added through the API; the main one lives in Account
	Roles     map[int64]*Role
	Sources   map[int64]*Source
	Groups    map[string][]*FieldGroup // by owner ("leads")
	TagColors map[int64]string
	Events    []Event
	MainName  string // the main pipeline's name once renamed
}

// Services returns the account's Services, made empty on first use.
func (st *Store) Services(accountID int64) *Services {
	sv := st.services[accountID]
	if sv == nil {
		sv = &Services{
			Tasks: map[int64]*Task{}, Roles: map[int64]*Role{}, Sources: map[int64]*Source{},
			Groups: map[string][]*FieldGroup{}, TagColors: map[int64]string{},
		}
		st.services[accountID] = sv
	}
	return sv
}

// Task is a task, on an entity or on none.
type Task struct {
	ID, CreatedBy, UpdatedBy, Responsible, EntityID, TaskType, Duration int64
	CreatedAt, UpdatedAt, CompleteTill                                  int64
	EntityType, Text, Result                                            string
	Completed                                                           bool
	// OldResponsible is the responsible user before the latest change through the API, which
	// a task's responsible webhook carries; 0 until one.
	OldResponsible int64
}

// Pipeline is a pipeline with its stages.
type Pipeline struct {
	ID               int64
	Name             string
	Sort             int64
	Main, UnsortedOn bool
	Statuses         []Status
}

// Role is a role; its rights are kept as sent.
type Role struct {
	ID     int64
	Name   string
	Rights json.RawMessage
}

// Source is a source of leads.
type Source struct {
	ID, PipelineID   int64
	Name, ExternalID string
	Default          bool
	Services         json.RawMessage
}

// FieldGroup is a group of custom fields; its id is a string.
type FieldGroup struct {
	ID     string
	Name   string
	Sort   int64
	Fields []int64
}

// Event is an entry of an account's event log.
type Event struct {
	ID                      string
	Type                    string
	EntityType              string // singular: "lead", "contact", …
	EntityID                int64
	CreatedBy               int64
	CreatedAt               time.Time
	ValueAfter, ValueBefore []map[string]any
}
