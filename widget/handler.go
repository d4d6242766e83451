package widget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
)

// MaxBodySize is the largest request body the endpoints read; a larger one is refused with 413
// body_too_large.
const MaxBodySize = 64 << 10

// DefaultSaveTimeout bounds the amoCRM writes of one save_calculation unless
// Config.SaveTimeout says otherwise.
const DefaultSaveTimeout = time.Minute

// minAdminToken is the shortest admin token NewHandler accepts.
const minAdminToken = 32

// CallbackPath and RevokePath are where the handler serves amoCRM's OAuth redirect and its
// disconnect hook. Config.OAuth.RedirectURL must point at CallbackPath.
const (
	CallbackPath = "/oauth/callback"
	RevokePath   = "/oauth/revoke"
)

// Error codes of the endpoints, besides those of errors.go.
const (
	CodeNotFound          = "not_found"              // no such endpoint
	CodeMethodNotAllowed  = "method_not_allowed"     // the endpoint exists, not for this method
	CodeBodyTooLarge      = "body_too_large"         // the body is over MaxBodySize
	CodeInvalidJSON       = "invalid_json"           // the body is not the JSON expected
	CodeUnknownAction     = "unknown_action"         // ?action= or "action" names nothing
	CodeInvalidRequest    = "invalid_request"        // a field of the request is wrong (fields say which)
	CodeInvalidOrder      = "invalid_order"          // the glass order is invalid (fields say where)
	CodeNotConnected      = "not_connected"          // the account has no usable OAuth connection
	CodeLeadNotFound      = "lead_not_found"         // amoCRM has no such lead
	CodeCRMUnavailable    = "crm_unavailable"        // amoCRM failed or could not be reached
	CodeStoreUnavailable  = "store_unavailable"      // the connection or calculation store failed
	CodePartialSave       = "partial_save"           // some writes of a save failed (parts say which)
	CodeSaveInProgress    = "save_in_progress"       // the same save runs in another request
	CodeIdempotencyReused = "idempotency_key_reused" // the key was used for another order
	CodeAdminTokenMissing = "admin_token_missing"    // save_connection without a bearer token
	CodeAdminTokenInvalid = "admin_token_invalid"    // save_connection with a wrong token
	CodeAdminDisabled     = "admin_disabled"         // the server has no admin token configured
	CodeInvalidConnection = "invalid_connection"     // save_connection's fields are wrong
)

// Config is what NewHandler needs. Fields marked required must be set; the rest have defaults.
type Config struct {
	// PublicURL is the absolute https (or, for development, http) URL at which browsers reach
	// this handler, without a trailing path: "https://calc.example.com". The iframe URL is
	// PublicURL + "/widget/calculator?ticket=…". Required.
	PublicURL string

	// TicketKey signs session tickets (HMAC-SHA256): at least MinTicketKeySize secret random
	// bytes, the same on every replica. Required.
	TicketKey []byte
	// TicketTTL is how long a session ticket lives; 0 means DefaultTicketTTL.
	TicketTTL time.Duration

	// OAuth is the integration. RedirectURL is required and must be PublicURL + CallbackPath
	// (the handler serves the callback there); its scheme and host are the audience of the
	// disposable tokens. ClientID and ClientSecret are the default integration, used for accounts
	// whose connection brings none; they may be empty when every account is connected through
	// save_connection. AuthURL, BaseURL and HTTPClient are passed on (tests point them at
	// amocrmtest).
	OAuth oauth.Config
	// States makes and checks the consent flow's state. Required.
	States *oauth.States
	// ConsentMode is the mode of the consent URLs save_connection answers; "" means
	// oauth.ModePostMessage (the consent window reports to the admin page that opened it).
	ConsentMode oauth.Mode
	// OAuthReturnURL is where a person lands after the callback outside post_message mode
	// (oauth.CallbackHandler.ReturnURL); optional.
	OAuthReturnURL string
	// OnConnect and OnRevoke, when set, are called after the callback and after amoCRM's
	// disconnect hook (see oauth.CallbackHandler.OnResult and oauth.RevokeHandler.OnRevoke).
	OnConnect func(ctx context.Context, r oauth.Result)
	OnRevoke  func(ctx context.Context, account string)

	// Connections keeps the accounts' OAuth connections (client id and secret, tokens). Required.
	Connections tokenstore.Store
	// Calculations keeps saved calculations. Required.
	Calculations CalculationStore
	// PriceList prices orders. Required; glass.DefaultPriceList() is the shipped one.
	PriceList *glass.PriceList
	// CRMFor returns the CRM of an account: AmoCRMClients.CRM, usually. Required.
	CRMFor CRMSource

	// AdminToken authorises save_connection ("Authorization: Bearer <AdminToken>"): at least 32
	// characters of secret random text. Empty disables save_connection (403 admin_disabled).
	AdminToken string

	// CalculatorPage serves GET /widget/calculator, the page inside the iframe (its ticket is in
	// the query). The handler adds the frame-ancestors policy, no-store and no-referrer. To serve
	// a file of an fs.FS, use
	// http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.ServeFileFS(w, r, fsys, "calculator.html") }).
	// Required.
	CalculatorPage http.Handler
	// FrameAncestors are origins, besides amoCRM and Kommo accounts, that may frame the
	// calculator page (see FrameAncestorsPolicy), such as a demo page's origin.
	FrameAncestors []string

	// SaveTimeout bounds the amoCRM writes of one save; 0 means DefaultSaveTimeout. The writes
	// run to the end (or to this timeout) even when the browser goes away, so that their outcome
	// is recorded.
	SaveTimeout time.Duration

	// Logger receives warnings and errors (never a token, a secret or a ticket); nil means none.
	Logger *slog.Logger
	// Now is the clock for tickets, disposable tokens and saves; nil means time.Now.
	Now func() time.Time
}

