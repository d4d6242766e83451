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
	"slices"
	"strconv"
)

// NotesService reads and writes the notes of leads, contacts, companies and customers:
// /api/v4/{entity}/notes (docs/amocrm-reference.md#notes). Every method takes the entity type the notes
// belong to.
type NotesService service

// NoteType is a note's note_type (docs/amocrm-reference.md#note-types).
type NoteType string

// Note types. Notes of other types (amomail_message, chat, …) decode too; see Note.RawParams.
const (
	NoteCommon                 NoteType = "common"
	NoteCallIn                 NoteType = "call_in"
	NoteCallOut                NoteType = "call_out"
	NoteServiceMessage         NoteType = "service_message"
	NoteExtendedServiceMessage NoteType = "extended_service_message"
	NoteSMSIn                  NoteType = "sms_in"
	NoteSMSOut                 NoteType = "sms_out"
	NoteGeolocation            NoteType = "geolocation"
	NoteAttachment             NoteType = "attachment"
)

// NoteParams is the typed content of a note: one of CommonNote, CallNote, ServiceMessageNote,
// SMSNote, GeolocationNote or AttachmentNote. Switch on its dynamic type to read a note.
type NoteParams interface {
	// NoteType returns the note_type the params belong to.
	NoteType() NoteType
	isNoteParams()
}

// CommonNote is a plain text note.
type CommonNote struct {
	Text string `json:"text"`
}

// ServiceMessageNote is a note written by an integration, shown as coming from Service. Extended
// makes it an extended_service_message, which Kommo recommends for widgets.
type ServiceMessageNote struct {
	Extended bool   `json:"-"`
	Service  string `json:"service"`
	Text     string `json:"text"`
}

// CallStatus is the outcome of a call (docs/amocrm-reference.md#note-types).
type CallStatus int

// Call outcomes.
const (
	CallLeftMessage  CallStatus = 1
	CallBackLater    CallStatus = 2
	CallNotAvailable CallStatus = 3 // success: not in stock
	CallTalked       CallStatus = 4
	CallWrongNumber  CallStatus = 5
	CallNoAnswer     CallStatus = 6
	CallBusy         CallStatus = 7
	CallUndefined    CallStatus = 8
)

// CallNote is an incoming or outgoing (Outgoing) call.
type CallNote struct {
	Outgoing bool `json:"-"`
	// UniqID identifies the call in the telephony system.
	UniqID string `json:"uniq"`
	// Duration is the call's length in seconds.
	Duration int64 `json:"duration"`
	// Source names the telephony system.
	Source string `json:"source"`
	// Link is the URL of the recording.
	Link       string     `json:"link,omitempty"`
	Phone      string     `json:"phone"`
	CallResult string     `json:"call_result,omitempty"`
	CallStatus CallStatus `json:"call_status,omitzero"`
	// CallResponsible is the user who answered or made the call: an id, or a name.
	CallResponsible string `json:"call_responsible,omitempty"`
}

// SMSNote is an incoming or outgoing (Outgoing) text message.
type SMSNote struct {
	Outgoing bool   `json:"-"`
	Text     string `json:"text"`
	Phone    string `json:"phone"`
}

// GeolocationNote is a place.
type GeolocationNote struct {
	Text      string `json:"text"`
	Address   string `json:"address"`
	Longitude string `json:"longitude"`
	Latitude  string `json:"latitude"`
}

// AttachmentNote is a file from the account's drive. To write one, the file must already be
// uploaded and FileUUID, VersionUUID and FileName given.
type AttachmentNote struct {
	FileUUID          string `json:"file_uuid,omitempty"`
	VersionUUID       string `json:"version_uuid,omitempty"`
	FileName          string `json:"file_name,omitempty"`
	OriginalName      string `json:"original_name,omitempty"`       // read only
	IsDriveAttachment bool   `json:"is_drive_attachment,omitempty"` // read only
}

// NoteType returns common.
func (CommonNote) NoteType() NoteType { return NoteCommon }

// NoteType returns service_message or extended_service_message.
func (n ServiceMessageNote) NoteType() NoteType {
	if n.Extended {
		return NoteExtendedServiceMessage
	}
	return NoteServiceMessage
}

// NoteType returns call_in or call_out.
func (n CallNote) NoteType() NoteType {
	if n.Outgoing {
		return NoteCallOut
	}
	return NoteCallIn
}

