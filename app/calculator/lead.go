package calculator

import (
	"net/http"

	"github.com/amokit/amokit/widget"
)

// leadResponse is the answer of get_lead.
type leadResponse struct {
	Lead LeadCard `json:"lead"`
}

// getLead serves GET /widget/api?action=get_lead: the card of the ticket's lead.
func (h *handler) getLead(w http.ResponseWriter, r *http.Request) {
	t, ok := widget.TicketFrom(r.Context())
	if !ok {
		widget.WriteError(w, http.StatusUnauthorized, widget.CodeTicketMissing, "Нет сессии калькулятора")
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
