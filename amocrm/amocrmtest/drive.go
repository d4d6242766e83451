package amocrmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amokit/amokit/amocrm/amocrmtest/internal/backend"
)

// The Drive: the host of the account's files (docs/files.md). It is served
// on hosts named drive…​.<base domain> (reached through Transport) and, for
// clients that talk to the listener directly, under /drive on it. Its data
// lives in the store (backend.Drive), guarded by Server.mu like everything
// else; the rate limit counts its requests at the edge.

// Drive limits amoCRM's and Kommo's documented samples announce
// (docs/files.md#upload): 300 MiB per file and 512 KiB per part.
const (
	DefaultDriveMaxFile = 300 << 20
	DefaultDriveMaxPart = 512 << 10
	driveSessionTTL     = 24 * time.Hour
	drivePrefix         = "/drive"
)

// The handlers name the Drive's records by these short names.
type (
	driveSession   = backend.DriveSession
	driveSlot      = backend.DriveSlot
	driveFile      = backend.DriveFile
	entityFileLink = backend.EntityFileLink
)

// DriveFile is a file on an account's Drive, as the fake holds it.
type DriveFile struct {
	UUID, VersionUUID string
	AccountID         int64
	Name, ContentType string
	Data              []byte
	Versions          int
	Trashed           bool
}

// drive returns the Drive's data, with the default limits until
// SetDriveLimits changes them.
func (s *Server) drive() *backend.Drive {
	d := s.st.Drive()
	if d.MaxFile == 0 {
		d.MaxFile, d.MaxPart = DefaultDriveMaxFile, DefaultDriveMaxPart
	}
	return d
}

// SetDriveLimits changes the limits the Drive announces and enforces for new
// upload sessions: the largest file and the largest part. It panics unless
// 0 < maxPart ≤ maxFile.
func (s *Server) SetDriveLimits(maxFile, maxPart int64) {
	if maxPart < 1 || maxFile < maxPart {
		panic("amocrmtest: SetDriveLimits: need 0 < maxPart ≤ maxFile")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.drive()
	d.MaxFile, d.MaxPart = maxFile, maxPart
}

// LoseDrivePartAnswers makes the Drive store the next n parts it receives and
// then close the connection without answering, as when an answer is lost on
// the way back. A client must send such a part again without the Drive
// counting its bytes twice.
func (s *Server) LoseDrivePartAnswers(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.driveLose += n
}

// DriveFiles returns copies of an account's files on the Drive, in the order
// they were made.
func (s *Server) DriveFiles(accountID int64) []DriveFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DriveFile
	for _, f := range s.drive().Files {
		if f.AccountID == accountID {
			out = append(out, DriveFile{UUID: f.UUID, VersionUUID: f.VersionUUID, AccountID: f.AccountID, Name: f.Name,
				ContentType: f.ContentType, Data: slices.Clone(f.Data), Versions: f.Versions, Trashed: f.Trashed})
		}
	}
	slices.SortFunc(out, func(a, b DriveFile) int { return strings.Compare(a.UUID, b.UUID) })
	return out
}

// DrivePartsReceived returns how many part uploads the Drive accepted,
// repeats of a part included.
func (s *Server) DrivePartsReceived() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.driveParts
}

// EntityFiles returns the uuids of the Drive files in the Files tab of an
// entity ("leads", "contacts", "companies"), oldest first.
func (s *Server) EntityFiles(kind string, id int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.drive().Links[kind+"/"+strconv.FormatInt(id, 10)] {
		out = append(out, l.FileUUID)
	}
	return out
}

// isDriveHost reports whether host is the Drive's: drive…​.<base domain>.
func (s *Server) isDriveHost(host string) bool {
	h := strings.ToLower(host)
	if hp, _, err := net.SplitHostPort(h); err == nil {
		h = hp
	}
	sub, ok := strings.CutSuffix(h, "."+s.cfg.baseDomain)
	return ok && strings.HasPrefix(sub, "drive") && !strings.Contains(sub, ".")
}

// isDriveRequest reports whether r is for the Drive: on its host, or under
// /drive on the listener. The rate limit counts such requests like API
// calls: amoCRM does not say they are exempt (docs/files.md#the-drive-host).
func (s *Server) isDriveRequest(r *http.Request) bool {
	return s.isDriveHost(r.Host) || strings.HasPrefix(r.URL.Path, drivePrefix+"/v1.0/")
}

// driveBaseURL is the Drive's address as seen by a request that reached the
// fake at base: the production-shaped host through Transport, or /drive on
// the listener.
func (s *Server) driveBaseURL(base string) string {
	if s.hostAccount(strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")) != nil {
		return "https://drive-b." + s.cfg.baseDomain
	}
	return base + drivePrefix
}

