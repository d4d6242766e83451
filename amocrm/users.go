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

// UsersService reads the account's users and roles and adds users and roles: /api/v4/users and
// /api/v4/roles. Every method is for account administrators only: with another user's token
// amoCRM answers 403, reported as an error matching ErrAdminOnly. amoCRM has no endpoint that
// changes a user.
type UsersService service

// Right is one access level of a user or role.
type Right string

// Access levels.
const (
	RightAll    Right = "A" // every entity
	RightGroup  Right = "G" // entities whose responsible user is in the user's group
	RightMain   Right = "M" // entities the user is responsible for
	RightDenied Right = "D"
	RightLinked Right = "L" // catalogs only: elements linked to entities the user may see
)

// EntityRights are the rights on one kind of entity. Add is only RightAll or RightDenied; tasks
// have Edit and Delete only; stage rights have View, Edit, Delete and Export, each RightAll or
// RightDenied.
type EntityRights struct {
	View   Right `json:"view,omitempty"`
	Edit   Right `json:"edit,omitempty"`
	Add    Right `json:"add,omitempty"`
	Delete Right `json:"delete,omitempty"`
	Export Right `json:"export,omitempty"`
}

// StatusRight is what a user may do with the leads in one stage; it limits or extends the
// general lead rights.
type StatusRight struct {
	EntityType EntityType   `json:"entity_type"` // "leads"
	PipelineID int64        `json:"pipeline_id"`
	StatusID   int64        `json:"status_id"`
	Rights     EntityRights `json:"rights"`
}

// CatalogRight is what a user may do with the elements of one catalog.
type CatalogRight struct {
	CatalogID int64        `json:"catalog_id"`
	Rights    EntityRights `json:"rights"`
}

// Rights are a user's or a role's rights. In a user read from amoCRM, GroupID and RoleID are nil
// for the default group and for no role.
type Rights struct {
	Leads         EntityRights   `json:"leads,omitzero"`
	Contacts      EntityRights   `json:"contacts,omitzero"`
	Companies     EntityRights   `json:"companies,omitzero"`
	Tasks         EntityRights   `json:"tasks,omitzero"`
	MailAccess    bool           `json:"mail_access,omitempty"`
	CatalogAccess bool           `json:"catalog_access,omitempty"`
	StatusRights  []StatusRight  `json:"status_rights,omitempty"`
	CatalogRights []CatalogRight `json:"catalog_rights,omitempty"`
	IsAdmin       bool           `json:"is_admin,omitempty"`
	IsFree        bool           `json:"is_free,omitempty"`
	IsActive      bool           `json:"is_active,omitempty"`
	GroupID       *int64         `json:"group_id,omitempty"`
	RoleID        *int64         `json:"role_id,omitempty"`
}

// StatusRight returns the user's rights in the stage statusID of the pipeline pipelineID, if the
// user has stage rights there.
func (r Rights) StatusRight(pipelineID, statusID int64) (EntityRights, bool) {
	for _, s := range r.StatusRights {
		if s.PipelineID == pipelineID && s.StatusID == statusID && (s.EntityType == "" || s.EntityType == EntityLeads) {
			return s.Rights, true
		}
	}
	return EntityRights{}, false
}

// User is a user of the account.
type User struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Lang   string `json:"lang"`
	Rights Rights `json:"rights"`
	// Filled only when asked for with the matching UserWith value; UUID and AmojoID may be "".
	UUID        string `json:"uuid"`
	AmojoID     string `json:"amojo_id"`
	UserRank    string `json:"user_rank"` // "newbie", "candidate" or "master"
	PhoneNumber string `json:"phone_number"`
	Embedded    struct {
		Roles  []RoleRef    `json:"roles"`  // with UserWithRole
		Groups []UsersGroup `json:"groups"` // with UserWithGroup
	} `json:"_embedded"`
}

// RoleRef names a role.
type RoleRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// UserWith names extra data to load with users.
type UserWith string

// Values for UsersService.Get and UserListOptions.With.
const (
	UserWithRole        UserWith = "role"
	UserWithGroup       UserWith = "group"
	UserWithUUID        UserWith = "uuid"
	UserWithAmojoID     UserWith = "amojo_id"
	UserWithUserRank    UserWith = "user_rank"
	UserWithPhoneNumber UserWith = "phone_number"
)

