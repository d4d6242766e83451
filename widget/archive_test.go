package widget

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testArchiveConfig() ArchiveConfig {
	return ArchiveConfig{
		ServerURL:    "https://calc.example.com/",
		Version:      "1.4.0",
		SupportEmail: "support@example.com",
	}
}

func buildArchive(t *testing.T, cfg ArchiveConfig) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, BuildArchive(&buf, cfg))
	return buf.Bytes()
}

type zipEntry struct {
	name string
	data []byte
}

// unzip returns the archive's entries in order.
func unzip(t *testing.T, data []byte) []zipEntry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var out []zipEntry
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		out = append(out, zipEntry{f.Name, b})
	}
	return out
}

func entry(t *testing.T, entries []zipEntry, name string) []byte {
	t.Helper()
	for _, e := range entries {
		if e.name == name {
			return e.data
		}
	}
	require.Failf(t, "no such entry", "%s", name)
	return nil
}

func zipOf(t *testing.T, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		require.NoError(t, err)
		_, err = w.Write(e.data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func check(data []byte) error { return CheckArchive(bytes.NewReader(data), int64(len(data))) }

func TestBuildArchiveIsAccepted(t *testing.T) {
	t.Parallel()
	data := buildArchive(t, testArchiveConfig())
	require.NoError(t, check(data))

	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		assert.Equal(t, archiveModTime(), f.Modified.UTC(), f.Name)
	}
	assert.Equal(t, []string{
		"manifest.json", "script.js", "i18n/ru.json", "i18n/en.json",
		"images/logo.png", "images/logo_main.png", "images/logo_medium.png", "images/logo_min.png", "images/logo_small.png",
	}, names)
}

func TestBuildArchiveIsDeterministic(t *testing.T) {
	t.Parallel()
	a := buildArchive(t, testArchiveConfig())
	b := buildArchive(t, testArchiveConfig())
	assert.Equal(t, a, b, "the same config must give the same bytes")

	cfg := testArchiveConfig()
	cfg.Version = "1.4.1"
	c := buildArchive(t, cfg)
	assert.NotEqual(t, a, c)
	assert.Contains(t, string(entry(t, unzip(t, c), "manifest.json")), `"version": "1.4.1"`)
}

// TestBuildArchiveManifestGolden pins manifest.json. Run with AMOKIT_UPDATE_GOLDEN=1 to rewrite
// testdata/manifest.golden.json after an intended change.
func TestBuildArchiveManifestGolden(t *testing.T) {
	t.Parallel()
	got := entry(t, unzip(t, buildArchive(t, testArchiveConfig())), "manifest.json")
	golden := filepath.Join("testdata", "manifest.golden.json")
	if os.Getenv("AMOKIT_UPDATE_GOLDEN") == "1" {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))

	var m struct {
		Widget struct {
			InterfaceVersion int      `json:"interface_version"`
			Locale           []string `json:"locale"`
			Installation     bool     `json:"installation"`
			InitOnce         *bool    `json:"init_once"`
		} `json:"widget"`
		Locations []string `json:"locations"`
		Settings  map[string]struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			Required bool   `json:"required"`
		} `json:"settings"`
	}
	require.NoError(t, json.Unmarshal(got, &m))
	assert.Equal(t, 2, m.Widget.InterfaceVersion)
	assert.Equal(t, []string{"ru", "en"}, m.Widget.Locale)
	assert.True(t, m.Widget.Installation)
	require.NotNil(t, m.Widget.InitOnce)
	assert.False(t, *m.Widget.InitOnce)
	assert.Equal(t, []string{"lcard-1", "settings"}, m.Locations)
	assert.Equal(t, "text", m.Settings["api_url"].Type)
	assert.True(t, m.Settings["api_url"].Required)
	assert.Equal(t, "settings.api_url", m.Settings["api_url"].Name)
}

