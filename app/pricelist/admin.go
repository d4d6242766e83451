package pricelist

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/internal/moscow"
	"github.com/amokit/amokit/internal/tzname"
	"github.com/amokit/amokit/widget"
)

//go:embed web
var webFS embed.FS

var (
	pageTmpl    = template.Must(template.ParseFS(webFS, "web/prices.html"))
	staticFS, _ = fs.Sub(webFS, "web")
)

// maxBody bounds a preview or publish request: the price list (at most 1 MiB)
// and its author.
const maxBody = 1<<20 + 4<<10

// AdminConfig configures the price-list editor of the admin page.
type AdminConfig struct {
	Store Store
	Live  *Live
	// Allow authorises every request (a valid admin session, and for a POST
	// the CSRF token the page sends in the X-CSRF-Token header). Required:
	// the editor has no authentication of its own.
	Allow func(r *http.Request) bool
	// CSRF returns the token the page sends back with its POSTs. Required.
	CSRF func(r *http.Request) string
	// Location is the time zone versions are shown in (Moscow when nil), unless Zone is set.
	Location *time.Location
	// Zone, when set, gives the time zone for each request instead (the connected account's).
	Zone   func(r *http.Request) *time.Location
	Logger *slog.Logger
}

// NewAdminHandler returns the editor: the page at "/" and its JSON API,
// meant to be mounted with http.StripPrefix under the admin page, e.g.
// "/admin/prices/".
//
//	GET  /            the editor page
//	GET  /current     the current version and its price list
//	GET  /versions    the 50 newest versions
//	GET  /export      a version's JSON file (?version=name; the current one by default)
//	POST /preview     {"price_list": …} → every problem, or the worked example's totals
//	POST /publish     {"author": "…", "price_list": …} → the new version, or every problem
func NewAdminHandler(cfg AdminConfig) (http.Handler, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("nil Store"))
	}
	if cfg.Live == nil {
		errs = append(errs, errors.New("nil Live"))
	}
	if cfg.Allow == nil {
		errs = append(errs, errors.New("nil Allow: the editor must sit behind the admin's authentication"))
	}
	if cfg.CSRF == nil {
		errs = append(errs, errors.New("nil CSRF"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("pricelist: %w", err)
	}
	if cfg.Location == nil {
		cfg.Location = moscow.Location
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &admin{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.page)
	mux.Handle("GET /static/", http.FileServerFS(staticFS))
	mux.HandleFunc("GET /current", a.current)
	mux.HandleFunc("GET /versions", a.versions)
	mux.HandleFunc("GET /export", a.export)
	mux.HandleFunc("POST /preview", a.preview)
	mux.HandleFunc("POST /publish", a.publish)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cfg.Allow(r) {
			widget.WriteJSON(w, http.StatusForbidden, map[string]string{
				"message": "Нет доступа: войдите на страницу администратора заново."})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	}), nil
}

type admin struct{ cfg AdminConfig }

func (a *admin) page(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, map[string]string{"CSRF": a.cfg.CSRF(r)}); err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// versionView is a version as the page shows it.
type versionView struct {
	Name        string          `json:"name"`
	Author      string          `json:"author"`
	PublishedAt string          `json:"published_at"`
	PriceList   json.RawMessage `json:"price_list,omitempty"`
}

// zone is the time zone of the request's times.
func (a *admin) zone(r *http.Request) *time.Location {
	if a.cfg.Zone != nil {
		if loc := a.cfg.Zone(r); loc != nil {
			return loc
		}
	}
	return a.cfg.Location
}

// view is v as the page shows it, its time in loc with the UTC offset: "02.01.2026 15:00 UTC+05:00".
func (a *admin) view(v Version, loc *time.Location) versionView {
	at := v.PublishedAt.In(loc)
	return versionView{Name: v.Name, Author: v.Author, PublishedAt: at.Format("02.01.2006 15:04") + " " + tzname.Offset(at)}
}

func (a *admin) current(w http.ResponseWriter, r *http.Request) {
	v, err := a.cfg.Store.Latest(r.Context())
	if errors.Is(err, ErrNoVersion) {
		data, err := json.Marshal(a.cfg.Live.fallback)
		if err != nil {
			a.fail(w, err)
			return
		}
		widget.WriteJSON(w, http.StatusOK, map[string]any{"published": false,
			"version": versionView{Name: a.cfg.Live.fallback.Version, Author: "встроенный прайс-лист", PriceList: data}})
		return
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	view := a.view(v, a.zone(r))
	view.PriceList = v.JSON
	widget.WriteJSON(w, http.StatusOK, map[string]any{"published": true, "version": view})
}

func (a *admin) versions(w http.ResponseWriter, r *http.Request) {
	list, err := a.cfg.Store.List(r.Context(), 50)
	if err != nil {
		a.fail(w, err)
		return
	}
	loc := a.zone(r)
	out := make([]versionView, len(list))
	for i, v := range list {
		out[i] = a.view(v, loc)
	}
	widget.WriteJSON(w, http.StatusOK, map[string]any{"versions": out, "zone": tzname.Label(time.Now().In(loc))})
}

func (a *admin) export(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("version")
	var data []byte
	v, err := a.cfg.Store.Latest(r.Context())
	if name != "" {
		v, err = a.cfg.Store.Get(r.Context(), name)
	}
	switch {
	case err == nil:
		data, name = v.JSON, v.Name
	case errors.Is(err, ErrNoVersion) && (name == "" || name == a.cfg.Live.fallback.Version):
		data, err = json.MarshalIndent(a.cfg.Live.fallback, "", "  ")
		name = a.cfg.Live.fallback.Version
	case errors.Is(err, ErrNoVersion):
		widget.WriteJSON(w, http.StatusNotFound, map[string]string{"message": "Такой версии прайс-листа нет."})
		return
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// The version's own name, in UTF-8 where it needs it (RFC 6266); only
	// what a file name cannot hold is replaced.
	file := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return '-'
		}
		return r
	}, "pricelist-"+name+".json")
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": file})
	if disposition == "" {
		disposition = "attachment; filename=pricelist.json"
	}
	w.Header().Set("Content-Disposition", disposition)
	w.Write(data)
}

