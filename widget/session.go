package widget

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
)

// sessionRequest is the body of POST /widget/session.
type sessionRequest struct {
	LeadID int64 `json:"lead_id"`
}

// sessionResponse is the answer of POST /widget/session.
type sessionResponse struct {
	Ticket    string `json:"ticket"`
	IframeURL string `json:"iframe_url"`
	ExpiresAt string `json:"expires_at"` // RFC 3339
	// ExpiresIn is the ticket's lifetime in seconds, for a browser to renew it on its own clock.
	ExpiresIn int64 `json:"expires_in"`
}

// session serves POST /widget/session behind RequireDisposableToken: it issues a ticket for the
// caller's account, user and lead, once the account is known to be connected.
func (h *handler) session(w http.ResponseWriter, r *http.Request) {
	caller, ok := CallerFrom(r.Context())
	if !ok {
		WriteError(w, http.StatusUnauthorized, CodeTokenMissing, "Нет проверенного токена amoCRM")
		return
	}
	body, ok := ReadBody(w, r)
	if !ok {
		return
	}
	var req sessionRequest
	if !DecodeJSON(w, body, &req) {
		return
	}
	if req.LeadID <= 0 {
		writeFieldErrors(w, http.StatusUnprocessableEntity, CodeInvalidRequest, "Нужен id сохранённой сделки",
			FieldError{Path: "lead_id", Message: "должен быть положительным числом"})
		return
	}
	conn, err := h.conns.Load(r.Context(), caller.Account)
	switch {
	case errors.Is(err, tokenstore.ErrNotFound):
		h.notConnected(w, r, caller.Account, fmt.Errorf("%w: no connection", ErrNotConnected))
		return
	case err != nil:
		h.storeError(w, r, "load connection", err)
		return
	case conn.ReauthRequired || conn.RefreshToken == "":
		h.notConnected(w, r, caller.Account, fmt.Errorf("%w: the connection has no usable tokens", ErrNotConnected))
		return
	}
	// The ticket lets its user read and write the lead through the connection: first ask amoCRM,
	// as that user, whether the user may see it at all.
	if !h.leadVisible(w, r, caller, req.LeadID) {
		return
	}
	ticket := h.signer.Sign(Ticket{Account: caller.Account, AccountID: caller.AccountID, UserID: caller.UserID, LeadID: req.LeadID})
	t, err := h.signer.Verify(ticket)
	if err != nil { // cannot happen: the ticket was signed a moment ago
		h.log.LogAttrs(r.Context(), slog.LevelError, "widget: a fresh ticket does not verify", slog.String("error", err.Error()))
		WriteError(w, http.StatusInternalServerError, CodeInternal, "Внутренняя ошибка сервера")
		return
	}
	if h.prefetch != nil {
		h.prefetch(ContextWithTicket(context.WithoutCancel(r.Context()), t), t)
	}
	WriteJSON(w, http.StatusOK, sessionResponse{
		Ticket:    ticket,
		IframeURL: h.public + PagePath + "?ticket=" + url.QueryEscape(ticket),
		ExpiresAt: t.Expires.UTC().Format(time.RFC3339),
		ExpiresIn: int64(h.signer.TTL() / time.Second),
	})
}

// leadVisible asks the application's Endpoints.OpenLead, as the caller's user
// (X-Context-User-ID), whether the user may open the lead, and answers the refusal itself.
func (h *handler) leadVisible(w http.ResponseWriter, r *http.Request, caller *Caller, leadID int64) bool {
	if h.openLead == nil {
		return true
	}
	err := h.openLead(amocrm.AsUser(r.Context(), caller.UserID), caller.Account, leadID)
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrNotConnected), errors.Is(err, oauth.ErrReauthorizationRequired), errors.Is(err, tokenstore.ErrNotFound):
		h.notConnected(w, r, caller.Account, err)
	case errors.Is(err, ErrLeadNotVisible), errors.Is(err, amocrm.ErrNotFound):
		WriteError(w, http.StatusNotFound, CodeLeadNotFound, "Сделка не найдена в amoCRM, или у вас нет права её видеть. Откройте виджет из карточки своей сделки")
	case errors.Is(err, amocrm.ErrBlocked), errors.Is(err, amocrm.ErrUnauthorized):
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "widget: amoCRM refused the lead to its user",
			slog.String("account", caller.Account), slog.Int64("user_id", caller.UserID), slog.Int64("lead_id", leadID), slog.String("error", err.Error()))
		WriteError(w, http.StatusForbidden, CodeLeadForbidden, "amoCRM не даёт вам доступа к этой сделке. Если права у вас есть, попросите администратора аккаунта переподключить виджет от своего имени: действовать от имени сотрудника amoCRM разрешает только доступ, выданный администратором")
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		WriteError(w, http.StatusServiceUnavailable, CodeCRMUnavailable, "Запрос отменён")
	default:
		h.log.LogAttrs(r.Context(), slog.LevelError, "widget: reading the lead as its user failed",
			slog.String("account", caller.Account), slog.String("error", err.Error()))
		WriteError(w, http.StatusBadGateway, CodeCRMUnavailable, "amoCRM не ответил как ожидалось; попробуйте ещё раз")
	}
	return false
}

// clientSecret is the SecretLookup of the disposable-token check. It reads only the connection of
// the account the token names (one indexed row, so a row that cannot be opened breaks only its
// own account) and answers its integration's secret when the token names that integration: the
// connection's own, or the default integration's for a connection that brings none. An account
// without a connection is known only to the default integration, so that the card can say "not
// connected" rather than "bad token".
func (h *handler) clientSecret(ctx context.Context, account, clientID string) (AccountSecret, error) {
	isDefault := h.oauth.ClientID != "" && clientID == h.oauth.ClientID
	conn, err := h.conns.Load(ctx, account)
	switch {
	case errors.Is(err, tokenstore.ErrNotFound):
		if isDefault {
			return AccountSecret{Secret: h.oauth.ClientSecret}, nil
		}
		return AccountSecret{}, ErrUnknownClient
	case err != nil:
		return AccountSecret{}, err
	}
	switch {
	case conn.ClientID == clientID && conn.ClientSecret != "":
		return AccountSecret{Secret: conn.ClientSecret, AccountID: conn.AccountID}, nil
	case conn.ClientID == "" && isDefault:
		return AccountSecret{Secret: h.oauth.ClientSecret, AccountID: conn.AccountID}, nil
	}
	return AccountSecret{}, ErrUnknownClient
}
