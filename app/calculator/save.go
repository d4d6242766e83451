package calculator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/widget"
)

// storeTimeout bounds the store calls that record a save's outcome; they run detached from the
// request, so that a browser going away cannot leave the outcome unrecorded.
const storeTimeout = 10 * time.Second

// SaveLease is how long a save holds its calculation at a time. The lease is renewed every third
// of it while the writes run, so a process that dies in the middle of a save (a deploy, a crash)
// keeps a retry waiting at most this long.
const SaveLease = 10 * time.Second

// calculationView is a saved calculation as the browser sees it.
type calculationView struct {
	ID        string       `json:"id"`
	LeadID    int64        `json:"lead_id"`
	UserID    int64        `json:"user_id"`
	UserName  string       `json:"user_name"`        // "" when amoCRM did not give it
	CreatedAt string       `json:"created_at"`       // RFC 3339, UTC
	Created   string       `json:"created_local"`    // "06.12.2026 14:05 МСК", in the account's zone
	TimeZone  string       `json:"time_zone"`        // Calculation.TimeZone: "" for Moscow time
	Number    int          `json:"number,omitempty"` // the calculation's number in the lead, from 1
	Order     glass.Order  `json:"order"`
	Quote     *glass.Quote `json:"quote"`
	Parts     Parts        `json:"parts"`
	Complete  bool         `json:"complete"`
}

func viewOf(c Calculation) calculationView {
	q := c.Quote
	return calculationView{
		ID: c.ID, LeadID: c.LeadID, UserID: c.UserID, UserName: c.UserName,
		CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339), Created: localTime(c.CreatedAt, c.TimeZone), TimeZone: c.TimeZone, Number: c.Number,
		Order: c.Order, Quote: &q, Parts: c.Parts, Complete: c.Complete(),
	}
}

// saveResponse is the answer of save_calculation: 200 with the calculation when every part is
// done, 502 with error partial_save and the calculation when some part failed.
type saveResponse struct {
	Error       *widget.ErrorBody `json:"error,omitempty"`
	Calculation calculationView   `json:"calculation"`
}

// saveRequest is the body of save_calculation.
type saveRequest struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Order          json.RawMessage `json:"order"`
	// PriceListVersion prices the order with that version of the price list, as shown
	// when the calculation was made; empty means the current one.
	PriceListVersion string `json:"price_list_version,omitempty"`
}