// request is the body of a preview or a publish.
type request struct {
	Author    string          `json:"author"`
	PriceList json.RawMessage `json:"price_list"`
}

func (a *admin) read(w http.ResponseWriter, r *http.Request) (request, bool) {
	var req request
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil || len(req.PriceList) == 0 {
		widget.WriteJSON(w, http.StatusBadRequest, map[string]string{
			"message": "Не удалось прочитать прайс-лист: обновите страницу и попробуйте ещё раз."})
		return req, false
	}
	return req, true
}

// example is the worked example priced with the current and the new prices.
type example struct {
	Current     string `json:"current"`
	New         string `json:"new"`
	Description string `json:"description"`
	// Problem says why the example cannot be priced with the new prices,
	// e.g. its material is no longer sold.
	Problem string `json:"problem,omitempty"`
}

func (a *admin) preview(w http.ResponseWriter, r *http.Request) {
	req, ok := a.read(w, r)
	if !ok {
		return
	}
	pl, err := glass.LoadPriceList(bytes.NewReader(req.PriceList))
	var perr *glass.PriceListError
	if errors.As(err, &perr) {
		widget.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{"problems": perr.Problems})
		return
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	widget.WriteJSON(w, http.StatusOK, map[string]any{"problems": []glass.FieldError{}, "example": a.example(r.Context(), pl)})
}

func (a *admin) example(ctx context.Context, pl *glass.PriceList) example {
	ex := example{Description: "Душевая перегородка: закалённое стекло 8 мм, 900 × 2000 мм, полировка, 2 отверстия, вырез, 2 петли, монтаж"}
	if q, err := a.cfg.Live.Current(ctx).Quote(WorkedExample()); err == nil {
		ex.Current = glass.FormatKopecks(q.Total)
	}
	q, err := pl.Quote(WorkedExample())
	var verr *glass.ValidationError
	switch {
	case errors.As(err, &verr) && len(verr.Errors) > 0:
		ex.Problem = "С новыми ценами пример не посчитать: " + verr.Errors[0].Message
	case err != nil:
		ex.Problem = "С новыми ценами пример не посчитать."
	default:
		ex.New = glass.FormatKopecks(q.Total)
	}
	return ex
}

func (a *admin) publish(w http.ResponseWriter, r *http.Request) {
	req, ok := a.read(w, r)
	if !ok {
		return
	}
	v, err := Publish(r.Context(), a.cfg.Store, req.Author, req.PriceList)
	var perr *glass.PriceListError
	if errors.As(err, &perr) {
		widget.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{"problems": perr.Problems})
		return
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	a.cfg.Live.Invalidate()
	a.cfg.Logger.Info("pricelist: published", slog.String("version", v.Name), slog.String("author", v.Author))
	widget.WriteJSON(w, http.StatusCreated, map[string]any{"version": a.view(v, a.zone(r))})
}

func (a *admin) fail(w http.ResponseWriter, err error) {
	a.cfg.Logger.Error("pricelist: admin request failed", slog.Any("error", err))
	widget.WriteJSON(w, http.StatusInternalServerError, map[string]string{
		"message": "Хранилище прайс-листов недоступно. Попробуйте ещё раз через минуту."})
}