// handler is the http.Handler NewHandler returns.
type handler struct {
	mux         *http.ServeMux
	public      string // PublicURL without a trailing slash
	signer      *TicketSigner
	oauth       oauth.Config
	states      *oauth.States
	consentMode oauth.Mode
	conns       tokenstore.Store
	calcs       CalculationStore
	prices      *glass.PriceList
	crm         CRMSource
	adminToken  string
	saveTimeout time.Duration
	log         *slog.Logger
	now         func() time.Time
	saves       keyLocks
}

// NewHandler returns the widget backend: the endpoints of the HTTP contract, routed with Go 1.22
// patterns.
//
//	OPTIONS, POST /widget/session          disposable token (X-Auth-Token), CORS for account pages
//	GET  /widget/calculator?ticket=…       the iframe page (Config.CalculatorPage), frame-ancestors
//	GET  /widget/api?action=get_lead       session ticket
//	POST /widget/api  save_calculation     session ticket
//	POST /widget/api  save_connection      admin token
//	POST /widget/calculate                 session ticket
//	GET  /widget/leads/{id}/calculations   session ticket for that lead
//	GET  /oauth/callback                   oauth.CallbackHandler
//	GET, POST /oauth/revoke                oauth.RevokeHandler
//
// Every error is JSON in the shape of WriteError, bodies are capped at MaxBodySize, and no answer
// ever holds an access or refresh token or a client secret. It returns an error naming every
// problem of cfg.
func NewHandler(cfg Config) (http.Handler, error) {
	h, err := newHandler(cfg)
	if err != nil {
		return nil, err
	}
	return h, nil
}

