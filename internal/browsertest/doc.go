// Package browsertest starts headless Chromium for tests through chromedp.
//
// Context returns a browser context that lives until the test ends. The browser is found in
// this order: the path in AMOKIT_CHROMIUM, /usr/bin/chromium, then "chromium" in PATH. When
// none exists the test is skipped with a message saying how to run it (install Debian's
// chromium package, or point AMOKIT_CHROMIUM at a Chromium or Chrome binary), unless
// AMOKIT_REQUIRE_CHROMIUM=1 is set, as in CI, which turns the skip into a failure.
//
//	func TestPage(t *testing.T) {
//		ctx := browsertest.Context(t)
//		err := chromedp.Do(ctx, chromedp.Navigate(srv.URL))
//		...
//		browsertest.Screenshot(t, ctx, "after-load")
//	}
//
// The returned context has already started its browser. Derive a context with a timeout from
// it to bound a single action, and call chromedp.NewContext(ctx) once per goroutine to work
// in several tabs in parallel.
//
// Screenshot writes PNG files under testdata/artifacts/ of the package under test, a
// directory that git ignores; CI keeps it as a build artifact.
package browsertest
