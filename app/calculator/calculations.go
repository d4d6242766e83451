package calculator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/amokit/amokit/app/calculator/internal/stored"
	"github.com/amokit/amokit/app/glass"
)

// Part names one of the writes that saving a calculation makes to the lead.
type Part string

// The parts of a save, in the order they are reported.
const (
	PartPrice    Part = "price"    // the lead's price (PATCH), in whole roubles
	PartNote     Part = "note"     // one common note with the breakdown
	PartProducts Part = "products" // the catalog products, linked with their quantities
)

// AllParts lists every Part.
func AllParts() []Part { return []Part{PartPrice, PartNote, PartProducts} }

// PartStatus is how far one write has got.
type PartStatus string

// Statuses of a part.
const (
	// PartPending: not attempted yet, or attempted by a request that ended before recording the
	// outcome; a retry writes it.
	PartPending PartStatus = "pending"
	// PartDone: amoCRM accepted the write; no retry repeats it.
	PartDone PartStatus = "done"
	// PartFailed: amoCRM refused the write or could not be reached; a retry writes it again.
	PartFailed PartStatus = "failed"
)

// Parts holds the status of every write of a save. Its JSON form is
// {"price":"done","note":"failed","products":"done"}.
type Parts struct {
	Price    PartStatus `json:"price"`
	Note     PartStatus `json:"note"`
	Products PartStatus `json:"products"`
}

// PendingParts returns Parts with every write pending: a save that has not started.
func PendingParts() Parts { return Parts{Price: PartPending, Note: PartPending, Products: PartPending} }

// Get returns the status of part ("" for an unknown part).
func (p Parts) Get(part Part) PartStatus {
	switch part {
	case PartPrice:
		return p.Price
	case PartNote:
		return p.Note
	case PartProducts:
		return p.Products
	}
	return ""
}

// Set changes the status of part; an unknown part is ignored.
func (p *Parts) Set(part Part, s PartStatus) {
	switch part {
	case PartPrice:
		p.Price = s
	case PartNote:
		p.Note = s
	case PartProducts:
		p.Products = s
	}
}

// Complete reports whether every write is done.
func (p Parts) Complete() bool {
	return p.Price == PartDone && p.Note == PartDone && p.Products == PartDone
}

// CalculationKey identifies a saved calculation: the browser's idempotency key, scoped to the
// account and the lead, so that one key can never reach another account's or lead's save.
type CalculationKey struct {
	Account        string // account host, e.g. "acme.amocrm.ru"
	LeadID         int64
	IdempotencyKey string
}

// String returns the key as one string, for locks and logs.
func (k CalculationKey) String() string {
	return k.Account + "/" + strconv.FormatInt(k.LeadID, 10) + "/" + k.IdempotencyKey
}

// Calculation is a quote saved to a lead, with how far its writes to amoCRM have got. The quote
// is the one made when the calculation was first saved: a retry writes exactly that, even if the
// price list has changed since.
type Calculation struct {
	ID        string // assigned by the handler when the calculation is first saved
	Account   string // account host
	AccountID int64
	LeadID    int64
	UserID    int64 // the amoCRM user who saved it first
	// UserName is that user's name as amoCRM gave it then; "" when it could not be read.
	UserName string
	// TimeZone names the zone the note and the history give the calculation's time in: the
	// account's zone when amoCRM gave one (an IANA name such as "Asia/Yekaterinburg", or a fixed
	// offset such as "UTC+05:00"), "" for Moscow time.
	TimeZone       string
	IdempotencyKey string
	Order          glass.Order
	Quote          glass.Quote // Quote.Order equals Order
	Parts          Parts
	CreatedAt      time.Time
	// Number is the calculation's number among its lead's calculations, counted from 1 by
	// CreatedAt. Stores do not keep it; the handler counts it when it needs it, 0 until then.
	Number int
}

// Key returns the calculation's key.
func (c Calculation) Key() CalculationKey {
	return CalculationKey{Account: c.Account, LeadID: c.LeadID, IdempotencyKey: c.IdempotencyKey}
}

// Complete reports whether every write of the calculation is done.
func (c Calculation) Complete() bool { return c.Parts.Complete() }

