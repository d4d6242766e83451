package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/amokit/amokit/internal/httpx"
)

// ConnectFunc saves an integration's credentials for an account and returns the account host
// and the consent page URL to send the person to. An error's message is shown on the page only
// when it is a refusal from the widget backend (as WidgetConnector returns them); any other error
// is logged and the page says the save failed.
type ConnectFunc func(ctx context.Context, domain, clientID, clientSecret string) (account, authURL string, err error)

// connectError is a refusal of save_connection, worded for the admin page.
type connectError struct {
	Message string
	Fields  map[string]string // form field → problem
}

func (e *connectError) Error() string { return e.Message }

// WidgetConnector is the ConnectFunc of a widget backend h (widget.NewHandler or a handler built
// on it): it calls h's save_connection in process, with the admin token as the widget backend
// wants it. The admin page authenticates people with its session cookie and never hands the
// token to the browser.
func WidgetConnector(h http.Handler, adminToken string) ConnectFunc {
	return func(ctx context.Context, domain, clientID, clientSecret string) (string, string, error) {
		body, err := json.Marshal(map[string]any{
			"action":     "save_connection",
			"connection": map[string]string{"domain": domain, "client_id": clientID, "client_secret": clientSecret},
		})
		if err != nil {
			return "", "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/widget/api", bytes.NewReader(body))
		if err != nil {
			return "", "", err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+adminToken)
		var answer bytes.Buffer
		rec := &httpx.Recorder{Body: &answer}
		h.ServeHTTP(rec, req)
		var out struct {
			OK      bool   `json:"ok"`
			Account string `json:"account"`
			AuthURL string `json:"auth_url"`
			Error   *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Fields  []struct {
					Field   string `json:"field"`
					Path    string `json:"path"`
					Message string `json:"message"`
				} `json:"fields"`
			} `json:"error"`
		}
		if err := json.Unmarshal(answer.Bytes(), &out); err != nil {
			return "", "", fmt.Errorf("save_connection answered %d with a body that is not JSON", rec.Status)
		}
		if rec.Status == http.StatusOK && out.OK && out.AuthURL != "" {
			return out.Account, out.AuthURL, nil
		}
		if out.Error == nil {
			return "", "", fmt.Errorf("save_connection answered %d without an error", rec.Status)
		}
		if rec.Status >= 500 {
			return "", "", fmt.Errorf("save_connection answered %d %s", rec.Status, out.Error.Code)
		}
		ce := &connectError{Message: out.Error.Message, Fields: map[string]string{}}
		for _, f := range out.Error.Fields {
			path := f.Field
			if path == "" {
				path = f.Path
			}
			ce.Fields[strings.TrimPrefix(path, "connection.")] = f.Message
		}
		return "", "", ce
	}
}