// NoteType returns sms_in or sms_out.
func (n SMSNote) NoteType() NoteType {
	if n.Outgoing {
		return NoteSMSOut
	}
	return NoteSMSIn
}

// NoteType returns geolocation.
func (GeolocationNote) NoteType() NoteType { return NoteGeolocation }

// NoteType returns attachment.
func (AttachmentNote) NoteType() NoteType { return NoteAttachment }

func (CommonNote) isNoteParams()         {}
func (ServiceMessageNote) isNoteParams() {}
func (CallNote) isNoteParams()           {}
func (SMSNote) isNoteParams()            {}
func (GeolocationNote) isNoteParams()    {}
func (AttachmentNote) isNoteParams()     {}

// UnmarshalJSON reads call params whose numbers may arrive as strings.
func (n *CallNote) UnmarshalJSON(b []byte) error {
	type plain CallNote
	var w struct {
		plain
		UniqID          flexString `json:"uniq"`
		Duration        flexString `json:"duration"`
		CallStatus      flexString `json:"call_status"`
		CallResponsible flexString `json:"call_responsible"`
		Phone           flexString `json:"phone"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*n = CallNote(w.plain)
	n.UniqID, n.Phone, n.CallResponsible = string(w.UniqID), string(w.Phone), string(w.CallResponsible)
	var err error
	if n.Duration, err = flexInt(w.Duration); err != nil {
		return fmt.Errorf("amocrm: call duration: %w", err)
	}
	status, err := flexInt(w.CallStatus)
	if err != nil {
		return fmt.Errorf("amocrm: call status: %w", err)
	}
	n.CallStatus = CallStatus(status)
	return nil
}

// MarshalJSON writes call_responsible as a number when it is a user id.
func (n CallNote) MarshalJSON() ([]byte, error) {
	type plain CallNote
	w := struct {
		plain
		CallResponsible json.RawMessage `json:"call_responsible,omitempty"`
	}{plain: plain(n)}
	if n.CallResponsible != "" {
		if _, err := strconv.ParseInt(n.CallResponsible, 10, 64); err == nil {
			w.CallResponsible = json.RawMessage(n.CallResponsible)
		} else {
			w.CallResponsible = mustJSON(n.CallResponsible)
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads coordinates sent as numbers or strings.
func (n *GeolocationNote) UnmarshalJSON(b []byte) error {
	type plain GeolocationNote
	var w struct {
		plain
		Longitude flexString `json:"longitude"`
		Latitude  flexString `json:"latitude"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*n = GeolocationNote(w.plain)
	n.Longitude, n.Latitude = string(w.Longitude), string(w.Latitude)
	return nil
}

// flexInt reads an integer given as a number or a string; "" is 0.
func flexInt(s flexString) (int64, error) {
	if s == "" {
		return 0, nil
	}
	return Decimal(s).MinorUnits(0)
}

// Note is a note as amoCRM returns it (docs/amocrm-reference.md#notes).
type Note struct {
	ID                int64      `json:"id"`
	EntityID          int64      `json:"entity_id"`
	Type              NoteType   `json:"note_type"`
	ResponsibleUserID int64      `json:"responsible_user_id"`
	GroupID           int64      `json:"group_id"`
	CreatedBy         int64      `json:"created_by"`
	UpdatedBy         int64      `json:"updated_by"`
	CreatedAt         Timestamp  `json:"created_at"`
	UpdatedAt         Timestamp  `json:"updated_at"`
	IsPinned          bool       `json:"is_pinned"`
	AccountID         int64      `json:"account_id"`
	Params            NoteParams `json:"-"` // nil for note types without a typed form
	rawParams         json.RawMessage
}

// RawParams returns the note's params exactly as amoCRM sent them, for any note type, including
// those Params has no typed form for (amomail_message, chat, …).
func (n Note) RawParams() []byte { return slices.Clone(n.rawParams) }

// UnmarshalJSON reads a note of any type. A type without a typed form, or params that do not fit
// the typed form, leave Params nil and keep RawParams.
func (n *Note) UnmarshalJSON(b []byte) error {
	type plain Note
	var w struct {
		*plain
		Params json.RawMessage `json:"params"`
	}
	w.plain = (*plain)(n)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	n.Params = nil
	n.rawParams = nil
	raw := bytes.TrimSpace(w.Params)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	n.rawParams = slices.Clone(raw)
	if raw[0] != '{' {
		return nil // e.g. [] for an empty params list: nothing typed to read
	}
	n.Params = decodeNoteParams(n.Type, raw)
	return nil
}

// decodeNoteParams returns the typed params of a known note type, or nil.
func decodeNoteParams(t NoteType, raw []byte) NoteParams {
	var (
		p   NoteParams
		err error
	)
	switch t {
	case NoteCommon:
		var v CommonNote
		err = json.Unmarshal(raw, &v)
		p = v
	case NoteServiceMessage, NoteExtendedServiceMessage:
		v := ServiceMessageNote{Extended: t == NoteExtendedServiceMessage}
		err = json.Unmarshal(raw, &v)
		p = v
	case NoteCallIn, NoteCallOut:
		v := CallNote{Outgoing: t == NoteCallOut}
		err = json.Unmarshal(raw, &v)
		v.Outgoing = t == NoteCallOut
		p = v
	case NoteSMSIn, NoteSMSOut:
		v := SMSNote{Outgoing: t == NoteSMSOut}
		err = json.Unmarshal(raw, &v)
		p = v
	case NoteGeolocation:
		var v GeolocationNote
		err = json.Unmarshal(raw, &v)
		p = v
	case NoteAttachment:
		var v AttachmentNote
		err = json.Unmarshal(raw, &v)
		p = v
	}
	if err != nil {
		return nil
	}
	return p
}

// notesPath returns the notes path of an entity type that has notes.
func notesPath(entity EntityType) (string, error) {
	switch entity {
	case EntityLeads, EntityContacts, EntityCompanies, EntityCustomers:
		return "api/v4/" + string(entity) + "/notes", nil
	}
	return "", fmt.Errorf("amocrm: %q has no notes; use leads, contacts, companies or customers", entity)
}

// entityNotesPath returns /api/v4/{entity}/{entityID}/notes.
func entityNotesPath(entity EntityType, entityID int64) (string, error) {
	if _, err := notesPath(entity); err != nil {
		return "", err
	}
	if entityID <= 0 {
		return "", fmt.Errorf("amocrm: invalid %s id %d", entity, entityID)
	}
	return entityPath(entity, entityID, "/notes"), nil
}

// entityNotes is the options of a list of one entity's notes: EntityIDs would name others.
type entityNotes struct{ *NoteListOptions }

func (o entityNotes) values() (url.Values, error) {
	if o.NoteListOptions != nil && len(o.EntityIDs) > 0 {
		return nil, errors.New("amocrm: the notes of one entity take no EntityIDs; use List for several")
	}
	return o.NoteListOptions.values()
}

// NoteListOptions filters and pages NotesService.List and All.
type NoteListOptions struct {
	IDs []int64
	// EntityIDs keeps the notes of these leads, contacts or companies.
	EntityIDs []int64
	Types     []NoteType
	// Updated keeps notes changed in the range; a From alone means "changed since".
	Updated TimeRange
	// Order by SortByUpdatedAt or SortByID.
	Order Sort
	// Page is the 1-based page to read (All starts there); Limit the page size, at most
	// MaxPageSize.
	Page, Limit int
}

func (o *NoteListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if err := checkPage(o.Page, o.Limit); err != nil {
		return nil, err
	}
	if o.Order.By == SortByCreatedAt {
		return nil, errors.New("amocrm: notes are ordered by updated_at or id only")
	}
	q.ints("filter[id]", o.IDs)
	q.ints("filter[entity_id]", o.EntityIDs)
	q.list("filter[note_type]", names(o.Types)...)
	q.timeRange("filter[updated_at]", o.Updated)
	q.order(string(o.Order.By), o.Order.Dir)
	q.page(o.Page, o.Limit)
	return q.values(), nil
}

// List returns one page of the notes of an entity type; an empty result is an empty page.
//
// API docs: GET /api/v4/{entity_type}/notes,
// https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#notes-list
func (s *NotesService) List(ctx context.Context, entity EntityType, opts *NoteListOptions) (*Page[Note], error) {
	path, err := notesPath(entity)
	if err != nil {
		return nil, err
	}
	return pageOf[Note](ctx, s.client, path, opts, "notes")
}

// All ranges over every note of an entity type matching opts, fetching pages lazily.
//
// API docs: GET /api/v4/{entity_type}/notes,
// https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#notes-list
func (s *NotesService) All(ctx context.Context, entity EntityType, opts *NoteListOptions) iter.Seq2[Note, error] {
	path, err := notesPath(entity)
	if err != nil {
		return errSeq[Note](err)
	}
	return allOf[Note](ctx, s.client, path, opts, "notes")
}

// Get returns the note id of an entity type.
//
// API docs: GET /api/v4/{entity_type}/notes/{id},
// https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#notes-detail
func (s *NotesService) Get(ctx context.Context, entity EntityType, id int64) (*Note, error) {
	path, err := notesPath(entity)
	if err != nil {
		return nil, err
	}
	return getByID[Note](ctx, s.client, path, "note", id, nil)
}

// ListByEntity returns one page of the notes of the entity entityID of an entity type; an empty
// result is an empty page, an entity that does not exist ErrNotFound. opts.EntityIDs must be
// empty.
//
// API docs: GET /api/v4/{entity_type}/{entity_id}/notes,
// https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#notes-list
func (s *NotesService) ListByEntity(ctx context.Context, entity EntityType, entityID int64, opts *NoteListOptions) (*Page[Note], error) {
	path, err := entityNotesPath(entity, entityID)
	if err != nil {
		return nil, err
	}
	return pageOf[Note](ctx, s.client, path, entityNotes{opts}, "notes")
}

// AllByEntity ranges over every note of the entity entityID of an entity type matching opts,
// fetching pages lazily. opts.EntityIDs must be empty.
//
// API docs: GET /api/v4/{entity_type}/{entity_id}/notes,
// https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#notes-list
func (s *NotesService) AllByEntity(ctx context.Context, entity EntityType, entityID int64, opts *NoteListOptions) iter.Seq2[Note, error] {
	path, err := entityNotesPath(entity, entityID)
	if err != nil {
		return errSeq[Note](err)
	}
	return allOf[Note](ctx, s.client, path, entityNotes{opts}, "notes")
}

// GetByEntity returns the note id of the entity entityID: ErrNotFound when the note belongs to
// another entity.
//
// API docs: GET /api/v4/{entity_type}/{entity_id}/notes/{id},
// https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#notes-detail
func (s *NotesService) GetByEntity(ctx context.Context, entity EntityType, entityID, id int64) (*Note, error) {
	path, err := entityNotesPath(entity, entityID)
	if err != nil {
		return nil, err
	}
	return getByID[Note](ctx, s.client, path, "note", id, nil)
}

// Pin pins the note id of an entity type to the top of its entity's feed; Unpin undoes it. amoCRM
// answers 204; pinning a pinned note is no error.
//
// API docs: POST /api/v4/{entity_type}/notes/{id}/pin,
// https://www.amocrm.ru/developers/content/crm_platform/events-and-notes
func (s *NotesService) Pin(ctx context.Context, entity EntityType, id int64) error {
	return s.pin(ctx, entity, id, "/pin")
}

// Unpin unpins the note id of an entity type (POST /api/v4/{entity_type}/notes/{id}/unpin).
func (s *NotesService) Unpin(ctx context.Context, entity EntityType, id int64) error {
	return s.pin(ctx, entity, id, "/unpin")
}

func (s *NotesService) pin(ctx context.Context, entity EntityType, id int64, action string) error {
	path, err := notesPath(entity)
	if err != nil {
		return err
	}
	if id <= 0 {
		return fmt.Errorf("amocrm: invalid note id %d", id)
	}
	_, err = s.client.send(ctx, http.MethodPost, idPath(path, id)+action, nil, nil)
	return err
}

// CreateNoteRequest is a new note on the entity EntityID. Params is required and sets the type.
type CreateNoteRequest struct {
	EntityID          int64
	Params            NoteParams
	ResponsibleUserID int64
	CreatedBy         int64
	CreatedAt         Timestamp
	// TriggerDigitalPipeline lets the note start digital-pipeline automations.
	TriggerDigitalPipeline bool
}

// MarshalJSON writes the note the way POST /api/v4/{entity_type}/notes takes it.
func (r CreateNoteRequest) MarshalJSON() ([]byte, error) {
	if r.EntityID <= 0 {
		return nil, fmt.Errorf("amocrm: a note needs the EntityID it belongs to (got %d)", r.EntityID)
	}
	if r.Params == nil {
		return nil, errors.New("amocrm: a note needs Params")
	}
	return json.Marshal(struct {
		EntityID               int64      `json:"entity_id"`
		NoteType               NoteType   `json:"note_type"`
		Params                 NoteParams `json:"params"`
		ResponsibleUserID      int64      `json:"responsible_user_id,omitzero"`
		CreatedBy              int64      `json:"created_by,omitzero"`
		CreatedAt              Timestamp  `json:"created_at,omitzero"`
		TriggerDigitalPipeline bool       `json:"is_need_to_trigger_digital_pipeline,omitzero"`
	}{r.EntityID, r.Params.NoteType(), r.Params, r.ResponsibleUserID, r.CreatedBy, r.CreatedAt, r.TriggerDigitalPipeline})
}

// UpdateNoteRequest changes the note ID. Params, when not nil, replaces the note's content (its
// type must stay the same); ResponsibleUserID, when not 0, reassigns it.
type UpdateNoteRequest struct {
	ID                int64
	Params            NoteParams
	ResponsibleUserID int64
}

// MarshalJSON writes the change the way PATCH /api/v4/{entity_type}/notes takes it.
func (r UpdateNoteRequest) MarshalJSON() ([]byte, error) {
	if r.ID <= 0 {
		return nil, fmt.Errorf("amocrm: note update without a valid ID (%d)", r.ID)
	}
	w := struct {
		ID                int64      `json:"id"`
		NoteType          NoteType   `json:"note_type,omitempty"`
		Params            NoteParams `json:"params,omitempty"`
		ResponsibleUserID int64      `json:"responsible_user_id,omitzero"`
	}{ID: r.ID, Params: r.Params, ResponsibleUserID: r.ResponsibleUserID}
	if r.Params != nil {
		w.NoteType = r.Params.NoteType()
	}
	return json.Marshal(w)
}

// Create adds any number of notes to entities of one type, in batches. Each Saved carries the
// note's EntityID. Results and errors are as for LeadsService.Create.
//
// API docs: POST /api/v4/{entity_type}/notes,
// https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#notes-add
func (s *NotesService) Create(ctx context.Context, entity EntityType, notes []CreateNoteRequest) ([]Saved, error) {
	path, err := notesPath(entity)
	if err != nil {
		return nil, err
	}
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: path, key: "notes"}, notes)
	return savedOf(answers), err
}

