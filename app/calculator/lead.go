package calculator

import (
	"context"
	"net/http"
	"sync"

	"github.com/amokit/amokit/widget"
)

// ticket returns the session ticket the request was let in with, or answers 401 when there is
// none (a route registered without the ticket check).
func ticket(w http.ResponseWriter, r *http.Request) (widget.Ticket, bool) {
	t, ok := widget.TicketFrom(r.Context())
	if !ok {
		widget.WriteError(w, http.StatusUnauthorized, widget.CodeTicketMissing, "Нет сессии калькулятора")
	}
	return t, ok
}

// leadResponse is the answer of get_lead.
type leadResponse struct {
	Lead LeadCard `json:"lead"`
}

// getLead serves GET /widget/api?action=get_lead: the card of the ticket's lead.
func (h *handler) getLead(w http.ResponseWriter, r *http.Request) {
	t, ok := ticket(w, r)
	if !ok {
		return
	}
	crm, err := h.crm(r.Context(), t.Account)
	if err != nil {
		h.crmError(w, r, t.Account, err)
		return
	}
	card, err := crm.Lead(r.Context(), t.LeadID)
	if err != nil {
		h.crmError(w, r, t.Account, err)
		return
	}
	if card.Products == nil {
		card.Products = []LeadProduct{}
	}
	widget.WriteJSON(w, http.StatusOK, leadResponse{Lead: card})
}

// startResponse is the answer of start: everything the calculator shows when it opens.
type startResponse struct {
	Lead         LeadCard          `json:"lead"`
	Calculations []calculationView `json:"calculations"`
}

// start serves GET /widget/api?action=start: the card of the ticket's lead and its saved
// calculations in one answer, read at the same time, so the calculator opens after one request
// (the price list comes with its page). The card is the one read ahead for the ticket since the
// session or the page (prefetch.go) when there is one.
func (h *handler) start(w http.ResponseWriter, r *http.Request) {
	t, ok := ticket(w, r)
	if !ok {
		return
	}
	crm, err := h.crm(r.Context(), t.Account)
	if err != nil {
		h.crmError(w, r, t.Account, err)
		return
	}
	var views []calculationView
	var listErr error
	var wg sync.WaitGroup
	wg.Go(func() { views, listErr = h.calculationViews(r.Context(), t.Account, t.LeadID) })
	card, ok := h.prefetchedCard(r.Context(), t)
	if !ok {
		card, err = crm.Lead(r.Context(), t.LeadID)
	}
	wg.Wait()
	if err != nil {
		h.crmError(w, r, t.Account, err)
		return
	}
	if listErr != nil {
		h.storeError(w, r, "list calculations", listErr)
		return
	}
	if card.Products == nil {
		card.Products = []LeadProduct{}
	}
	widget.WriteJSON(w, http.StatusOK, startResponse{Lead: card, Calculations: views})
	// After the answer, so that it never delays the start, and as the ticket's user like the
	// start's reads: what the first save will need, kept by the CRM.
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), prefetchTimeout)
		defer cancel()
		saverDetails(ctx, crm, t.UserID)
		if cw, ok := crm.(catalogWarmer); ok {
			cw.warmCatalog(ctx)
		}
	}()
}
