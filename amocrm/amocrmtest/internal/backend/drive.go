package backend

import "time"

// Drive is the data of the host of the accounts' files: upload sessions,
// the addresses their parts go to, the files, and which files are in the
// Files tab of which entity.
type Drive struct {
	MaxFile, MaxPart int64 // the limits new sessions announce; 0 until set
	Sessions         map[int64]*DriveSession
	Slots            map[string]*DriveSlot       // upload token → where its part goes
	Files            map[string]*DriveFile       // by uuid
	Links            map[string][]EntityFileLink // "leads/123" → links, oldest first
	Seq              int64                       // the last id given to a session or a link
}

// Drive returns the Drive's data, made empty on first use.
func (st *Store) Drive() *Drive {
	if st.drive == nil {
		st.drive = &Drive{
			Sessions: map[int64]*DriveSession{},
			Slots:    map[string]*DriveSlot{},
			Files:    map[string]*DriveFile{},
			Links:    map[string][]EntityFileLink{},
		}
	}
	return st.drive
}

// DriveSession is an upload session: the bytes received so far, and the
// file they became once complete.
type DriveSession struct {
	ID, AccountID, UserID       int64
	Name, ContentType, FileUUID string // FileUUID: the file a new version is for, or ""
	Size                        int64
	Data                        []byte
	Expires                     time.Time
	SlotAt                      map[int64]string // offset → upload token
	Done                        *DriveFile
}

// DriveSlot is the place in a session one upload address writes to.
type DriveSlot struct {
	Session *DriveSession
	Offset  int64
}

// DriveFile is a file on an account's Drive.
type DriveFile struct {
	UUID, VersionUUID    string
	AccountID, UserID    int64
	Name, ContentType    string
	Data                 []byte
	CreatedAt, UpdatedAt int64
	Trashed              bool
	Versions             int
	SessionID            int64 // the session of the last version
}

// EntityFileLink puts a Drive file in an entity's Files tab.
type EntityFileLink struct {
	ID       int64
	FileUUID string
}