// Update changes any number of notes of one entity type, in batches. Results and errors are as for
// LeadsService.Create.
//
// API docs: PATCH /api/v4/{entity_type}/notes,
// https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#notes-edit
func (s *NotesService) Update(ctx context.Context, entity EntityType, notes []UpdateNoteRequest) ([]Saved, error) {
	path, err := notesPath(entity)
	if err != nil {
		return nil, err
	}
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPatch, path: path, key: "notes"}, notes)
	return savedOf(answers), err
}

// CreateForEntity adds any number of notes to the entity entityID, in batches. Each request's
// EntityID must be 0 or entityID. Results and errors are as for Create.
//
// API docs: POST /api/v4/{entity_type}/{entity_id}/notes,
// https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#notes-add
func (s *NotesService) CreateForEntity(ctx context.Context, entity EntityType, entityID int64, notes []CreateNoteRequest) ([]Saved, error) {
	path, err := entityNotesPath(entity, entityID)
	if err != nil {
		return nil, err
	}
	own := slices.Clone(notes)
	for i := range own {
		if own[i].EntityID != 0 && own[i].EntityID != entityID {
			return nil, fmt.Errorf("amocrm: note %d belongs to %s %d, not %d", i, entity, own[i].EntityID, entityID)
		}
		own[i].EntityID = entityID
	}
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: path, key: "notes"}, own)
	return savedOf(answers), err
}

// UpdateOne changes the note id of the entity entityID; req.ID is ignored. A note of another
// entity is ErrNotFound.
//
// API docs: PATCH /api/v4/{entity_type}/{entity_id}/notes/{id},
// https://www.amocrm.ru/developers/content/crm_platform/events-and-notes#notes-edit
func (s *NotesService) UpdateOne(ctx context.Context, entity EntityType, entityID, id int64, req UpdateNoteRequest) (Saved, error) {
	path, err := entityNotesPath(entity, entityID)
	if err != nil {
		return Saved{}, err
	}
	req.ID = id
	return sendOne(ctx, s.client, idPath(path, id), req)
}