func TestBuildArchiveTexts(t *testing.T) {
	t.Parallel()
	cfg := testArchiveConfig()
	cfg.Text = map[string]LocaleText{"en": {Name: "Acme <b>glass</b>"}}
	entries := unzip(t, buildArchive(t, cfg))
	for _, e := range entries {
		if isTextFile(e.name) {
			assert.False(t, bytes.HasPrefix(e.data, []byte{0xEF, 0xBB, 0xBF}), "%s has a BOM", e.name)
			assert.True(t, json.Valid(e.data) || e.name == "script.js", "%s", e.name)
		}
	}
	var ru, en i18nDoc
	require.NoError(t, json.Unmarshal(entry(t, entries, "i18n/ru.json"), &ru))
	require.NoError(t, json.Unmarshal(entry(t, entries, "i18n/en.json"), &en))
	assert.Equal(t, "Виджет", ru.Widget.Name, "ru keeps the built-in name")
	assert.Equal(t, "Acme <b>glass</b>", en.Widget.Name)
	assert.Contains(t, string(entry(t, entries, "i18n/en.json")), "Acme <b>glass</b>", "no HTML escaping")
	assert.Equal(t, "The widget server's page in the lead card", en.Widget.ShortDescription, "empty fields get the built-in text")
	for _, d := range []i18nDoc{ru, en} {
		assert.NotEmpty(t, d.Settings.APIURL)
		assert.NotEmpty(t, d.Calc.Loading)
		assert.NotEmpty(t, d.Calc.Error)
		assert.NotEmpty(t, d.Calc.Retry)
		assert.NotEmpty(t, d.Calc.NoServer)
		assert.Contains(t, d.Calc.NotConnected, "{admin}")
		assert.NotEmpty(t, d.Calc.Stale)
		assert.NotEmpty(t, d.Calc.Refused)
		assert.Equal(t, d.Widget.Name, d.Calc.Title)
	}
}

// TestBuildArchiveTextsEveryField: each text an application gives lands in its place in the
// i18n file of its language, and the other language keeps the built-in texts.
func TestBuildArchiveTextsEveryField(t *testing.T) {
	t.Parallel()
	cfg := testArchiveConfig()
	cfg.Text = map[string]LocaleText{"ru": {
		Name: "n", ShortDescription: "sd", Description: "d", ServerSetting: "ss", Loading: "l", Error: "e",
		Retry: "r", NoServer: "ns", NotConnected: "nc {admin}", Stale: "s", Refused: "rf",
	}}
	entries := unzip(t, buildArchive(t, cfg))
	var ru, en i18nDoc
	require.NoError(t, json.Unmarshal(entry(t, entries, "i18n/ru.json"), &ru))
	require.NoError(t, json.Unmarshal(entry(t, entries, "i18n/en.json"), &en))
	assert.Equal(t, i18nDoc{
		Widget:   i18nWidget{Name: "n", ShortDescription: "sd", Description: "d"},
		Settings: i18nSettings{APIURL: "ss"},
		Calc: i18nCalc{Title: "n", Loading: "l", Error: "e", Retry: "r", NoServer: "ns",
			NotConnected: "nc {admin}", Stale: "s", Refused: "rf"},
	}, ru)
	assert.Equal(t, buildI18n("en", LocaleText{}), en)
	assert.Equal(t, "Widget", en.Widget.Name)
	assert.Equal(t, "Loading…", en.Calc.Loading)
}

func TestBuildArchiveLogos(t *testing.T) {
	t.Parallel()
	entries := unzip(t, buildArchive(t, testArchiveConfig()))
	for _, spec := range logoSpecs() {
		data := entry(t, entries, spec.Name)
		assert.Less(t, len(data), MaxImageSize, spec.Name)
		img, err := png.Decode(bytes.NewReader(data))
		require.NoError(t, err, spec.Name)
		assert.Equal(t, image.Rect(0, 0, spec.Width, spec.Height), img.Bounds(), spec.Name)
		// The placeholder is drawn: a tile on a ground, two colours.
		colours := map[color.Color]bool{}
		for y := 0; y < spec.Height; y++ {
			for x := 0; x < spec.Width; x++ {
				colours[img.At(x, y)] = true
			}
		}
		assert.Len(t, colours, 2, spec.Name)
		_, _, _, a := img.At(0, 0).RGBA()
		assert.Equal(t, uint32(0xffff), a, "%s is opaque", spec.Name)
	}
}

