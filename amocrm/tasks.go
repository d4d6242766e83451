package amocrm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// TasksService reads and writes tasks: /api/v4/tasks. amoCRM documents no way to delete a task
// through the API.
type TasksService service

// Task types every account has; others are listed by AccountWithTaskTypes.
const (
	TaskTypeCall    int64 = 1 // "Связаться", code FOLLOW_UP
	TaskTypeMeeting int64 = 2 // "Встреча", code MEETING
)

// Task is a task as amoCRM returns it.
type Task struct {
	ID                int64 `json:"id"`
	CreatedBy         int64 `json:"created_by"` // 0 for a robot
	UpdatedBy         int64 `json:"updated_by"`
	ResponsibleUserID int64 `json:"responsible_user_id"`
	GroupID           int64 `json:"group_id"`
	AccountID         int64 `json:"account_id"`
	// EntityID and EntityType name the lead, contact, company or customer the task is attached
	// to; both are empty for a task attached to nothing.
	EntityID     int64      `json:"entity_id"`
	EntityType   EntityType `json:"entity_type"`
	IsCompleted  bool       `json:"is_completed"`
	TaskTypeID   int64      `json:"task_type_id"`
	Text         string     `json:"text"`
	Duration     int64      `json:"duration"` // seconds
	CompleteTill Timestamp  `json:"complete_till"`
	Result       TaskResult `json:"result"`
	CreatedAt    Timestamp  `json:"created_at"`
	UpdatedAt    Timestamp  `json:"updated_at"`
}

// TaskResult is the result written when a task was completed. amoCRM sends an empty JSON array,
// not null, for a task without one; both read as the zero TaskResult.
type TaskResult struct {
	Text string `json:"text"`
}

// UnmarshalJSON reads {"text":…}, [] or null.
func (r *TaskResult) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*r = TaskResult{}
	if len(b) > 0 && b[0] == '[' {
		var none []json.RawMessage
		if err := json.Unmarshal(b, &none); err != nil {
			return err
		}
		if len(none) > 0 {
			return fmt.Errorf("amocrm: task result: expected an object, got %s", truncate(string(b), 40))
		}
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	type plain TaskResult
	return json.Unmarshal(b, (*plain)(r))
}

// TaskListOptions filters and pages TasksService.List and All. Every filter is optional.
type TaskListOptions struct {
	IDs                []int64
	ResponsibleUserIDs []int64
	TaskTypeIDs        []int64
	// Completed, when not nil, selects completed (true) or open (false) tasks.
	Completed *bool
	// EntityType selects tasks attached to one kind of entity; EntityIDs, which amoCRM takes only
	// together with EntityType, narrows them to some entities.
	EntityType EntityType
	EntityIDs  []int64
	// Updated bounds the time of the last change.
	Updated TimeRange
	// Order sorts by SortByCreatedAt, SortByCompleteTill or SortByID.
	Order Sort
	// Page is the 1-based page to read (All starts there); Limit the page size, at most MaxPageSize.
	Page, Limit int
}

// SortByCompleteTill orders tasks by their deadline.
const SortByCompleteTill SortField = "complete_till"

func (o *TaskListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if err := checkPage(o.Page, o.Limit); err != nil {
		return nil, err
	}
	if len(o.EntityIDs) > 0 && o.EntityType == "" {
		return nil, errors.New("amocrm: a task filter by EntityIDs needs the EntityType")
	}
	if o.Order.By == SortByUpdatedAt {
		return nil, errors.New("amocrm: tasks are ordered by created_at, complete_till or id")
	}
	q.ints("filter[id]", o.IDs)
	q.ints("filter[responsible_user_id]", o.ResponsibleUserIDs)
	q.ints("filter[task_type]", o.TaskTypeIDs)
	if o.Completed != nil {
		url.Values(q).Set("filter[is_completed]", map[bool]string{true: "1", false: "0"}[*o.Completed])
	}
	q.set("filter[entity_type]", string(o.EntityType))
	q.ints("filter[entity_id]", o.EntityIDs)
	q.timeRange("filter[updated_at]", o.Updated)
	q.order(string(o.Order.By), o.Order.Dir)
	q.page(o.Page, o.Limit)
	return q.values(), nil
}

// Get returns the task id.
//
// API docs: GET /api/v4/tasks/{id}, https://www.amocrm.ru/developers/content/crm_platform/tasks-api#task-detail
func (s *TasksService) Get(ctx context.Context, id int64) (*Task, error) {
	return getByID[Task](ctx, s.client, "api/v4/tasks", "task", id, nil)
}

// List returns one page of tasks; an empty result is an empty page.
//
// API docs: GET /api/v4/tasks, https://www.amocrm.ru/developers/content/crm_platform/tasks-api#tasks-list
func (s *TasksService) List(ctx context.Context, opts *TaskListOptions) (*Page[Task], error) {
	return pageOf[Task](ctx, s.client, "api/v4/tasks", opts, "tasks")
}

// All ranges over every task matching opts, fetching pages lazily.
//
// API docs: GET /api/v4/tasks, https://www.amocrm.ru/developers/content/crm_platform/tasks-api#tasks-list
func (s *TasksService) All(ctx context.Context, opts *TaskListOptions) iter.Seq2[Task, error] {
	return allOf[Task](ctx, s.client, "api/v4/tasks", opts, "tasks")
}

// CreateTaskRequest is a new task. Text and CompleteTill are required; the task is attached to an
// entity when EntityID and EntityType are both set, and is the token user's when
// ResponsibleUserID is 0.
type CreateTaskRequest struct {
	Text              string
	CompleteTill      Timestamp
	TaskTypeID        int64 // TaskTypeCall when 0
	EntityID          int64
	EntityType        EntityType
	ResponsibleUserID int64
	Duration          int64 // seconds
	CreatedBy         int64
	CreatedAt         Timestamp
}