// saveCalculation serves POST /widget/api {"action":"save_calculation"} behind widget.RequireTicket.
//
// The order is quoted here; a price computed by the browser is never read. The calculation is
// identified by (account, lead, idempotency key). In this process one mutex per key makes a
// second request with the same key wait for the first and then answer its result. Across
// processes sharing the store, CalculationStore.Claim hands out a lease of SaveLease, renewed
// while the writes run: a request arriving while another process writes the same calculation
// gets 409 save_in_progress with Retry-After saying when the lease runs out; a lease left behind
// by a dead process runs out within SaveLease, and a retry then writes the parts that were never
// recorded as done.
func (h *handler) saveCalculation(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, ok := ticket(w, r)
	if !ok {
		return
	}
	body, ok := widget.ReadBody(w, r)
	if !ok {
		return
	}
	var req saveRequest
	if !widget.DecodeJSON(w, body, &req) {
		return
	}
	key, ok := idempotencyKey(req.IdempotencyKey)
	if !ok {
		widget.WriteError(w, http.StatusUnprocessableEntity, widget.CodeInvalidRequest, "Нужен ключ идемпотентности",
			widget.FieldError{Path: "idempotency_key", Message: "должен быть UUID, например 0b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b"})
		return
	}
	order, quote, ok := h.quote(w, r, req.Order, req.PriceListVersion)
	if !ok {
		return
	}
	crm, err := h.crm(ctx, t.Account)
	if err != nil {
		h.crmError(w, r, t.Account, err)
		return
	}

	ckey := CalculationKey{Account: t.Account, LeadID: t.LeadID, IdempotencyKey: key}
	unlock, err := h.saves.lock(ctx, ckey.String())
	if err != nil {
		widget.WriteError(w, http.StatusServiceUnavailable, CodeSaveInProgress, "Запрос отменён, пока ждал предыдущего сохранения")
		return
	}
	defer unlock()

	name, zone := saverDetails(ctx, crm, t.UserID)
	now := time.Now()
	calc := Calculation{
		ID: newCalculationID(), Account: t.Account, AccountID: t.AccountID, LeadID: t.LeadID, UserID: t.UserID,
		UserName: name, TimeZone: zone,
		IdempotencyKey: key, Order: order, Quote: *quote, Parts: PendingParts(), CreatedAt: now,
	}
	stored, lease, err := h.calcs.Claim(ctx, calc, now, SaveLease)
	var busy *SaveInProgressError
	switch {
	case errors.As(err, &busy):
		wait := max(1, int(math.Ceil(busy.Until.Sub(now).Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		widget.WriteError(w, http.StatusConflict, CodeSaveInProgress,
			fmt.Sprintf("Этот расчёт сейчас сохраняется; повторите через %d с", wait))
		return
	case errors.Is(err, ErrSaveInProgress):
		w.Header().Set("Retry-After", strconv.Itoa(int(SaveLease/time.Second)))
		widget.WriteError(w, http.StatusConflict, CodeSaveInProgress,
			fmt.Sprintf("Этот расчёт сейчас сохраняется; повторите через %d с", int(SaveLease/time.Second)))
		return
	case err != nil:
		h.storeError(w, r, "claim calculation", err)
		return
	}
	if !sameOrder(stored.Order, order) {
		if lease != "" {
			h.release(ctx, ckey, lease)
		}
		widget.WriteError(w, http.StatusConflict, CodeIdempotencyReused, "Ключ идемпотентности уже использован для другого заказа")
		return
	}
	number, replaced, err := h.earlier(ctx, stored)
	if err != nil {
		if lease != "" {
			h.release(ctx, ckey, lease)
		}
		h.storeError(w, r, "list earlier calculations", err)
		return
	}
	stored.Number = number
	if lease != "" {
		// A calculation stored before this request is a retry: an earlier attempt may have made
		// a write whose answer it never got.
		stored.Parts = h.writeParts(ctx, crm, stored, lease, stored.ID != calc.ID, replaced)
	}
	if stored.Complete() {
		widget.WriteJSON(w, http.StatusOK, saveResponse{Calculation: viewOf(stored)})
		return
	}
	widget.WriteJSON(w, http.StatusBadGateway, saveResponse{
		Error:       &widget.ErrorBody{Code: CodePartialSave, Message: partialMessage(stored.Parts)},
		Calculation: viewOf(stored),
	})
}

// quote decodes and prices an order with the named version of the price list (the current one
// when version is empty), answering 422 invalid_order or unknown_price_list (or 500) itself on
// failure.
func (h *handler) quote(w http.ResponseWriter, r *http.Request, raw []byte, version string) (glass.Order, *glass.Quote, bool) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		widget.WriteError(w, http.StatusUnprocessableEntity, CodeInvalidOrder, "Нет заказа", widget.FieldError{Path: "order", Message: "обязательное поле"})
		return glass.Order{}, nil, false
	}
	prices := h.prices.Current(r.Context())
	if version != "" && version != prices.Version {
		var err error
		if prices, err = h.prices.Version(r.Context(), version); err != nil {
			h.log.Warn("calculator: price list version not found", slog.String("version", version), slog.String("error", err.Error()))
			widget.WriteError(w, http.StatusUnprocessableEntity, CodeUnknownPriceList,
				"Прайс-лист «"+version+"», по которому сделан расчёт, не найден: посчитайте заказ заново по текущим ценам")
			return glass.Order{}, nil, false
		}
	}
	order, err := glass.DecodeOrder(raw)
	var q *glass.Quote
	if err == nil {
		q, err = prices.Quote(order)
	}
	var verr *glass.ValidationError
	switch {
	case errors.As(err, &verr):
		fields := make([]widget.FieldError, len(verr.Errors))
		for i, fe := range verr.Errors {
			fields[i] = widget.FieldError{Path: fe.Path, Message: fe.Message}
		}
		msg := "Заказ заполнен с ошибками"
		if verr.More > 0 {
			msg += fmt.Sprintf(": показаны первые %d, и ещё %d", len(verr.Errors), verr.More)
		}
		widget.WriteError(w, http.StatusUnprocessableEntity, CodeInvalidOrder, msg, fields...)
		return glass.Order{}, nil, false
	case err != nil:
		h.log.Error("calculator: quoting failed", slog.String("error", err.Error()))
		widget.WriteError(w, http.StatusInternalServerError, widget.CodeInternal, "Не удалось рассчитать заказ: ошибка прайс-листа")
		return glass.Order{}, nil, false
	}
	return order, q, true
}

// writeParts writes every part of c that is not done, at the same time, and records each
// outcome under lease. It runs detached from the request (bounded by SaveTimeout), so that a
// browser going away cannot cut a write off between amoCRM and the store. On a retry (an earlier
// request stored c) it first looks at amoCRM for each part, when crm is a SaveChecker. It returns
// the parts as they now stand.
func (h *handler) writeParts(ctx context.Context, crm CRM, c Calculation, lease string, retry bool, replaced []string) Parts {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.saveTimeout)
	defer cancel()
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), h.saveTimeout+storeTimeout)
	defer scancel()
	key := c.Key()
	parts := c.Parts
	var todo []Part
	for _, p := range AllParts() {
		if parts.Get(p) != PartDone {
			todo = append(todo, p)
		}
	}
	stopRenewing := h.keepLease(sctx, key, lease)
	defer stopRenewing()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range todo {
		wg.Go(func() {
			status := PartDone
			found, err := writePart(wctx, crm, c, p, retry, replaced)
			switch {
			case err != nil:
				status = PartFailed
				h.log.LogAttrs(ctx, slog.LevelWarn, "calculator: writing a calculation to amoCRM failed",
					slog.String("account", c.Account), slog.Int64("lead_id", c.LeadID), slog.String("calculation", c.ID),
					slog.String("part", string(p)), slog.String("error", err.Error()))
			case found:
				h.log.LogAttrs(ctx, slog.LevelInfo, "calculator: a part of a calculation was already in amoCRM; not written again",
					slog.String("account", c.Account), slog.Int64("lead_id", c.LeadID), slog.String("calculation", c.ID),
					slog.String("part", string(p)))
			}
			if err := h.calcs.SetPart(sctx, key, lease, p, status); err != nil {
				h.log.LogAttrs(ctx, slog.LevelError, "calculator: recording a part of a calculation failed",
					slog.String("calculation", c.ID), slog.String("part", string(p)), slog.String("status", string(status)),
					slog.String("error", err.Error()))
			}
			mu.Lock()
			parts.Set(p, status)
			mu.Unlock()
		})
	}
	wg.Wait()
	stopRenewing()
	h.release(sctx, key, lease)
	return parts
}