// Errors of a CalculationStore, matched with errors.Is.
var (
	// ErrSaveInProgress: another request holds the lease on the calculation and is writing it.
	ErrSaveInProgress = errors.New("calculator: the calculation is being saved by another request")
	// ErrLeaseLost: the lease given to SetPart or Release is no longer the calculation's, because
	// it expired and another request claimed the calculation (or it never existed).
	ErrLeaseLost = errors.New("calculator: the lease on the calculation was lost")
)

// SaveInProgressError is the error of Claim while another lease on the calculation is valid. It
// matches ErrSaveInProgress and says until when the lease runs, so a caller can tell people how
// long to wait.
type SaveInProgressError struct {
	Key   CalculationKey
	Until time.Time // when the other lease runs out unless its holder extends it
}

func (e *SaveInProgressError) Error() string {
	return ErrSaveInProgress.Error() + " (" + e.Key.String() + ") until " + e.Until.UTC().Format(time.RFC3339)
}

// Is makes errors.Is(err, ErrSaveInProgress) true.
func (e *SaveInProgressError) Is(target error) bool { return target == ErrSaveInProgress }

// CalculationStore keeps saved calculations and hands out leases, so that a calculation's writes
// to amoCRM are made by one request at a time, in this process or any other that shares the
// store. Implementations are safe for concurrent use; what goes in and out are copies.
//
// A save goes: Claim → for each part not done, write it to amoCRM and SetPart → Release, with
// Extend renewing the lease while the writes run. Leases are short and renewed, so that a
// process that dies in the middle of a save holds it only until its lease runs out.
type CalculationStore interface {
	// Claim starts or resumes the save of c, identified by c.Key(), at the time now.
	//   - No calculation has the key: c is stored as given and a new lease, valid until now+ttl,
	//     is returned with it.
	//   - The stored calculation is complete: it is returned with an empty lease; nothing is to
	//     be written.
	//   - It is incomplete and its lease is free or expired: it is returned with a new lease.
	//   - It is incomplete and another lease is still valid: the error is a
	//     *SaveInProgressError (matching ErrSaveInProgress) with the lease's end.
	// Apart from the key, c matters only when it is stored: an existing calculation is returned
	// as stored, for the caller to compare.
	Claim(ctx context.Context, c Calculation, now time.Time, ttl time.Duration) (stored Calculation, lease string, err error)
	// SetPart records the status of one part, if lease is still the calculation's lease (even
	// when expired, as long as nobody has claimed it since); otherwise the error matches
	// ErrLeaseLost.
	SetPart(ctx context.Context, key CalculationKey, lease string, part Part, status PartStatus) error
	// Extend moves the end of a valid lease to until, if lease is still the calculation's lease
	// and has not expired at the time now; otherwise the error matches ErrLeaseLost.
	Extend(ctx context.Context, key CalculationKey, lease string, now, until time.Time) error
	// Release gives the lease up, so that a retry need not wait for it to expire. It returns an
	// error matching ErrLeaseLost when lease is not the calculation's lease.
	Release(ctx context.Context, key CalculationKey, lease string) error
	// List returns up to limit calculations of one lead of one account, newest first (by
	// CreatedAt); a limit of 0 or less means all of them.
	List(ctx context.Context, account string, leadID int64, limit int) ([]Calculation, error)
}

// MemoryCalculations is a CalculationStore and a CatalogIndex in process memory, for tests,
// examples and a single process. Its leases serialise the requests of this process only. Create
// it with NewMemoryCalculations.
type MemoryCalculations struct {
	mu       sync.Mutex
	calcs    map[CalculationKey]*memoryCalc
	catalogs memoryCatalogs
}

var _ CalculationStore = (*MemoryCalculations)(nil)

// memoryCalc is a stored calculation: order and quote kept as JSON, so that what is handed out
// never shares memory with what is stored.
type memoryCalc struct {
	c          Calculation // Order and Quote zero
	order      []byte
	quote      []byte
	lease      string
	leaseUntil time.Time
	seq        int // insertion order, to break ties of CreatedAt
}

// NewMemoryCalculations returns an empty MemoryCalculations.
func NewMemoryCalculations() *MemoryCalculations {
	return &MemoryCalculations{calcs: make(map[CalculationKey]*memoryCalc)}
}

