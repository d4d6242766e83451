// Package throttle slows down guessing of a secret. It counts failed attempts per client key (an
// address) and, past a small allowance, refuses the client's next attempts for a delay that
// doubles with each failure, up to a cap; a success clears the count. Refused attempts are not
// checked at all, so a guesser gets no answer while waiting. It also tells the caller when to
// log, so that a flood of failures makes one log line per client and window, with a count.
package throttle

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

const (
	// Free is how many failures a client may make before it has to wait.
	Free = 5
	// FirstDelay is the wait after the first failure beyond Free; each further failure doubles
	// it, up to MaxDelay.
	FirstDelay = time.Second
	MaxDelay   = 5 * time.Minute
	// Window is how long failures are remembered and how often a client's failures are logged.
	Window = 15 * time.Minute
	// maxKeys bounds the memory the counts take; past it, the stalest entries go first.
	maxKeys = 100_000
)

// Failures counts failures per key. The zero value is ready; it is safe for concurrent use.
type Failures struct {
	mu   sync.Mutex
	keys map[string]*entry
}

type entry struct {
	failures int       // failures since the last success, within Window of each other
	last     time.Time // the last failure
	until    time.Time // attempts before this are refused
	logged   time.Time // when a line was last logged for this key
	unlogged int       // failures since that line
}

// Allow reports whether key may make an attempt now; when not, it returns how long to wait.
func (f *Failures) Allow(key string) (wait time.Duration, ok bool) {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.keys[key]
	if e == nil || !now.Before(e.until) {
		return 0, true
	}
	return e.until.Sub(now), false
}

// Fail records a failed attempt of key. It returns log true at most once per key and Window,
// with count, the failures of key since the previous line (this one included), for that line.
func (f *Failures) Fail(key string) (count int, log bool) {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys == nil {
		f.keys = map[string]*entry{}
	}
	e := f.keys[key]
	if e == nil {
		if len(f.keys) >= maxKeys {
			f.prune(now)
		}
		e = &entry{}
		f.keys[key] = e
	}
	if now.Sub(e.last) > Window {
		e.failures = 0
	}
	e.failures++
	e.last = now
	if e.failures > Free {
		d := FirstDelay << min(e.failures-Free-1, 20)
		e.until = now.Add(min(d, MaxDelay))
	}
	e.unlogged++
	if e.logged.IsZero() || now.Sub(e.logged) >= Window {
		count, e.logged, e.unlogged = e.unlogged, now, 0
		return count, true
	}
	return 0, false
}

// Succeed clears key's failures.
func (f *Failures) Succeed(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.keys, key)
}

// prune drops the entries whose last failure is older than Window, or, if none is, half of
// them. The caller holds f.mu.
func (f *Failures) prune(now time.Time) {
	for k, e := range f.keys {
		if now.Sub(e.last) > Window && !now.Before(e.until) {
			delete(f.keys, k)
		}
	}
	for k := range f.keys {
		if len(f.keys) < maxKeys/2 {
			break
		}
		delete(f.keys, k)
	}
}

// ClientKey is the key of r's client: the host part of its remote address. Behind a reverse
// proxy every client has the proxy's address and shares one count.
func ClientKey(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// RetryAfter is the value of a Retry-After header for wait: whole seconds, at least 1.
func RetryAfter(wait time.Duration) string {
	return strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second)))
}