// UserListOptions pages UsersService.List and All.
type UserListOptions struct {
	With []UserWith
	// Page is the 1-based page to read (All starts there); Limit the page size, at most MaxPageSize.
	Page, Limit int
}

func (o *UserListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if err := checkPage(o.Page, o.Limit); err != nil {
		return nil, err
	}
	q.with(names(o.With))
	q.page(o.Page, o.Limit)
	return q.values(), nil
}

// adminSeq marks the errors of an administrator-only list.
func adminSeq[T any](seq iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for v, err := range seq {
			if !yield(v, adminOnly(err)) {
				return
			}
		}
	}
}

// Get returns the user id with the extra data named in with.
//
// API docs: GET /api/v4/users/{id}, https://www.amocrm.ru/developers/content/crm_platform/users-api#user-detail
func (s *UsersService) Get(ctx context.Context, id int64, with ...UserWith) (*User, error) {
	u, err := getByID[User](ctx, s.client, "api/v4/users", "user", id, names(with))
	return u, adminOnly(err)
}

// List returns one page of users.
//
// API docs: GET /api/v4/users, https://www.amocrm.ru/developers/content/crm_platform/users-api#users-list
func (s *UsersService) List(ctx context.Context, opts *UserListOptions) (*Page[User], error) {
	p, err := pageOf[User](ctx, s.client, "api/v4/users", opts, "users")
	return p, adminOnly(err)
}

// All ranges over every user, fetching pages lazily.
//
// API docs: GET /api/v4/users, https://www.amocrm.ru/developers/content/crm_platform/users-api#users-list
func (s *UsersService) All(ctx context.Context, opts *UserListOptions) iter.Seq2[User, error] {
	return adminSeq(allOf[User](ctx, s.client, "api/v4/users", opts, "users"))
}

// CreateUserRequest is a new user. Name (at most 50 characters), Email and Password are
// required. Rights default to no access; a RoleID in Rights overrides the rest of Rights, and
// IsFree ignores all of them.
type CreateUserRequest struct {
	Name     string
	Email    string
	Password string
	Lang     string // "ru", "en" or "es"; the account's language when ""
	Rights   Rights
}

// MarshalJSON writes the user the way POST /api/v4/users takes it.
func (r CreateUserRequest) MarshalJSON() ([]byte, error) {
	if strings.TrimSpace(r.Name) == "" || r.Email == "" || r.Password == "" {
		return nil, errors.New("amocrm: a new user needs a Name, an Email and a Password")
	}
	if n := len([]rune(r.Name)); n > 50 {
		return nil, fmt.Errorf("amocrm: a user name has at most 50 characters, not %d", n)
	}
	return json.Marshal(struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Password string `json:"password"`
		Lang     string `json:"lang,omitempty"`
		Rights   Rights `json:"rights,omitzero"`
	}{r.Name, r.Email, r.Password, r.Lang, r.Rights})
}

// maxUsersBatch is the most users one request adds.
const maxUsersBatch = 10

// Create adds users, at most 10 per request; amoCRM refuses once the account has more than 100
// users. Results and errors are as for LeadsService.Create.
//
// API docs: POST /api/v4/users, https://www.amocrm.ru/developers/content/crm_platform/users-api#users-add
func (s *UsersService) Create(ctx context.Context, users []CreateUserRequest) ([]Saved, error) {
	size := min(s.client.batchSize, maxUsersBatch)
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: "api/v4/users", key: "users", size: size}, users)
	return savedOf(answers), adminOnly(err)
}

// Role is a named set of rights users can be given.
type Role struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Rights   Rights `json:"rights"`
	Embedded struct {
		Users idList `json:"users"` // with RoleWithUsers
	} `json:"_embedded"`
}

// UserIDs returns the ids of the role's users (with RoleWithUsers).
func (r Role) UserIDs() []int64 { return r.Embedded.Users }

// idList reads a list of ids given as numbers or as {"id":…} objects.
type idList []int64

