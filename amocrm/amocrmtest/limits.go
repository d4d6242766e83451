package amocrmtest

import (
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate limiting at the edge, as docs/pacing.md describes amoCRM's: every API
// call and every OAuth token call draws on one budget per account, before its
// token is checked, so a call with a bad token counts as much as a good one.
// A refusal is a 429 page; too many refusals within a time window block the
// server for everyone (403) until ResetBlock, as production blocks an IP.
//
// How amoCRM counts is not documented, so the default is the strictest
// reading: at most N arrivals in any sliding window of one second, refused
// arrivals included. WithSpacing is nginx's limit_req (the software that
// answers amoCRM's 429 pages) and WithRateLimit the token bucket this server
// used before.

// counting is how the server counts requests against the rate limit.
type counting int

const (
	// countWindow allows at most n requests in any sliding window, counting
	// every arrival, refused ones included. This is the default: 7 a second.
	countWindow counting = iota
	// countSpacing is nginx limit_req: requests are accepted 1/rate apart,
	// with up to burst of them early. Refused requests do not count.
	countSpacing
	// countBucket is a token bucket of rate tokens a second and burst at
	// most. Refused requests do not count.
	countBucket
	// countOff turns rate limiting off.
	countOff
)

// limitRule is the configured rate limit.
type limitRule struct {
	counting counting
	rate     float64       // countSpacing, countBucket: requests a second
	burst    int           // countSpacing: requests allowed early; countBucket: bucket size
	n        int           // countWindow: requests per window
	window   time.Duration // countWindow
}

// blockRule is when refusals turn into the block.
type blockRule struct {
	after  int           // refusals; 0 never blocks
	within time.Duration // counted over this sliding window
}

func defaultLimits() (limitRule, blockRule) {
	return limitRule{counting: countWindow, n: 7, window: time.Second, rate: 7},
		blockRule{after: 10, within: time.Minute}
}

// WithSlidingWindow counts strictly: at most n requests per account in any
// window of the given length, every arrival counted (refused ones too). The
// default is 7 in one second.
func WithSlidingWindow(n int, window time.Duration) Option {
	return func(cfg *config) error {
		if n < 1 || window <= 0 {
			return errors.New("amocrmtest: WithSlidingWindow: n and window must be positive")
		}
		cfg.limit = limitRule{counting: countWindow, n: n, window: window, rate: float64(n) / window.Seconds()}
		return nil
	}
}

// WithSpacing counts as nginx's limit_req does: requests of an account are
// accepted 1/rps apart, and up to burst of them may come early (burst 0:
// every request at least 1/rps after the last accepted one).
func WithSpacing(rps float64, burst int) Option {
	return func(cfg *config) error {
		if rps <= 0 || burst < 0 {
			return errors.New("amocrmtest: WithSpacing: rps must be positive and burst not negative")
		}
		cfg.limit = limitRule{counting: countSpacing, rate: rps, burst: burst}
		return nil
	}
}

// WithRateLimit counts with a token bucket per account: rps tokens a second,
// at most burst at once. An rps of zero or less turns rate limiting off,
// which is how tests that are not about limits use the server.
func WithRateLimit(rps float64, burst int) Option {
	return func(cfg *config) error {
		if rps <= 0 {
			cfg.limit = limitRule{counting: countOff}
			return nil
		}
		cfg.limit = limitRule{counting: countBucket, rate: rps, burst: max(burst, 1)}
		return nil
	}
}

// WithBlockAfter sets how many refusals (429) within a sliding window of the
// given length block the server: every request, API or OAuth, then gets a
// 403 HTML page until ResetBlock. Refusals are counted per account, forced
// ones (Throttle) included. The default is 10 within a minute; production's
// threshold is not published. An n of zero or less never blocks.
func WithBlockAfter(n int, within time.Duration) Option {
	return func(cfg *config) error {
		if n <= 0 || within <= 0 {
			cfg.block = blockRule{}
			return nil
		}
		cfg.block = blockRule{after: n, within: within}
		return nil
	}
}

// edge is the rate-limit state, apart from the rest of the server's state.
type edge struct {
	mu        sync.Mutex
	lanes     map[string]*lane
	throttled time.Time // every counted request is refused until then
	blocked   bool
}

// lane is one account's budget at the edge.
type lane struct {
	arrivals []time.Time // countWindow: arrivals within the window, oldest first
	tat      time.Time   // countSpacing: theoretical arrival time of the next request
	tokens   float64     // countBucket
	last     time.Time   // countBucket: when tokens was computed
	refusals []time.Time // within the block window, oldest first
}

// atEdge applies the block and the rate limit to r, which arrived at now,
// before it is routed. It reports whether it answered r.
func (s *Server) atEdge(w http.ResponseWriter, r *http.Request, now time.Time) bool {
	key, counted := s.edgeKey(r)
	s.edge.mu.Lock()
	if s.edge.blocked {
		s.edge.mu.Unlock()
		writeBlocked(w)
		return true
	}
	if !counted {
		s.edge.mu.Unlock()
		return false
	}
	if s.edge.lanes == nil {
		s.edge.lanes = map[string]*lane{}
	}
	l := s.edge.lanes[key]
	if l == nil {
		l = &lane{tokens: float64(s.cfg.limit.burst), last: now}
		s.edge.lanes[key] = l
	}
	wait, refused := s.cfg.limit.take(l, now)
	if now.Before(s.edge.throttled) {
		wait, refused = max(wait, s.edge.throttled.Sub(now)), true
	}
	if refused {
		s.refuse(l, now)
	}
	s.edge.mu.Unlock()
	if refused {
		s.write429(w, wait)
	}
	return refused
}

// edgeKey names the budget r draws on: the account of the host
// (acme.amocrm.ru), else the account of the bearer token, else the host
// itself. Only API calls and OAuth token calls are counted.
func (s *Server) edgeKey(r *http.Request) (string, bool) {
	if !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/oauth2/access_token" && !s.isDriveRequest(r) {
		return "", false
	}
	if s.cfg.limit.counting == countOff {
		return "", true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.hostAccount(r.Host); a != nil {
		return "account " + strconv.FormatInt(a.ID, 10), true
	}
	if ref := s.st.ByAccessToken(bearerToken(r)); ref != nil {
		return "account " + strconv.FormatInt(ref.Grant.Account.ID, 10), true
	}
	return "host " + strings.ToLower(r.Host), true
}

// take counts one arrival at now against l. When the request is refused it
// reports how long until one would be accepted.
func (lr limitRule) take(l *lane, now time.Time) (time.Duration, bool) {
	switch lr.counting {
	case countWindow:
		cut := 0
		for cut < len(l.arrivals) && now.Sub(l.arrivals[cut]) >= lr.window {
			cut++
		}
		l.arrivals = append(l.arrivals[:0], l.arrivals[cut:]...)
		// Requests handled out of order count as if in order: every arrival
		// after now-window, later ones too, is in this one's window.
		refused := len(l.arrivals) >= lr.n
		var wait time.Duration
		if refused {
			wait = l.arrivals[len(l.arrivals)-lr.n].Add(lr.window).Sub(now)
		}
		i := len(l.arrivals)
		for i > 0 && l.arrivals[i-1].After(now) {
			i--
		}
		l.arrivals = slices.Insert(l.arrivals, i, now)
		return wait, refused
	case countSpacing:
		interval := time.Duration(float64(time.Second) / lr.rate)
		if l.tat.IsZero() || l.tat.Before(now) {
			l.tat = now
		}
		if early := l.tat.Sub(now); early > time.Duration(lr.burst)*interval {
			return early - time.Duration(lr.burst)*interval, true
		}
		l.tat = l.tat.Add(interval)
		return 0, false
	case countBucket:
		if now.After(l.last) {
			l.tokens = math.Min(float64(lr.burst), l.tokens+now.Sub(l.last).Seconds()*lr.rate)
			l.last = now
		}
		// The tolerance forgives the nanosecond rounding of a client that
		// paces itself at exactly the limit.
		if l.tokens >= 1-1e-6 {
			l.tokens = max(l.tokens-1, 0)
			return 0, false
		}
		return time.Duration((1 - l.tokens) / lr.rate * float64(time.Second)), true
	}
	return 0, false
}

// refuse records a refusal and blocks the server when the lane has had too
// many within the block window. The caller holds s.edge.mu.
func (s *Server) refuse(l *lane, now time.Time) {
	b := s.cfg.block
	if b.after <= 0 {
		return
	}
	cut := 0
	for cut < len(l.refusals) && now.Sub(l.refusals[cut]) >= b.within {
		cut++
	}
	l.refusals = append(l.refusals[cut:], now)
	if len(l.refusals) >= b.after {
		s.edge.blocked = true
	}
}

// Throttle makes the server refuse every counted request (API and OAuth token
// calls) with 429 for d from now on its clock, whatever the rate limit says:
// a burst of 429s such as a busy account draws from other integrations. The
// refusals count toward the block.
func (s *Server) Throttle(d time.Duration) {
	now := s.now()
	s.edge.mu.Lock()
	defer s.edge.mu.Unlock()
	if until := now.Add(d); until.After(s.edge.throttled) {
		s.edge.throttled = until
	}
}

// write429 answers a refused request in the configured style.
func (s *Server) write429(w http.ResponseWriter, wait time.Duration) {
	secs := max(int64(math.Ceil(wait.Seconds())), 1)
	if s.cfg.retryAfterHeader {
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if s.cfg.style429 == StyleHTML {
		w.Header().Set("X-Request-Id", s.requestID())
		writeHTML(w, http.StatusTooManyRequests, nginxPage(http.StatusTooManyRequests))
		return
	}
	s.writeReply(w, reply{status: http.StatusTooManyRequests, ctype: ctypeProblem, body: obj{
		"title": "Too Many Requests", "type": "https://httpstatus.es/429", "status": http.StatusTooManyRequests,
		"detail": "Too Many Requests", "retry_after": secs,
	}})
}

// Blocked reports whether the server is blocking every request with 403.
func (s *Server) Blocked() bool {
	s.edge.mu.Lock()
	defer s.edge.mu.Unlock()
	return s.edge.blocked
}

// ResetBlock lifts the block and forgets every account's arrivals and
// refusals (what production's support does by hand), and any Throttle.
func (s *Server) ResetBlock() {
	s.edge.mu.Lock()
	defer s.edge.mu.Unlock()
	s.edge.blocked = false
	s.edge.throttled = time.Time{}
	clear(s.edge.lanes)
}
