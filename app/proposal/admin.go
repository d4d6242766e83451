package proposal

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

//go:embed web
var webFS embed.FS

var (
	settingsTmpl = template.Must(template.ParseFS(webFS, "web/settings.html"))
	staticFS, _  = fs.Sub(webFS, "web")
)

// SettingsConfig configures the settings page of the admin page.
type SettingsConfig struct {
	Store SettingsStore
	// Allow authorises every request: a valid admin session, and for a POST
	// the CSRF token the form carries in its "csrf" field. Required.
	Allow func(r *http.Request) bool
	// CSRF returns the token the form carries. Required.
	CSRF   func(r *http.Request) string
	Logger *slog.Logger
}

// NewSettingsHandler returns the page where the administrator sets the
// shop's details for proposals, meant to be mounted with http.StripPrefix
// under the admin page, e.g. "/admin/proposal/".
func NewSettingsHandler(cfg SettingsConfig) (http.Handler, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("nil Store"))
	}
	if cfg.Allow == nil {
		errs = append(errs, errors.New("nil Allow: the page must sit behind the admin's authentication"))
	}
	if cfg.CSRF == nil {
		errs = append(errs, errors.New("nil CSRF"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("proposal: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &settingsPage{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.show)
	mux.HandleFunc("POST /{$}", h.save)
	mux.HandleFunc("GET /logo", h.logo)
	mux.Handle("GET /static/", http.FileServerFS(staticFS))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			// The form is read here, before Allow, which looks for the CSRF
			// token in it: a form cut short by the cap would have no token,
			// and an administrator who picked a photo of several megabytes
			// would be told to log in again.
			r.Body = http.MaxBytesReader(w, r.Body, maxSettingsBody)
			var tooBig *http.MaxBytesError
			if err := r.ParseMultipartForm(MaxLogoBytes + 32<<10); errors.As(err, &tooBig) {
				http.Error(w, tooBigMessage, http.StatusRequestEntityTooLarge)
				return
			}
		}
		if !cfg.Allow(r) {
			http.Error(w, "Нет доступа: войдите на страницу администратора заново.", http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	}), nil
}

// maxSettingsBody bounds a save of the settings page. It is well above
// MaxLogoBytes so that a logo somewhat too big is still read and refused at
// its field, with everything else typed kept.
const maxSettingsBody = 4 << 20

const tooBigMessage = "Файл больше 4 МБ: логотип — картинка PNG или JPEG до 256 КБ. " +
	"Вернитесь назад, выберите картинку меньше и сохраните ещё раз."

type settingsPage struct{ cfg SettingsConfig }

type choice struct {
	Value, Label string
	Selected     bool
}

type settingsView struct {
	S          Settings
	CSRF       string
	Saved      bool
	HasLogo    bool
	Problems   []Problem
	Errors     map[string]string
	VATChoices []choice
}

func (h *settingsPage) current(r *http.Request) (Settings, error) {
	s, err := h.cfg.Store.Settings(r.Context())
	if errors.Is(err, ErrNoSettings) {
		return Settings{VATPercent: 0, ValidDays: DefaultValidDays}, nil
	}
	return s, err
}

func (h *settingsPage) show(w http.ResponseWriter, r *http.Request) {
	s, err := h.current(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, s, nil, r.URL.Query().Get("saved") == "1")
}

func (h *settingsPage) render(w http.ResponseWriter, r *http.Request, status int, s Settings, problems []Problem, saved bool) {
	v := settingsView{S: s, CSRF: h.cfg.CSRF(r), Saved: saved, HasLogo: len(s.Shop.Logo) > 0,
		Problems: problems, Errors: map[string]string{}}
	for _, p := range problems {
		if _, dup := v.Errors[p.Field]; !dup {
			v.Errors[p.Field] = p.Message
		}
	}
	for _, rate := range []int{0, 5, 7, 10, 20} {
		label := "Без НДС"
		if rate > 0 {
			label = "В т. ч. НДС " + strconv.Itoa(rate) + " %"
		}
		v.VATChoices = append(v.VATChoices, choice{strconv.Itoa(rate), label, rate == s.VATPercent})
	}
	var buf bytes.Buffer
	if err := settingsTmpl.Execute(&buf, v); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (h *settingsPage) save(w http.ResponseWriter, r *http.Request) {
	old, err := h.current(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := r.ParseMultipartForm(MaxLogoBytes + 32<<10); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		http.Error(w, "Форма пришла не полностью: обновите страницу и сохраните ещё раз.", http.StatusBadRequest)
		return
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	s := Settings{Shop: Shop{Name: f("name"), Address: f("address"), INN: f("inn"), Phone: f("phone"),
		Email: f("email"), Logo: old.Shop.Logo}}
	var problems []Problem
	var convErr error
	if s.VATPercent, convErr = strconv.Atoi(f("vat_percent")); convErr != nil {
		problems = append(problems, Problem{"vat_percent", "выберите ставку НДС из списка"})
	}
	if s.ValidDays, convErr = strconv.Atoi(strings.ReplaceAll(f("valid_days"), " ", "")); convErr != nil {
		problems = append(problems, Problem{"valid_days", "срок действия — целое число дней, например 14"})
		s.ValidDays = old.ValidDays
	}
	if r.PostFormValue("remove_logo") == "1" {
		s.Shop.Logo = nil
	}
	if file, _, err := r.FormFile("logo"); err == nil {
		data, err := io.ReadAll(io.LimitReader(file, MaxLogoBytes+1))
		file.Close()
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if len(data) > 0 {
			s.Shop.Logo = data
		}
	}
	var serr *SettingsError
	if err := s.Validate(); errors.As(err, &serr) {
		problems = append(problems, serr.Problems...)
	}
	if len(problems) > 0 {
		if !validLogo(s.Shop.Logo) {
			s.Shop.Logo = old.Shop.Logo // the page shows the logo that is kept
		}
		h.render(w, r, http.StatusUnprocessableEntity, s, problems, false)
		return
	}
	if err := h.cfg.Store.SaveSettings(r.Context(), s); err != nil {
		h.fail(w, r, err)
		return
	}
	// A reference relative to the page's own address, which StripPrefix hides from r.
	w.Header().Set("Location", "?saved=1")
	w.WriteHeader(http.StatusSeeOther)
}

// validLogo reports whether b is empty or a logo Validate accepts.
func validLogo(b []byte) bool {
	s := Settings{Shop: Shop{Name: "x", Logo: b}, ValidDays: 1}
	return s.Validate() == nil
}

func (h *settingsPage) logo(w http.ResponseWriter, r *http.Request) {
	s, err := h.current(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(s.Shop.Logo) == 0 {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", http.DetectContentType(s.Shop.Logo))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(s.Shop.Logo)
}

func (h *settingsPage) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.cfg.Logger.ErrorContext(r.Context(), "proposal: settings page", slog.Any("error", err))
	http.Error(w, "Хранилище настроек недоступно. Попробуйте ещё раз через минуту.", http.StatusInternalServerError)
}
