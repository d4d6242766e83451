package amocrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// SourcesService manages the integration's own lead sources: /api/v4/sources. Only account
// administrators may use it (ErrAdminOnly otherwise), an integration sees and changes only the
// sources it made (at most 100 active), and it needs an uploaded widget with the lead_sources
// location. The list is not paginated.
type SourcesService service

// IntegrationSource is a lead source of the integration, such as a phone line or a web form.
type IntegrationSource struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	PipelineID int64  `json:"pipeline_id"`
	// ExternalID is the integration's own id of the source: unique per integration and account,
	// at most 36 printable ASCII characters, and fixed once created.
	ExternalID string          `json:"external_id"`
	Default    bool            `json:"default"`
	OriginCode string          `json:"origin_code"`
	Services   []SourceService `json:"services"`
}

// SourceService is a messaging service of a source, such as WhatsApp.
type SourceService struct {
	Type   string          `json:"type"` // "whatsapp"
	Params json.RawMessage `json:"params"`
	Pages  []struct {
		Name string `json:"name"`
		ID   string `json:"id"`
		Link string `json:"link"`
	} `json:"pages"`
}

// List returns the integration's sources; with externalIDs, only those. An integration without
// sources gets an empty slice.
//
// API docs: GET /api/v4/sources, https://www.amocrm.ru/developers/content/crm_platform/sources-api#sources-list
func (s *SourcesService) List(ctx context.Context, externalIDs ...string) ([]IntegrationSource, error) {
	q := query{}
	q.list("filter[external_id]", externalIDs...)
	p, err := listPage[IntegrationSource](ctx, s.client, "api/v4/sources", q.values(), "sources")
	if err != nil {
		return nil, adminOnly(err)
	}
	return p.Items, nil
}

// Get returns the source id.
//
// API docs: GET /api/v4/sources/{id}, https://www.amocrm.ru/developers/content/crm_platform/sources-api#source-detail
func (s *SourcesService) Get(ctx context.Context, id int64) (*IntegrationSource, error) {
	src, err := getByID[IntegrationSource](ctx, s.client, "api/v4/sources", "source", id, nil)
	return src, adminOnly(err)
}

// SourceRequest is a source to create (Name and ExternalID required) or the change of one (ID
// required; ExternalID cannot change; empty fields are left alone).
type SourceRequest struct {
	ID         int64
	Name       string
	ExternalID string
	PipelineID int64
	Default    *bool
	Services   []SourceService
}

func (r SourceRequest) check(create bool) error {
	switch {
	case create && (strings.TrimSpace(r.Name) == "" || r.ExternalID == ""):
		return errors.New("amocrm: a new source needs a Name and an ExternalID")
	case create && r.ID != 0:
		return errors.New("amocrm: a new source has no ID yet")
	case !create && r.ID <= 0:
		return fmt.Errorf("amocrm: source update without a valid ID (%d)", r.ID)
	case !create && r.ExternalID != "":
		return errors.New("amocrm: a source's ExternalID cannot change")
	}
	if len(r.ExternalID) > 36 || strings.IndexFunc(r.ExternalID, func(c rune) bool { return c < 0x20 || c > 0x7e }) >= 0 {
		return fmt.Errorf("amocrm: source external id %q: at most 36 printable ASCII characters", r.ExternalID)
	}
	return nil
}

// MarshalJSON writes the source the way POST and PATCH /api/v4/sources take it.
func (r SourceRequest) MarshalJSON() ([]byte, error) {
	if err := r.check(r.ID == 0); err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		ID         int64           `json:"id,omitzero"`
		Name       string          `json:"name,omitempty"`
		ExternalID string          `json:"external_id,omitempty"`
		PipelineID int64           `json:"pipeline_id,omitzero"`
		Default    *bool           `json:"default,omitempty"`
		Services   []SourceService `json:"services,omitempty"`
	}{r.ID, r.Name, r.ExternalID, r.PipelineID, r.Default, r.Services})
}

// maxSourcesBatch is the most sources one request writes.
const maxSourcesBatch = 50

// Create creates sources, at most 50 per request. Every request must have an empty ID. Results
// and errors are as for LeadsService.Create.
//
// API docs: POST /api/v4/sources, https://www.amocrm.ru/developers/content/crm_platform/sources-api#sources-add
func (s *SourcesService) Create(ctx context.Context, sources []SourceRequest) ([]Saved, error) {
	for i, r := range sources {
		if r.ID != 0 {
			return nil, fmt.Errorf("amocrm: source %d: a new source has no ID yet", i)
		}
	}
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: "api/v4/sources", key: "sources", size: min(s.client.batchSize, maxSourcesBatch)}, sources)
	return savedOf(answers), adminOnly(err)
}

// Update changes sources, at most 50 per request. Results and errors are as for
// LeadsService.Create.
//
// API docs: PATCH /api/v4/sources, https://www.amocrm.ru/developers/content/crm_platform/sources-api#sources-edit
func (s *SourcesService) Update(ctx context.Context, sources []SourceRequest) ([]Saved, error) {
	for i, r := range sources {
		if r.ID <= 0 {
			return nil, fmt.Errorf("amocrm: source %d: an update needs the source's ID", i)
		}
	}
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPatch, path: "api/v4/sources", key: "sources", size: min(s.client.batchSize, maxSourcesBatch)}, sources)
	return savedOf(answers), adminOnly(err)
}

// UpdateOne changes the source id; req.ID is ignored. Empty fields of req are left alone, and
// ExternalID must stay empty: it cannot change.
//
// API docs: PATCH /api/v4/sources/{id}, https://www.amocrm.ru/developers/content/crm_platform/sources-api#sources-edit
func (s *SourcesService) UpdateOne(ctx context.Context, id int64, req SourceRequest) (Saved, error) {
	if id <= 0 {
		return Saved{}, fmt.Errorf("amocrm: invalid source id %d", id)
	}
	req.ID = id
	saved, err := sendOne(ctx, s.client, idPath("api/v4/sources", id), req)
	return saved, adminOnly(err)
}

// Delete deletes the sources ids in one request (at most 50). amoCRM refuses the whole request
// when one id is unknown.
//
// API docs: DELETE /api/v4/sources, https://www.amocrm.ru/developers/content/crm_platform/sources-api#sources-delete
func (s *SourcesService) Delete(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 || len(ids) > maxSourcesBatch {
		return fmt.Errorf("amocrm: delete %d sources: give 1 to %d ids", len(ids), maxSourcesBatch)
	}
	body := make([]EntityRef, len(ids))
	for i, id := range ids {
		if id <= 0 {
			return fmt.Errorf("amocrm: invalid source id %d", id)
		}
		body[i] = EntityRef{ID: id}
	}
	_, err := s.client.send(ctx, http.MethodDelete, "api/v4/sources", body, nil)
	return adminOnly(err)
}

// DeleteOne deletes the source id. An unknown id is ErrNotFound.
//
// API docs: DELETE /api/v4/sources/{id}, https://www.amocrm.ru/developers/content/crm_platform/sources-api#sources-delete
func (s *SourcesService) DeleteOne(ctx context.Context, id int64) error {
	if id <= 0 {
		return fmt.Errorf("amocrm: invalid source id %d", id)
	}
	_, err := s.client.send(ctx, http.MethodDelete, idPath("api/v4/sources", id), nil, nil)
	return adminOnly(err)
}