// keepLease renews a save's lease every third of SaveLease until the returned function is
// called; that function waits for a renewal under way to finish.
func (h *handler) keepLease(ctx context.Context, key CalculationKey, lease string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(SaveLease / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			now := time.Now()
			err := h.calcs.Extend(ctx, key, lease, now, now.Add(SaveLease))
			if err != nil {
				h.log.LogAttrs(ctx, slog.LevelWarn, "calculator: renewing a save's lease failed",
					slog.String("calculation", key.String()), slog.String("error", err.Error()))
			}
			if errors.Is(err, ErrLeaseLost) || ctx.Err() != nil {
				return
			}
		}
	})
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// earlier looks at the lead's calculations created before c: it returns c's number in the lead
// (theirs plus one) and the SKUs of the products they wrote and c does not have, the products a
// save of c takes off the lead.
func (h *handler) earlier(ctx context.Context, c Calculation) (number int, replaced []string, err error) {
	calcs, err := h.calcs.List(ctx, c.Account, c.LeadID, 0)
	if err != nil {
		return 0, nil, err
	}
	number = 1 + countBefore(calcs, c)
	keep := map[string]bool{}
	for _, p := range c.Quote.Products() {
		keep[p.SKU] = true
	}
	for _, e := range calcs {
		if e.ID == c.ID || !e.CreatedAt.Before(c.CreatedAt) {
			continue
		}
		for _, p := range e.Quote.Products() {
			if !keep[p.SKU] {
				keep[p.SKU] = true
				replaced = append(replaced, p.SKU)
			}
		}
	}
	return number, replaced, nil
}

// countBefore counts the calculations in calcs created before c.
func countBefore(calcs []Calculation, c Calculation) int {
	n := 0
	for _, e := range calcs {
		if e.ID != c.ID && e.CreatedAt.Before(c.CreatedAt) {
			n++
		}
	}
	return n
}

