package calculator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/internal/moscow"
	"github.com/amokit/amokit/widget"
)

// Error codes of the proposal endpoints.
const (
	CodeProposalsOff        = "proposals_unavailable"   // the CRM cannot attach files
	CodeProposalNotSet      = "proposal_not_configured" // the shop's details are not set
	CodeCalculationNotFound = "calculation_not_found"   // no saved calculation has that id
	CodePartyNotFound       = "party_not_found"         // the client is not the lead's
	CodePartialProposal     = "partial_proposal"        // the PDF is made, attaching it failed
)

// Proposals configures commercial proposals (КП): a PDF of a saved calculation, attached to the
// deal. Set Config.Proposals to serve them.
type Proposals struct {
	// Settings holds the shop's details, set on the admin page. Required.
	Settings proposal.SettingsStore
	// Registry records issued proposals, so that asking twice attaches one file. Required.
	Registry proposal.Registry
	// Location is the time zone of the proposal's dates; Moscow when nil.
	Location *time.Location
}

// Party is a client of a lead that a proposal may be addressed to: its main contact or its
// company.
type Party struct {
	// Key names it in requests: "contact:12" or "company:34".
	Key   string `json:"key"`
	Kind  string `json:"kind"` // "contact" or "company"
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// FileRef is a file in the account's Drive.
type FileRef struct {
	UUID        string
	VersionUUID string
}

// ProposalCRM is a CRM that can also attach a proposal to a lead. AmoCRM's CRM is one; the
// handler finds it with a type assertion, like SaveChecker.
type ProposalCRM interface {
	// Parties returns the lead's main contact and its company, those it has.
	Parties(ctx context.Context, leadID int64) ([]Party, error)
	// Manager returns the name and phone of the account's user id.
	Manager(ctx context.Context, userID int64) (proposal.Manager, error)
	// UploadFile puts a file into the account's Drive.
	UploadFile(ctx context.Context, name, contentType string, data []byte) (FileRef, error)
	// LinkFile shows a Drive file in the lead's files.
	LinkFile(ctx context.Context, leadID int64, fileUUID string) error
	// AddFileNote adds a note to the lead that links the file.
	AddFileNote(ctx context.Context, leadID int64, f FileRef, name string) error
}

// proposalRequest is the body of POST /widget/leads/{id}/proposals.
type proposalRequest struct {
	CalculationID string `json:"calculation_id"`
	Party         string `json:"party"`
}

// proposalView is a proposal as the browser sees it.
type proposalView struct {
	Number   string `json:"number"`
	FileName string `json:"file_name"`
	Download string `json:"download"` // the path of its PDF, behind the ticket
	Complete bool   `json:"complete"`
}

var partyKey = regexp.MustCompile(`^(contact|company):[1-9][0-9]{0,18}$`)

// proposalRoutes adds the proposal endpoints to routes:
//
//	GET  /widget/leads/{id}/proposal             the clients a proposal may be addressed to
//	POST /widget/leads/{id}/proposals            make (or finish attaching) a proposal
//	GET  /widget/leads/{id}/proposals/{number}   its PDF
func (h *handler) proposalRoutes(routes map[string]http.Handler) {
	routes["GET /widget/leads/{id}/proposal"] = http.HandlerFunc(h.proposalParties)
	routes["POST /widget/leads/{id}/proposals"] = http.HandlerFunc(h.makeProposal)
	routes["GET /widget/leads/{id}/proposals/{number}"] = http.HandlerFunc(h.downloadProposal)
}

// leadOfTicket reads the lead id of the path, answering itself when it is not the ticket's.
func leadOfTicket(w http.ResponseWriter, r *http.Request) (widget.Ticket, bool) {
	t, ok := ticket(w, r)
	if !ok {
		return t, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		widget.WriteError(w, http.StatusNotFound, widget.CodeNotFound, "Такой сделки нет")
		return t, false
	}
	if id != t.LeadID {
		widget.WriteError(w, http.StatusForbidden, widget.CodeTicketMismatch, "Сессия открыта для другой сделки")
		return t, false
	}
	return t, true
}

// proposalCRM returns the account's CRM as a ProposalCRM, answering itself when it is none.
func (h *handler) proposalCRM(w http.ResponseWriter, r *http.Request, account string) (ProposalCRM, bool) {
	crm, err := h.crm(r.Context(), account)
	if err != nil {
		h.crmError(w, r, account, err)
		return nil, false
	}
	pc, ok := crm.(ProposalCRM)
	if !ok {
		widget.WriteError(w, http.StatusNotImplemented, CodeProposalsOff, "Коммерческие предложения для этого аккаунта недоступны")
		return nil, false
	}
	return pc, true
}

func (h *handler) proposalParties(w http.ResponseWriter, r *http.Request) {
	t, ok := leadOfTicket(w, r)
	if !ok {
		return
	}
	pc, ok := h.proposalCRM(w, r, t.Account)
	if !ok {
		return
	}
	parties, err := pc.Parties(r.Context(), t.LeadID)
	if err != nil {
		h.crmError(w, r, t.Account, err)
		return
	}
	if parties == nil {
		parties = []Party{}
	}
	_, err = h.proposals.Settings.Settings(r.Context())
	configured := err == nil
	if err != nil && !errors.Is(err, proposal.ErrNoSettings) {
		h.storeError(w, r, "proposal settings", err)
		return
	}
	widget.WriteJSON(w, http.StatusOK, map[string]any{"parties": parties, "configured": configured})
}

func (h *handler) makeProposal(w http.ResponseWriter, r *http.Request) {
	t, ok := leadOfTicket(w, r)
	if !ok {
		return
	}
	body, ok := widget.ReadBody(w, r)
	if !ok {
		return
	}
	var req proposalRequest
	if !widget.DecodeJSON(w, body, &req) {
		return
	}
	var fields []widget.FieldError
	if req.CalculationID == "" || len(req.CalculationID) > 64 {
		fields = append(fields, widget.FieldError{Path: "calculation_id", Message: "сначала сохраните расчёт в сделку"})
	}
	if !partyKey.MatchString(req.Party) {
		fields = append(fields, widget.FieldError{Path: "party", Message: "выберите клиента: контакт или компанию сделки"})
	}
	if len(fields) > 0 {
		widget.WriteError(w, http.StatusUnprocessableEntity, widget.CodeInvalidRequest, "Не хватает данных для КП", fields...)
		return
	}
	ctx := r.Context()
	settings, err := h.proposals.Settings.Settings(ctx)
	if errors.Is(err, proposal.ErrNoSettings) {
		widget.WriteError(w, http.StatusConflict, CodeProposalNotSet,
			"Реквизиты магазина для КП не заполнены: попросите администратора заполнить их на странице администратора, кнопка «Реквизиты для КП»")
		return
	}
	if err != nil {
		h.storeError(w, r, "proposal settings", err)
		return
	}
	pc, ok := h.proposalCRM(w, r, t.Account)
	if !ok {
		return
	}
	key := fmt.Sprintf("proposal %s %d %s %s", t.Account, t.LeadID, req.CalculationID, req.Party)
	unlock, err := h.saves.lock(ctx, key)
	if err != nil {
		widget.WriteError(w, http.StatusServiceUnavailable, CodeSaveInProgress, "Запрос отменён, пока ждал предыдущего")
		return
	}
	defer unlock()

	rec, err := h.proposals.Registry.Find(ctx, t.Account, t.LeadID, req.CalculationID, req.Party)
	switch {
	case errors.Is(err, proposal.ErrNotIssued):
		var status int
		if rec, status, err = h.newProposal(ctx, pc, t, req, settings); err != nil {
			h.proposalError(w, r, status, err)
			return
		}
	case err != nil:
		h.storeError(w, r, "find proposal", err)
		return
	}
	// Attaching runs to the end even when the browser goes away, so its progress is recorded.
	step, err := h.attach(context.WithoutCancel(ctx), pc, &rec)
	view := proposalView{Number: rec.Number, FileName: rec.FileName, Complete: rec.Complete(),
		Download: fmt.Sprintf("/widget/leads/%d/proposals/%s", rec.LeadID, rec.Number)}
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "calculator: attaching a proposal failed", slog.String("account", t.Account),
			slog.Int64("lead", t.LeadID), slog.String("step", step), slog.String("error", err.Error()))
		widget.WriteJSON(w, http.StatusBadGateway, map[string]any{
			"error":    widget.ErrorBody{Code: CodePartialProposal, Message: "КП № " + rec.Number + " готово, но " + step + " не удалось: нажмите ещё раз, файл не задвоится"},
			"proposal": view,
		})
		return
	}
	widget.WriteJSON(w, http.StatusOK, map[string]any{"proposal": view})
}

