package proposal

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"
)

// Issued is a proposal made for one calculation and one client, and how far
// attaching it to the deal got: a retry resumes where the last attempt
// stopped, so asking twice attaches one file.
type Issued struct {
	Account       string // the amoCRM account host
	LeadID        int64
	CalculationID string
	// Party names the client it is addressed to: "contact:12" or "company:34".
	Party     string
	Number    string
	FileName  string
	PDF       []byte
	CreatedAt time.Time

	// FileUUID and VersionUUID are set once the file is in the account's
	// Drive; Linked once it is in the lead's files; Noted once the lead has a
	// note that links it.
	FileUUID    string
	VersionUUID string
	Linked      bool
	Noted       bool
}

// Complete reports whether the proposal is attached to the deal in full.
func (i *Issued) Complete() bool { return i.FileUUID != "" && i.Linked && i.Noted }

// Registry keeps issued proposals. Implementations are safe for concurrent
// use.
type Registry interface {
	// Find returns the proposal for a calculation and party, or ErrNotIssued.
	Find(ctx context.Context, account string, leadID int64, calculationID, party string) (Issued, error)
	// ByNumber returns the lead's proposal with that number, or ErrNotIssued.
	ByNumber(ctx context.Context, account string, leadID int64, number string) (Issued, error)
	// Count returns how many proposals the lead has.
	Count(ctx context.Context, account string, leadID int64) (int, error)
	// Record stores i, replacing the record with the same account, lead,
	// calculation and party. A new record whose number the lead already has
	// elsewhere gets ErrNumberTaken.
	Record(ctx context.Context, i Issued) error
}

// Errors of registries.
var (
	ErrNotIssued   = errors.New("proposal: no such proposal")
	ErrNumberTaken = errors.New("proposal: the lead has a proposal with this number already")
)

// MemoryRegistry is a Registry in process memory.
type MemoryRegistry struct {
	mu   sync.Mutex
	list []Issued
}

func sameKey(a, b *Issued) bool {
	return a.Account == b.Account && a.LeadID == b.LeadID && a.CalculationID == b.CalculationID && a.Party == b.Party
}

func cloneIssued(i Issued) Issued {
	i.PDF = bytes.Clone(i.PDF)
	return i
}

// Find implements Registry.
func (m *MemoryRegistry) Find(_ context.Context, account string, leadID int64, calculationID, party string) (Issued, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := Issued{Account: account, LeadID: leadID, CalculationID: calculationID, Party: party}
	for _, i := range m.list {
		if sameKey(&i, &key) {
			return cloneIssued(i), nil
		}
	}
	return Issued{}, ErrNotIssued
}

// ByNumber implements Registry.
func (m *MemoryRegistry) ByNumber(_ context.Context, account string, leadID int64, number string) (Issued, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, i := range m.list {
		if i.Account == account && i.LeadID == leadID && i.Number == number {
			return cloneIssued(i), nil
		}
	}
	return Issued{}, ErrNotIssued
}

// Count implements Registry.
func (m *MemoryRegistry) Count(_ context.Context, account string, leadID int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, i := range m.list {
		if i.Account == account && i.LeadID == leadID {
			n++
		}
	}
	return n, nil
}

// Record implements Registry.
func (m *MemoryRegistry) Record(_ context.Context, rec Issued) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, i := range m.list {
		if sameKey(&i, &rec) {
			m.list[k] = cloneIssued(rec)
			return nil
		}
		if i.Account == rec.Account && i.LeadID == rec.LeadID && i.Number == rec.Number {
			return ErrNumberTaken
		}
	}
	m.list = append(m.list, cloneIssued(rec))
	return nil
}
