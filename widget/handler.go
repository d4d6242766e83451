package widget

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/amokit/amokit/internal/httpx"
	"github.com/amokit/amokit/internal/throttle"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
)

// MaxBodySize is the largest request body the endpoints read; a larger one is refused with 413
// body_too_large.
const MaxBodySize = 64 << 10

// minAdminToken is the shortest admin token NewHandler accepts.
const minAdminToken = 32

// CallbackPath and RevokePath are where the handler serves amoCRM's OAuth redirect and its
// disconnect hook. Config.OAuth.RedirectURL must point at CallbackPath. PagePath is where it
// serves the page the widget frames (Config.Page); the session answer's iframe URL points there.
const (
	CallbackPath = "/oauth/callback"
	RevokePath   = "/oauth/revoke"
	PagePath     = "/widget/page"
)

// Error codes of the endpoints, besides those of errors.go.
const (
	CodeNotFound          = "not_found"           // no such endpoint
	CodeMethodNotAllowed  = "method_not_allowed"  // the endpoint exists, not for this method
	CodeBodyTooLarge      = "body_too_large"      // the body is over MaxBodySize
	CodeInvalidJSON       = "invalid_json"        // the body is not the JSON expected
	CodeUnknownAction     = "unknown_action"      // ?action= or "action" names nothing
	CodeInvalidRequest    = "invalid_request"     // a field of the request is wrong (fields say which)
	CodeNotConnected      = "not_connected"       // the account has no usable OAuth connection
	CodeStoreUnavailable  = "store_unavailable"   // a store of the backend failed
	CodeAdminTokenMissing = "admin_token_missing" // save_connection without a bearer token
	CodeAdminTokenInvalid = "admin_token_invalid" // save_connection with a wrong token
	CodeAdminDisabled     = "admin_disabled"      // the server has no admin token configured
	CodeTooManyAttempts   = "too_many_attempts"   // too many wrong admin tokens from this client; see Retry-After
	CodeInvalidConnection = "invalid_connection"  // save_connection's fields are wrong
	CodeLeadNotFound      = "lead_not_found"      // amoCRM does not show the lead to the card's user
	CodeLeadForbidden     = "lead_forbidden"      // amoCRM refused to act as the card's user
	CodeCRMUnavailable    = "crm_unavailable"     // amoCRM failed or could not be reached
)

// ErrNotConnected is what a lookup of an account's connection returns (possibly wrapped) when the
// account has no usable OAuth connection; an administrator must connect it (save_connection, then
// the consent page). Match it with errors.Is.
var ErrNotConnected = errors.New("widget: the account is not connected")

// ErrLeadNotVisible is what Endpoints.OpenLead returns (possibly wrapped) for a lead that does not
// exist or that amoCRM does not show to the user; an amocrm.ErrNotFound means the same.
var ErrLeadNotVisible = errors.New("widget: the lead is not visible to the user")

// Endpoints are an application's endpoints, which the handler of NewHandler serves beside its
// own. Every one of them is served behind RequireTicket: its handler reads the session's ticket
// with TicketFrom.
type Endpoints struct {
	// Routes maps http.ServeMux patterns, such as "POST /widget/calculate", to their handlers.
	Routes map[string]http.Handler
	// GetActions maps the actions of GET /widget/api?action=<name> to their handlers.
	GetActions map[string]http.Handler
	// PostActions maps the actions of POST /widget/api {"action":"<name>",…} to their handlers;
	// "save_connection" is the handler's own. The body, at most MaxBodySize, has been read to
	// find the action; the handler reads it again from r.Body.
	PostActions map[string]http.Handler
	// OpenLead is asked by POST /widget/session before a ticket is issued. ctx acts as the
	// card's user (amocrm.AsUser): OpenLead reads the lead through the account's client and
	// returns nil when amoCRM shows it. An error matching ErrLeadNotVisible or
	// amocrm.ErrNotFound gives 404 lead_not_found, amocrm.ErrBlocked or amocrm.ErrUnauthorized
	// 403 lead_forbidden, ErrNotConnected 409 not_connected, anything else 502 crm_unavailable;
	// no ticket either way. Nil issues tickets without asking amoCRM: an application that reads
	// or writes the lead must set it.
	OpenLead func(ctx context.Context, account string, leadID int64) error
	// Prefetch, when set, is told of a ticket as soon as it is known to be in use: once
	// POST /widget/session has issued it (before the answer is written), and whenever
	// GET /widget/page is asked for with it. An application starts there the amoCRM reads
	// that its first request with the ticket will need, so that they run while the browser
	// creates the frame and loads the page. ctx carries the ticket and acts as its user, like a
	// request's (ContextWithTicket), and is not cancelled when the request ends. Prefetch must
	// return at once and keep what it reads for that ticket only.
	Prefetch func(ctx context.Context, t Ticket)
}