func newHandler(cfg Config) (*handler, error) {
	var errs []error
	problem := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	public := strings.TrimSuffix(cfg.PublicURL, "/")
	if u, err := url.Parse(public); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		problem("PublicURL %q is not an absolute http(s) URL", cfg.PublicURL)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	opts := []TicketOption{WithTicketClock(now)}
	if cfg.TicketTTL != 0 {
		opts = append(opts, WithTicketTTL(cfg.TicketTTL))
	}
	signer, err := NewTicketSigner(cfg.TicketKey, opts...)
	if err != nil {
		errs = append(errs, err)
	}
	if u, err := url.Parse(cfg.OAuth.RedirectURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		problem("OAuth.RedirectURL %q is not an absolute http(s) URL", cfg.OAuth.RedirectURL)
	} else if !strings.HasSuffix(u.Path, CallbackPath) {
		problem("OAuth.RedirectURL %q must end in %s, where the handler serves the callback", cfg.OAuth.RedirectURL, CallbackPath)
	}
	if (cfg.OAuth.ClientID == "") != (cfg.OAuth.ClientSecret == "") {
		problem("OAuth.ClientID and OAuth.ClientSecret must be set together")
	}
	if cfg.States == nil {
		problem("States is nil")
	}
	mode := cfg.ConsentMode
	switch mode {
	case "":
		mode = oauth.ModePostMessage
	case oauth.ModePopup, oauth.ModePostMessage:
	default:
		problem("ConsentMode %q is neither %q nor %q", cfg.ConsentMode, oauth.ModePopup, oauth.ModePostMessage)
	}
	if cfg.Connections == nil {
		problem("Connections is nil")
	}
	if cfg.Calculations == nil {
		problem("Calculations is nil")
	}
	if cfg.PriceList == nil {
		problem("PriceList is nil")
	} else if err := cfg.PriceList.Validate(); err != nil {
		problem("PriceList: %w", err)
	}
	if cfg.CRMFor == nil {
		problem("CRMFor is nil")
	}
	if cfg.AdminToken != "" && len(cfg.AdminToken) < minAdminToken {
		problem("AdminToken is shorter than %d characters", minAdminToken)
	}
	if cfg.CalculatorPage == nil {
		problem("CalculatorPage is nil")
	}
	if _, err := FrameAncestorsPolicy(cfg.FrameAncestors...); err != nil {
		errs = append(errs, err)
	}
	if cfg.SaveTimeout < 0 {
		problem("SaveTimeout %v is negative", cfg.SaveTimeout)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("widget: invalid Config: %w", errors.Join(errs...))
	}

	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{
		mux:         http.NewServeMux(),
		public:      public,
		signer:      signer,
		oauth:       cfg.OAuth,
		states:      cfg.States,
		consentMode: mode,
		conns:       cfg.Connections,
		calcs:       cfg.Calculations,
		prices:      cfg.PriceList,
		crm:         cfg.CRMFor,
		adminToken:  cfg.AdminToken,
		saveTimeout: orDefault(cfg.SaveTimeout, DefaultSaveTimeout),
		log:         logger,
		now:         now,
	}
	verifier := VerifierConfig{RedirectURI: cfg.OAuth.RedirectURL, Secrets: h.clientSecret, Now: now}
	if err := verifier.Validate(); err != nil {
		return nil, fmt.Errorf("widget: invalid Config: %w", err)
	}

	session := CORS(RequireDisposableToken(verifier, http.HandlerFunc(h.session)))
	h.mux.Handle("OPTIONS /widget/session", session)
	h.mux.Handle("POST /widget/session", session)
	h.mux.Handle("GET /widget/calculator", FrameAncestors(pageHeaders(cfg.CalculatorPage), cfg.FrameAncestors...))
	h.mux.Handle("GET /widget/api", RequireTicket(signer, http.HandlerFunc(h.getAPI)))
	h.mux.HandleFunc("POST /widget/api", h.postAPI)
	h.mux.Handle("POST /widget/calculate", RequireTicket(signer, http.HandlerFunc(h.calculate)))
	h.mux.Handle("GET /widget/leads/{id}/calculations", RequireTicket(signer, http.HandlerFunc(h.listCalculations)))
	h.mux.Handle("GET "+CallbackPath, &oauth.CallbackHandler{
		Config: cfg.OAuth, States: cfg.States, Store: cfg.Connections, ReturnURL: cfg.OAuthReturnURL,
		OnResult: cfg.OnConnect, Logger: cfg.Logger, Now: now,
	})
	revoke := &oauth.RevokeHandler{Config: cfg.OAuth, Store: cfg.Connections, OnRevoke: cfg.OnRevoke, Logger: cfg.Logger}
	h.mux.Handle("GET "+RevokePath, revoke)
	h.mux.Handle("POST "+RevokePath, revoke)
	return h, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// ServeHTTP routes r. Paths the mux does not know, and methods it does not serve, get JSON
// errors like every other answer.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.noRoute(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// noRoute answers 404 or 405 as the mux would, in JSON. The mux's own answer is computed on a
// recorder (its 404 and 405 handlers have no side effects) to learn which and the Allow header.
func (h *handler) noRoute(w http.ResponseWriter, r *http.Request) {
	rec := &headerRecorder{header: http.Header{}}
	inner, _ := h.mux.Handler(r)
	inner.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusMethodNotAllowed:
		if allow := rec.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		WriteError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "Метод не поддерживается этим адресом")
	case http.StatusMovedPermanently, http.StatusPermanentRedirect, http.StatusTemporaryRedirect, http.StatusFound:
		// The mux cleans paths ("//widget/api") with a redirect; pass that on.
		if loc := rec.header.Get("Location"); loc != "" {
			w.Header().Set("Location", loc)
		}
		w.WriteHeader(rec.status)
	default:
		WriteError(w, http.StatusNotFound, CodeNotFound, "Такого адреса нет")
	}
}

// headerRecorder keeps the status and header of an answer and drops its body.
type headerRecorder struct {
	header http.Header
	status int
}

