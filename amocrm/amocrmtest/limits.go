package amocrmtest

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// The rate limit of docs/amocrm-api.md#rate-limits: a token bucket per account
// (default 7 requests a second, burst 7). A refused request costs nothing but
// counts toward the block: after WithBlockAfter refusals in a row for one
// account the server answers every request, API or OAuth, with a 403 HTML page,
// as production blocks an IP, until ResetBlock. Any request the bucket lets
// through ends the streak, so a client that backs off is never blocked.

type bucket struct {
	tokens float64
	last   time.Time
}

// limit takes a token from the account's bucket; when none is left it
// reports how long until one is. The caller holds s.mu.
func (s *Server) limit(accountID int64, now time.Time) (time.Duration, bool) {
	if s.cfg.rps <= 0 {
		return 0, false
	}
	b := s.st.buckets[accountID]
	if b == nil {
		b = &bucket{tokens: float64(s.cfg.burst), last: now}
		s.st.buckets[accountID] = b
	}
	if now.After(b.last) {
		b.tokens = math.Min(float64(s.cfg.burst), b.tokens+now.Sub(b.last).Seconds()*s.cfg.rps)
		b.last = now
	}
	// The tolerance forgives the nanosecond rounding of a client that
	// paces itself at exactly the limit.
	if b.tokens >= 1-1e-6 {
		b.tokens = max(b.tokens-1, 0)
		s.st.streak[accountID] = 0
		return 0, false
	}
	wait := time.Duration((1 - b.tokens) / s.cfg.rps * float64(time.Second))
	s.st.streak[accountID]++
	if s.cfg.blockAfter > 0 && s.st.streak[accountID] >= s.cfg.blockAfter {
		s.st.blocked = true
	}
	return wait, true
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
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.blocked
}

// ResetBlock lifts the block, forgets every streak of refusals and fills
// every account's bucket again (what production's support does by hand).
func (s *Server) ResetBlock() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.blocked = false
	clear(s.st.streak)
	clear(s.st.buckets)
}
