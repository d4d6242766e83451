package calculator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

// DefaultSaveTimeout bounds the amoCRM writes of one save_calculation unless
// Config.SaveTimeout says otherwise.
const DefaultSaveTimeout = time.Minute

// Error codes of the calculator's endpoints, besides those of package widget.
const (
	CodeInvalidOrder      = "invalid_order"          // the glass order is invalid (fields say where)
	CodeLeadNotFound      = "lead_not_found"         // amoCRM has no such lead
	CodeCRMUnavailable    = "crm_unavailable"        // amoCRM failed or could not be reached
	CodePartialSave       = "partial_save"           // some writes of a save failed (parts say which)
	CodeSaveInProgress    = "save_in_progress"       // the same save runs in another request
	CodeIdempotencyReused = "idempotency_key_reused" // the key was used for another order
	CodeUnknownPriceList  = "unknown_price_list"     // no price list has the requested version
)

// Config is what NewHandler needs: the widget kit's Config and the calculator's own fields.
// Fields marked required must be set; the rest have defaults.
type Config struct {
	// Config is the widget backend the calculator is served by (see widget.Config). Its
	// Endpoints are the calculator's: NewHandler sets them, and refuses a Config that has any.
	widget.Config

	// Calculations keeps saved calculations. Required.
	Calculations CalculationStore
	// PriceList prices every order: glass.DefaultPriceList() is the shipped one. Set it or
	// Prices, not both.
	PriceList *glass.PriceList
	// Prices gives the current price list and older versions by name, for a shop that
	// publishes new prices while the server runs (a *pricelist.Live). Set it or PriceList.
	Prices PriceSource
	// CRMFor returns the CRM of an account: AmoCRMClients.CRM, usually. Required.
	CRMFor CRMSource

	// Proposals, when set, serves commercial proposals (КП) of saved calculations; the CRM must
	// be a ProposalCRM to attach them.
	Proposals *Proposals

	// SaveTimeout bounds the amoCRM writes of one save; 0 means DefaultSaveTimeout. The writes
	// run to the end (or to this timeout) even when the browser goes away, so that their outcome
	// is recorded.
	SaveTimeout time.Duration
}

// handler serves the calculator's endpoints.
type handler struct {
	calcs       CalculationStore
	prices      PriceSource
	crm         CRMSource
	saveTimeout time.Duration
	log         *slog.Logger
	saves       keyLocks
	proposals   *Proposals
	ahead       prefetches // start's cards read ahead, by ticket
}

