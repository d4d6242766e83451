package widget

import (
	"archive/zip"
	"bytes"
	_ "embed" // script.js
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/amokit/amokit/internal/httpx"
)

// ArchiveName is the file name amoCRM expects for the widget upload.
const ArchiveName = "widget.zip"

// scriptTemplate is assets/script.js; the build replaces scriptPlaceholder in it.
//
//go:embed assets/script.js
var scriptTemplate []byte

// scriptPlaceholder is the JavaScript string literal in script.js that becomes the default
// server URL.
const scriptPlaceholder = `"__AMOKIT_DEFAULT_API_URL__"`

// archiveLocales are the languages of the widget, in manifest order.
func archiveLocales() []string { return []string{"ru", "en"} }

// archiveModTime is the modification time of every entry, so that equal configs give equal
// bytes.
func archiveModTime() time.Time { return time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC) }

// LocaleText holds the widget's texts in one language: what amoCRM shows of the widget and the
// messages script.js shows in the lead card. Every field is optional: an empty one gets the kit's
// neutral text in that language («Виджет», "Widget", «Загрузка…», …), so a first build needs no
// texts at all; an application names itself by filling them in.
type LocaleText struct {
	Name             string // the widget's name in amoCRM's widget list and the card block's title
	ShortDescription string // one line, shown beside the logo in the install modal
	Description      string // the install modal's text; amoCRM allows HTML and #SUBDOMAIN#-style placeholders
	ServerSetting    string // the label of the api_url setting, the server's https address

	// The messages of the card block.
	Loading  string // while the session is asked for
	Error    string // above the server's message when the session fails
	Retry    string // the retry button
	NoServer string // when api_url is empty and the archive has no ServerURL
	// NotConnected, Stale and Refused say what to do when the server refuses the session;
	// "{admin}" in NotConnected becomes the server's admin page (<api_url>/admin).
	NotConnected string
	Stale        string
	Refused      string
}

// strings returns the fields in order, for the checks that apply to every text.
func (t LocaleText) strings() []string {
	return []string{t.Name, t.ShortDescription, t.Description, t.ServerSetting,
		t.Loading, t.Error, t.Retry, t.NoServer, t.NotConnected, t.Stale, t.Refused}
}

// ArchiveConfig describes one build of widget.zip.
type ArchiveConfig struct {
	// ServerURL is the https URL of our backend, e.g. "https://widget.example.com". script.js uses
	// it when the api_url setting is empty. Optional: without it the setting alone decides.
	ServerURL string
	// Version is the widget version; amoCRM wants a new one on every upload. Required: 1 to 32
	// characters from 0-9, A-Z, a-z and ".+_-", starting with a letter or digit.
	Version string
	// Text holds the widget's texts by language, "ru" and "en"; missing languages and empty
	// fields get the kit's neutral texts (see LocaleText).
	Text map[string]LocaleText
	// Logo draws the widget's logo at width×height pixels and encodes it as PNG, JPEG or GIF. It
	// is called once for each image amoCRM asks for, at that image's exact size. Optional: nil
	// gives a neutral placeholder.
	Logo func(width, height int) ([]byte, error)
	// SupportEmail goes into the manifest's support block when set.
	SupportEmail string
}

