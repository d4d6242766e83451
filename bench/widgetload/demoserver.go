package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// demoServer is examples/widgetserver running in demo mode in a child process, connected to its
// fake amoCRM the way a person connects it: the admin page, the fake's consent page, the OAuth
// callback. Tickets come from POST /widget/session with the disposable tokens the demo card's
// token URL hands out, as in amoCRM. Its memory is read from /proc (RSS) and from the runtime's
// GC trace (GODEBUG=gctrace=1: the live heap after each GC).
type demoServer struct {
	cmd  *exec.Cmd
	base string

	mu       sync.Mutex
	liveHeap uint64         // bytes, from the last gctrace line
	logs     map[string]int // WARN and ERROR log lines by level and message
	lastLogs []string
	done     chan struct{} // closed when stderr ends
}

var (
	reListening = regexp.MustCompile(`listening on (http://[^\s,]+)`)
	reAdmin     = regexp.MustCompile(`(http://\S+/admin\?token=\S+)`)
	reCard      = regexp.MustCompile(`(http://\S+/demo/card\?lead=\d+)`)
	reGC        = regexp.MustCompile(`^gc \d+ @[\d.]+s .* (\d+)->(\d+)->(\d+) MB`)
)

// buildWidgetserver builds examples/widgetserver of the module in the current directory into dir.
func buildWidgetserver(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "widgetserver")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/widgetserver")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building ./examples/widgetserver (run from the repository root, or give -server-bin): %w", err)
	}
	return bin, nil
}

// startDemoServer starts bin -demo on a free loopback port and waits for its addresses.
func startDemoServer(ctx context.Context, bin string) (*demoServer, string, error) {
	cmd := exec.Command(bin, "-demo", "-addr", "127.0.0.1:0", "-log-level", "warn")
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	d := &demoServer{cmd: cmd, logs: map[string]int{}, done: make(chan struct{})}
	go d.readStderr(stderr)

	found := make(chan [3]string, 1)
	go func() {
		var got [3]string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			for i, re := range []*regexp.Regexp{reListening, reAdmin, reCard} {
				if m := re.FindStringSubmatch(line); m != nil && got[i] == "" {
					got[i] = m[1]
				}
			}
			if got[0] != "" && got[1] != "" && got[2] != "" {
				found <- got
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case got := <-found:
		d.base = got[0]
		return d, got[1] + "\n" + got[2], nil
	case <-time.After(time.Minute):
	case <-ctx.Done():
	}
	d.stop()
	return nil, "", errors.New("widgetserver -demo did not print its addresses within a minute")
}

func (d *demoServer) readStderr(r io.Reader) {
	defer close(d.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := reGC.FindStringSubmatch(line); m != nil {
			live, _ := strconv.ParseUint(m[3], 10, 64)
			d.mu.Lock()
			d.liveHeap = live << 20
			d.mu.Unlock()
			continue
		}
		var rec struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil || (rec.Level != "WARN" && rec.Level != "ERROR") {
			continue
		}
		d.mu.Lock()
		d.logs[rec.Level+" "+rec.Msg]++
		if len(d.lastLogs) < 5 {
			d.lastLogs = append(d.lastLogs, line)
		}
		d.mu.Unlock()
	}
}

// memory reads the child's live heap (as of its last GC, in whole MB) and RSS.
func (d *demoServer) memory() memSample {
	d.mu.Lock()
	heap := d.liveHeap
	d.mu.Unlock()
	return memSample{heap: heap, rss: procRSS(strconv.Itoa(d.cmd.Process.Pid)), coarse: true}
}

// warnings returns the WARN and ERROR lines the server logged, by level and message.
func (d *demoServer) warnings() (map[string]int, []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.logs))
	for k, v := range d.logs {
		out[k] = v
	}
	return out, append([]string(nil), d.lastLogs...)
}

// stop asks the server to shut down gracefully (SIGTERM) and kills it after 30 s.
func (d *demoServer) stop() {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan struct{})
	go func() { d.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
		<-exited
	}
}

