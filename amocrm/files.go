package amocrm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/amokit/amokit/internal/httpx"
)

// FilesService uploads files to the account's Drive and reads and deletes them there. The Drive
// is a host of its own (Account.DriveURL, such as https://drive-b.amocrm.ru); its requests carry
// the account's token and go through the client's rate limiter and retries like any other. See
// docs/files.md.
type FilesService struct {
	client *Client

	mu    sync.Mutex
	drive *url.URL // the Drive's base URL, once known; no trailing slash
}

// File is a file on the account's Drive.
type File struct {
	UUID                string        `json:"uuid"`
	VersionUUID         string        `json:"version_uuid"`
	SessionID           int64         `json:"session_id"` // in the answer to an upload only
	Name                string        `json:"name"`
	SanitizedName       string        `json:"sanitized_name"`
	Size                int64         `json:"size"`
	Type                string        `json:"type"` // image, video, audio, document or file
	IsTrashed           bool          `json:"is_trashed"`
	HasMultipleVersions bool          `json:"has_multiple_versions"`
	SourceID            int64         `json:"source_id"`
	CreatedAt           Timestamp     `json:"created_at"`
	CreatedBy           FileActor     `json:"created_by"`
	UpdatedAt           Timestamp     `json:"updated_at"`
	UpdatedBy           FileActor     `json:"updated_by"`
	DeletedAt           Timestamp     `json:"deleted_at"`
	DeletedBy           *FileActor    `json:"deleted_by"`
	Metadata            FileMetadata  `json:"metadata"`
	Previews            []FilePreview `json:"previews"`
	Links               FileLinks     `json:"_links"`
}

// FileActor is who made a change to a file: a user, or the integration itself.
type FileActor struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

// FileMetadata is what the Drive read from the file.
type FileMetadata struct {
	Extension string `json:"extension"`
	MimeType  string `json:"mime_type"`
}

