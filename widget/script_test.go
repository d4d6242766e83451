package widget

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/internal/browsertest"
)

// cardPage stands in for an amoCRM lead card: it provides the globals script.js uses (define,
// APP.data.current_card, and a widget base with system, get_settings, i18n, render_template and
// $authorizedAjax) and loads script.js from the archive. The query chooses the card:
// lead=<id>, area=<system().area>, api=default to leave the api_url setting empty.
var cardPage = template.Must(template.New("card").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>amoCRM lead card</title></head>
<style>button { display: inline-block } iframe { display: block }</style>
<body style="margin:0;font:14px sans-serif;background:#f5f6f8">
<div id="card_widgets_block" style="width:320px;margin:16px;padding:8px;background:#fff;border:1px solid #dde"></div>
<script>
(function () {
  var q = new URLSearchParams(location.search);
  var langs = {{.Langs}};
  window.APP = { data: { current_card: { id: Number(q.get('lead') || 0) } } };
  window.amo = { requests: [], messageListeners: 0, deps: null, factory: null };
  window.define = function (deps, factory) { amo.deps = deps; amo.factory = factory; };

  // Count the message listeners the widget adds and removes.
  var add = window.addEventListener, remove = window.removeEventListener;
  window.addEventListener = function (type, fn, opt) {
    if (type === 'message') amo.messageListeners++;
    return add.call(window, type, fn, opt);
  };
  window.removeEventListener = function (type, fn, opt) {
    if (type === 'message') amo.messageListeners--;
    return remove.call(window, type, fn, opt);
  };

  function Widget() {}
  Widget.prototype.system = function () { return { area: q.get('area') || 'lcard', subdomain: 'acme' }; };
  Widget.prototype.get_settings = function () {
    var s = { widget_code: 'amokit_calc', status: 'installed' };
    if (q.get('api') !== 'default') s.api_url = location.origin + '/';
    return s;
  };
  Widget.prototype.i18n = function (key) { return langs[key]; };
  Widget.prototype.render_template = function (opts) {
    var frame = document.createElement('div');
    frame.className = 'widget-frame ' + opts.caption.class_name;
    frame.innerHTML = opts.body;
    document.getElementById('card_widgets_block').appendChild(frame);
  };
  // Like amoCRM's: jQuery.ajax options in, a deferred with done/fail/abort out, X-Auth-Token added.
  Widget.prototype.$authorizedAjax = function (opts) {
    amo.requests.push({ url: opts.url, method: opts.method || opts.type, contentType: opts.contentType, data: opts.data });
    var state = 'pending', args = null, dones = [], fails = [];
    function settle(s, a) {
      if (state !== 'pending') return;
      state = s; args = a;
      (s === 'resolved' ? dones : fails).forEach(function (cb) { cb.apply(null, args); });
    }
    var xhr = new XMLHttpRequest();
    var d = {
      done: function (cb) { if (state === 'resolved') cb.apply(null, args); else if (state === 'pending') dones.push(cb); return d; },
      fail: function (cb) { if (state === 'rejected') cb.apply(null, args); else if (state === 'pending') fails.push(cb); return d; },
      abort: function () { xhr.abort(); settle('rejected', [{ status: 0, responseText: '' }, 'abort', '']); }
    };
    if (opts.url.indexOf(location.origin + '/') !== 0) { // no real network in tests
      setTimeout(function () { settle('rejected', [{ status: 0, responseText: '' }, 'error', '']); }, 0);
      return d;
    }
    xhr.open(opts.method || opts.type || 'GET', opts.url);
    xhr.setRequestHeader('X-Auth-Token', 'test-disposable-token');
    if (opts.contentType) xhr.setRequestHeader('Content-Type', opts.contentType);
    xhr.onload = function () {
      var json = null;
      try { json = JSON.parse(xhr.responseText); } catch (e) {}
      var jq = { status: xhr.status, responseText: xhr.responseText, responseJSON: json };
      if (xhr.status >= 200 && xhr.status < 300) settle('resolved', [json, 'success', jq]);
      else settle('rejected', [jq, 'error', xhr.statusText]);
    };
    xhr.onerror = function () { settle('rejected', [{ status: 0, responseText: '' }, 'error', '']); };
    xhr.send(opts.data);
    return d;
  };
  // create instantiates the widget the way amoCRM's loader does: the system methods come from
  // the base, the module's constructor sets callbacks.
  amo.create = function () {
    var w = Object.create(Widget.prototype);
    var ret = amo.factory().call(w);
    amo.returnedSelf = ret === w;
    return w;
  };
  amo.snapshot = function () {
    var blocks = document.querySelectorAll('.amokit-calc');
    var el = blocks[0];
    var frame = el && el.querySelector('iframe');
    var status = el && el.querySelector('.amokit-calc__status');
    var retry = el && el.querySelector('.amokit-calc__retry');
    function shown(e) { return !!e && getComputedStyle(e).display !== 'none'; }
    return {
      blocks: blocks.length,
      frames: document.querySelectorAll('iframe').length,
      state: el ? el.getAttribute('data-state') : '',
      src: frame ? frame.getAttribute('src') || '' : '',
      frameHidden: !shown(frame),
      frameHeight: frame ? frame.style.height : '',
      status: shown(status) ? status.textContent : '',
      retryShown: shown(retry),
      listeners: amo.messageListeners,
      requests: amo.requests
    };
  };
})();
</script>
<script src="/script.js"></script>
</body></html>`))

type ajaxRequest struct {
	URL         string `json:"url"`
	Method      string `json:"method"`
	ContentType string `json:"contentType"`
	Data        string `json:"data"`
}

type cardSnapshot struct {
	Blocks      int           `json:"blocks"`
	Frames      int           `json:"frames"`
	State       string        `json:"state"`
	Src         string        `json:"src"`
	FrameHidden bool          `json:"frameHidden"`
	FrameHeight string        `json:"frameHeight"`
	Status      string        `json:"status"`
	RetryShown  bool          `json:"retryShown"`
	Listeners   int           `json:"listeners"`
	Requests    []ajaxRequest `json:"requests"`
}

type sessionCall struct {
	LeadID      int64
	Token       string
	ContentType string
}

// sessionServer plays our backend: it serves the card page, script.js from the archive, the
// session endpoint and the calculator frame.
type sessionServer struct {
	*httptest.Server
	mu    sync.Mutex
	calls []sessionCall
}

func (s *sessionServer) callsFor(lead int64) []sessionCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sessionCall
	for _, c := range s.calls {
		if c.LeadID == lead {
			out = append(out, c)
		}
	}
	return out
}

const (
	leadOK       = 4242 // session answered; the frame asks for 321 px
	leadFlaky    = 13   // the first session call fails with a JSON error
	leadForeign  = 66   // the session answers with an iframe URL on another origin
	leadDefault  = 5150 // used with api=default
	leadTall     = 4343 // the frame asks for more than any window shows
	frameHeight  = 321
	tallHeight   = 3000
	expiredError = "the amoCRM token has expired; reload the card"
)

func newSessionServer(t *testing.T) *sessionServer {
	t.Helper()
	entries := unzip(t, buildArchive(t, ArchiveConfig{ServerURL: "https://calc.example.test", Version: "1.0.0"}))
	script := entry(t, entries, "script.js")
	var langs map[string]any
	require.NoError(t, json.Unmarshal(entry(t, entries, "i18n/ru.json"), &langs))
	var page bytes.Buffer
	require.NoError(t, cardPage.Execute(&page, map[string]any{"Langs": langs}))

	s := &sessionServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page.Bytes())
	})
	mux.HandleFunc("GET /script.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(script)
	})
	mux.HandleFunc("POST /widget/session", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			LeadID int64 `json:"lead_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			WriteError(w, http.StatusBadRequest, "bad_json", err.Error())
			return
		}
		s.mu.Lock()
		s.calls = append(s.calls, sessionCall{body.LeadID, r.Header.Get("X-Auth-Token"), r.Header.Get("Content-Type")})
		n := 0
		for _, c := range s.calls {
			if c.LeadID == body.LeadID {
				n++
			}
		}
		s.mu.Unlock()
		iframeURL := s.URL + "/frame?ticket=T" + strconv.FormatInt(body.LeadID, 10)
		switch {
		case body.LeadID == leadFlaky && n == 1:
			WriteError(w, http.StatusUnauthorized, CodeTokenExpired, expiredError)
			return
		case body.LeadID == leadForeign:
			iframeURL = "https://evil.example/frame"
		case body.LeadID == leadOK:
			iframeURL += "&h=" + strconv.Itoa(frameHeight)
		case body.LeadID == leadTall:
			iframeURL += "&h=" + strconv.Itoa(tallHeight)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"iframe_url": iframeURL})
	})
	mux.HandleFunc("GET /frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><body style="margin:0;background:#dff0fa;font:14px sans-serif">
<p style="padding:12px">Glass calculator</p>
<script>
var h = Number(new URLSearchParams(location.search).get('h'));
if (h) parent.postMessage({ type: 'amokit:calc:resize', height: h }, '*');
</script>`)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestScriptInChromium(t *testing.T) {
	t.Parallel()
	browser := browsertest.Context(t)
	srv := newSessionServer(t)
	ru := buildI18n("ru", LocaleText{})

	// open loads the card page in a new tab of the browser.
	open := func(t *testing.T, query string) *tab {
		t.Helper()
		ctx, cancel := chromedp.NewContext(browser)
		t.Cleanup(cancel)
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?"+query)))
		deps, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`amo.deps`))
		require.NoError(t, err)
		assert.Empty(t, deps, "script.js is an AMD module without dependencies")
		return &tab{t: t, ctx: ctx}
	}

	t.Run("two renders give one iframe with the session's URL", func(t *testing.T) {
		t.Parallel()
		tb := open(t, "lead=4242")
		assert.Equal(t, []bool{true, true, true, true, true, true, true},
			evalJS[[]bool](tb, `(function () { window.w = amo.create();
				var c = w.callbacks;
				return [amo.returnedSelf, c.render(), c.render(), c.init(), c.bind_actions(), c.render(), c.init()]; })()`))
		snap := tb.waitState("ready")
		assert.Equal(t, 1, snap.Blocks)
		assert.Equal(t, 1, snap.Frames)
		assert.Equal(t, srv.URL+"/frame?ticket=T4242&h=321", snap.Src)
		assert.False(t, snap.FrameHidden)
		assert.False(t, snap.RetryShown)
		assert.Equal(t, 1, snap.Listeners)

		require.Len(t, snap.Requests, 1, "init twice asks for one session")
		assert.Equal(t, srv.URL+"/widget/session", snap.Requests[0].URL)
		assert.Equal(t, "POST", snap.Requests[0].Method)
		assert.Equal(t, "application/json", snap.Requests[0].ContentType)
		assert.JSONEq(t, `{"lead_id":4242}`, snap.Requests[0].Data)
		calls := srv.callsFor(leadOK)
		require.Len(t, calls, 1)
		assert.Equal(t, sessionCall{LeadID: leadOK, Token: "test-disposable-token", ContentType: "application/json"}, calls[0])

		// The calculator page asks for its height.
		assert.Equal(t, strconv.Itoa(frameHeight)+"px", pollJS[string](tb, `(function () { var f = document.querySelector('iframe');
			return f && f.style.height === '321px' && f.style.height; })()`))
		// A message from anything but the frame is ignored. The probe listener is added after the
		// widget's, so when it runs the widget has seen the message.
		assert.Equal(t, "321px", evalJS[string](tb, `new Promise(function (resolve) {
			EventTarget.prototype.addEventListener.call(window, 'message', function (e) {
				if (e.data && e.data.probe) resolve(document.querySelector('iframe').style.height);
			});
			window.postMessage({ type: 'amokit:calc:resize', height: 999, probe: true }, '*');
		})`, chromedp.EvalAwaitPromise))
		browsertest.Screenshot(t, tb.ctx, "ready")

		assert.True(t, evalJS[bool](tb, `w.callbacks.destroy()`))
		snap = tb.snapshot()
		assert.Zero(t, snap.Blocks, "destroy removes the block")
		assert.Zero(t, snap.Frames)
		assert.Zero(t, snap.Listeners, "destroy removes the message listener")
	})

	t.Run("a tall calculator gets no more than the window's height", func(t *testing.T) {
		t.Parallel()
		tb := open(t, "lead=4343")
		evalJS[bool](tb, `(function () { var c = amo.create().callbacks; c.render(); c.init(); return true; })()`)
		tb.waitState("ready")
		// fits waits until the frame is the window's height less the margin, and reports the
		// window's height and the frame's.
		fits := `(function () { var f = document.querySelector('iframe');
			var h = f && f.getBoundingClientRect().height;
			return h === innerHeight - 16 && [innerHeight, h]; })()`
		got := pollJS[[]int](tb, fits)
		assert.Less(t, got[1], tallHeight, "the frame is capped")
		for _, height := range []int64{500, 700} {
			require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, height)))
			assert.Equal(t, []int{int(height), int(height) - 16}, pollJS[[]int](tb, fits), "the frame follows the window")
		}

		// Below the window's top, the frame's bottom is out of view; the calculator's {type: show}
		// (sent from inside the frame) scrolls the card until all of the frame is in it.
		assert.Equal(t, true, evalJS[bool](tb, `(function (f) {
			document.body.style.paddingTop = '300px';
			window.scrollTo(0, 0);
			return f.getBoundingClientRect().bottom > innerHeight;
		})(document.querySelector('iframe'))`), "the frame's bottom starts out of view")
		evalJS[bool](tb, `(document.querySelector('iframe').contentWindow.eval("parent.postMessage({type: 'amokit:calc:show'}, '*')"), true)`)
		assert.True(t, pollJS[bool](tb, `(function (r) { return r.top >= 0 && r.bottom <= innerHeight; })(document.querySelector('iframe').getBoundingClientRect())`))
		browsertest.Screenshot(t, tb.ctx, "capped")
	})

	t.Run("an unsaved lead renders nothing", func(t *testing.T) {
		t.Parallel()
		tb := open(t, "lead=0")
		assert.Equal(t, []bool{true, true, true, true}, evalJS[[]bool](tb, `(function () { window.w = amo.create();
			var c = w.callbacks; return [c.render(), c.init(), c.bind_actions(), c.render()]; })()`))
		snap := tb.snapshot()
		assert.Zero(t, snap.Blocks)
		assert.Zero(t, snap.Frames)
		assert.Empty(t, snap.Requests)
		assert.Zero(t, snap.Listeners)
		assert.True(t, evalJS[bool](tb, `w.callbacks.destroy()`), "destroy without a block")
	})

	t.Run("outside the lead card renders nothing", func(t *testing.T) {
		t.Parallel()
		tb := open(t, "lead=4242&area=ccard")
		assert.Equal(t, []bool{true, true}, evalJS[[]bool](tb, `(function () { var c = amo.create().callbacks;
			return [c.render(), c.init()]; })()`))
		snap := tb.snapshot()
		assert.Zero(t, snap.Blocks)
		assert.Empty(t, snap.Requests)
	})

	t.Run("a failed session shows a readable error and can be retried", func(t *testing.T) {
		t.Parallel()
		tb := open(t, "lead=13")
		evalJS[bool](tb, `(function () { window.w = amo.create(); w.callbacks.render(); w.callbacks.init(); return true; })()`)
		snap := tb.waitState("error")
		assert.Equal(t, ru.Calc.Stale, snap.Status, "what to do, not the server's English detail")
		assert.True(t, snap.RetryShown)
		assert.True(t, snap.FrameHidden)
		assert.Empty(t, snap.Src)
		browsertest.Screenshot(t, tb.ctx, "error")

		evalJS[bool](tb, `(document.querySelector('.amokit-calc__retry').click(), true)`)
		snap = tb.waitState("ready")
		assert.Equal(t, srv.URL+"/frame?ticket=T13", snap.Src)
		assert.False(t, snap.RetryShown)
		assert.Equal(t, 1, snap.Blocks)
		assert.Len(t, srv.callsFor(leadFlaky), 2)
	})

	t.Run("an iframe URL on another origin is refused", func(t *testing.T) {
		t.Parallel()
		tb := open(t, "lead=66")
		evalJS[bool](tb, `(function () { var c = amo.create().callbacks; c.render(); c.init(); return true; })()`)
		snap := tb.waitState("error")
		assert.Empty(t, snap.Src)
		assert.Equal(t, ru.Calc.Error, snap.Status)
		assert.Len(t, srv.callsFor(leadForeign), 1)
	})

	t.Run("without the api_url setting the built-in server is asked", func(t *testing.T) {
		t.Parallel()
		tb := open(t, "lead=5150&api=default")
		evalJS[bool](tb, `(function () { var c = amo.create().callbacks; c.render(); c.init(); return true; })()`)
		snap := tb.waitState("error")
		require.Len(t, snap.Requests, 1)
		assert.Equal(t, "https://calc.example.test/widget/session", snap.Requests[0].URL)
		assert.Empty(t, srv.callsFor(leadDefault))
	})

	t.Run("destroy while the session is asked for drops the answer", func(t *testing.T) {
		t.Parallel()
		tb := open(t, "lead=777")
		snap := evalJS[cardSnapshot](tb, `(function () { var c = amo.create().callbacks; c.render(); c.init(); c.destroy();
			return amo.snapshot(); })()`)
		assert.Zero(t, snap.Blocks)
		// Render again on the same page, as the loader does for the next card: a fresh block.
		evalJS[bool](tb, `(function () { window.w2 = amo.create(); w2.callbacks.render(); w2.callbacks.init(); return true; })()`)
		snap = tb.waitState("ready")
		assert.Equal(t, 1, snap.Blocks)
		assert.Equal(t, 1, snap.Frames)
	})
}

// tab is one browser tab showing the card page.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// evalJS evaluates a JavaScript expression in the tab and decodes its value.
func evalJS[T any](tb *tab, expr string, opts ...chromedp.EvaluateOption) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr, opts...))
	require.NoError(tb.t, err, expr)
	return v
}

// pollJS waits until the expression is truthy and returns its value.
func pollJS[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Poll[T](expr,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(tb.t, err, expr)
	return v
}

func (tb *tab) snapshot() cardSnapshot {
	tb.t.Helper()
	return evalJS[cardSnapshot](tb, `amo.snapshot()`)
}

// waitState waits until the block leaves the loading state and checks it reached want.
func (tb *tab) waitState(want string) cardSnapshot {
	tb.t.Helper()
	state := pollJS[string](tb, `(function () { var el = document.querySelector('.amokit-calc');
		var s = el && el.getAttribute('data-state'); return s !== 'loading' && s; })()`)
	require.Equal(tb.t, want, state, "%+v", tb.snapshot())
	return tb.snapshot()
}