// TestBuildArchiveLogoFromConfig: ArchiveConfig.Logo draws every image at the size asked for; a
// drawing of the wrong size or a failing one stops the build with the image's name.
func TestBuildArchiveLogoFromConfig(t *testing.T) {
	t.Parallel()
	cfg := testArchiveConfig()
	var asked []string
	cfg.Logo = func(w, h int) ([]byte, error) {
		asked = append(asked, fmt.Sprintf("%dx%d", w, h))
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = 0x7f
		}
		var buf bytes.Buffer
		err := png.Encode(&buf, img)
		return buf.Bytes(), err
	}
	entries := unzip(t, buildArchive(t, cfg))
	assert.Equal(t, []string{"130x100", "400x272", "240x84", "84x84", "108x108"}, asked)
	for _, spec := range logoSpecs() {
		img, err := png.Decode(bytes.NewReader(entry(t, entries, spec.Name)))
		require.NoError(t, err, spec.Name)
		assert.Equal(t, color.NRGBA{0x7f, 0x7f, 0x7f, 0x7f}, img.At(1, 1), spec.Name)
	}

	cfg.Logo = func(w, h int) ([]byte, error) { return solidPNG(t, 100, 100), nil }
	var buf bytes.Buffer
	err := BuildArchive(&buf, cfg)
	require.ErrorContains(t, err, "images/logo.png is 100×100, it must be 130×100")
	assert.Zero(t, buf.Len())

	cfg.Logo = func(w, h int) ([]byte, error) { return nil, errors.New("no ink") }
	err = BuildArchive(&buf, cfg)
	require.ErrorContains(t, err, "widget: drawing images/logo.png: no ink")
	assert.Zero(t, buf.Len())
}

func TestBuildArchiveScript(t *testing.T) {
	t.Parallel()
	script := string(entry(t, unzip(t, buildArchive(t, testArchiveConfig())), "script.js"))
	assert.Contains(t, script, `var DEFAULT_API_URL = "https://calc.example.com";`, "trailing slash trimmed")
	assert.NotContains(t, script, "__AMOKIT_DEFAULT_API_URL__")
	assert.True(t, strings.HasPrefix(script, "/*"))
	assert.Contains(t, script, "define([], function ()")

	cfg := testArchiveConfig()
	cfg.ServerURL = ""
	script = string(entry(t, unzip(t, buildArchive(t, cfg)), "script.js"))
	assert.Contains(t, script, `var DEFAULT_API_URL = "";`)
}

func TestBuildArchiveRejectsConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*ArchiveConfig)
		want string
	}{
		{"no version", func(c *ArchiveConfig) { c.Version = "" }, "version"},
		{"version with space", func(c *ArchiveConfig) { c.Version = "1 0" }, "version"},
		{"version starting with a dot", func(c *ArchiveConfig) { c.Version = ".1" }, "version"},
		{"http server", func(c *ArchiveConfig) { c.ServerURL = "http://calc.example.com" }, "https"},
		{"server with query", func(c *ArchiveConfig) { c.ServerURL = "https://calc.example.com/?a=1" }, "https"},
		{"server with user info", func(c *ArchiveConfig) { c.ServerURL = "https://u:p@calc.example.com" }, "https"},
		{"server with a quote", func(c *ArchiveConfig) { c.ServerURL = `https://calc.example.com/"x` }, "https"},
		{"relative server", func(c *ArchiveConfig) { c.ServerURL = "calc.example.com" }, "https"},
		{"unknown locale", func(c *ArchiveConfig) { c.Text = map[string]LocaleText{"de": {Name: "Rechner"}} }, `"de"`},
		{"invalid UTF-8", func(c *ArchiveConfig) { c.Text = map[string]LocaleText{"ru": {Name: "\xff"}} }, "UTF-8"},
		{"invalid UTF-8 in a message", func(c *ArchiveConfig) { c.Text = map[string]LocaleText{"en": {Refused: "\xff"}} }, "UTF-8"},
		{"bad e-mail", func(c *ArchiveConfig) { c.SupportEmail = "Support <s@example.com>" }, "e-mail"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testArchiveConfig()
			tc.edit(&cfg)
			var buf bytes.Buffer
			err := BuildArchive(&buf, cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Zero(t, buf.Len(), "nothing is written on error")
		})
	}
}