// proposalError answers a failure to make a proposal.
func (h *handler) proposalError(w http.ResponseWriter, r *http.Request, status int, err error) {
	switch status {
	case http.StatusNotFound:
		widget.WriteError(w, status, CodeCalculationNotFound, "Расчёт не найден в этой сделке: сохраните расчёт и попробуйте снова")
	case http.StatusUnprocessableEntity:
		widget.WriteError(w, status, CodePartyNotFound, "Этого клиента нет в сделке: выберите контакт или компанию из списка")
	case http.StatusBadGateway:
		h.crmError(w, r, "", err)
	default:
		h.storeError(w, r, "make proposal", err)
	}
}

// newProposal renders the proposal of a saved calculation and records it, not yet attached.
// On failure it returns the HTTP status that says whose fault it is.
func (h *handler) newProposal(ctx context.Context, pc ProposalCRM, t widget.Ticket, req proposalRequest, s proposal.Settings) (proposal.Issued, int, error) {
	calcs, err := h.calcs.List(ctx, t.Account, t.LeadID, 0)
	if err != nil {
		return proposal.Issued{}, http.StatusServiceUnavailable, err
	}
	var calc *Calculation
	for i := range calcs {
		if calcs[i].ID == req.CalculationID {
			calc = &calcs[i]
		}
	}
	if calc == nil {
		return proposal.Issued{}, http.StatusNotFound, errors.New("no such calculation")
	}
	parties, err := pc.Parties(ctx, t.LeadID)
	if err != nil {
		return proposal.Issued{}, http.StatusBadGateway, err
	}
	var client *Party
	for i := range parties {
		if parties[i].Key == req.Party {
			client = &parties[i]
		}
	}
	if client == nil {
		return proposal.Issued{}, http.StatusUnprocessableEntity, errors.New("party not on the lead")
	}
	manager, err := pc.Manager(ctx, t.UserID)
	if err != nil { // the proposal is still worth making; it says less
		h.log.LogAttrs(ctx, slog.LevelWarn, "calculator: reading the manager for a proposal", slog.String("error", err.Error()))
	}
	n, err := h.proposals.Registry.Count(ctx, t.Account, t.LeadID)
	if err != nil {
		return proposal.Issued{}, http.StatusServiceUnavailable, err
	}
	loc := h.proposals.Location
	if loc == nil {
		loc = moscow.Location
	}
	now := time.Now().In(loc)
	q := calc.Quote
	q.Order = calc.Order
	p := &proposal.Proposal{
		Number: fmt.Sprintf("%d-%d", t.LeadID, n+1), Date: now, ValidUntil: now.AddDate(0, 0, s.ValidDays),
		Shop: s.Shop, Client: proposal.Party{Name: client.Name, Phone: client.Phone, Email: client.Email},
		Manager: manager, VATPercent: s.VATPercent, Quote: &q,
	}
	var buf bytes.Buffer
	if err := proposal.Render(&buf, p); err != nil {
		return proposal.Issued{}, http.StatusInternalServerError, err
	}
	rec := proposal.Issued{Account: t.Account, LeadID: t.LeadID, CalculationID: calc.ID, Party: req.Party,
		Number: p.Number, FileName: "КП-" + p.Number + ".pdf", PDF: buf.Bytes(), CreatedAt: now}
	if err := h.proposals.Registry.Record(ctx, rec); err != nil {
		return proposal.Issued{}, http.StatusServiceUnavailable, err
	}
	return rec, 0, nil
}