// Config is what NewHandler needs. Fields marked required must be set; the rest have defaults.
type Config struct {
	// PublicURL is the absolute https (or, for development, http) URL at which browsers reach
	// this handler, without a trailing path: "https://calc.example.com". The iframe URL is
	// PublicURL + PagePath + "?ticket=…". Required.
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

	// AdminToken authorises save_connection ("Authorization: Bearer <AdminToken>"): at least 32
	// characters of secret random text. Empty disables save_connection (403 admin_disabled).
	AdminToken string

	// Page serves GET /widget/page, the page the widget frames in the lead card (its ticket
	// is in the query). The handler adds the frame-ancestors policy, no-store and no-referrer. To
	// serve a file of an fs.FS, use
	// http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.ServeFileFS(w, r, fsys, "page.html") }).
	// Required.
	Page http.Handler
	// FrameAncestors are origins, besides amoCRM and Kommo accounts, that may frame the
	// application's page (see FrameAncestorsPolicy), such as a demo page's origin.
	FrameAncestors []string

	// Endpoints are the application's endpoints (see Endpoints); optional.
	Endpoints Endpoints

	// Logger receives warnings and errors (never a token, a secret or a ticket); nil means none.
	Logger *slog.Logger
}

// handler is the http.Handler NewHandler returns.
type handler struct {
	mux           *http.ServeMux
	public        string // PublicURL without a trailing slash
	signer        *TicketSigner
	oauth         oauth.Config
	states        *oauth.States
	consentMode   oauth.Mode
	conns         tokenstore.Store
	adminToken    string
	log           *slog.Logger
	getActions    map[string]http.Handler
	postActions   map[string]http.Handler
	openLead      func(ctx context.Context, account string, leadID int64) error
	prefetch      func(ctx context.Context, t Ticket)
	adminFailures throttle.Failures // wrong admin tokens per client
}

// NewHandler returns a widget backend: the endpoints of the HTTP contract, routed with Go 1.22
// patterns, and the application's Config.Endpoints.
//
//	OPTIONS, POST /widget/session          disposable token (X-Auth-Token), CORS for account pages
//	GET  /widget/page?ticket=…             the iframe page (Config.Page), frame-ancestors
//	GET  /widget/api?action=<name>         session ticket (Endpoints.GetActions)
//	POST /widget/api  <name>               session ticket (Endpoints.PostActions)
//	POST /widget/api  save_connection      admin token
//	<Endpoints.Routes>                     session ticket
//	GET  /oauth/callback                   oauth.CallbackHandler
//	GET, POST /oauth/revoke                oauth.RevokeHandler
//
// Every error is JSON in the shape of WriteError, bodies are capped at MaxBodySize, and no answer
// ever holds an access or refresh token or a client secret. It returns an error naming every
// problem of cfg.
func NewHandler(cfg Config) (http.Handler, error) {
	h, err := newHandler(cfg)
	if err != nil {
		return nil, fmt.Errorf("widget: invalid Config: %w", err)
	}
	return h, nil
}

// Validate reports every problem of cfg at once, as NewHandler would.
func (cfg Config) Validate() error {
	_, err := newHandler(cfg)
	return err
}

