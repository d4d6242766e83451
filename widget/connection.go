package widget

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/internal/throttle"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
)

// connectionInput is the "connection" of save_connection.
type connectionInput struct {
	Domain       string `json:"domain"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// connectionResponse is the answer of save_connection. It never holds the secret.
type connectionResponse struct {
	OK      bool   `json:"ok"`
	Account string `json:"account"`
	AuthURL string `json:"auth_url"`
}

// maxSecretLength bounds a client secret; amoCRM's are 64 characters.
const maxSecretLength = 256

// saveConnection serves POST /widget/api {"action":"save_connection"}: an administrator stores an
// account's integration (client id and secret; tokens come with the consent) and gets the consent
// URL, with a fresh state, to continue.
func (h *handler) saveConnection(w http.ResponseWriter, r *http.Request, req apiRequest) {
	if !h.requireAdmin(w, r) {
		return
	}
	in := req.Connection
	if in == nil {
		in = &connectionInput{}
	}
	domain := strings.ToLower(strings.TrimSpace(in.Domain))
	clientID := strings.TrimSpace(in.ClientID)
	secret := strings.TrimSpace(in.ClientSecret)
	var fields []FieldError
	if _, err := amocrm.ParseDomain(domain); err != nil {
		fields = append(fields, FieldError{Path: "connection.domain", Message: "нужен адрес аккаунта вида company.amocrm.ru или company.kommo.com"})
	}
	if !validClientID(clientID) {
		fields = append(fields, FieldError{Path: "connection.client_id", Message: "нужен ID интеграции (UUID из настроек интеграции)"})
	}
	if secret == "" || len(secret) > maxSecretLength || !printableASCII(secret) {
		fields = append(fields, FieldError{Path: "connection.client_secret", Message: "нужен секретный ключ интеграции"})
	}
	if len(fields) > 0 {
		writeFieldErrors(w, http.StatusUnprocessableEntity, CodeInvalidConnection, "Данные подключения заполнены с ошибками", fields...)
		return
	}

	if err := h.storeConnection(r.Context(), domain, clientID, secret); err != nil {
		h.storeError(w, r, "save connection", err)
		return
	}
	state, err := h.states.New(oauth.StateData{Account: domain, Mode: h.consentMode})
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "widget: making an OAuth state failed", slog.String("error", err.Error()))
		WriteError(w, http.StatusInternalServerError, CodeInternal, "Внутренняя ошибка сервера")
		return
	}
	oc := h.oauth
	oc.ClientID, oc.ClientSecret = clientID, ""
	if oc.AuthURL == "" {
		oc.AuthURL = oauth.AuthURLFor(domain)
	}
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "widget: connection saved", slog.String("account", domain), slog.String("client_id", clientID))
	WriteJSON(w, http.StatusOK, connectionResponse{OK: true, Account: domain, AuthURL: oc.AuthCodeURL(state, h.consentMode)})
}

// storeConnection saves the account's integration under the store's lock when it has one, so
// that it cannot race a token refresh. Saving the same integration again keeps the tokens; a
// different one drops them, since they belong to the old integration.
func (h *handler) storeConnection(ctx context.Context, account, clientID, secret string) error {
	save := func(ctx context.Context) error {
		conn, err := h.conns.Load(ctx, account)
		switch {
		case errors.Is(err, tokenstore.ErrNotFound):
			conn = &tokenstore.Connection{Account: account}
		case err != nil:
			return err
		case conn.ClientID == clientID && conn.ClientSecret == secret:
			return nil // the same integration: keep its tokens
		default:
			conn = &tokenstore.Connection{Account: account, AccountID: conn.AccountID}
		}
		conn.ClientID, conn.ClientSecret = clientID, secret
		return h.conns.Save(ctx, conn)
	}
	if l, ok := h.conns.(tokenstore.Locker); ok {
		return l.WithLock(ctx, account, save)
	}
	return save(ctx)
}

// requireAdmin checks "Authorization: Bearer <admin token>" in constant time, answering 401 or
// 403 itself when it does not match.
func (h *handler) requireAdmin(w http.ResponseWriter, r *http.Request) bool {
	if h.adminToken == "" {
		WriteError(w, http.StatusForbidden, CodeAdminDisabled, "Подключение аккаунтов выключено на этом сервере")
		return false
	}
	client := throttle.ClientKey(r)
	if wait, ok := h.adminFailures.Allow(client); !ok {
		w.Header().Set("Retry-After", throttle.RetryAfter(wait))
		WriteError(w, http.StatusTooManyRequests, CodeTooManyAttempts, "Слишком много неверных попыток; повторите позже")
		return false
	}
	auth := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		WriteError(w, http.StatusUnauthorized, CodeAdminTokenMissing, "Нужен токен администратора (Authorization: Bearer)")
		return false
	}
	// Hashing first makes the comparison independent of the lengths too.
	got, want := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(h.adminToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		if n, log := h.adminFailures.Fail(client); log {
			h.log.LogAttrs(r.Context(), slog.LevelWarn, "widget: wrong admin token on save_connection",
				slog.String("client", client), slog.Int("failures", n))
		}
		WriteError(w, http.StatusForbidden, CodeAdminTokenInvalid, "Неверный токен администратора")
		return false
	}
	h.adminFailures.Succeed(client)
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