// attach does what is left of attaching rec to its lead, recording each step, and on failure
// names the step in Russian.
func (h *handler) attach(ctx context.Context, pc ProposalCRM, rec *proposal.Issued) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, h.saveTimeout)
	defer cancel()
	steps := []struct {
		name string
		done func() bool
		do   func() error
	}{
		{"загрузить файл в amoCRM", func() bool { return rec.FileUUID != "" }, func() error {
			f, err := pc.UploadFile(ctx, rec.FileName, "application/pdf", rec.PDF)
			rec.FileUUID, rec.VersionUUID = f.UUID, f.VersionUUID
			return err
		}},
		{"прикрепить файл к сделке", func() bool { return rec.Linked }, func() error {
			err := pc.LinkFile(ctx, rec.LeadID, rec.FileUUID)
			rec.Linked = err == nil
			return err
		}},
		{"добавить примечание со ссылкой на файл", func() bool { return rec.Noted }, func() error {
			err := pc.AddFileNote(ctx, rec.LeadID, FileRef{rec.FileUUID, rec.VersionUUID}, rec.FileName)
			rec.Noted = err == nil
			return err
		}},
	}
	for _, s := range steps {
		if s.done() {
			continue
		}
		if err := s.do(); err != nil {
			return s.name, err
		}
		if err := h.proposals.Registry.Record(ctx, *rec); err != nil {
			return "записать ход прикрепления", err
		}
	}
	return "", nil
}

func (h *handler) downloadProposal(w http.ResponseWriter, r *http.Request) {
	t, ok := leadOfTicket(w, r)
	if !ok {
		return
	}
	rec, err := h.proposals.Registry.ByNumber(r.Context(), t.Account, t.LeadID, r.PathValue("number"))
	if errors.Is(err, proposal.ErrNotIssued) {
		widget.WriteError(w, http.StatusNotFound, widget.CodeNotFound, "Такого КП в этой сделке нет")
		return
	}
	if err != nil {
		h.storeError(w, r, "download proposal", err)
		return
	}
	h.log.LogAttrs(r.Context(), slog.LevelDebug, "calculator: proposal downloaded", slog.String("number", rec.Number))
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="proposal-`+rec.Number+`.pdf"; filename*=UTF-8''`+url.PathEscape(rec.FileName))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(rec.PDF)
}
