package pricelist_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/app/pricelist"
)

// edited returns the default price list with another version name and the
// float glass of 8 mm at price roubles per m².
func edited(t testing.TB, name string, price float64) []byte {
	t.Helper()
	var m map[string]any
	data, err := json.Marshal(glass.DefaultPriceList())
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &m))
	m["version"] = name
	m["materials"].([]any)[0].(map[string]any)["prices"].(map[string]any)["8"] = price
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

func TestPublish_reportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	s := pricelist.NewMemory()
	_, err := pricelist.Publish(t.Context(), s, "Анна", edited(t, "v1", 2500))
	require.NoError(t, err)

	bad := bytes.Replace(edited(t, "v1", -5), []byte(`"cutout":800`), []byte(`"cutout":"восемьсот"`), 1)
	_, err = pricelist.Publish(t.Context(), s, "  ", bad)
	var perr *glass.PriceListError
	require.ErrorAs(t, err, &perr)
	paths := map[string]string{}
	for _, p := range perr.Problems {
		paths[p.Path] = p.Message
	}
	assert.Contains(t, paths, "author")
	assert.Contains(t, paths, "cutout")
	assert.Contains(t, paths, "version", "v1 is published already")
	for path, msg := range paths {
		assert.NotEmpty(t, msg, path)
	}
	latest, err := s.Latest(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "v1", latest.Name, "nothing half-published")
}

func TestPublish_versionNameTakenMeanwhile(t *testing.T) {
	t.Parallel()
	s := &racingStore{Memory: pricelist.NewMemory()}
	_, err := pricelist.Publish(t.Context(), s, "Анна", edited(t, "v2", 2500))
	var perr *glass.PriceListError
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, pricelist.CodeVersionTaken, perr.Problems[0].Code)
}

// racingStore publishes the same name just before the caller does.
type racingStore struct{ *pricelist.Memory }

func (r *racingStore) Publish(ctx context.Context, name, author string, data []byte) (pricelist.Version, error) {
	if _, err := r.Memory.Publish(ctx, name, "someone else", data); err != nil {
		return pricelist.Version{}, err
	}
	return r.Memory.Publish(ctx, name, author, data)
}

func TestLive_newVersionWithinTheRefreshInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := pricelist.NewMemory()
		live, err := pricelist.NewLive(s, glass.DefaultPriceList(), pricelist.WithRefresh(2*time.Second))
		require.NoError(t, err)
		ctx := context.Background()
		assert.Equal(t, "default-2025.1", live.Current(ctx).Version, "the fallback until something is published")

		_, err = pricelist.Publish(ctx, s, "Анна", edited(t, "зима", 2500))
		require.NoError(t, err)
		assert.Equal(t, "default-2025.1", live.Current(ctx).Version, "checked less than 2 s ago")
		time.Sleep(2 * time.Second)
		pl := live.Current(ctx)
		assert.Equal(t, "зима", pl.Version)
		q, err := pl.Quote(pricelist.WorkedExample())
		require.NoError(t, err)
		assert.Equal(t, int64(1720400+36000), q.Total, "float 8 mm at 2 500 instead of 2 300 ₽/m²: 200 ₽ × 1,8 m² more")

		old, err := live.Version(ctx, "default-2025.1")
		require.NoError(t, err)
		q, err = old.Quote(pricelist.WorkedExample())
		require.NoError(t, err)
		assert.Equal(t, int64(1720400), q.Total, "an old calculation reopens with its own prices")
		_, err = live.Version(ctx, "нет такой")
		assert.ErrorIs(t, err, pricelist.ErrNoVersion)
	})
}

func TestLive_storeOutageKeepsPricing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := &flakyStore{Memory: pricelist.NewMemory()}
		var logs bytes.Buffer
		live, err := pricelist.NewLive(s, glass.DefaultPriceList(),
			pricelist.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)
		ctx := context.Background()
		_, err = pricelist.Publish(ctx, s, "Анна", edited(t, "зима", 2500))
		require.NoError(t, err)
		assert.Equal(t, "зима", live.Current(ctx).Version)
		s.down = true
		time.Sleep(3 * time.Second)
		assert.Equal(t, "зима", live.Current(ctx).Version, "the last version read stays current")
		assert.Contains(t, logs.String(), "cannot read the published price list")
	})
}

type flakyStore struct {
	*pricelist.Memory
	down bool
}

func (f *flakyStore) LatestID(ctx context.Context) (int64, error) {
	if f.down {
		return 0, errors.New("connection refused")
	}
	return f.Memory.LatestID(ctx)
}

func TestNewLive_reportsEveryProblem(t *testing.T) {
	t.Parallel()
	bad := glass.DefaultPriceList()
	bad.Cutout = -1
	_, err := pricelist.NewLive(nil, bad, pricelist.WithRefresh(0), pricelist.WithLogger(nil))
	require.Error(t, err)
	for _, want := range []string{"nil store", "fallback", "refresh interval", "nil logger"} {
		assert.Contains(t, err.Error(), want)
	}
}

// editor serves the admin handler with allow deciding access.
func editor(t *testing.T, allow func(*http.Request) bool) (*httptest.Server, *pricelist.Memory, *pricelist.Live) {
	t.Helper()
	s := pricelist.NewMemory()
	live, err := pricelist.NewLive(s, glass.DefaultPriceList())
	require.NoError(t, err)
	h, err := pricelist.NewAdminHandler(pricelist.AdminConfig{Store: s, Live: live, Allow: allow,
		CSRF: func(*http.Request) string { return "token-<x>" }})
	require.NoError(t, err)
	srv := httptest.NewServer(http.StripPrefix("/admin/prices", h))
	t.Cleanup(srv.Close)
	return srv, s, live
}