// copyEntries returns a copy of entries that a test may spoil.
func copyEntries(entries []zipEntry) []zipEntry {
	out := make([]zipEntry, len(entries))
	for i, e := range entries {
		out[i] = zipEntry{e.name, bytes.Clone(e.data)}
	}
	return out
}

func replace(entries []zipEntry, name string, data []byte) []zipEntry {
	out := make([]zipEntry, 0, len(entries))
	for _, e := range entries {
		if e.name == name {
			e.data = data
		}
		out = append(out, e)
	}
	return out
}

func without(entries []zipEntry, name string) []zipEntry {
	var out []zipEntry
	for _, e := range entries {
		if e.name != name {
			out = append(out, e)
		}
	}
	return out
}

// editManifest decodes the good manifest, lets edit change it and encodes it again.
func editManifest(t *testing.T, entries []zipEntry, edit func(m map[string]any)) []zipEntry {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(entry(t, entries, "manifest.json"), &m))
	edit(m)
	data, err := json.Marshal(m)
	require.NoError(t, err)
	return replace(entries, "manifest.json", data)
}

func editI18n(t *testing.T, entries []zipEntry, lang string, edit func(m map[string]any)) []zipEntry {
	t.Helper()
	name := "i18n/" + lang + ".json"
	var m map[string]any
	require.NoError(t, json.Unmarshal(entry(t, entries, name), &m))
	edit(m)
	data, err := json.Marshal(m)
	require.NoError(t, err)
	return replace(entries, name, data)
}

func solidPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// noisePNG is an image that does not compress: 400×272 of noise is over 300 KB.
func noisePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.UintN(256))
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func widgetOf(m map[string]any) map[string]any { return m["widget"].(map[string]any) }