func init() {
	registerRoutes(func(s *Server, m *mux) {
		for _, prefix := range []string{"", drivePrefix} {
			m.handle("POST "+prefix+"/v1.0/sessions", s.driveAPI(prefix, (*driveCall).openSession))
			m.handle("POST "+prefix+"/v1.0/sessions/upload/{token}", s.driveAPI(prefix, (*driveCall).part))
			m.handle("GET "+prefix+"/v1.0/files", s.driveAPI(prefix, (*driveCall).listFiles))
			m.handle("DELETE "+prefix+"/v1.0/files", s.driveAPI(prefix, (*driveCall).deleteFiles))
			m.handle("GET "+prefix+"/v1.0/files/{uuid}", s.driveAPI(prefix, (*driveCall).getFile))
		}
		// GET /api/v4/{kind}/{id}/files is in the table of entities.go.
		for _, kind := range []string{"leads", "contacts", "companies"} {
			m.api("PUT /api/v4/"+kind+"/{id}/{sub}", subRoutes{"files": entityFiles(kind)}.serve)
			m.api("DELETE /api/v4/"+kind+"/{id}/{sub}", subRoutes{"files": entityFiles(kind)}.serve)
		}
	})
}

// driveAPI wraps a Drive handler: the Drive answers on its own host, or
// under /drive on the listener (prefix), and nowhere else; it authenticates
// the bearer token like the API and runs h under the lock.
func (s *Server) driveAPI(prefix string, h func(c *driveCall) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		onDriveHost := s.isDriveHost(r.Host)
		if (prefix == "") != onDriveHost {
			writeProblem(w, http.StatusNotFound, "Not found")
			return
		}
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		now := s.now()
		acct, userID, ok := s.authenticate(bearerToken(r), "", now)
		if !ok {
			s.mu.Unlock()
			writeDriveError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		c := &driveCall{s: s, d: s.drive(), r: r, body: body, acct: acct, userID: userID, now: now, base: baseURL(r) + prefix}
		rep := h(c)
		lose := false
		if c.stored && s.driveLose > 0 {
			s.driveLose--
			lose = true
		}
		s.mu.Unlock()
		if lose {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
				return
			}
			panic(http.ErrAbortHandler)
		}
		s.writeReply(w, rep)
	}
}

type driveCall struct {
	s      *Server
	d      *backend.Drive
	r      *http.Request
	body   []byte
	acct   *account
	userID int64
	now    time.Time
	base   string
	stored bool // a part was taken
}

// driveError is the Drive's error: plain application/json, not problem+json
// (docs/files.md#errors).
func driveError(status int, detail string) reply {
	return reply{status: status, ctype: ctypeJSON, body: obj{"title": http.StatusText(status), "status": status, "detail": detail}}
}

