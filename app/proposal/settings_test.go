package proposal_test

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/app/proposal/proposaltest"
)

func TestSettings_Validate(t *testing.T) {
	t.Parallel()
	good := proposal.Settings{Shop: proposal.Shop{Name: "ООО «Стекло»", INN: "7707083893", Email: "zakaz@steklo.example"},
		VATPercent: 20, ValidDays: 14}
	require.NoError(t, good.Validate())
	sole := good
	sole.Shop.INN = "500100732259"
	require.NoError(t, sole.Validate(), "a sole trader's 12-digit INN")

	bad := proposal.Settings{Shop: proposal.Shop{INN: "7707083894", Email: "not mail", Logo: []byte("GIF89a")},
		VATPercent: 18, ValidDays: 0}
	err := bad.Validate()
	var serr *proposal.SettingsError
	require.ErrorAs(t, err, &serr)
	fields := map[string]bool{}
	for _, p := range serr.Problems {
		fields[p.Field] = true
		assert.NotEmpty(t, p.Message)
	}
	assert.Equal(t, map[string]bool{"name": true, "inn": true, "email": true, "vat_percent": true, "valid_days": true, "logo": true}, fields)
	for _, inn := range []string{"770708389", "77070838931", "77O7083893", "500100732258"} {
		s := good
		s.Shop.INN = inn
		assert.Error(t, s.Validate(), inn)
	}
}

// settingsServer serves the settings page; allowed decides every request.
func settingsServer(t *testing.T, allowed *bool) (*httptest.Server, *proposal.MemorySettings) {
	t.Helper()
	store := &proposal.MemorySettings{}
	h, err := proposal.NewSettingsHandler(proposal.SettingsConfig{Store: store,
		Allow: func(*http.Request) bool { return *allowed }, CSRF: func(*http.Request) string { return "csrf-1" }})
	require.NoError(t, err)
	srv := httptest.NewServer(http.StripPrefix("/admin/proposal", h))
	t.Cleanup(srv.Close)
	return srv, store
}

func multipartForm(t *testing.T, fields map[string]string, logo []byte) (string, *bytes.Buffer) {
	t.Helper()
	ct, body := proposaltest.SettingsForm(t, fields, logo)
	return ct, bytes.NewBuffer(body)
}

func TestSettingsPage_saveShowsEveryProblemAndKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	allowed := true
	srv, store := settingsServer(t, &allowed)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	base := srv.URL + "/admin/proposal/"

	ct, body := multipartForm(t, map[string]string{"name": "", "inn": "123", "vat_percent": "20", "valid_days": "две недели",
		"address": "Москва, ул. <Лесная>"}, nil)
	resp, err := client.Post(base, ct, body)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	for _, want := range []string{"Исправьте: 3", "укажите название магазина", "ИНН — 10 цифр", "целое число дней",
		`value="Москва, ул. &lt;Лесная&gt;"`, `aria-describedby="name-error"`} {
		assert.Contains(t, string(page), want)
	}
	_, err = store.Settings(t.Context())
	assert.ErrorIs(t, err, proposal.ErrNoSettings, "nothing saved")

	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	var logo bytes.Buffer
	require.NoError(t, png.Encode(&logo, img))
	ct, body = multipartForm(t, map[string]string{"name": "ООО «Стекло»", "inn": "7707083893", "vat_percent": "0",
		"valid_days": "30", "phone": "+7 495 000-00-00"}, logo.Bytes())
	resp, err = client.Post(base, ct, body)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	got, err := store.Settings(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "ООО «Стекло»", got.Shop.Name)
	assert.Equal(t, 30, got.ValidDays)
	assert.Equal(t, logo.Bytes(), got.Shop.Logo)

	// A save without a new file keeps the logo; an invalid file keeps it too.
	ct, body = multipartForm(t, map[string]string{"name": "ООО «Стекло-2»", "vat_percent": "20", "valid_days": "14"}, []byte("not an image"))
	resp, err = client.Post(base, ct, body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	ct, body = multipartForm(t, map[string]string{"name": "ООО «Стекло-2»", "vat_percent": "20", "valid_days": "14"}, nil)
	resp, err = client.Post(base, ct, body)
	require.NoError(t, err)
	resp.Body.Close()
	got, _ = store.Settings(t.Context())
	assert.Equal(t, "ООО «Стекло-2»", got.Shop.Name)
	assert.Equal(t, logo.Bytes(), got.Shop.Logo)

	resp, err = client.Get(base + "logo")
	require.NoError(t, err)
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, logo.Bytes(), served)
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))

	ct, body = multipartForm(t, map[string]string{"name": "ООО «Стекло-2»", "vat_percent": "20", "valid_days": "14", "remove_logo": "1"}, nil)
	resp, err = client.Post(base, ct, body)
	require.NoError(t, err)
	resp.Body.Close()
	got, _ = store.Settings(t.Context())
	assert.Empty(t, got.Shop.Logo)
}

func TestSettingsPage_refusedWithoutAdmin(t *testing.T) {
	t.Parallel()
	allowed := false
	srv, store := settingsServer(t, &allowed)
	resp, err := http.PostForm(srv.URL+"/admin/proposal/", url.Values{"name": {"Чужой"}, "vat_percent": {"0"}, "valid_days": {"1"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	for _, path := range []string{"", "logo"} {
		resp, err := http.Get(srv.URL + "/admin/proposal/" + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	}
	_, err = store.Settings(t.Context())
	assert.ErrorIs(t, err, proposal.ErrNoSettings)
	_, err = proposal.NewSettingsHandler(proposal.SettingsConfig{})
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "Allow"))
}