// NewHandler returns the calculator's backend: the widget kit's endpoints (widget.NewHandler)
// and the calculator's, all behind the session ticket.
//
//	GET  /widget/api?action=get_lead       the lead's card
//	GET  /widget/api?action=start          the lead's card and its calculations, at once
//	POST /widget/api  save_calculation     price, note and products written to the lead
//	POST /widget/calculate                 an order's quote; nothing saved
//	GET  /widget/leads/{id}/calculations   the saved calculations of the ticket's lead
//
// It returns an error naming every problem of cfg.
func NewHandler(cfg Config) (http.Handler, error) {
	var errs []error
	problem := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if e := cfg.Endpoints; e.Routes != nil || e.GetActions != nil || e.PostActions != nil {
		problem("Endpoints are the calculator's own; leave them empty")
	}
	if err := cfg.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	if cfg.Calculations == nil {
		problem("Calculations is nil")
	}
	switch {
	case cfg.PriceList == nil && cfg.Prices == nil:
		problem("PriceList and Prices are nil: set one")
	case cfg.PriceList != nil && cfg.Prices != nil:
		problem("PriceList and Prices are both set: set one")
	case cfg.PriceList != nil:
		if err := cfg.PriceList.Validate(); err != nil {
			problem("PriceList: %w", err)
		}
		cfg.Prices = StaticPrices(cfg.PriceList)
	}
	if cfg.CRMFor == nil {
		problem("CRMFor is nil")
	}
	if p := cfg.Proposals; p != nil && (p.Settings == nil || p.Registry == nil) {
		problem("Proposals needs Settings and Registry")
	}
	if cfg.SaveTimeout < 0 {
		problem("SaveTimeout %v is negative", cfg.SaveTimeout)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("calculator: invalid Config: %w", errors.Join(errs...))
	}

	h := &handler{
		calcs:       cfg.Calculations,
		prices:      cfg.Prices,
		crm:         cfg.CRMFor,
		saveTimeout: cfg.SaveTimeout,
		proposals:   cfg.Proposals,
		log:         cfg.Logger,
	}
	if h.saveTimeout == 0 {
		h.saveTimeout = DefaultSaveTimeout
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	kit := cfg.Config
	kit.Endpoints = widget.Endpoints{
		Routes: map[string]http.Handler{
			"POST /widget/calculate":              http.HandlerFunc(h.calculate),
			"GET /widget/leads/{id}/calculations": http.HandlerFunc(h.listCalculations),
		},
		GetActions:  map[string]http.Handler{"get_lead": http.HandlerFunc(h.getLead), "start": http.HandlerFunc(h.start)},
		PostActions: map[string]http.Handler{"save_calculation": http.HandlerFunc(h.saveCalculation)},
		OpenLead:    h.openLead,
		Prefetch:    h.prefetch,
	}
	if h.proposals != nil {
		h.proposalRoutes(kit.Endpoints.Routes)
	}
	return widget.NewHandler(kit)
}

// openLead is the kit's Endpoints.OpenLead: it reads the lead through the account's CRM under
// ctx, which acts as the card's user, with one request when the CRM can. AmoCRM's keeps what it
// read for the card that the session's prefetch reads next.
func (h *handler) openLead(ctx context.Context, account string, leadID int64) error {
	crm, err := h.crm(ctx, account)
	if err != nil {
		return err
	}
	if lo, ok := crm.(leadOpener); ok {
		err = lo.openLead(ctx, leadID)
	} else if sc, ok := crm.(SaveChecker); ok {
		_, err = sc.LeadPrice(ctx, leadID)
	} else {
		_, err = crm.Lead(ctx, leadID)
	}
	if errors.Is(err, ErrLeadNotFound) {
		return fmt.Errorf("%w: %w", widget.ErrLeadNotVisible, err)
	}
	return err
}

// crmError answers a failure of the CRM source or a CRM read, logging the cause.
func (h *handler) crmError(w http.ResponseWriter, r *http.Request, account string, err error) {
	switch {
	case errors.Is(err, widget.ErrNotConnected), errors.Is(err, oauth.ErrReauthorizationRequired), errors.Is(err, tokenstore.ErrNotFound):
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "calculator: account not connected", slog.String("account", account), slog.String("error", err.Error()))
		widget.WriteError(w, http.StatusConflict, widget.CodeNotConnected, "Аккаунт amoCRM не подключён к калькулятору: администратору нужно подключить его заново")
	case errors.Is(err, ErrLeadNotFound):
		widget.WriteError(w, http.StatusNotFound, CodeLeadNotFound, "Сделка не найдена в amoCRM")
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The browser went away; nobody reads the answer.
		widget.WriteError(w, http.StatusServiceUnavailable, CodeCRMUnavailable, "Запрос отменён")
	default:
		h.log.LogAttrs(r.Context(), slog.LevelError, "calculator: amoCRM request failed", slog.String("account", account), slog.String("error", err.Error()))
		widget.WriteError(w, http.StatusBadGateway, CodeCRMUnavailable, "amoCRM не ответил как ожидалось; попробуйте ещё раз")
	}
}

// storeError answers a failure of the calculation store, logging the cause.
func (h *handler) storeError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "calculator: store failed", slog.String("op", what), slog.String("error", err.Error()))
	widget.WriteError(w, http.StatusServiceUnavailable, widget.CodeStoreUnavailable, "Хранилище недоступно; попробуйте позже")
}
