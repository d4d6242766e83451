package calculator

import (
	"context"
	"net/http"
	"strconv"

	"github.com/amokit/amokit/widget"
)

// maxListed is how many calculations GET /widget/leads/{id}/calculations returns at most.
const maxListed = 100

// calculate serves POST /widget/calculate behind widget.RequireTicket: the body is a glass order, the
// answer its quote in the glass wire format. ?price_list=<version> prices it with that version of
// the price list (a reopened calculation's), the current one by default. Nothing is saved or sent
// to amoCRM.
func (h *handler) calculate(w http.ResponseWriter, r *http.Request) {
	body, ok := widget.ReadBody(w, r)
	if !ok {
		return
	}
	_, q, ok := h.quote(w, r, body, r.URL.Query().Get("price_list"))
	if !ok {
		return
	}
	widget.WriteJSON(w, http.StatusOK, q)
}

// calculationsResponse is the answer of GET /widget/leads/{id}/calculations.
type calculationsResponse struct {
	Calculations []calculationView `json:"calculations"`
}

// listCalculations serves GET /widget/leads/{id}/calculations behind widget.RequireTicket: the saved
// calculations of the ticket's lead, newest first. A path naming another lead is refused with
// 403 ticket_mismatch.
func (h *handler) listCalculations(w http.ResponseWriter, r *http.Request) {
	t, ok := ticket(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		widget.WriteError(w, http.StatusNotFound, widget.CodeNotFound, "Такой сделки нет")
		return
	}
	if id != t.LeadID {
		widget.WriteError(w, http.StatusForbidden, widget.CodeTicketMismatch, "Сессия открыта для другой сделки")
		return
	}
	views, err := h.calculationViews(r.Context(), t.Account, id)
	if err != nil {
		h.storeError(w, r, "list calculations", err)
		return
	}
	widget.WriteJSON(w, http.StatusOK, calculationsResponse{Calculations: views})
}

// calculationViews returns the newest maxListed calculations of a lead, newest first, numbered
// in the lead from its first.
func (h *handler) calculationViews(ctx context.Context, account string, leadID int64) ([]calculationView, error) {
	calcs, err := h.calcs.List(ctx, account, leadID, 0)
	if err != nil {
		return nil, err
	}
	shown := calcs[:min(len(calcs), maxListed)]
	out := make([]calculationView, len(shown))
	for i, c := range shown {
		v := viewOf(c)
		v.Number = len(calcs) - i
		out[i] = v
	}
	return out, nil
}