func TestCheckArchiveRejects(t *testing.T) {
	t.Parallel()
	good := unzip(t, buildArchive(t, testArchiveConfig()))
	require.NoError(t, check(zipOf(t, good)), "the unspoilt entries pass")
	bom := []byte{0xEF, 0xBB, 0xBF}
	tests := []struct {
		name  string
		spoil func(t *testing.T, e []zipEntry) []zipEntry
		want  []string
	}{
		{"missing script.js", func(t *testing.T, e []zipEntry) []zipEntry { return without(e, "script.js") },
			[]string{"script.js is missing"}},
		{"missing manifest", func(t *testing.T, e []zipEntry) []zipEntry { return without(e, "manifest.json") },
			[]string{"manifest.json is missing"}},
		{"missing logo_main", func(t *testing.T, e []zipEntry) []zipEntry { return without(e, "images/logo_main.png") },
			[]string{"images/logo_main.png is missing"}},
		{"missing card logo", func(t *testing.T, e []zipEntry) []zipEntry { return without(e, "images/logo_min.png") },
			[]string{"images/logo_min.png is missing"}},
		{"duplicate entry", func(t *testing.T, e []zipEntry) []zipEntry { return append(e, zipEntry{"script.js", nil}) },
			[]string{"script.js appears twice"}},
		{"manifest in a folder", func(t *testing.T, e []zipEntry) []zipEntry {
			for i := range e {
				e[i].name = "widget/" + e[i].name
			}
			return e
		}, []string{
			"manifest.json must be at the root of the archive, not at widget/manifest.json",
			"script.js must be at the root of the archive, not at widget/script.js",
			"images/logo.png is missing",
		}},
		{"wrong logo size", func(t *testing.T, e []zipEntry) []zipEntry {
			return replace(e, "images/logo_small.png", solidPNG(t, 100, 100))
		}, []string{"images/logo_small.png is 100×100, it must be 108×108"}},
		{"image over 300 KB", func(t *testing.T, e []zipEntry) []zipEntry {
			return replace(e, "images/logo_main.png", noisePNG(t, 400, 272))
		}, []string{"images/logo_main.png is larger than the 300 KB amoCRM allows"}},
		{"extra image over 300 KB", func(t *testing.T, e []zipEntry) []zipEntry {
			return append(e, zipEntry{"images/tour_1.png", noisePNG(t, 400, 272)})
		}, []string{"images/tour_1.png is larger than the 300 KB amoCRM allows"}},
		{"not an image", func(t *testing.T, e []zipEntry) []zipEntry {
			return replace(e, "images/logo.png", []byte("GIF? no"))
		}, []string{"images/logo.png is not a readable PNG, JPEG or GIF image"}},
		{"unknown location", func(t *testing.T, e []zipEntry) []zipEntry {
			return editManifest(t, e, func(m map[string]any) { m["locations"] = []any{"leads/card", "settings"} })
		}, []string{`location "leads/card" is not an amoCRM location`}},
		{"lcard-0 with lcard-1", func(t *testing.T, e []zipEntry) []zipEntry {
			return editManifest(t, e, func(m map[string]any) { m["locations"] = []any{"lcard-1", "lcard-0", "settings"} })
		}, []string{"locations lcard-0 and lcard-1 are mutually exclusive"}},
		{"lcard with lcard-0", func(t *testing.T, e []zipEntry) []zipEntry {
			return editManifest(t, e, func(m map[string]any) { m["locations"] = []any{"lcard", "lcard-0"} })
		}, []string{"locations lcard-0 and lcard-1 are mutually exclusive"}},
		{"suffix on settings", func(t *testing.T, e []zipEntry) []zipEntry {
			return editManifest(t, e, func(m map[string]any) { m["locations"] = []any{"lcard-1", "settings-1"} })
		}, []string{`location "settings-1": only card and list locations take -0 or -1`}},
		{"BOM in script.js", func(t *testing.T, e []zipEntry) []zipEntry {
			return replace(e, "script.js", append(bom, entry(t, e, "script.js")...))
		}, []string{"script.js starts with a byte order mark (BOM)"}},
		{"BOM in an i18n file", func(t *testing.T, e []zipEntry) []zipEntry {
			return replace(e, "i18n/ru.json", append(bom, entry(t, e, "i18n/ru.json")...))
		}, []string{"i18n/ru.json starts with a byte order mark (BOM)"}},
		{"BOM in manifest", func(t *testing.T, e []zipEntry) []zipEntry {
			return replace(e, "manifest.json", append(bom, entry(t, e, "manifest.json")...))
		}, []string{"manifest.json starts with a byte order mark (BOM)"}},
		{"invalid UTF-8", func(t *testing.T, e []zipEntry) []zipEntry {
			return replace(e, "i18n/en.json", []byte("{\"widget\":{\"name\":\"\xc0\xaf\"}}"))
		}, []string{"i18n/en.json is not valid UTF-8"}},
		{"UTF-16", func(t *testing.T, e []zipEntry) []zipEntry {
			return append(e, zipEntry{"style.css", []byte{0xFF, 0xFE, 'a', 0}})
		}, []string{"style.css is UTF-16"}},
		{"name is not an i18n key", func(t *testing.T, e []zipEntry) []zipEntry {
			return editManifest(t, e, func(m map[string]any) { widgetOf(m)["name"] = "Калькулятор" })
		}, []string{
			`widget.name "Калькулятор" is not a key with a text in i18n/ru.json`,
			`widget.name "Калькулятор" is not a key with a text in i18n/en.json`,
		}},
		{"key missing in one locale", func(t *testing.T, e []zipEntry) []zipEntry {
			return editI18n(t, e, "en", func(m map[string]any) { delete(m["settings"].(map[string]any), "api_url") })
		}, []string{`settings.api_url.name "settings.api_url" is not a key with a text in i18n/en.json`}},
		{"key is an object", func(t *testing.T, e []zipEntry) []zipEntry {
			return editManifest(t, e, func(m map[string]any) { widgetOf(m)["short_description"] = "widget" })
		}, []string{`widget.short_description "widget" is not a key with a text in i18n/ru.json`}},
		{"interface_version 1", func(t *testing.T, e []zipEntry) []zipEntry {
			return editManifest(t, e, func(m map[string]any) { widgetOf(m)["interface_version"] = 1 })
		}, []string{"widget.interface_version must be 2, not 1"}},
		{"interface_version as a string", func(t *testing.T, e []zipEntry) []zipEntry {
			return editManifest(t, e, func(m map[string]any) { widgetOf(m)["interface_version"] = "2" })
		}, []string{`widget.interface_version must be 2, not "2"`}},
		{"no installation", func(t *testing.T, e []zipEntry) []zipEntry {
			return editManifest(t, e, func(m map[string]any) { delete(widgetOf(m), "installation") })
		}, []string{"widget.installation must be true or false, not nothing"}},
		{"locale without i18n file", func(t *testing.T, e []zipEntry) []zipEntry {
			return editManifest(t, e, func(m map[string]any) { widgetOf(m)["locale"] = []any{"ru", "en", "es"} })
		}, []string{`locale "es" has no i18n/es.json`}},
		{"unknown setting type", func(t *testing.T, e []zipEntry) []zipEntry {
			return editManifest(t, e, func(m map[string]any) {
				m["settings"].(map[string]any)["api_url"].(map[string]any)["type"] = "url"
			})
		}, []string{`settings.api_url.type "url" is not one of text, pass, users, users_lp, custom`}},
		{"manifest not JSON", func(t *testing.T, e []zipEntry) []zipEntry {
			return replace(e, "manifest.json", []byte(`{"widget":`))
		}, []string{"manifest.json is not a JSON object"}},
		{"unsafe path", func(t *testing.T, e []zipEntry) []zipEntry {
			return append(e, zipEntry{"../evil.js", []byte("x")})
		}, []string{`"../evil.js" is not a safe relative path`}},
		{"everything at once", func(t *testing.T, e []zipEntry) []zipEntry {
			e = without(e, "script.js")
			e = replace(e, "i18n/en.json", append(bom, entry(t, e, "i18n/en.json")...))
			return editManifest(t, e, func(m map[string]any) {
				widgetOf(m)["interface_version"] = 3
				m["locations"] = []any{"lcard-0", "lcard-1"}
			})
		}, []string{
			"i18n/en.json starts with a byte order mark (BOM)",
			"script.js is missing",
			"widget.interface_version must be 2, not 3",
			"locations lcard-0 and lcard-1 are mutually exclusive",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := check(zipOf(t, tc.spoil(t, copyEntries(good))))
			require.Error(t, err)
			var aerr *ArchiveError
			require.ErrorAs(t, err, &aerr)
			for _, w := range tc.want {
				found := false
				for _, p := range aerr.Problems {
					found = found || strings.Contains(p, w)
				}
				assert.True(t, found, "want a problem containing %q, got:\n%s", w, strings.Join(aerr.Problems, "\n"))
			}
			assert.Contains(t, err.Error(), tc.want[0])
		})
	}
}