// BuildArchive writes widget.zip as amoCRM accepts it (docs/widget-backend.md#archive): manifest.json at
// the root (interface_version 2, texts as i18n keys, locales ru and en, installation with a
// required api_url text setting, locations lcard-1 and settings), script.js, i18n/ru.json,
// i18n/en.json and the five logos at their exact sizes. Every text file is UTF-8 without BOM. The
// same config (and Go version) always gives the same bytes. The archive is checked with
// CheckArchive before anything is written to w.
func BuildArchive(w io.Writer, cfg ArchiveConfig) error {
	files, err := archiveFiles(cfg)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		method := zip.Deflate
		if strings.HasSuffix(f.name, ".png") {
			method = zip.Store // already compressed
		}
		hdr := &zip.FileHeader{Name: f.name, Method: method, Modified: archiveModTime()}
		hdr.SetMode(0o644)
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return fmt.Errorf("widget: writing %s: %w", f.name, err)
		}
		if _, err := fw.Write(f.data); err != nil {
			return fmt.Errorf("widget: writing %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("widget: closing the archive: %w", err)
	}
	if err := CheckArchive(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		return fmt.Errorf("widget: the built archive fails its own check: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

type archiveFile struct {
	name string
	data []byte
}

// archiveFiles returns the archive's entries in their order: manifest first.
func archiveFiles(cfg ArchiveConfig) ([]archiveFile, error) {
	serverURL, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	manifest, err := marshalJSON(buildManifest(cfg))
	if err != nil {
		return nil, err
	}
	script, err := renderScript(serverURL)
	if err != nil {
		return nil, err
	}
	files := []archiveFile{{"manifest.json", manifest}, {"script.js", script}}
	for _, lang := range archiveLocales() {
		doc, err := marshalJSON(buildI18n(lang, cfg.Text[lang]))
		if err != nil {
			return nil, err
		}
		files = append(files, archiveFile{"i18n/" + lang + ".json", doc})
	}
	logo := cfg.Logo
	if logo == nil {
		logo = placeholderLogo
	}
	for _, l := range logoSpecs() {
		data, err := logo(l.Width, l.Height)
		if err != nil {
			return nil, fmt.Errorf("widget: drawing %s: %w", l.Name, err)
		}
		files = append(files, archiveFile{l.Name, data})
	}
	return files, nil
}

// validate checks cfg and returns the server URL without a trailing slash.
func (cfg ArchiveConfig) validate() (string, error) {
	var errs []error
	if !validVersion(cfg.Version) {
		errs = append(errs, fmt.Errorf("widget: version %q must be 1 to 32 characters of 0-9, A-Z, a-z, '.', '+', '_', '-'", cfg.Version))
	}
	serverURL := strings.TrimRight(cfg.ServerURL, "/")
	if cfg.ServerURL != "" {
		u, ok := httpx.BaseURL(serverURL)
		if !ok || u.Scheme != "https" || strings.ContainsAny(serverURL, " \t\r\n\"'<>\\?#") {
			errs = append(errs, fmt.Errorf("widget: server URL %q must be an https URL with a host and no user info, query or fragment (amoCRM pages block plain http)", cfg.ServerURL))
		}
	}
	for lang, text := range cfg.Text {
		if lang != "ru" && lang != "en" {
			errs = append(errs, fmt.Errorf("widget: text for locale %q: the widget has only ru and en", lang))
		}
		for _, s := range text.strings() {
			if !utf8.ValidString(s) {
				errs = append(errs, fmt.Errorf("widget: text for locale %q is not valid UTF-8", lang))
				break
			}
		}
	}
	if cfg.SupportEmail != "" {
		if a, err := mail.ParseAddress(cfg.SupportEmail); err != nil || a.Address != cfg.SupportEmail {
			errs = append(errs, fmt.Errorf("widget: support e-mail %q is not a plain address", cfg.SupportEmail))
		}
	}
	return serverURL, errors.Join(errs...)
}

func validVersion(v string) bool {
	if v == "" || len(v) > 32 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		alnum := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alnum && (i == 0 || !strings.ContainsRune(".+_-", rune(c))) {
			return false
		}
	}
	return true
}

// renderScript puts the default server URL into script.js as a JSON string literal, which is
// also a valid JavaScript one (json.Marshal escapes <, > and &).
func renderScript(serverURL string) ([]byte, error) {
	if n := bytes.Count(scriptTemplate, []byte(scriptPlaceholder)); n != 1 {
		return nil, fmt.Errorf("widget: assets/script.js has %d server URL placeholders, want 1", n)
	}
	lit, err := json.Marshal(serverURL)
	if err != nil {
		return nil, err
	}
	return bytes.Replace(scriptTemplate, []byte(scriptPlaceholder), lit, 1), nil
}

// manifest is manifest.json; field order is the file's order.
type manifest struct {
	Widget    manifestWidget             `json:"widget"`
	Locations []string                   `json:"locations"`
	Settings  map[string]manifestSetting `json:"settings"`
}

type manifestWidget struct {
	Name             string           `json:"name"`
	Description      string           `json:"description"`
	ShortDescription string           `json:"short_description"`
	Version          string           `json:"version"`
	InterfaceVersion int              `json:"interface_version"`
	InitOnce         bool             `json:"init_once"`
	Locale           []string         `json:"locale"`
	Installation     bool             `json:"installation"`
	Support          *manifestSupport `json:"support,omitempty"`
}

type manifestSupport struct {
	Email string `json:"email"`
}

type manifestSetting struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
}

func buildManifest(cfg ArchiveConfig) manifest {
	m := manifest{
		Widget: manifestWidget{
			Name:             "widget.name",
			Description:      "widget.description",
			ShortDescription: "widget.short_description",
			Version:          cfg.Version,
			InterfaceVersion: 2,
			InitOnce:         false, // the widget is per card: init runs again for every lead
			Locale:           archiveLocales(),
			Installation:     true,
		},
		Locations: []string{"lcard-1", "settings"},
		Settings: map[string]manifestSetting{
			"api_url": {Name: "settings.api_url", Type: "text", Required: true},
		},
	}
	if cfg.SupportEmail != "" {
		m.Widget.Support = &manifestSupport{Email: cfg.SupportEmail}
	}
	return m
}

// i18nDoc is i18n/<lang>.json. "calc" holds the texts script.js shows (self.i18n('calc')); the
// key, like the amokit:calc:* messages and the amokit-calc classes, is a name script.js and
// framed pages already share, kept as it is.
type i18nDoc struct {
	Widget   i18nWidget   `json:"widget"`
	Settings i18nSettings `json:"settings"`
	Calc     i18nCalc     `json:"calc"`
}

type i18nWidget struct {
	Name             string `json:"name"`
	ShortDescription string `json:"short_description"`
	Description      string `json:"description"`
}

type i18nSettings struct {
	APIURL string `json:"api_url"`
}

type i18nCalc struct {
	Title        string `json:"title"`
	Loading      string `json:"loading"`
	Error        string `json:"error"`
	Retry        string `json:"retry"`
	NoServer     string `json:"no_server"`
	NotConnected string `json:"not_connected"`
	Stale        string `json:"stale"`
	Refused      string `json:"refused"`
}

func buildI18n(lang string, custom LocaleText) i18nDoc {
	t, c := defaultText(lang), custom.strings()
	for i, p := range []*string{&t.Name, &t.ShortDescription, &t.Description, &t.ServerSetting,
		&t.Loading, &t.Error, &t.Retry, &t.NoServer, &t.NotConnected, &t.Stale, &t.Refused} {
		if c[i] != "" {
			*p = c[i]
		}
	}
	return i18nDoc{
		Widget:   i18nWidget{Name: t.Name, ShortDescription: t.ShortDescription, Description: t.Description},
		Settings: i18nSettings{APIURL: t.ServerSetting},
		Calc: i18nCalc{
			Title: t.Name, Loading: t.Loading, Error: t.Error, Retry: t.Retry, NoServer: t.NoServer,
			NotConnected: t.NotConnected, Stale: t.Stale, Refused: t.Refused,
		},
	}
}

// defaultText returns the kit's neutral texts in lang ("ru"; anything else gets English).
func defaultText(lang string) LocaleText {
	if lang == "ru" {
		return LocaleText{
			Name:             "Виджет",
			ShortDescription: "Страница сервера виджета в карточке сделки",
			Description:      "Показывает страницу сервера виджета прямо в карточке сделки.",
			ServerSetting:    "Адрес сервера виджета (https://…)",
			Loading:          "Загрузка…",
			Error:            "Не удалось открыть виджет.",
			Retry:            "Повторить",
			NoServer:         "Укажите адрес сервера в настройках виджета.",
			NotConnected: "Виджет не подключён к этому аккаунту amoCRM. Попросите администратора аккаунта " +
				"подключить его на странице {admin} и затем обновите страницу сделки.",
			Stale:   "Страница сделки открыта слишком давно: обновите её. Если не поможет, проверьте дату и время на компьютере.",
			Refused: "amoCRM не подтвердил вход в виджет. Обновите страницу сделки; если ошибка повторится, сообщите администратору.",
		}
	}
	return LocaleText{
		Name:             "Widget",
		ShortDescription: "The widget server's page in the lead card",
		Description:      "Shows the widget server's page right in the lead card.",
		ServerSetting:    "Widget server address (https://…)",
		Loading:          "Loading…",
		Error:            "The widget could not be opened.",
		Retry:            "Try again",
		NoServer:         "Set the server address in the widget settings.",
		NotConnected: "The widget is not connected to this amoCRM account. Ask the account's administrator " +
			"to connect it at {admin}, then reload the lead.",
		Stale:   "The lead page has been open too long: reload it. If that does not help, check the computer's date and time.",
		Refused: "amoCRM did not confirm the sign-in to the widget. Reload the lead; if it happens again, tell the administrator.",
	}
}

// marshalJSON writes v indented by two spaces, without HTML escaping, ending in a newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("widget: encoding JSON: %w", err)
	}
	return buf.Bytes(), nil
}
