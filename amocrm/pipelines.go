package amocrm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// PipelinesService reads and writes the lead pipelines and their statuses (stages):
// /api/v4/leads/pipelines. Reads are open to every user; writes need an account administrator
// (ErrAdminOnly otherwise). Neither list is paginated: one request returns everything.
type PipelinesService service

// Status types.
const (
	// StatusTypeRegular is every stage but the unsorted one, including StatusWon and StatusLost.
	StatusTypeRegular = 0
	// StatusTypeUnsorted is the pipeline's stage for incoming, not yet sorted leads.
	StatusTypeUnsorted = 1
)

// StatusColors are the colours amoCRM accepts for a stage.
var StatusColors = []string{
	"#fffeb2", "#fffd7f", "#fff000", "#ffeab2", "#ffdc7f", "#ffce5a", "#ffdbdb", "#ffc8c8", "#ff8f92",
	"#d6eaff", "#c1e0ff", "#98cbff", "#ebffb1", "#deff81", "#87f2c0", "#f9deff", "#f3beff", "#ccc8f9",
	"#eb93ff", "#f2f3f4", "#e6e8ea",
}

// Pipeline is a lead pipeline with its statuses.
type Pipeline struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Sort         int64  `json:"sort"`
	IsMain       bool   `json:"is_main"`
	IsUnsortedOn bool   `json:"is_unsorted_on"`
	IsArchive    bool   `json:"is_archive"`
	AccountID    int64  `json:"account_id"`
	Embedded     struct {
		Statuses []Status `json:"statuses"`
	} `json:"_embedded"`
}

// Statuses returns the pipeline's stages in amoCRM's order.
func (p Pipeline) Statuses() []Status { return p.Embedded.Statuses }

// Status returns the stage id of the pipeline.
func (p Pipeline) Status(id int64) (Status, bool) {
	for _, s := range p.Embedded.Statuses {
		if s.ID == id {
			return s, true
		}
	}
	return Status{}, false
}

// FirstStatus returns the first stage after the unsorted one: where a new lead goes.
func (p Pipeline) FirstStatus() (Status, bool) {
	for _, s := range p.Embedded.Statuses {
		if s.Type != StatusTypeUnsorted && !s.IsClosed() {
			return s, true
		}
	}
	return Status{}, false
}

// Status is a stage of a pipeline. Every pipeline has three system stages that cannot be edited:
// its own unsorted stage (Type StatusTypeUnsorted), StatusWon (142) and StatusLost (143), whose ids
// are the same in every pipeline.
type Status struct {
	ID           int64               `json:"id"`
	Name         string              `json:"name"`
	Sort         int64               `json:"sort"`
	IsEditable   bool                `json:"is_editable"`
	PipelineID   int64               `json:"pipeline_id"`
	Color        string              `json:"color"`
	Type         int                 `json:"type"`
	AccountID    int64               `json:"account_id"`
	Descriptions []StatusDescription `json:"descriptions"` // with StatusWithDescriptions
}

// IsClosed reports whether the stage is StatusWon or StatusLost.
func (s Status) IsClosed() bool { return s.ID == StatusWon || s.ID == StatusLost }