// FilePreview is a preview image of a file.
type FilePreview struct {
	DownloadLink string `json:"download_link"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
}

// FileLinks are the file's download addresses.
type FileLinks struct {
	Download        Href `json:"download"`
	DownloadVersion Href `json:"download_version"`
	Self            Href `json:"self"`
}

// Href is a link in a HAL document.
type Href struct {
	Href string `json:"href"`
}

// AttachmentNote returns the params of an attachment note showing the file's current version,
// for NotesService.Create.
func (f *File) AttachmentNote() AttachmentNote {
	return AttachmentNote{FileUUID: f.UUID, VersionUUID: f.VersionUUID, FileName: f.Name}
}

// UploadRequest describes a file to upload; see FilesService.UploadFile.
type UploadRequest struct {
	// Name is the file's name on the Drive, such as "proposal-1042.pdf".
	Name string
	// Body supplies exactly Size bytes.
	Body io.Reader
	Size int64
	// ContentType defaults to the type of Name's extension, else application/octet-stream.
	ContentType string
	// FileUUID, when set, uploads a new version of that file instead of a new file.
	FileUUID string
	// WithPreview asks the Drive to make preview images.
	WithPreview bool
}

// uploadSession is the Drive's answer to opening an upload session.
type uploadSession struct {
	MaxFileSize int64  `json:"max_file_size"`
	MaxPartSize int64  `json:"max_part_size"`
	SessionID   int64  `json:"session_id"`
	UploadURL   string `json:"upload_url"`
}

// partAnswer is the Drive's answer to a part: next_url until the last part, then the file.
type partAnswer struct {
	File
	NextURL string `json:"next_url"`
}

// Upload sends size bytes read from r to the Drive as a new file called name, part by part, and
// returns the file. Its UUID is what Leads.AttachFiles takes, and File.AttachmentNote makes a
// note of it. See UploadFile.
func (s *FilesService) Upload(ctx context.Context, name string, r io.Reader, size int64) (*File, error) {
	return s.UploadFile(ctx, UploadRequest{Name: name, Body: r, Size: size})
}

// UploadFile opens an upload session on the Drive and streams req.Body to it in parts of the
// size the session allows, holding one part in memory at a time. A part that fails in transit or
// gets a 429 or 5xx answer is sent again to the same address, which names its place in the
// file, so a retry never adds its bytes twice. The body must hold exactly req.Size bytes: fewer or
// more is an error before the last part is sent, and the unfinished session expires on its own.
//
// API docs: POST {drive_url}/v1.0/sessions and the upload URLs it returns,
// https://www.amocrm.ru/developers/content/files/files-api
func (s *FilesService) UploadFile(ctx context.Context, req UploadRequest) (*File, error) {
	switch {
	case strings.TrimSpace(req.Name) == "":
		return nil, errors.New("amocrm: upload: the file needs a Name")
	case req.Body == nil:
		return nil, errors.New("amocrm: upload: nil Body")
	case req.Size < 1:
		return nil, fmt.Errorf("amocrm: upload: Size %d: the Drive takes files of at least one byte", req.Size)
	}
	ctype := req.ContentType
	if ctype == "" {
		ctype = mime.TypeByExtension(strings.ToLower(path.Ext(req.Name)))
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	base, err := s.base(ctx)
	if err != nil {
		return nil, err
	}
	open := struct {
		FileName    string `json:"file_name"`
		FileSize    int64  `json:"file_size"`
		ContentType string `json:"content_type"`
		WithPreview bool   `json:"with_preview"`
		FileUUID    string `json:"file_uuid,omitempty"`
	}{req.Name, req.Size, ctype, req.WithPreview, req.FileUUID}
	hreq, err := s.client.newRequestURL(ctx, http.MethodPost, base.JoinPath("v1.0", "sessions"), open)
	if err != nil {
		return nil, err
	}
	var sess uploadSession
	if _, err := s.client.do(hreq, &sess); err != nil {
		return nil, fmt.Errorf("amocrm: upload %q: opening the session: %w", req.Name, err)
	}
	switch {
	case sess.MaxPartSize < 1 || sess.UploadURL == "":
		return nil, fmt.Errorf("amocrm: upload %q: the Drive's session has no upload URL or part size", req.Name)
	case sess.MaxFileSize > 0 && req.Size > sess.MaxFileSize:
		return nil, fmt.Errorf("amocrm: upload %q: %d bytes is more than the Drive's limit of %d", req.Name, req.Size, sess.MaxFileSize)
	}

	next := sess.UploadURL
	buf := make([]byte, min(sess.MaxPartSize, req.Size))
	var sent int64
	for part := 1; ; part++ {
		u, err := s.partURL(base, next)
		if err != nil {
			return nil, fmt.Errorf("amocrm: upload %q: part %d: %w", req.Name, part, err)
		}
		n := min(sess.MaxPartSize, req.Size-sent)
		chunk := buf[:n]
		if _, err := io.ReadFull(req.Body, chunk); err != nil {
			return nil, fmt.Errorf("amocrm: upload %q: the body ended after %d of %d bytes: %w", req.Name, sent, req.Size, err)
		}
		last := sent+n == req.Size
		if last {
			var one [1]byte
			if k, _ := io.ReadFull(req.Body, one[:]); k > 0 {
				return nil, fmt.Errorf("amocrm: upload %q: the body holds more than the %d bytes announced", req.Name, req.Size)
			}
		}
		ans, err := s.sendPart(ctx, u, chunk, ctype)
		if err != nil {
			return nil, fmt.Errorf("amocrm: upload %q: part %d (bytes %d–%d of %d): %w", req.Name, part, sent, sent+n, req.Size, err)
		}
		sent += n
		switch {
		case last && ans.UUID == "":
			return nil, fmt.Errorf("amocrm: upload %q: the Drive did not finish the file after all %d bytes", req.Name, req.Size)
		case last:
			f := ans.File
			return &f, nil
		case ans.NextURL == "":
			return nil, fmt.Errorf("amocrm: upload %q: the Drive gave no address for the part after byte %d", req.Name, sent)
		}
		next = ans.NextURL
	}
}

// partURL checks that an address the Drive gave for a part is on the Drive's own host, since the
// request carries the account's token.
func (s *FilesService) partURL(base *url.URL, raw string) (*url.URL, error) {
	u, err := base.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the Drive's upload address: %w", err)
	}
	if u.Scheme != base.Scheme || u.Host != base.Host || u.User != nil {
		return nil, fmt.Errorf("the Drive's upload address %s leaves %s: refused", sanitizeURL(u), base.Host)
	}
	return u, nil
}

// sendPart posts one part, sending it again to the same address after a failure in transit or a
// 5xx.
func (s *FilesService) sendPart(ctx context.Context, u *url.URL, chunk []byte, ctype string) (*partAnswer, error) {
	p := s.client.retry
	var err error
	for attempt := 1; ; attempt++ {
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(chunk))
		if err != nil {
			return nil, fmt.Errorf("amocrm: %w", err)
		}
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", s.client.userAgent)
		var ans partAnswer
		_, err = s.client.do(req, &ans)
		if err == nil {
			return &ans, nil
		}
		if ctx.Err() != nil || attempt >= p.Attempts || !partRetryable(err) {
			return nil, err
		}
		wait := p.MinWait << (attempt - 1)
		if wait > p.MaxWait || wait <= 0 {
			wait = p.MaxWait
		}
		var apiErr *Error
		if errors.As(err, &apiErr) && apiErr.RetryAfter > wait && apiErr.RetryAfter <= p.MaxRetryAfter {
			wait = apiErr.RetryAfter
		}
		if wait > 0 {
			wait = wait/2 + rand.N(wait/2+1)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// partRetryable reports whether sending a part again may succeed: after a failure in transit or
// a 5xx. A 429 has had its retries in the transport already; any other answer is final.
func partRetryable(err error) bool {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500
	}
	var tokErr *tokenError
	return !errors.As(err, &tokErr) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// Get returns the file uuid; a file that does not exist is an error matching ErrNotFound.
//
// API docs: GET {drive_url}/v1.0/files/{uuid}, https://www.amocrm.ru/developers/content/files/files-api
func (s *FilesService) Get(ctx context.Context, uuid string) (*File, error) {
	if err := checkUUID(uuid); err != nil {
		return nil, err
	}
	base, err := s.base(ctx)
	if err != nil {
		return nil, err
	}
	req, err := s.client.newRequestURL(ctx, http.MethodGet, base.JoinPath("v1.0", "files", uuid), nil)
	if err != nil {
		return nil, err
	}
	var f File
	noContent, err := s.client.do(req, &f)
	if err == nil && (noContent || f.UUID == "") {
		return nil, &Error{StatusCode: http.StatusNoContent, Detail: "no such file", Method: http.MethodGet, URL: sanitizeURL(req.URL)}
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// FileListOptions filter FilesService.List.
type FileListOptions struct {
	UUIDs []string // filter[uuid], at most 50
	Name  string   // filter[name]
	Term  string   // filter[term]: a search in names
	// Deleted lists the files in the trash instead.
	Deleted bool
	Page    int
	Limit   int // at most 50
}

// List returns one page of the Drive's files; an empty result (204) is no files.
//
// API docs: GET {drive_url}/v1.0/files, https://www.amocrm.ru/developers/content/files/files-api
func (s *FilesService) List(ctx context.Context, opts *FileListOptions) ([]File, error) {
	if opts == nil {
		opts = &FileListOptions{}
	}
	if len(opts.UUIDs) > 50 || opts.Limit > 50 {
		return nil, errors.New("amocrm: FileListOptions: at most 50 uuids and a limit of at most 50")
	}
	q := query{}
	for _, u := range opts.UUIDs {
		if err := checkUUID(u); err != nil {
			return nil, err
		}
	}
	q.set("filter[uuid]", strings.Join(opts.UUIDs, ","))
	q.set("filter[name]", opts.Name)
	q.set("filter[term]", opts.Term)
	if opts.Deleted {
		q.set("filter[deleted]", "true")
	}
	q.page(opts.Page, opts.Limit)
	base, err := s.base(ctx)
	if err != nil {
		return nil, err
	}
	u := base.JoinPath("v1.0", "files")
	u.RawQuery = q.values().Encode()
	req, err := s.client.newRequestURL(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	var env struct {
		Embedded struct {
			Files []File `json:"files"`
		} `json:"_embedded"`
	}
	if _, err := s.client.do(req, &env); err != nil {
		return nil, err
	}
	return env.Embedded.Files, nil
}

// Delete moves files to the Drive's trash, where they stay 30 days. The token needs the
// files_delete scope.
//
// API docs: DELETE {drive_url}/v1.0/files, https://www.amocrm.ru/developers/content/files/files-api
func (s *FilesService) Delete(ctx context.Context, uuids ...string) error {
	body, err := uuidBodies("uuid", uuids)
	if err != nil {
		return err
	}
	base, err := s.base(ctx)
	if err != nil {
		return err
	}
	req, err := s.client.newRequestURL(ctx, http.MethodDelete, base.JoinPath("v1.0", "files"), body)
	if err != nil {
		return err
	}
	_, err = s.client.do(req, nil)
	return err
}

func checkUUID(u string) error {
	if u == "" || len(u) > 64 || strings.ContainsAny(u, "/?#%\\ .") {
		return fmt.Errorf("amocrm: %q is not a file uuid", truncate(u, 70))
	}
	return nil
}

func uuidBodies(key string, uuids []string) ([]map[string]string, error) {
	if len(uuids) == 0 {
		return nil, errors.New("amocrm: no file uuids given")
	}
	out := make([]map[string]string, len(uuids))
	for i, u := range uuids {
		if err := checkUUID(u); err != nil {
			return nil, err
		}
		out[i] = map[string]string{key: u}
	}
	return out, nil
}

// base returns the Drive's base URL: the one given to WithDriveURL, or the account's drive_url,
// read once and checked (see checkDriveURL).
func (s *FilesService) base(ctx context.Context) (*url.URL, error) {
	s.mu.Lock()
	d := s.drive
	s.mu.Unlock()
	if d != nil {
		return d, nil
	}
	acc, err := s.client.Account.Get(ctx, AccountWithDriveURL)
	if err != nil {
		return nil, fmt.Errorf("amocrm: reading the account's drive_url: %w", err)
	}
	if acc.DriveURL == "" {
		return nil, errors.New("amocrm: the account has no drive_url; give one with WithDriveURL")
	}
	u, err := s.client.checkDriveURL(acc.DriveURL)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.drive = u
	s.mu.Unlock()
	return u, nil
}

// checkDriveURL accepts a drive_url the account gave only where the token may go: an https host
// whose name starts with "drive" directly under amocrm.ru, amocrm.com or kommo.com
// (drive-b.amocrm.ru, drive-c.kommo.com), or, for a client made WithBaseURL, the base URL's own
// scheme and host (a fake or a proxy serving both).
func (c *Client) checkDriveURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("amocrm: the account's drive_url is not a plain absolute URL: refused")
	}
	if u.Scheme == c.baseURL.Scheme && u.Host == c.baseURL.Host {
		return trimSlash(u), nil
	}
	if u.Scheme != "https" || u.Port() != "" {
		return nil, fmt.Errorf("amocrm: the account's drive_url %s is not https on the default port: refused", sanitizeURL(u))
	}
	labels := strings.Split(u.Host, ".")
	ok := len(labels) == 3 && strings.HasPrefix(labels[0], "drive")
	if ok {
		for _, c := range labels[0] {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				ok = false
			}
		}
	}
	suffixOK := false
	for _, suf := range accountSuffixes {
		suffixOK = suffixOK || strings.HasSuffix(u.Host, "."+suf)
	}
	if !ok || !suffixOK {
		return nil, fmt.Errorf("amocrm: the account's drive_url %s is not an amoCRM or Kommo Drive host: refused, since it would receive the token; give the Drive's address with WithDriveURL", sanitizeURL(u))
	}
	return trimSlash(u), nil
}

func trimSlash(u *url.URL) *url.URL {
	c := *u
	c.Path = strings.TrimSuffix(c.Path, "/")
	c.RawPath = ""
	return &c
}

// WithDriveURL sets the address of the account's Drive instead of reading drive_url from the
// account: a fake, a proxy, or a known Drive host. Requests to it carry the account's token.
func WithDriveURL(drive string) Option {
	return func(o *options) error {
		u, ok := httpx.BaseURL(drive)
		if !ok {
			return errors.New("amocrm: WithDriveURL: not an absolute http(s) URL without user info, query or fragment")
		}
		o.driveURL = trimSlash(u)
		return nil
	}
}

// EntityFile is a Drive file shown in an entity's Files tab.
type EntityFile struct {
	FileUUID string `json:"file_uuid"`
	ID       int64  `json:"id"`
}

// AttachFiles shows Drive files in the lead's Files tab.
//
// API docs: PUT /api/v4/leads/{id}/files, https://www.amocrm.ru/developers/content/files/files-api
func (s *LeadsService) AttachFiles(ctx context.Context, leadID int64, uuids ...string) error {
	return entityFiles(ctx, s.client, http.MethodPut, EntityLeads, leadID, uuids)
}

// DetachFiles removes Drive files from the lead's Files tab; the files stay on the Drive.
//
// API docs: DELETE /api/v4/leads/{id}/files, https://www.amocrm.ru/developers/content/files/files-api
func (s *LeadsService) DetachFiles(ctx context.Context, leadID int64, uuids ...string) error {
	return entityFiles(ctx, s.client, http.MethodDelete, EntityLeads, leadID, uuids)
}

// Files returns the Drive files in the lead's Files tab; none is an empty list.
//
// API docs: GET /api/v4/leads/{id}/files, https://www.amocrm.ru/developers/content/files/files-api
func (s *LeadsService) Files(ctx context.Context, leadID int64) ([]EntityFile, error) {
	return listEntityFiles(ctx, s.client, EntityLeads, leadID)
}

func entityFiles(ctx context.Context, c *Client, method string, entity EntityType, id int64, uuids []string) error {
	if id <= 0 {
		return fmt.Errorf("amocrm: files: invalid %s id %d", entity, id)
	}
	body, err := uuidBodies("file_uuid", uuids)
	if err != nil {
		return err
	}
	_, err = c.send(ctx, method, entityPath(entity, id, "/files"), body, nil)
	return err
}

// filesPage is how many links one request of listEntityFiles asks for.
const filesPage = 100

func listEntityFiles(ctx context.Context, c *Client, entity EntityType, id int64) ([]EntityFile, error) {
	if id <= 0 {
		return nil, fmt.Errorf("amocrm: files: invalid %s id %d", entity, id)
	}
	var out []EntityFile
	q := query{}
	q.page(0, filesPage)
	for {
		var env struct {
			Embedded struct {
				Files []EntityFile `json:"files"`
			} `json:"_embedded"`
		}
		if _, err := c.get(ctx, entityPath(entity, id, "/files"), q.values(), &env); err != nil {
			return nil, err
		}
		out = append(out, env.Embedded.Files...)
		page := env.Embedded.Files
		if len(page) < filesPage {
			return out, nil
		}
		// The next page is the links before the oldest one seen.
		oldest := page[0].ID
		for _, f := range page {
			oldest = min(oldest, f.ID)
		}
		if before := url.Values(q).Get("before_id"); before != "" && strconv.FormatInt(oldest, 10) == before {
			return out, nil
		}
		url.Values(q).Set("before_id", strconv.FormatInt(oldest, 10))
	}
}

// AttachFiles shows Drive files in the contact's Files tab.
//
// API docs: PUT /api/v4/contacts/{id}/files, https://www.amocrm.ru/developers/content/files/files-api
func (s *ContactsService) AttachFiles(ctx context.Context, contactID int64, uuids ...string) error {
	return entityFiles(ctx, s.client, http.MethodPut, EntityContacts, contactID, uuids)
}

// DetachFiles removes Drive files from the contact's Files tab; the files stay on the Drive.
//
// API docs: DELETE /api/v4/contacts/{id}/files, https://www.amocrm.ru/developers/content/files/files-api
func (s *ContactsService) DetachFiles(ctx context.Context, contactID int64, uuids ...string) error {
	return entityFiles(ctx, s.client, http.MethodDelete, EntityContacts, contactID, uuids)
}

// Files returns the Drive files in the contact's Files tab; none is an empty list.
//
// API docs: GET /api/v4/contacts/{id}/files, https://www.amocrm.ru/developers/content/files/files-api
func (s *ContactsService) Files(ctx context.Context, contactID int64) ([]EntityFile, error) {
	return listEntityFiles(ctx, s.client, EntityContacts, contactID)
}

// AttachFiles shows Drive files in the company's Files tab.
//
// API docs: PUT /api/v4/companies/{id}/files, https://www.amocrm.ru/developers/content/files/files-api
func (s *CompaniesService) AttachFiles(ctx context.Context, companyID int64, uuids ...string) error {
	return entityFiles(ctx, s.client, http.MethodPut, EntityCompanies, companyID, uuids)
}

// DetachFiles removes Drive files from the company's Files tab; the files stay on the Drive.
//
// API docs: DELETE /api/v4/companies/{id}/files, https://www.amocrm.ru/developers/content/files/files-api
func (s *CompaniesService) DetachFiles(ctx context.Context, companyID int64, uuids ...string) error {
	return entityFiles(ctx, s.client, http.MethodDelete, EntityCompanies, companyID, uuids)
}

// Files returns the Drive files in the company's Files tab; none is an empty list.
//
// API docs: GET /api/v4/companies/{id}/files, https://www.amocrm.ru/developers/content/files/files-api
func (s *CompaniesService) Files(ctx context.Context, companyID int64) ([]EntityFile, error) {
	return listEntityFiles(ctx, s.client, EntityCompanies, companyID)
}