func (r *headerRecorder) Header() http.Header { return r.header }
func (r *headerRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *headerRecorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return len(p), nil
}

// pageHeaders marks the calculator page as not to be cached, and keeps its URL (which holds the
// ticket) out of Referer headers sent to anything the page loads.
func pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// readBody reads r's body up to MaxBodySize. On failure it has answered (413 or 400) and
// returns false.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			WriteError(w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, fmt.Sprintf("Тело запроса больше %d КиБ", MaxBodySize>>10))
			return nil, false
		}
		WriteError(w, http.StatusBadRequest, CodeInvalidJSON, "Тело запроса не удалось прочитать")
		return nil, false
	}
	return body, true
}

// decodeJSON reads body into v, answering 400 invalid_json when it is not JSON of the right
// shape. Unknown fields are ignored.
func decodeJSON(w http.ResponseWriter, body []byte, v any) bool {
	if len(body) == 0 {
		WriteError(w, http.StatusBadRequest, CodeInvalidJSON, "Пустое тело запроса: ожидается JSON")
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		WriteError(w, http.StatusBadRequest, CodeInvalidJSON, "Тело запроса не является JSON нужного вида")
		return false
	}
	return true
}

// writeFieldErrors writes an error answer with field errors:
// {"error":{"code","message","fields":[{"path","message"}]}}.
func writeFieldErrors(w http.ResponseWriter, status int, code, message string, fields ...FieldError) {
	WriteError(w, status, code, message, fields...)
}

// writeJSON writes v with status, marked no-store and nosniff.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, CodeInternal, "Внутренняя ошибка сервера")
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// getAPI serves GET /widget/api?action=….
func (h *handler) getAPI(w http.ResponseWriter, r *http.Request) {
	switch action := r.URL.Query().Get("action"); action {
	case "get_lead":
		h.getLead(w, r)
	default:
		WriteError(w, http.StatusBadRequest, CodeUnknownAction, "Неизвестное действие: ожидается action=get_lead")
	}
}

// apiRequest is the body of POST /widget/api: every action's fields.
type apiRequest struct {
	Action         string           `json:"action"`
	IdempotencyKey string           `json:"idempotency_key"`
	Order          json.RawMessage  `json:"order"`
	Connection     *connectionInput `json:"connection"`
}

// postAPI serves POST /widget/api. The action decides who may call: save_calculation needs the
// session ticket, save_connection the admin token, so the body is read first.
func (h *handler) postAPI(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req apiRequest
	if !decodeJSON(w, body, &req) {
		return
	}
	switch req.Action {
	case "save_calculation":
		RequireTicket(h.signer, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.saveCalculation(w, r, req)
		})).ServeHTTP(w, r)
	case "save_connection":
		h.saveConnection(w, r, req)
	default:
		WriteError(w, http.StatusBadRequest, CodeUnknownAction, "Неизвестное действие: ожидается save_calculation или save_connection")
	}
}

// crmError answers a failure of the CRM source or a CRM read, logging the cause.
func (h *handler) crmError(w http.ResponseWriter, r *http.Request, account string, err error) {
	switch {
	case errors.Is(err, ErrNotConnected), errors.Is(err, oauth.ErrReauthorizationRequired), errors.Is(err, tokenstore.ErrNotFound):
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "widget: account not connected", slog.String("account", account), slog.String("error", err.Error()))
		WriteError(w, http.StatusConflict, CodeNotConnected, "Аккаунт amoCRM не подключён к калькулятору: администратору нужно подключить его заново")
	case errors.Is(err, ErrLeadNotFound):
		WriteError(w, http.StatusNotFound, CodeLeadNotFound, "Сделка не найдена в amoCRM")
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The browser went away; nobody reads the answer.
		WriteError(w, http.StatusServiceUnavailable, CodeCRMUnavailable, "Запрос отменён")
	default:
		h.log.LogAttrs(r.Context(), slog.LevelError, "widget: amoCRM request failed", slog.String("account", account), slog.String("error", err.Error()))
		WriteError(w, http.StatusBadGateway, CodeCRMUnavailable, "amoCRM не ответил как ожидалось; попробуйте ещё раз")
	}
}

// storeError answers a failure of a store, logging the cause.
func (h *handler) storeError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "widget: store failed", slog.String("op", what), slog.String("error", err.Error()))
	WriteError(w, http.StatusServiceUnavailable, CodeStoreUnavailable, "Хранилище недоступно; попробуйте позже")
}