// StatusDescription is a stage's advice for users of one level ("newbie", "candidate",
// "master"). amoCRM sends its times as "YYYY-MM-DD HH:MM:SS" text, kept here as sent.
type StatusDescription struct {
	ID          int64  `json:"id"`
	AccountID   int64  `json:"account_id"`
	PipelineID  int64  `json:"pipeline_id"`
	StatusID    int64  `json:"status_id"`
	Level       string `json:"level"`
	Description string `json:"description"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
	CreatedBy   int64  `json:"created_by"`
	UpdatedBy   int64  `json:"updated_by"`
}

// StatusWith names extra data for statuses.
type StatusWith string

// StatusWithDescriptions loads each stage's descriptions.
const StatusWithDescriptions StatusWith = "descriptions"

const pipelinesPath = "api/v4/leads/pipelines"

func statusesPath(pipelineID int64) string { return idPath(pipelinesPath, pipelineID) + "/statuses" }

// List returns every pipeline of the account with its statuses. amoCRM does not paginate it.
//
// API docs: GET /api/v4/leads/pipelines, https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines#pipelines-list
func (s *PipelinesService) List(ctx context.Context) ([]Pipeline, error) {
	p, err := listPage[Pipeline](ctx, s.client, pipelinesPath, nil, "pipelines")
	if err != nil {
		return nil, err
	}
	return p.Items, nil
}

// Get returns the pipeline id with its statuses.
//
// API docs: GET /api/v4/leads/pipelines/{id}, https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines#pipeline-detail
func (s *PipelinesService) Get(ctx context.Context, id int64) (*Pipeline, error) {
	return getByID[Pipeline](ctx, s.client, pipelinesPath, "pipeline", id, nil)
}

// Main returns the account's main pipeline.
func (s *PipelinesService) Main(ctx context.Context) (*Pipeline, error) {
	ps, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if ps[i].IsMain {
			return &ps[i], nil
		}
	}
	return nil, fmt.Errorf("amocrm: the account has no main pipeline: %w", ErrNotFound)
}

// CreatePipelineRequest is a new pipeline. Name is required. Statuses are its first stages;
// WonName and LostName, when set, rename the stages 142 and 143, which only creation can do.
type CreatePipelineRequest struct {
	Name         string
	Sort         int64 // 100 when 0
	IsMain       bool
	IsUnsortedOn bool
	Statuses     []CreateStatusRequest
	WonName      string
	LostName     string
}

type pipelineWire struct {
	Name         *string `json:"name,omitempty"`
	Sort         *int64  `json:"sort,omitempty"`
	IsMain       *bool   `json:"is_main,omitempty"`
	IsUnsortedOn *bool   `json:"is_unsorted_on,omitempty"`
	Embedded     *struct {
		Statuses []json.RawMessage `json:"statuses"`
	} `json:"_embedded,omitempty"`
}

// MarshalJSON writes the pipeline the way POST /api/v4/leads/pipelines takes it: name, sort,
// is_main and is_unsorted_on are always sent, since amoCRM requires them.
func (r CreatePipelineRequest) MarshalJSON() ([]byte, error) {
	if strings.TrimSpace(r.Name) == "" {
		return nil, fmt.Errorf("amocrm: a new pipeline needs a Name")
	}
	sort := r.Sort
	if sort == 0 {
		sort = 100
	}
	w := pipelineWire{Name: &r.Name, Sort: &sort, IsMain: &r.IsMain, IsUnsortedOn: &r.IsUnsortedOn}
	var statuses []json.RawMessage
	for i, st := range r.Statuses {
		b, err := st.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("amocrm: pipeline %q: status %d: %w", r.Name, i, err)
		}
		statuses = append(statuses, b)
	}
	for _, named := range []struct {
		id   int64
		name string
	}{{StatusWon, r.WonName}, {StatusLost, r.LostName}} {
		if named.name != "" {
			statuses = append(statuses, mustJSON(map[string]any{"id": named.id, "name": named.name}))
		}
	}
	if len(statuses) > 0 {
		w.Embedded = &struct {
			Statuses []json.RawMessage `json:"statuses"`
		}{statuses}
	}
	return json.Marshal(w)
}

// UpdatePipelineRequest changes a pipeline; nil fields are left alone. Its statuses are changed
// through the status methods.
type UpdatePipelineRequest struct {
	Name         *string
	Sort         *int64
	IsMain       *bool
	IsUnsortedOn *bool
}

// Create creates pipelines (at most 50 per account) and returns one Saved per pipeline. Results
// and errors are as for LeadsService.Create; Get reads a new pipeline's statuses.
//
// API docs: POST /api/v4/leads/pipelines, https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines#pipelines-add
func (s *PipelinesService) Create(ctx context.Context, pipelines []CreatePipelineRequest) ([]Saved, error) {
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: pipelinesPath, key: "pipelines"}, pipelines)
	return savedOf(answers), adminOnly(err)
}

// Update changes the pipeline id and returns it as amoCRM now has it. amoCRM has no batch update
// of pipelines.
//
// API docs: PATCH /api/v4/leads/pipelines/{id}, https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines#pipeline-edit
func (s *PipelinesService) Update(ctx context.Context, id int64, req UpdatePipelineRequest) (*Pipeline, error) {
	if id <= 0 {
		return nil, fmt.Errorf("amocrm: invalid pipeline id %d", id)
	}
	body := pipelineWire{Name: req.Name, Sort: req.Sort, IsMain: req.IsMain, IsUnsortedOn: req.IsUnsortedOn}
	var p Pipeline
	if _, err := s.client.send(ctx, http.MethodPatch, idPath(pipelinesPath, id), body, &p); err != nil {
		return nil, adminOnly(err)
	}
	return &p, nil
}

// Delete deletes the pipeline id. amoCRM refuses to delete the last pipeline and one that still
// has leads.
//
// API docs: DELETE /api/v4/leads/pipelines/{id}, https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines#pipeline-delete
func (s *PipelinesService) Delete(ctx context.Context, id int64) error {
	return deleteByID(ctx, s.client, pipelinesPath, "pipeline", id)
}

// deleteByID sends DELETE path/{id}, an administrator-only call that amoCRM answers with 204.
func deleteByID(ctx context.Context, c *Client, path, kind string, id int64) error {
	if id <= 0 {
		return fmt.Errorf("amocrm: invalid %s id %d", kind, id)
	}
	_, err := c.send(ctx, http.MethodDelete, idPath(path, id), nil, nil)
	return adminOnly(err)
}

// ListStatuses returns every stage of the pipeline pipelineID (not paginated).
//
// API docs: GET /api/v4/leads/pipelines/{pipeline_id}/statuses, https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines#statuses-list
func (s *PipelinesService) ListStatuses(ctx context.Context, pipelineID int64, with ...StatusWith) ([]Status, error) {
	if pipelineID <= 0 {
		return nil, fmt.Errorf("amocrm: invalid pipeline id %d", pipelineID)
	}
	q := query{}
	q.with(names(with))
	p, err := listPage[Status](ctx, s.client, statusesPath(pipelineID), q.values(), "statuses")
	if err != nil {
		return nil, err
	}
	return p.Items, nil
}

// GetStatus returns the stage statusID of the pipeline pipelineID.
//
// API docs: GET /api/v4/leads/pipelines/{pipeline_id}/statuses/{id}, https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines#status-detail
func (s *PipelinesService) GetStatus(ctx context.Context, pipelineID, statusID int64, with ...StatusWith) (*Status, error) {
	if pipelineID <= 0 {
		return nil, fmt.Errorf("amocrm: invalid pipeline id %d", pipelineID)
	}
	return getByID[Status](ctx, s.client, statusesPath(pipelineID), "status", statusID, names(with))
}

// CreateStatusRequest is a new stage. Name is required; Sort places it (amoCRM renumbers the
// sorts it is given); Color, when set, must be one of StatusColors.
type CreateStatusRequest struct {
	Name  string
	Sort  int64
	Color string
}

type statusWire struct {
	Name  *string `json:"name,omitempty"`
	Sort  *int64  `json:"sort,omitempty"`
	Color string  `json:"color,omitempty"`
}

func checkStatusColor(c string) error {
	if c == "" {
		return nil
	}
	for _, ok := range StatusColors {
		if strings.EqualFold(c, ok) {
			return nil
		}
	}
	return fmt.Errorf("amocrm: status colour %q is not one of amoCRM's (StatusColors)", c)
}

// MarshalJSON writes the stage the way POST …/statuses takes it.
func (r CreateStatusRequest) MarshalJSON() ([]byte, error) {
	if strings.TrimSpace(r.Name) == "" {
		return nil, fmt.Errorf("amocrm: a new status needs a Name")
	}
	if err := checkStatusColor(r.Color); err != nil {
		return nil, err
	}
	return json.Marshal(statusWire{Name: &r.Name, Sort: &r.Sort, Color: strings.ToLower(r.Color)})
}

// UpdateStatusRequest changes a stage; nil and empty fields are left alone. The system stages
// cannot be changed.
type UpdateStatusRequest struct {
	Name  *string
	Sort  *int64
	Color string
}

// CreateStatuses adds stages to the pipeline pipelineID (at most 100 stages a pipeline, system
// ones included). Results and errors are as for LeadsService.Create.
//
// API docs: POST /api/v4/leads/pipelines/{pipeline_id}/statuses, https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines#statuses-add
func (s *PipelinesService) CreateStatuses(ctx context.Context, pipelineID int64, statuses []CreateStatusRequest) ([]Saved, error) {
	if pipelineID <= 0 {
		return nil, fmt.Errorf("amocrm: invalid pipeline id %d", pipelineID)
	}
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: statusesPath(pipelineID), key: "statuses"}, statuses)
	return savedOf(answers), adminOnly(err)
}

// UpdateStatus changes the stage statusID of the pipeline pipelineID and returns it.
//
// API docs: PATCH /api/v4/leads/pipelines/{pipeline_id}/statuses/{id}, https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines#status-edit
func (s *PipelinesService) UpdateStatus(ctx context.Context, pipelineID, statusID int64, req UpdateStatusRequest) (*Status, error) {
	if pipelineID <= 0 || statusID <= 0 {
		return nil, fmt.Errorf("amocrm: invalid pipeline id %d or status id %d", pipelineID, statusID)
	}
	if statusID == StatusWon || statusID == StatusLost {
		return nil, fmt.Errorf("amocrm: status %d is a system stage and cannot be changed", statusID)
	}
	if err := checkStatusColor(req.Color); err != nil {
		return nil, err
	}
	var st Status
	body := statusWire{Name: req.Name, Sort: req.Sort, Color: strings.ToLower(req.Color)}
	if _, err := s.client.send(ctx, http.MethodPatch, statusesPath(pipelineID)+"/"+strconv.FormatInt(statusID, 10), body, &st); err != nil {
		return nil, adminOnly(err)
	}
	return &st, nil
}

// DeleteStatus deletes the stage statusID of the pipeline pipelineID; amoCRM moves its leads to the
// pipeline's first stage.
//
// API docs: DELETE /api/v4/leads/pipelines/{pipeline_id}/statuses/{id}, https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines#status-delete
func (s *PipelinesService) DeleteStatus(ctx context.Context, pipelineID, statusID int64) error {
	if pipelineID <= 0 {
		return fmt.Errorf("amocrm: invalid pipeline id %d", pipelineID)
	}
	if statusID == StatusWon || statusID == StatusLost {
		return fmt.Errorf("amocrm: status %d is a system stage and cannot be deleted", statusID)
	}
	return deleteByID(ctx, s.client, statusesPath(pipelineID), "status", statusID)
}