func newHandler(cfg Config) (*handler, error) {
	var errs []error
	problem := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	public := strings.TrimSuffix(cfg.PublicURL, "/")
	if _, ok := httpx.BaseURL(public); !ok {
		problem("PublicURL %q is not an absolute http(s) URL", cfg.PublicURL)
	}
	var opts []TicketOption
	if cfg.TicketTTL != 0 {
		opts = append(opts, WithTicketTTL(cfg.TicketTTL))
	}
	signer, err := NewTicketSigner(cfg.TicketKey, opts...)
	if err != nil {
		errs = append(errs, err)
	}
	if u, ok := httpx.AbsoluteURL(cfg.OAuth.RedirectURL); !ok {
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
	if cfg.AdminToken != "" && len(cfg.AdminToken) < minAdminToken {
		problem("AdminToken is shorter than %d characters", minAdminToken)
	}
	if cfg.Page == nil {
		problem("Page is nil")
	}
	if _, err := FrameAncestorsPolicy(cfg.FrameAncestors...); err != nil {
		errs = append(errs, err)
	}
	if err := checkRoutes(cfg.Endpoints.Routes); err != nil {
		errs = append(errs, err)
	}
	if _, ok := cfg.Endpoints.PostActions[actionSaveConnection]; ok {
		problem("Endpoints.PostActions: %q is the handler's own action", actionSaveConnection)
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Endpoints.GetActions)) {
		if cfg.Endpoints.GetActions[name] == nil {
			problem("Endpoints.GetActions: %q has a nil handler", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Endpoints.PostActions)) {
		if cfg.Endpoints.PostActions[name] == nil {
			problem("Endpoints.PostActions: %q has a nil handler", name)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
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
		adminToken:  cfg.AdminToken,
		log:         logger,
		getActions:  map[string]http.Handler{},
		postActions: map[string]http.Handler{},
		openLead:    cfg.Endpoints.OpenLead,
		prefetch:    cfg.Endpoints.Prefetch,
	}
	verifier := VerifierConfig{RedirectURI: cfg.OAuth.RedirectURL, Secrets: h.clientSecret}
	if err := verifier.Validate(); err != nil {
		return nil, err
	}
	for name, next := range cfg.Endpoints.GetActions {
		h.getActions[name] = RequireTicket(signer, next)
	}
	for name, next := range cfg.Endpoints.PostActions {
		h.postActions[name] = RequireTicket(signer, next)
	}

	session := CORS(RequireDisposableToken(verifier, http.HandlerFunc(h.session)))
	h.mux.Handle("OPTIONS /widget/session", session)
	h.mux.Handle("POST /widget/session", session)
	h.mux.Handle("GET "+PagePath, FrameAncestors(pageHeaders(h.prefetchPage(cfg.Page)), cfg.FrameAncestors...))
	h.mux.Handle("GET /widget/api", RequireTicket(signer, http.HandlerFunc(h.getAPI)))
	h.mux.HandleFunc("POST /widget/api", h.postAPI)
	for pattern, next := range cfg.Endpoints.Routes {
		h.mux.Handle(pattern, RequireTicket(signer, next))
	}
	h.mux.Handle("GET "+CallbackPath, &oauth.CallbackHandler{
		Config: cfg.OAuth, States: cfg.States, Store: cfg.Connections, ReturnURL: cfg.OAuthReturnURL,
		OnResult: cfg.OnConnect, Logger: cfg.Logger,
	})
	revoke := &oauth.RevokeHandler{Config: cfg.OAuth, Store: cfg.Connections, OnRevoke: cfg.OnRevoke, Logger: cfg.Logger}
	h.mux.Handle("GET "+RevokePath, revoke)
	h.mux.Handle("POST "+RevokePath, revoke)
	return h, nil
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
	rec := &httpx.Recorder{} // the body is dropped
	inner, _ := h.mux.Handler(r)
	inner.ServeHTTP(rec, r)
	switch rec.Status {
	case http.StatusMethodNotAllowed:
		if allow := rec.Header().Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		WriteError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "Метод не поддерживается этим адресом")
	case http.StatusMovedPermanently, http.StatusPermanentRedirect, http.StatusTemporaryRedirect, http.StatusFound:
		// The mux cleans paths ("//widget/api") with a redirect; pass that on.
		if loc := rec.Header().Get("Location"); loc != "" {
			w.Header().Set("Location", loc)
		}
		w.WriteHeader(rec.Status)
	default:
		WriteError(w, http.StatusNotFound, CodeNotFound, "Такого адреса нет")
	}
}

// pageHeaders marks the framed page as not to be cached, and keeps its URL (which holds the
// ticket) out of Referer headers sent to anything the page loads.
// prefetchPage tells Endpoints.Prefetch of the page's ticket, when it has a valid one, and
// serves the page either way.
func (h *handler) prefetchPage(next http.Handler) http.Handler {
	if h.prefetch == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if raw := r.URL.Query().Get("ticket"); raw != "" {
			if t, err := h.signer.Verify(raw); err == nil {
				h.prefetch(ContextWithTicket(context.WithoutCancel(r.Context()), t), t)
			}
		}
		next.ServeHTTP(w, r)
	})
}

func pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// ReadBody reads r's body up to MaxBodySize. On failure it has answered (413 body_too_large or
// 400 invalid_json) and returns false.
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
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

// DecodeJSON reads body into v, answering 400 invalid_json when it is not JSON of the right
// shape, and reports whether it succeeded. Unknown fields are ignored.
func DecodeJSON(w http.ResponseWriter, body []byte, v any) bool {
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

// WriteJSON writes v as JSON with status, marked no-store and nosniff.
func WriteJSON(w http.ResponseWriter, status int, v any) {
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

// ownPatterns are the patterns the handler serves itself.
func ownPatterns() []string {
	return []string{
		"OPTIONS /widget/session", "POST /widget/session", "GET " + PagePath, "GET /widget/api", "POST /widget/api",
		"GET " + CallbackPath, "GET " + RevokePath, "POST " + RevokePath,
	}
}

// checkRoutes reports the application's patterns that are invalid or that conflict with the
// handler's own, which http.ServeMux would panic on.
func checkRoutes(routes map[string]http.Handler) error {
	mux := http.NewServeMux()
	for _, p := range ownPatterns() {
		mux.Handle(p, http.NotFoundHandler())
	}
	var errs []error
	for _, p := range slices.Sorted(maps.Keys(routes)) {
		func() {
			defer func() {
				if v := recover(); v != nil {
					errs = append(errs, fmt.Errorf("Endpoints.Routes: %v", v))
				}
			}()
			if routes[p] == nil {
				panic(fmt.Sprintf("%q has a nil handler", p))
			}
			mux.Handle(p, routes[p])
		}()
	}
	return errors.Join(errs...)
}

// actionSaveConnection is the handler's own action of POST /widget/api.
const actionSaveConnection = "save_connection"

// getAPI serves GET /widget/api?action=….
func (h *handler) getAPI(w http.ResponseWriter, r *http.Request) {
	next, ok := h.getActions[r.URL.Query().Get("action")]
	if !ok {
		WriteError(w, http.StatusBadRequest, CodeUnknownAction, "Неизвестное действие: ожидается "+actionList(h.getActions, "action="))
		return
	}
	next.ServeHTTP(w, r)
}

// apiRequest is the body of POST /widget/api: the action, and the fields of the handler's own.
type apiRequest struct {
	Action     string           `json:"action"`
	Connection *connectionInput `json:"connection"`
}

// postAPI serves POST /widget/api. The action decides who may call: the application's actions
// need the session ticket, save_connection the admin token, so the body is read first.
func (h *handler) postAPI(w http.ResponseWriter, r *http.Request) {
	body, ok := ReadBody(w, r)
	if !ok {
		return
	}
	var req apiRequest
	if !DecodeJSON(w, body, &req) {
		return
	}
	if req.Action == actionSaveConnection {
		h.saveConnection(w, r, req)
		return
	}
	next, ok := h.postActions[req.Action]
	if !ok {
		names := maps.Clone(h.postActions)
		names[actionSaveConnection] = nil
		WriteError(w, http.StatusBadRequest, CodeUnknownAction, "Неизвестное действие: ожидается "+actionList(names, ""))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	next.ServeHTTP(w, r)
}

// actionList names the actions for an error message: "a или b", each after prefix.
func actionList(actions map[string]http.Handler, prefix string) string {
	names := slices.Sorted(maps.Keys(actions))
	for i, n := range names {
		names[i] = prefix + n
	}
	return strings.Join(names, " или ")
}

// notConnected answers 409 not_connected, logging the cause.
func (h *handler) notConnected(w http.ResponseWriter, r *http.Request, account string, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "widget: account not connected", slog.String("account", account), slog.String("error", err.Error()))
	WriteError(w, http.StatusConflict, CodeNotConnected, "Аккаунт amoCRM не подключён к виджету: администратору нужно подключить его заново")
}

// storeError answers a failure of a store, logging the cause.
func (h *handler) storeError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "widget: store failed", slog.String("op", what), slog.String("error", err.Error()))
	WriteError(w, http.StatusServiceUnavailable, CodeStoreUnavailable, "Хранилище недоступно; попробуйте позже")
}