// writePart makes one write of a calculation. With check set and crm a SaveChecker, it first
// reads what amoCRM holds and writes only what is missing; found reports that the whole part was
// there and nothing was written. A check that fails fails the part without writing: writing
// blindly could add the note twice, and the next retry checks again. The products part first
// unlinks the replaced SKUs (earlier calculations' products that c has not), when crm is a
// ProductReplacer.
func writePart(ctx context.Context, crm CRM, c Calculation, p Part, check bool, replaced []string) (found bool, err error) {
	var checker SaveChecker
	if check {
		checker, _ = crm.(SaveChecker)
	}
	switch p {
	case PartPrice:
		if checker != nil {
			price, err := checker.LeadPrice(ctx, c.LeadID)
			if err != nil {
				return false, fmt.Errorf("calculator: checking the lead's price: %w", err)
			}
			if price == c.Quote.LeadPrice {
				return true, nil
			}
		}
		return false, crm.SetLeadPrice(ctx, c.LeadID, c.Quote.LeadPrice)
	case PartNote:
		if checker != nil {
			has, err := checker.HasNote(ctx, c.LeadID, c.NoteMarker())
			if err != nil {
				return false, fmt.Errorf("calculator: looking for the calculation's note: %w", err)
			}
			if has {
				return true, nil
			}
		}
		return false, crm.AddNote(ctx, c.LeadID, c.NoteText())
	case PartProducts:
		if r, ok := crm.(ProductReplacer); ok && len(replaced) > 0 {
			if err := r.UnlinkSKUs(ctx, c.LeadID, replaced); err != nil {
				return false, fmt.Errorf("calculator: unlinking the products of earlier calculations: %w", err)
			}
		}
		products := c.Quote.Products()
		if len(products) == 0 {
			return false, nil
		}
		if checker != nil {
			missing, err := checker.MissingProducts(ctx, c.LeadID, products)
			if err != nil {
				return false, fmt.Errorf("calculator: checking the lead's products: %w", err)
			}
			if len(missing) == 0 {
				return true, nil
			}
			products = missing
		}
		return false, crm.AttachProducts(ctx, c.LeadID, products)
	}
	return false, fmt.Errorf("calculator: unknown part %q", p)
}

// noteMarkerWord begins the marker line of a calculation's note.
const noteMarkerWord = "Расчёт"

// NoteMarker returns the line that ends the note a save of c adds to the lead: the calculation's
// number in the lead, its date in the account's zone (Calculation.TimeZone) and the first 8
// characters of c.ID, e.g. "Расчёт №2 от 06.12.2026 14:05 МСК · 0b6e4f1a" ("Расчёт 0b6e4f1a"
// without a number). It tells people which saved calculation a note belongs to, and marks the
// note as this calculation's, because amoCRM takes no idempotency key: when it adds the note but
// its answer is lost, a retry finds the marker among the lead's newest notes
// (SaveChecker.HasNote) instead of adding the note a second time. It depends only on what the
// store keeps, so every retry writes the same line.
func (c Calculation) NoteMarker() string {
	short := c.ID
	if len(short) > 8 {
		short = short[:8]
	}
	if c.Number <= 0 {
		return noteMarkerWord + " " + short
	}
	return noteMarkerWord + " №" + strconv.Itoa(c.Number) + " от " + localTime(c.CreatedAt, c.TimeZone) + " · " + short
}

// NoteText returns the text of the note a save of c adds to the lead: who saved it, the
// breakdown (glass.Quote.NoteText), an empty line and NoteMarker as the last line.
func (c Calculation) NoteText() string {
	return c.noteAuthor() + "\n" + c.Quote.NoteText() + "\n" + c.NoteMarker()
}

// release gives a lease back, detached from the request; failing only delays a retry until the
// lease expires, so it is logged.
func (h *handler) release(ctx context.Context, key CalculationKey, lease string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := h.calcs.Release(rctx, key, lease); err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "calculator: releasing a calculation's lease failed", slog.String("error", err.Error()))
	}
}

// partialMessage tells people which writes failed.
func partialMessage(p Parts) string {
	names := map[Part]string{PartPrice: "цену сделки", PartNote: "примечание", PartProducts: "товары"}
	var failed []string
	for _, part := range AllParts() {
		if p.Get(part) != PartDone {
			failed = append(failed, names[part])
		}
	}
	return "Расчёт сохранён не полностью: не удалось записать " + strings.Join(failed, ", ") +
		". Повторите сохранение: будет дописано только недостающее."
}

// sameOrder reports whether two orders are the same, field by field.
func sameOrder(a, b glass.Order) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// idempotencyKey checks that s is a UUID in its textual form (as crypto.randomUUID makes) and
// returns it in lower case.
func idempotencyKey(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return "", false
			}
		}
	}
	return strings.ToLower(s), true
}

// newCalculationID returns a random UUID (version 4).
func newCalculationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// keyLocks is one mutex per key whose lock gives up when its context ends. The zero value is
// ready to use.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	sem  chan struct{} // full while held
	refs int           // holders and waiters
}

// lock waits until key is free or ctx is done, and returns the function that frees it.
func (k *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyLock)
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{sem: make(chan struct{}, 1)}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()

	drop := func() {
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.sem <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-l.sem; drop() }) }, nil
	case <-ctx.Done():
		drop()
		return nil, ctx.Err()
	}
}