// UnmarshalJSON reads [1,2], [{"id":1},{"id":2}] or null.
func (l *idList) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*l = nil
	for _, item := range raw {
		item = bytes.TrimSpace(item)
		var ref EntityRef
		if len(item) > 0 && item[0] == '{' {
			if err := json.Unmarshal(item, &ref); err != nil {
				return err
			}
		} else if err := json.Unmarshal(item, &ref.ID); err != nil {
			return err
		}
		*l = append(*l, ref.ID)
	}
	return nil
}

// RoleWith names extra data to load with roles.
type RoleWith string

// RoleWithUsers loads the ids of each role's users.
const RoleWithUsers RoleWith = "users"

// RoleListOptions pages UsersService.ListRoles and AllRoles.
type RoleListOptions struct {
	With []RoleWith
	// Page is the 1-based page to read (AllRoles starts there); Limit the page size, at most
	// MaxPageSize.
	Page, Limit int
}

func (o *RoleListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if err := checkPage(o.Page, o.Limit); err != nil {
		return nil, err
	}
	q.with(names(o.With))
	q.page(o.Page, o.Limit)
	return q.values(), nil
}

// ListRoles returns one page of roles.
//
// API docs: GET /api/v4/roles, https://www.amocrm.ru/developers/content/crm_platform/users-api#roles-list
func (s *UsersService) ListRoles(ctx context.Context, opts *RoleListOptions) (*Page[Role], error) {
	p, err := pageOf[Role](ctx, s.client, "api/v4/roles", opts, "roles")
	return p, adminOnly(err)
}

// AllRoles ranges over every role, fetching pages lazily.
//
// API docs: GET /api/v4/roles, https://www.amocrm.ru/developers/content/crm_platform/users-api#roles-list
func (s *UsersService) AllRoles(ctx context.Context, opts *RoleListOptions) iter.Seq2[Role, error] {
	return adminSeq(allOf[Role](ctx, s.client, "api/v4/roles", opts, "roles"))
}

// GetRole returns the role id.
//
// API docs: GET /api/v4/roles/{id}, https://www.amocrm.ru/developers/content/crm_platform/users-api#role-detail
func (s *UsersService) GetRole(ctx context.Context, id int64, with ...RoleWith) (*Role, error) {
	r, err := getByID[Role](ctx, s.client, "api/v4/roles", "role", id, names(with))
	return r, adminOnly(err)
}

// RoleRequest is a role to create or the new state of one to change: its name and rights.
type RoleRequest struct {
	Name   string
	Rights Rights
}

// MarshalJSON writes the role the way POST and PATCH /api/v4/roles take it.
func (r RoleRequest) MarshalJSON() ([]byte, error) {
	if strings.TrimSpace(r.Name) == "" {
		return nil, errors.New("amocrm: a role needs a Name")
	}
	return json.Marshal(struct {
		Name   string `json:"name"`
		Rights Rights `json:"rights,omitzero"`
	}{r.Name, r.Rights})
}

// CreateRoles adds roles. Results and errors are as for LeadsService.Create.
//
// API docs: POST /api/v4/roles, https://www.amocrm.ru/developers/content/crm_platform/users-api#roles-add
func (s *UsersService) CreateRoles(ctx context.Context, roles []RoleRequest) ([]Saved, error) {
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: "api/v4/roles", key: "roles"}, roles)
	return savedOf(answers), adminOnly(err)
}

// UpdateRole changes the role id and returns it.
//
// API docs: PATCH /api/v4/roles/{id}, https://www.amocrm.ru/developers/content/crm_platform/users-api#roles-edit
func (s *UsersService) UpdateRole(ctx context.Context, id int64, req RoleRequest) (*Role, error) {
	if id <= 0 {
		return nil, fmt.Errorf("amocrm: invalid role id %d", id)
	}
	var r Role
	if _, err := s.client.send(ctx, http.MethodPatch, idPath("api/v4/roles", id), req, &r); err != nil {
		return nil, adminOnly(err)
	}
	return &r, nil
}

// DeleteRole deletes the role id.
//
// API docs: DELETE /api/v4/roles/{id}, https://www.amocrm.ru/developers/content/crm_platform/users-api#role-delete
func (s *UsersService) DeleteRole(ctx context.Context, id int64) error {
	return deleteByID(ctx, s.client, "api/v4/roles", "role", id)
}
