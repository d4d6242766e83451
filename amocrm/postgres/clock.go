package postgres

import (
	"sync"
	"time"
)

// offset turns moments on the database's clock into this machine's, as NTP does: each
// reservation says what the database's clock read while the query was under way, and the
// reading from the shortest of the last few round trips is the most precise.
type offset struct {
	mu      sync.Mutex
	samples [32]sample
	n       int
}

type sample struct {
	rtt  time.Duration
	diff time.Duration // database clock minus ours
}

// local returns r's moment on this machine's clock, given when the query was sent and its answer
// received.
func (o *offset) local(r reservation, sent, received time.Time) time.Time {
	rtt := received.Sub(sent)
	mid := sent.Add(rtt / 2)
	o.mu.Lock()
	o.samples[o.n%len(o.samples)] = sample{rtt: rtt, diff: r.now.Sub(mid)}
	o.n++
	best := o.samples[0]
	for _, s := range o.samples[1:min(o.n, len(o.samples))] {
		if s.rtt < best.rtt {
			best = s
		}
	}
	o.mu.Unlock()
	return r.at.Add(-best.diff)
}