// connect does what a person does in the demo: log in to the admin page with the printed link,
// submit the prefilled connect form, press «Разрешить» on the fake's consent page, and let the
// callback store the tokens. Then it opens a ticket for every demo lead: the disposable token
// from the card's token URL, POST /widget/session.
func (d *demoServer) connect(ctx context.Context, links string) (*site, error) {
	adminLink, cardLink, _ := strings.Cut(links, "\n")
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (*http.Response, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, "", err
		}
		return send(hc, req)
	}
	postForm := func(u string, form url.Values, origin string) (*http.Response, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		return send(hc, req)
	}

	// 1. The admin link sets the session cookie.
	if resp, _, err := get(adminLink); err != nil || resp.StatusCode != http.StatusSeeOther {
		return nil, stepErr("admin login", resp, err)
	}
	resp, page, err := get(d.base + "/admin")
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, stepErr("admin page", resp, err)
	}
	form := url.Values{}
	for _, name := range []string{"csrf", "domain", "client_id", "client_secret"} {
		v, ok := inputValue(page, name)
		if !ok {
			return nil, fmt.Errorf("admin page: no %s field in the connect form", name)
		}
		form.Set(name, v)
	}
	// 2. The connect form sends the browser to the consent page.
	resp, _, err = postForm(d.base+"/admin/connect", form, d.base)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		return nil, stepErr("admin connect", resp, err)
	}
	consentURL := resp.Header.Get("Location")
	resp, page, err = get(consentURL)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, stepErr("consent page", resp, err)
	}
	consent := url.Values{"decision": {"allow"}}
	for _, name := range []string{"client_id", "state", "mode", "account"} {
		if v, ok := inputValue(page, name); ok {
			consent.Set(name, v)
		}
	}
	// 3. «Разрешить»: the fake redirects to the callback, which exchanges the code.
	resp, _, err = postForm(consentURL, consent, "")
	if err != nil || resp.StatusCode != http.StatusFound {
		return nil, stepErr("consent", resp, err)
	}
	if resp, _, err = get(resp.Header.Get("Location")); err != nil || resp.StatusCode >= 400 {
		return nil, stepErr("OAuth callback", resp, err)
	}

	// 4. The demo card says where disposable tokens come from and which leads there are.
	resp, page, err = get(cardLink)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, stepErr("demo card", resp, err)
	}
	var cfg struct {
		TokenURL  string `json:"token_url"`
		Subdomain string `json:"subdomain"`
	}
	const open = `<script id="demo-config" type="application/json">`
	_, rest, ok := strings.Cut(page, open)
	raw, _, ok2 := strings.Cut(rest, "</script>")
	if !ok || !ok2 || json.Unmarshal([]byte(raw), &cfg) != nil || cfg.TokenURL == "" {
		return nil, errors.New("demo card: no demo-config with a token_url")
	}
	s := &site{base: d.base, tickets: map[int64]string{}}
	seen := map[int64]bool{}
	for _, m := range regexp.MustCompile(`lead=(\d+)`).FindAllStringSubmatch(page, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		if !seen[id] {
			seen[id] = true
			s.leads = append(s.leads, id)
		}
	}
	for _, lead := range s.leads {
		resp, body, err := get(cfg.TokenURL)
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, stepErr("disposable token", resp, err)
		}
		var tok struct {
			Token string `json:"token"`
		}
		if json.Unmarshal([]byte(body), &tok) != nil || tok.Token == "" {
			return nil, errors.New("disposable token: no token in the answer")
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+"/widget/session", strings.NewReader(`{"lead_id":`+strconv.FormatInt(lead, 10)+`}`))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-Token", tok.Token)
		req.Header.Set("Origin", "https://"+cfg.Subdomain+".amocrm.ru")
		resp, body, err = send(hc, req)
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, stepErr("session", resp, err)
		}
		var sess struct {
			Ticket string `json:"ticket"`
		}
		if json.Unmarshal([]byte(body), &sess) != nil || sess.Ticket == "" {
			return nil, errors.New("session: no ticket in the answer")
		}
		s.tickets[lead] = sess.Ticket
	}
	if len(s.leads) == 0 {
		return nil, errors.New("demo card: no leads")
	}
	return s, nil
}

func send(hc *http.Client, req *http.Request) (*http.Response, string, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp, string(b), err
}

func stepErr(step string, resp *http.Response, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", step, err)
	}
	return fmt.Errorf("%s: unexpected answer %s", step, resp.Status)
}

// inputValue finds <input … name="name" … value="…"> in page.
func inputValue(page, name string) (string, bool) {
	re := regexp.MustCompile(`<input[^>]*\bname="` + regexp.QuoteMeta(name) + `"[^>]*>`)
	tag := re.FindString(page)
	if tag == "" {
		return "", false
	}
	m := regexp.MustCompile(`\bvalue="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}