// Claim implements CalculationStore.
func (m *MemoryCalculations) Claim(ctx context.Context, c Calculation, now time.Time, ttl time.Duration) (Calculation, string, error) {
	if err := ctx.Err(); err != nil {
		return Calculation{}, "", err
	}
	if err := checkClaim(c, ttl); err != nil {
		return Calculation{}, "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := c.Key()
	mc, ok := m.calcs[key]
	if !ok {
		order, quote, err := stored.Encode(c.Order, c.Quote)
		if err != nil {
			return Calculation{}, "", err
		}
		mc = &memoryCalc{c: c, order: order, quote: quote, seq: len(m.calcs)}
		mc.c.Order, mc.c.Quote = glass.Order{}, glass.Quote{}
		mc.c.CreatedAt = c.CreatedAt.UTC().Truncate(time.Microsecond)
		m.calcs[key] = mc
	} else if mc.c.Complete() {
		out, err := mc.calculation()
		return out, "", err
	} else if mc.lease != "" && now.Before(mc.leaseUntil) {
		return Calculation{}, "", &SaveInProgressError{Key: key, Until: mc.leaseUntil}
	}
	mc.lease, mc.leaseUntil = stored.NewLease(), now.Add(ttl)
	out, err := mc.calculation()
	return out, mc.lease, err
}

// SetPart implements CalculationStore.
func (m *MemoryCalculations) SetPart(ctx context.Context, key CalculationKey, lease string, part Part, status PartStatus) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkPart(part, status); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mc, ok := m.calcs[key]
	if !ok || lease == "" || mc.lease != lease {
		return fmt.Errorf("%w (%s)", ErrLeaseLost, key)
	}
	mc.c.Parts.Set(part, status)
	return nil
}

// Extend implements CalculationStore.
func (m *MemoryCalculations) Extend(ctx context.Context, key CalculationKey, lease string, now, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mc, ok := m.calcs[key]
	if !ok || lease == "" || mc.lease != lease || !now.Before(mc.leaseUntil) {
		return fmt.Errorf("%w (%s)", ErrLeaseLost, key)
	}
	mc.leaseUntil = until
	return nil
}

// Release implements CalculationStore.
func (m *MemoryCalculations) Release(ctx context.Context, key CalculationKey, lease string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mc, ok := m.calcs[key]
	if !ok || lease == "" || mc.lease != lease {
		return fmt.Errorf("%w (%s)", ErrLeaseLost, key)
	}
	mc.lease, mc.leaseUntil = "", time.Time{}
	return nil
}

// List implements CalculationStore.
func (m *MemoryCalculations) List(ctx context.Context, account string, leadID int64, limit int) ([]Calculation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var found []*memoryCalc
	for k, mc := range m.calcs {
		if k.Account == account && k.LeadID == leadID {
			found = append(found, mc)
		}
	}
	slices.SortFunc(found, func(a, b *memoryCalc) int {
		if c := b.c.CreatedAt.Compare(a.c.CreatedAt); c != 0 {
			return c
		}
		return b.seq - a.seq
	})
	if limit > 0 && len(found) > limit {
		found = found[:limit]
	}
	out := make([]Calculation, 0, len(found))
	for _, mc := range found {
		c, err := mc.calculation()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (mc *memoryCalc) calculation() (Calculation, error) {
	c := mc.c
	var err error
	if c.Order, c.Quote, err = stored.Decode(c.ID, mc.order, mc.quote); err != nil {
		return Calculation{}, err
	}
	return c, nil
}

// checkClaim refuses what no store should keep.
func checkClaim(c Calculation, ttl time.Duration) error {
	switch {
	case c.Account == "" || c.LeadID <= 0 || c.IdempotencyKey == "":
		return fmt.Errorf("calculator: a calculation needs an account, a lead and an idempotency key (%s)", c.Key())
	case c.ID == "":
		return errors.New("calculator: a calculation needs an ID")
	case ttl <= 0:
		return fmt.Errorf("calculator: lease ttl %v must be positive", ttl)
	}
	return nil
}

func checkPart(part Part, status PartStatus) error {
	if !slices.Contains(AllParts(), part) {
		return fmt.Errorf("calculator: unknown part %q", part)
	}
	switch status {
	case PartPending, PartDone, PartFailed:
		return nil
	}
	return fmt.Errorf("calculator: unknown part status %q", status)
}