func post(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	data, err := json.Marshal(body)
	require.NoError(t, err)
	resp, err := http.Post(url, "application/json", bytes.NewReader(data))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func TestAdmin_previewAndPublish(t *testing.T) {
	t.Parallel()
	srv, s, live := editor(t, func(*http.Request) bool { return true })
	base := srv.URL + "/admin/prices/"

	code, out := post(t, base+"preview", map[string]any{"price_list": json.RawMessage(edited(t, "зима", 2500))})
	require.Equal(t, http.StatusOK, code, out)
	ex := out["example"].(map[string]any)
	assert.Equal(t, "17 204,00 ₽", ex["current"])
	assert.Equal(t, "17 564,00 ₽", ex["new"])
	_, err := s.Latest(t.Context())
	assert.ErrorIs(t, err, pricelist.ErrNoVersion, "a preview publishes nothing")

	code, out = post(t, base+"preview", map[string]any{"price_list": json.RawMessage(edited(t, "зима", -1))})
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	problems := out["problems"].([]any)
	require.NotEmpty(t, problems)
	assert.Equal(t, `materials[0].prices["8"]`, problems[0].(map[string]any)["path"])
	assert.Equal(t, "цена не может быть отрицательной", problems[0].(map[string]any)["message"])

	code, out = post(t, base+"publish", map[string]any{"author": "Анна", "price_list": json.RawMessage(edited(t, "зима", 2500))})
	require.Equal(t, http.StatusCreated, code, out)
	assert.Equal(t, "зима", live.Current(t.Context()).Version, "the publishing process prices with it at once")

	code, out = post(t, base+"publish", map[string]any{"author": "Пётр", "price_list": json.RawMessage(edited(t, "зима", 2600))})
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	assert.Equal(t, pricelist.CodeVersionTaken, out["problems"].([]any)[0].(map[string]any)["code"])

	resp, err := http.Get(base + "export")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, edited(t, "зима", 2500), body, "export gives back the file as published")
	disposition, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	require.NoError(t, err)
	assert.Equal(t, "attachment", disposition)
	assert.Equal(t, "pricelist-зима.json", params["filename"], "the file is named as the version, not percent-escaped")

	resp, err = http.Get(base + "export?version=default-2025.1")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	pl, err := glass.LoadPriceList(bytes.NewReader(body))
	require.NoError(t, err, "the built-in list exports in the format glass reads")
	assert.Equal(t, "default-2025.1", pl.Version)

	resp, err = http.Get(base + "export?version=nope")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp, err = http.Get(base + "versions")
	require.NoError(t, err)
	var versions struct{ Versions []map[string]string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&versions))
	resp.Body.Close()
	require.Len(t, versions.Versions, 1)
	assert.Equal(t, "Анна", versions.Versions[0]["author"])
}

func TestAdmin_everyRequestIsAuthorised(t *testing.T) {
	t.Parallel()
	var asked []string
	srv, s, _ := editor(t, func(r *http.Request) bool { asked = append(asked, r.Method+" "+r.URL.Path); return false })
	base := srv.URL + "/admin/prices/"
	for _, path := range []string{"", "current", "versions", "export", "static/prices.js"} {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, path)
	}
	for _, path := range []string{"preview", "publish"} {
		code, _ := post(t, base+path, map[string]any{"author": "Анна", "price_list": json.RawMessage(edited(t, "зима", 2500))})
		assert.Equal(t, http.StatusForbidden, code, path)
	}
	_, err := s.Latest(t.Context())
	assert.ErrorIs(t, err, pricelist.ErrNoVersion)
	assert.Len(t, asked, 7)
}

func TestAdmin_pageCarriesTheCSRFTokenEscaped(t *testing.T) {
	t.Parallel()
	srv, _, _ := editor(t, func(*http.Request) bool { return true })
	resp, err := http.Get(srv.URL + "/admin/prices/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), `content="token-&lt;x&gt;"`)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
}

func TestAdmin_badBodies(t *testing.T) {
	t.Parallel()
	srv, s, _ := editor(t, func(*http.Request) bool { return true })
	good := `{"author":"Анна","price_list":` + string(edited(t, "зима", 2500))
	// A price list that would publish but for the body cap: 2 MiB of
	// whitespace inside an otherwise valid body.
	oversized := good + strings.Repeat(" ", 2<<20) + "}"
	for _, body := range []string{"", "{", `{"author":"a"}`, oversized} {
		for _, path := range []string{"preview", "publish"} {
			resp, err := http.Post(srv.URL+"/admin/prices/"+path, "application/json", strings.NewReader(body))
			require.NoError(t, err)
			var got struct{ Message string }
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
			resp.Body.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s %.20q", path, body)
			assert.Equal(t, "Не удалось прочитать прайс-лист: обновите страницу и попробуйте ещё раз.", got.Message)
		}
	}
	_, err := s.Latest(t.Context())
	assert.ErrorIs(t, err, pricelist.ErrNoVersion)
	// Within the cap the same body publishes.
	resp, err := http.Post(srv.URL+"/admin/prices/publish", "application/json", strings.NewReader(good+strings.Repeat(" ", 1<<10)+"}"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
}

func TestNewAdminHandler_refusesMissingAuth(t *testing.T) {
	t.Parallel()
	_, err := pricelist.NewAdminHandler(pricelist.AdminConfig{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Allow")
	assert.Contains(t, err.Error(), "Store")
}
