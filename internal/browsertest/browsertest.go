package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Environment variables read by Context.
const (
	// EnvChromium names the Chromium (or Chrome) binary to use.
	EnvChromium = "AMOKIT_CHROMIUM"
	// EnvRequireChromium set to "1" makes a missing browser fail the test instead of skipping it.
	EnvRequireChromium = "AMOKIT_REQUIRE_CHROMIUM"
)

// debianChromium is where Debian's chromium package installs the browser.
const debianChromium = "/usr/bin/chromium"

// howToRun is appended to every skip and failure about a missing browser.
const howToRun = "install Chromium (Debian: apt-get install chromium) or set " + EnvChromium +
	" to a Chromium or Chrome binary; set " + EnvRequireChromium + "=1 to make its absence fail"

// closeTimeout bounds the graceful close in the cleanup.
const closeTimeout = 10 * time.Second

// Context returns a chromedp context with a fresh headless Chromium, closed when the test ends
// (t.Cleanup). The browser runs with --no-sandbox, --disable-gpu, --disable-quic,
// --no-first-run, --disable-background-networking, --disable-component-update,
// --disable-sync and its own temporary --user-data-dir, so nothing from the machine's
// profile leaks in and it makes no network requests of its own.
//
// Without a browser (see the package documentation) the test is skipped, or fails when
// AMOKIT_REQUIRE_CHROMIUM=1.
func Context(t testing.TB) context.Context {
	t.Helper()
	return newContext(t, os.Getenv, exec.LookPath, debianChromium)
}

func newContext(t testing.TB, getenv func(string) string, lookPath func(string) (string, error), debian string) context.Context {
	t.Helper()
	path, err := locate(getenv, lookPath, debian)
	if err != nil {
		if getenv(EnvRequireChromium) == "1" {
			t.Fatalf("browsertest: %v (%s is 1); %s", err, EnvRequireChromium, howToRun)
		}
		t.Skipf("browsertest: %v; %s", err, howToRun)
	}

	var output syncBuffer
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(&output),
	}
	// The browser must outlive every action of the test and is closed by the cleanup below,
	// so its context is detached from the test's cancellation.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(t.Context()), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		closeCtx, stop := context.WithTimeout(ctx, closeTimeout)
		defer stop()
		if err := chromedp.Cancel(closeCtx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			t.Logf("browsertest: closing Chromium: %v", err)
		}
		cancel()
		cancelAlloc()
	})

	// Start the browser now, so that a broken installation is reported here and the first
	// action of the test is not the one to pay for the start. chromedp bounds the wait for
	// the browser's DevTools address (20 s).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: starting %s: %v\nbrowser output:\n%s", path, err, output.tail(2048))
	}
	return ctx
}

// locate finds the browser binary: $AMOKIT_CHROMIUM if set (and nothing else then), else
// debian (/usr/bin/chromium), else "chromium" in PATH.
func locate(getenv func(string) string, lookPath func(string) (string, error), debian string) (string, error) {
	if p := getenv(EnvChromium); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvChromium, p, err)
		}
		return p, nil
	}
	if executable(debian) == nil {
		return debian, nil
	}
	if p, err := lookPath("chromium"); err == nil {
		return p, nil
	}
	return "", errors.New("no Chromium found (tried " + debian + " and chromium in PATH)")
}

func executable(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return errors.New("no such file")
	case fi.IsDir():
		return errors.New("is a directory")
	case fi.Mode()&0o111 == 0:
		return errors.New("is not executable")
	}
	return nil
}

// Screenshot saves a PNG of the whole page shown in ctx as
// testdata/artifacts/<test name>-<name>.png (relative to the package directory, where go test
// runs) and returns its path. It reports a failure with t.Errorf and carries on, since a
// missing screenshot should not hide the test's own result.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("browsertest: screenshot %q: %v", name, err)
		return ""
	}
	dir := filepath.Join("testdata", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("browsertest: screenshot %q: %v", name, err)
		return ""
	}
	path := filepath.Join(dir, fileName(t.Name())+"-"+fileName(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("browsertest: screenshot %q: %v", name, err)
		return ""
	}
	t.Logf("browsertest: screenshot saved to %s", path)
	return path
}

// fileName keeps letters, digits, '.', '-' and '_' and turns everything else (the '/' of
// subtests, spaces) into '_'.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// syncBuffer collects the browser's output for the start-up error message.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() < 1<<20 {
		b.buf.Write(p)
	}
	return len(p), nil
}

func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
