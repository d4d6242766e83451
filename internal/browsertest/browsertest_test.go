package browsertest

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func noPath(string) (string, error) { return "", exec.ErrNotFound }

func TestLocate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exe := filepath.Join(dir, "chrome")
	require.NoError(t, os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755))
	plain := filepath.Join(dir, "plain")
	require.NoError(t, os.WriteFile(plain, []byte("x"), 0o644))
	missing := filepath.Join(dir, "missing")
	inPath := func(name string) (string, error) { return "/opt/bin/" + name, nil }

	tests := []struct {
		name     string
		env      map[string]string
		lookPath func(string) (string, error)
		debian   string
		want     string
		wantErr  string
	}{
		{name: "env wins", env: map[string]string{EnvChromium: exe}, lookPath: inPath, debian: exe, want: exe},
		{name: "env missing is not replaced by others", env: map[string]string{EnvChromium: missing}, lookPath: inPath, debian: exe, wantErr: "no such file"},
		{name: "env not executable", env: map[string]string{EnvChromium: plain}, lookPath: inPath, debian: exe, wantErr: "not executable"},
		{name: "env directory", env: map[string]string{EnvChromium: dir}, lookPath: inPath, debian: exe, wantErr: "is a directory"},
		{name: "debian path", lookPath: inPath, debian: exe, want: exe},
		{name: "PATH", lookPath: inPath, debian: missing, want: "/opt/bin/chromium"},
		{name: "nothing", lookPath: noPath, debian: missing, wantErr: "no Chromium found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := locate(env(tc.env), tc.lookPath, tc.debian)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// recordingTB records Skip and Fatal instead of ending the real test; like the real ones, they
// end the goroutine that calls them.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func runRecorded(t *testing.T, vars map[string]string) *recordingTB {
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		newContext(rec, env(vars), noPath, "/nonexistent/chromium")
		rec.failed = "newContext returned a context without a browser"
	}()
	<-done
	return rec
}

func TestContextSkipsWithoutBrowser(t *testing.T) {
	t.Parallel()
	rec := runRecorded(t, map[string]string{EnvChromium: "/nonexistent"})
	assert.Empty(t, rec.failed)
	assert.Contains(t, rec.skipped, "AMOKIT_CHROMIUM=/nonexistent")
	assert.Contains(t, rec.skipped, "apt-get install chromium")
	assert.Contains(t, rec.skipped, EnvRequireChromium+"=1")
}

func TestContextFailsWhenRequired(t *testing.T) {
	t.Parallel()
	rec := runRecorded(t, map[string]string{EnvChromium: "/nonexistent", EnvRequireChromium: "1"})
	assert.Empty(t, rec.skipped)
	assert.Contains(t, rec.failed, "AMOKIT_CHROMIUM=/nonexistent")
	assert.Contains(t, rec.failed, "AMOKIT_REQUIRE_CHROMIUM is 1")
}

func TestContextAndScreenshot(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>browsertest</title>
<body style="margin:0;background:#1e6f9f"><div id="pane" style="height:1400px">glass</div>
<script>document.title = 'ready ' + navigator.userAgent.indexOf('Headless')</script>`)
	}))
	t.Cleanup(srv.Close)

	ctx := Context(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL)))
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(title, "ready "), title)
	assert.NotEqual(t, "ready -1", title, "the browser must run headless")

	path := Screenshot(t, ctx, "blue page/1")
	require.NotEmpty(t, path)
	assert.Equal(t, filepath.Join("testdata", "artifacts", "TestContextAndScreenshot-blue_page_1.png"), path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, 1400, img.Bounds().Dy(), "a full-page screenshot covers the whole document")
	r, g, b, _ := img.At(600, 700).RGBA()
	assert.Equal(t, [3]uint32{0x1e, 0x6f, 0x9f}, [3]uint32{r >> 8, g >> 8, b >> 8}, "the page's background colour")
}

func TestFileName(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "TestX_sub_case-1.png", fileName("TestX/sub case-1.png"))
	assert.Equal(t, "a_b", fileName("a/b"))
}