func writeDriveError(w http.ResponseWriter, status int, detail string) {
	b := marshal(driveError(status, detail).body)
	w.Header().Set("Content-Type", ctypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (c *driveCall) openSession() reply {
	var in map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &in); err != nil {
		return driveError(http.StatusBadRequest, "The body is not a JSON object")
	}
	var name, ctype, fileUUID string
	var size int64
	var preview bool
	for k, v := range in {
		var err error
		switch k {
		case "file_name":
			err = json.Unmarshal(v, &name)
		case "file_size":
			err = json.Unmarshal(v, &size)
		case "content_type":
			err = json.Unmarshal(v, &ctype)
		case "with_preview":
			err = json.Unmarshal(v, &preview)
		case "file_uuid":
			err = json.Unmarshal(v, &fileUUID)
		case "created_by":
		default:
			return driveError(http.StatusBadRequest, "Unknown field "+k)
		}
		if err != nil {
			return driveError(http.StatusBadRequest, "Field "+k+" has the wrong type")
		}
	}
	switch {
	case strings.TrimSpace(name) == "":
		return driveError(http.StatusBadRequest, "file_name is required")
	case size < 1:
		return driveError(http.StatusBadRequest, "file_size is required and must be positive")
	case size > c.d.MaxFile:
		return driveError(http.StatusBadRequest, fmt.Sprintf("file_size is over the limit of %d bytes", c.d.MaxFile))
	}
	if fileUUID != "" {
		if f := c.d.Files[fileUUID]; f == nil || f.AccountID != c.acct.ID {
			return driveError(http.StatusNotFound, "File not found")
		}
	}
	c.d.Seq++
	sess := &driveSession{ID: 26136000 + c.d.Seq, AccountID: c.acct.ID, UserID: c.userID, Name: name, ContentType: ctype,
		FileUUID: fileUUID, Size: size, Expires: c.now.Add(driveSessionTTL), SlotAt: map[int64]string{}}
	c.d.Sessions[sess.ID] = sess
	return okReply(obj{
		"max_file_size": c.d.MaxFile, "max_part_size": c.d.MaxPart, "session_id": sess.ID,
		"upload_url": c.slotURL(sess, 0),
	})
}

// slotURL returns the address that writes the part at offset; the same
// offset always gets the same address.
func (c *driveCall) slotURL(sess *driveSession, offset int64) string {
	tok, ok := sess.SlotAt[offset]
	if !ok {
		tok = randUUID() + randUUID()
		tok = strings.ReplaceAll(tok, "-", "")
		sess.SlotAt[offset] = tok
		c.d.Slots[tok] = &driveSlot{Session: sess, Offset: offset}
	}
	return c.base + "/v1.0/sessions/upload/" + tok
}

// part takes one part. An address names a place in the file: a part sent
// there again (its answer was lost) must be the same bytes, and is answered
// as before without being stored twice. Every part but the last must be
// exactly max_part_size, and the parts must add up to file_size exactly.
func (c *driveCall) part() reply {
	slot := c.d.Slots[c.r.PathValue("token")]
	if slot == nil || slot.Session.AccountID != c.acct.ID || !c.now.Before(slot.Session.Expires) {
		return driveError(http.StatusNotFound, "Session not found")
	}
	sess, body := slot.Session, c.body
	end := slot.Offset + int64(len(body))
	switch {
	case len(body) == 0:
		return driveError(http.StatusBadRequest, "The part is empty")
	case int64(len(body)) > c.d.MaxPart:
		return driveError(http.StatusBadRequest, fmt.Sprintf("The part is larger than max_part_size %d", c.d.MaxPart))
	case end > sess.Size:
		return driveError(http.StatusBadRequest, fmt.Sprintf("The parts add up to more than file_size %d", sess.Size))
	case end < sess.Size && int64(len(body)) != c.d.MaxPart:
		return driveError(http.StatusBadRequest, fmt.Sprintf("Only the last part may be smaller than max_part_size %d", c.d.MaxPart))
	}
	if slot.Offset < int64(len(sess.Data)) {
		if !bytes.Equal(sess.Data[slot.Offset:end], body) {
			return driveError(http.StatusConflict, "This part was received already with other bytes")
		}
	} else {
		sess.Data = append(sess.Data, body...)
	}
	c.s.driveParts++
	c.stored = true
	if end < sess.Size {
		return okReply(obj{"session_id": sess.ID, "next_url": c.slotURL(sess, end)})
	}
	if sess.Done == nil {
		sess.Done = c.finish(sess)
	}
	return okReply(c.fileJSON(sess.Done, sess.ID))
}

func (c *driveCall) finish(sess *driveSession) *driveFile {
	if sess.FileUUID != "" {
		f := c.d.Files[sess.FileUUID]
		f.VersionUUID, f.Data, f.ContentType, f.UpdatedAt = randUUID(), sess.Data, sess.ContentType, c.now.Unix()
		f.Versions++
		f.SessionID = sess.ID
		return f
	}
	f := &driveFile{UUID: randUUID(), VersionUUID: randUUID(), AccountID: sess.AccountID, UserID: sess.UserID,
		Name: sess.Name, ContentType: sess.ContentType, Data: sess.Data, CreatedAt: c.now.Unix(), UpdatedAt: c.now.Unix(),
		Versions: 1, SessionID: sess.ID}
	c.d.Files[f.UUID] = f
	return f
}

func (c *driveCall) fileJSON(f *driveFile, sessionID int64) obj {
	ext := ""
	if i := strings.LastIndexByte(f.Name, '.'); i >= 0 {
		ext = strings.ToLower(f.Name[i+1:])
	}
	typ := "file"
	switch {
	case strings.HasPrefix(f.ContentType, "image/"):
		typ = "image"
	case strings.HasPrefix(f.ContentType, "video/"):
		typ = "video"
	case strings.HasPrefix(f.ContentType, "audio/"):
		typ = "audio"
	case f.ContentType == "application/pdf" || strings.HasPrefix(f.ContentType, "text/"):
		typ = "document"
	}
	actor := obj{"id": f.UserID, "type": "user"}
	o := obj{
		"uuid": f.UUID, "version_uuid": f.VersionUUID, "name": f.Name, "sanitized_name": f.Name,
		"size": len(f.Data), "type": typ, "is_trashed": f.Trashed, "has_multiple_versions": f.Versions > 1,
		"source_id": nil, "created_at": f.CreatedAt, "created_by": actor, "updated_at": f.UpdatedAt,
		"updated_by": actor, "deleted_at": nil, "deleted_by": nil,
		"metadata": obj{"extension": ext, "mime_type": f.ContentType}, "previews": nil,
		"_links": obj{
			"download":         obj{"href": c.base + "/download/" + f.UUID + "/" + f.VersionUUID + "/" + f.Name},
			"download_version": obj{"href": c.base + "/download/" + f.UUID + "/" + f.VersionUUID + "/" + f.Name},
			"self":             obj{"href": c.base + "/v1.0/files/" + f.UUID},
		},
	}
	if sessionID != 0 {
		o["session_id"] = sessionID
	}
	return o
}

func (c *driveCall) getFile() reply {
	f := c.d.Files[c.r.PathValue("uuid")]
	if f == nil || f.AccountID != c.acct.ID {
		return driveError(http.StatusNotFound, "File not found")
	}
	return okReply(c.fileJSON(f, 0))
}

func (c *driveCall) listFiles() reply {
	q := c.r.URL.Query()
	var want map[string]bool
	if u := q.Get("filter[uuid]"); u != "" {
		want = map[string]bool{}
		for _, x := range strings.Split(u, ",") {
			want[x] = true
		}
	}
	deleted := q.Get("filter[deleted]") == "true"
	name, term := q.Get("filter[name]"), strings.ToLower(q.Get("filter[term]"))
	var files []*driveFile
	for _, f := range c.d.Files {
		if f.AccountID != c.acct.ID || f.Trashed != deleted || (want != nil && !want[f.UUID]) ||
			(name != "" && f.Name != name) || (term != "" && !strings.Contains(strings.ToLower(f.Name), term)) {
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return noContent()
	}
	slices.SortFunc(files, func(a, b *driveFile) int { return strings.Compare(a.UUID, b.UUID) })
	out := make([]obj, len(files))
	for i, f := range files {
		out[i] = c.fileJSON(f, 0)
	}
	return reply{status: http.StatusOK, ctype: ctypeJSON, body: obj{"_count": len(out), "_embedded": obj{"files": out}, "_links": obj{}}}
}

func (c *driveCall) deleteFiles() reply {
	var in []struct {
		UUID string `json:"uuid"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil || len(in) == 0 {
		return driveError(http.StatusBadRequest, "The body must be an array of {\"uuid\": …}")
	}
	for _, x := range in {
		if f := c.d.Files[x.UUID]; f == nil || f.AccountID != c.acct.ID {
			return driveError(http.StatusNotFound, "File not found: "+x.UUID)
		}
	}
	for _, x := range in {
		f := c.d.Files[x.UUID]
		f.Trashed, f.UpdatedAt = true, c.now.Unix()
	}
	return noContent()
}

// entityFiles serves PUT, GET and DELETE /api/v4/{kind}/{id}/files on the
// account's host (docs/files.md#attaching).
func entityFiles(kind string) func(c *call) reply {
	return func(c *call) reply {
		d := c.s.drive()
		id := c.pathID("id")
		e := c.st().Entity(kind, id)
		if e == nil || e.AccountID != c.acct.ID {
			return problem(http.StatusNotFound, "Entity not found")
		}
		key := kind + "/" + strconv.FormatInt(id, 10)
		if c.r.Method == http.MethodGet {
			q := c.r.URL.Query()
			limit := 50
			if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 {
				limit = min(l, 100)
			}
			before, _ := strconv.ParseInt(q.Get("before_id"), 10, 64)
			links := d.Links[key]
			var out []obj
			for i := len(links) - 1; i >= 0 && len(out) < limit; i-- {
				if before == 0 || links[i].ID < before {
					out = append(out, obj{"file_uuid": links[i].FileUUID, "id": links[i].ID})
				}
			}
			if len(out) == 0 {
				return noContent()
			}
			return okReply(obj{"_embedded": obj{"files": out}})
		}
		var in []map[string]json.RawMessage
		if err := json.Unmarshal(c.body, &in); err != nil || len(in) == 0 {
			return problem(http.StatusBadRequest, "The body must be an array of {\"file_uuid\": …}")
		}
		var uuids []string
		for i, x := range in {
			var u string
			if len(x) != 1 || json.Unmarshal(x["file_uuid"], &u) != nil || u == "" {
				return problem(http.StatusBadRequest, fmt.Sprintf("Element %d must be {\"file_uuid\": …} alone", i))
			}
			if f := d.Files[u]; f == nil || f.AccountID != c.acct.ID || f.Trashed {
				return problem(http.StatusBadRequest, "File not found on the account's Drive: "+u)
			}
			uuids = append(uuids, u)
		}
		links := d.Links[key]
		for _, u := range uuids {
			at := slices.IndexFunc(links, func(l entityFileLink) bool { return l.FileUUID == u })
			switch {
			case c.r.Method == http.MethodPut && at < 0:
				d.Seq++
				links = append(links, entityFileLink{ID: d.Seq, FileUUID: u})
			case c.r.Method == http.MethodDelete && at >= 0:
				links = slices.Delete(links, at, at+1)
			}
		}
		d.Links[key] = links
		return reply{status: http.StatusAccepted}
	}
}
