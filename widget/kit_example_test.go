package widget_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/amokit/amokit/widget"
)

func ExampleBuildArchive() {
	var buf bytes.Buffer
	err := widget.BuildArchive(&buf, widget.ArchiveConfig{
		ServerURL: "https://calc.example.com",
		Version:   "1.0.0",
		Text:      map[string]widget.LocaleText{"en": {Name: "Acme glass calculator"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("check:", widget.CheckArchive(bytes.NewReader(buf.Bytes()), int64(buf.Len())))
	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	for _, f := range zr.File {
		fmt.Println(f.Name)
	}
	// Output:
	// check: <nil>
	// manifest.json
	// script.js
	// i18n/ru.json
	// i18n/en.json
	// images/logo.png
	// images/logo_main.png
	// images/logo_medium.png
	// images/logo_min.png
	// images/logo_small.png
}

func ExampleRequireDisposableToken() {
	now := time.Now()
	cfg := widget.VerifierConfig{
		RedirectURI: "https://calc.example.com/amocrm/oauth",
		Secrets: func(ctx context.Context, account, clientID string) (widget.AccountSecret, error) {
			// From the account's own connection in the store.
			if account == "acme.amocrm.ru" && clientID == "0b0197b6-6bd9-4d5a-8a83-7c2f2f6f1a11" {
				return widget.AccountSecret{Secret: "the-integration-client-secret", AccountID: 123456}, nil
			}
			return widget.AccountSecret{}, widget.ErrUnknownClient
		},
	}
	session := widget.RequireDisposableToken(cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := widget.CallerFrom(r.Context())
		fmt.Fprintf(w, "user %d of account %d (%s)", c.UserID, c.AccountID, c.Account)
	}))

	// What amoCRM's $authorizedAjax sends in X-Auth-Token.
	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://acme.amocrm.ru", "aud": "https://calc.example.com",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(30 * time.Minute).Unix(),
		"account_id": 123456, "user_id": 987654, "subdomain": "acme",
		"client_uuid": "0b0197b6-6bd9-4d5a-8a83-7c2f2f6f1a11",
	}).SignedString([]byte("the-integration-client-secret"))

	for _, tok := range []string{token, token[:len(token)-4] + "AAAA"} {
		r := httptest.NewRequest(http.MethodPost, "/widget/session", nil)
		r.Header.Set("X-Auth-Token", tok)
		w := httptest.NewRecorder()
		session.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 user 987654 of account 123456 (acme.amocrm.ru)
	// 401 {"error":{"code":"token_signature","message":"the token's signature does not match"}}
}

func ExampleTicketSigner() {
	signer, err := widget.NewTicketSigner([]byte("a server key of at least 32 bytes!"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ticket := signer.Sign(widget.Ticket{Account: "acme.amocrm.ru", AccountID: 123456, UserID: 987654, LeadID: 4242})

	got, err := signer.Verify(ticket)
	fmt.Println(got.Account, got.LeadID, time.Until(got.Expires).Round(time.Minute), err)

	// A ticket signed to end earlier than the TTL keeps that end; this one is already over.
	over := signer.Sign(widget.Ticket{Account: "acme.amocrm.ru", AccountID: 123456, UserID: 987654, LeadID: 4242,
		Expires: time.Now().Add(-time.Second)})
	_, err = signer.Verify(over)
	fmt.Println(err)
	// Output:
	// acme.amocrm.ru 4242 15m0s <nil>
	// widget: session ticket expired
}

func ExampleAllowedOrigin() {
	for _, o := range []string{
		"https://acme.amocrm.ru",
		"https://acme.kommo.com",
		"http://acme.amocrm.ru",
		"https://acme.amocrm.ru.evil.com",
		"https://evilamocrm.ru",
	} {
		fmt.Println(o, widget.AllowedOrigin(o))
	}
	// Output:
	// https://acme.amocrm.ru true
	// https://acme.kommo.com true
	// http://acme.amocrm.ru false
	// https://acme.amocrm.ru.evil.com false
	// https://evilamocrm.ru false
}

func ExampleFrameAncestors() {
	page := widget.FrameAncestors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY") // dropped: amoCRM must be able to frame the page
		fmt.Fprint(w, "<p>calculator</p>")
	}), "https://calc.example.com")
	w := httptest.NewRecorder()
	page.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/widget/app", nil))
	fmt.Println(w.Header().Get("Content-Security-Policy"))
	fmt.Printf("X-Frame-Options: %q\n", w.Header().Get("X-Frame-Options"))
	// Output:
	// frame-ancestors https://*.amocrm.ru https://*.amocrm.com https://*.kommo.com https://calc.example.com
	// X-Frame-Options: ""
}

func ExampleWriteError() {
	w := httptest.NewRecorder()
	widget.WriteError(w, http.StatusUnprocessableEntity, "invalid_order", "the order has problems",
		widget.FieldError{Path: "items[0].width_mm", Message: "must be between 100 and 3000"})
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 422 {"error":{"code":"invalid_order","message":"the order has problems","fields":[{"path":"items[0].width_mm","message":"must be between 100 and 3000"}]}}
}