func TestCheckArchiveNotAZip(t *testing.T) {
	t.Parallel()
	err := check([]byte("PK but not really a zip"))
	var aerr *ArchiveError
	require.ErrorAs(t, err, &aerr)
	require.Len(t, aerr.Problems, 1)
	assert.Contains(t, aerr.Problems[0], "not a zip archive")
}

func TestCheckArchiveCardLogosOnlyForCards(t *testing.T) {
	t.Parallel()
	e := unzip(t, buildArchive(t, testArchiveConfig()))
	e = without(without(e, "images/logo_min.png"), "images/logo_medium.png")
	require.Error(t, check(zipOf(t, e)), "a card widget needs them")
	e = editManifest(t, e, func(m map[string]any) { m["locations"] = []any{"settings", "everywhere"} })
	assert.NoError(t, check(zipOf(t, e)), "a widget outside cards does not")
}

func TestCheckArchiveAcceptsTour(t *testing.T) {
	t.Parallel()
	e := unzip(t, buildArchive(t, testArchiveConfig()))
	e = editManifest(t, e, func(m map[string]any) {
		m["tour"] = map[string]any{"is_tour": false, "tour_description": "widget.description"}
	})
	e = append(e, zipEntry{"images/", nil}) // a directory entry, as zip tools write them
	require.NoError(t, check(zipOf(t, e)))

	e = editManifest(t, e, func(m map[string]any) {
		m["tour"] = map[string]any{"is_tour": false, "tour_description": "widget.tour"}
	})
	assert.ErrorContains(t, check(zipOf(t, e)), `tour.tour_description "widget.tour" is not a key`)
}
