package calculator_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/widget"
)

// calculatorArchive builds the calculator's widget.zip and returns its entries by name, in order.
func calculatorArchive(t *testing.T) ([]string, map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, widget.BuildArchive(&buf, widget.ArchiveConfig{
		ServerURL: "https://calc.example.com", Version: "1.0.0", SupportEmail: "support@example.com",
		Text: calculator.WidgetText(), Logo: calculator.WidgetLogo,
	}))
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	var names []string
	entries := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		names = append(names, f.Name)
		entries[f.Name] = data
	}
	return names, entries
}

// TestWidgetArchiveGolden: the calculator's widget.zip keeps its manifest, its texts in both
// languages and its logos' pixels exactly (testdata/widget, taken from the archive as it was
// built before the texts and the logo moved out of package widget).
func TestWidgetArchiveGolden(t *testing.T) {
	t.Parallel()
	_, entries := calculatorArchive(t)
	for name, golden := range map[string]string{
		"manifest.json": "manifest.json", "i18n/ru.json": "i18n.ru.json", "i18n/en.json": "i18n.en.json",
	} {
		want, err := os.ReadFile(filepath.Join("testdata", "widget", golden))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(entries[name]), name)
	}
	if runtime.GOARCH != "amd64" {
		return // elsewhere the compiler may fuse the drawing's multiply-adds, moving a pixel by one
	}
	want, err := os.ReadFile(filepath.Join("testdata", "widget", "logos.pixels.sha256"))
	require.NoError(t, err)
	var got strings.Builder
	for _, name := range []string{"images/logo.png", "images/logo_main.png", "images/logo_medium.png", "images/logo_min.png", "images/logo_small.png"} {
		img, err := png.Decode(bytes.NewReader(entries[name]))
		require.NoError(t, err, name)
		nrgba := image.NewNRGBA(img.Bounds())
		draw.Draw(nrgba, nrgba.Bounds(), img, image.Point{}, draw.Src)
		fmt.Fprintf(&got, "%x  %s %dx%d\n", sha256.Sum256(nrgba.Pix), name, img.Bounds().Dx(), img.Bounds().Dy())
	}
	assert.Equal(t, string(want), got.String(), "the logos' pixels")
}

// TestWidgetArchiveTexts: every text of the card block is the calculator's own in both languages,
// and the block's title is the widget's name.
func TestWidgetArchiveTexts(t *testing.T) {
	t.Parallel()
	_, entries := calculatorArchive(t)
	assert.Contains(t, string(entries["i18n/ru.json"]), `"name": "Калькулятор стекла"`)
	assert.Contains(t, string(entries["i18n/ru.json"]), `"title": "Калькулятор стекла"`)
	assert.Contains(t, string(entries["i18n/en.json"]), `"title": "Glass calculator"`)
	for lang, text := range calculator.WidgetText() {
		for _, s := range []string{text.Name, text.ShortDescription, text.Description, text.ServerSetting,
			text.Loading, text.Error, text.Retry, text.NoServer, text.NotConnected, text.Stale, text.Refused} {
			assert.NotEmpty(t, s, lang)
			assert.Contains(t, string(entries["i18n/"+lang+".json"]), s, lang)
		}
		assert.Contains(t, text.NotConnected, "{admin}", lang)
	}
}

// TestWidgetLogo: the glass-pane motif is drawn at each size amoCRM asks for, opaque.
func TestWidgetLogo(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{130, 100}, {400, 272}, {240, 84}, {84, 84}, {108, 108}} {
		w, h := size[0], size[1]
		data, err := calculator.WidgetLogo(w, h)
		require.NoError(t, err)
		assert.Less(t, len(data), widget.MaxImageSize)
		img, err := png.Decode(bytes.NewReader(data))
		require.NoError(t, err)
		assert.Equal(t, image.Rect(0, 0, w, h), img.Bounds())
		// The motif is drawn: the picture is not one flat colour.
		colours := map[color.Color]bool{}
		for y := 0; y < h; y += 2 {
			for x := 0; x < w; x += 2 {
				colours[img.At(x, y)] = true
			}
		}
		assert.Greater(t, len(colours), 20, "%dx%d", w, h)
		_, _, _, a := img.At(0, 0).RGBA()
		assert.Equal(t, uint32(0xffff), a, "%dx%d is opaque", w, h)
	}
}