// taskWire is the body of a task write.
type taskWire struct {
	ID                int64       `json:"id,omitzero"`
	Text              *string     `json:"text,omitempty"`
	CompleteTill      Timestamp   `json:"complete_till,omitzero"`
	TaskTypeID        int64       `json:"task_type_id,omitzero"`
	EntityID          int64       `json:"entity_id,omitzero"`
	EntityType        EntityType  `json:"entity_type,omitempty"`
	ResponsibleUserID int64       `json:"responsible_user_id,omitzero"`
	Duration          *int64      `json:"duration,omitempty"`
	IsCompleted       *bool       `json:"is_completed,omitempty"`
	Result            *TaskResult `json:"result,omitempty"`
	CreatedBy         int64       `json:"created_by,omitzero"`
	UpdatedBy         int64       `json:"updated_by,omitzero"`
	CreatedAt         Timestamp   `json:"created_at,omitzero"`
}

func checkTaskEntity(id int64, typ EntityType) error {
	if (id == 0) != (typ == "") {
		return fmt.Errorf("amocrm: a task's EntityID (%d) and EntityType (%q) go together", id, typ)
	}
	return nil
}

// MarshalJSON writes the task the way POST /api/v4/tasks takes it.
func (r CreateTaskRequest) MarshalJSON() ([]byte, error) {
	if strings.TrimSpace(r.Text) == "" || r.CompleteTill.IsZero() {
		return nil, errors.New("amocrm: a new task needs Text and CompleteTill")
	}
	if err := checkTaskEntity(r.EntityID, r.EntityType); err != nil {
		return nil, err
	}
	w := taskWire{
		Text: &r.Text, CompleteTill: r.CompleteTill, TaskTypeID: r.TaskTypeID, EntityID: r.EntityID,
		EntityType: r.EntityType, ResponsibleUserID: r.ResponsibleUserID, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt,
	}
	if w.TaskTypeID == 0 {
		w.TaskTypeID = TaskTypeCall
	}
	if r.Duration != 0 {
		w.Duration = &r.Duration
	}
	return json.Marshal(w)
}

// UpdateTaskRequest changes a task. ID is required (UpdateOne takes it from its argument); nil
// pointers and zero values are left alone. Completed with a Result completes the task: see
// TasksService.Complete.
type UpdateTaskRequest struct {
	ID                int64
	Text              *string
	CompleteTill      Timestamp
	TaskTypeID        int64
	EntityID          int64
	EntityType        EntityType
	ResponsibleUserID int64
	Duration          *int64
	Completed         *bool
	// Result is written with the completion; "" writes none.
	Result    string
	UpdatedBy int64
}

// MarshalJSON writes the change the way PATCH /api/v4/tasks takes it.
func (r UpdateTaskRequest) MarshalJSON() ([]byte, error) {
	if r.ID <= 0 {
		return nil, fmt.Errorf("amocrm: task update without a valid ID (%d)", r.ID)
	}
	if err := checkTaskEntity(r.EntityID, r.EntityType); err != nil {
		return nil, err
	}
	w := taskWire{
		ID: r.ID, Text: r.Text, CompleteTill: r.CompleteTill, TaskTypeID: r.TaskTypeID, EntityID: r.EntityID,
		EntityType: r.EntityType, ResponsibleUserID: r.ResponsibleUserID, Duration: r.Duration,
		IsCompleted: r.Completed, UpdatedBy: r.UpdatedBy,
	}
	if r.Result != "" {
		if r.Completed == nil || !*r.Completed {
			return nil, fmt.Errorf("amocrm: task %d: a Result is written only with Completed set to true", r.ID)
		}
		w.Result = &TaskResult{Text: r.Result}
	}
	return json.Marshal(w)
}

// Create creates any number of tasks in batches. Results and errors are as for
// LeadsService.Create.
//
// API docs: POST /api/v4/tasks, https://www.amocrm.ru/developers/content/crm_platform/tasks-api#tasks-add
func (s *TasksService) Create(ctx context.Context, tasks []CreateTaskRequest) ([]Saved, error) {
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: "api/v4/tasks", key: "tasks"}, tasks)
	return savedOf(answers), err
}

// Update changes any number of tasks in batches. Results and errors are as for
// LeadsService.Create.
//
// API docs: PATCH /api/v4/tasks, https://www.amocrm.ru/developers/content/crm_platform/tasks-api#tasks-edit
func (s *TasksService) Update(ctx context.Context, tasks []UpdateTaskRequest) ([]Saved, error) {
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPatch, path: "api/v4/tasks", key: "tasks"}, tasks)
	return savedOf(answers), err
}

// UpdateOne changes the task id; req.ID is ignored.
//
// API docs: PATCH /api/v4/tasks/{id}, https://www.amocrm.ru/developers/content/crm_platform/tasks-api#tasks-edit
func (s *TasksService) UpdateOne(ctx context.Context, id int64, req UpdateTaskRequest) (Saved, error) {
	req.ID = id
	return sendOne(ctx, s.client, idPath("api/v4/tasks", id), req)
}

// Complete marks the task id completed with the result text (may be ""), which amoCRM shows in
// the card's feed.
//
// API docs: PATCH /api/v4/tasks/{id}, https://www.amocrm.ru/developers/content/crm_platform/tasks-api#tasks-complete
func (s *TasksService) Complete(ctx context.Context, id int64, result string) (Saved, error) {
	done := true
	return s.UpdateOne(ctx, id, UpdateTaskRequest{Completed: &done, Result: result})
}
