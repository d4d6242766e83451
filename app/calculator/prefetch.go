package calculator

import (
	"context"
	"sync"
	"time"

	"github.com/amokit/amokit/widget"
)

// Prefetching the start. The calculator's first request, action=start, needs the lead's card:
// the lead, then its contact and its products, two levels of amoCRM requests that the client
// paces 150 ms apart. The widget kit tells the handler of a ticket as soon as it is issued
// (POST /widget/session) and again when the frame's page is asked for with it
// (widget.Endpoints.Prefetch); the handler starts reading the card then, while the browser
// creates the frame and loads the page and its files, and start takes the card when it comes.
//
// A card read ahead is kept for its ticket only: the key is the whole verified ticket (account,
// user, lead and expiry), so another account's ticket, another user's or another lead's never
// finds it. It is handed out once, and dropped prefetchTTL after it was started; at most
// maxPrefetches are kept, and a ticket arriving beyond that is simply not read ahead.
const (
	prefetchTTL   = 30 * time.Second
	maxPrefetches = 1024
	// prefetchTimeout bounds the reads of one prefetch.
	prefetchTimeout = 20 * time.Second
)

// prefetchKey is a verified ticket, compared field by field.
type prefetchKey struct {
	account                 string
	accountID, user, leadID int64
	expires                 int64 // unix seconds
}

func keyOf(t widget.Ticket) prefetchKey {
	return prefetchKey{account: t.Account, accountID: t.AccountID, user: t.UserID, leadID: t.LeadID, expires: t.Expires.Unix()}
}

// prefetched is one card being read, or read, ahead.
type prefetched struct {
	started time.Time
	done    chan struct{} // closed once card and err are set
	card    LeadCard
	err     error
}

// prefetches are the cards read ahead, by ticket. The zero value is ready to use.
type prefetches struct {
	mu sync.Mutex
	m  map[prefetchKey]*prefetched
}

// start records a prefetch for t and returns it, or nil when t has one already or too many are
// kept.
func (p *prefetches) start(t widget.Ticket, now time.Time) *prefetched {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, e := range p.m {
		if now.Sub(e.started) > prefetchTTL {
			delete(p.m, k)
		}
	}
	k := keyOf(t)
	if _, ok := p.m[k]; ok || len(p.m) >= maxPrefetches {
		return nil
	}
	if p.m == nil {
		p.m = map[prefetchKey]*prefetched{}
	}
	e := &prefetched{started: now, done: make(chan struct{})}
	p.m[k] = e
	return e
}

// take removes and returns t's prefetch, nil when it has none that is fresh.
func (p *prefetches) take(t widget.Ticket, now time.Time) *prefetched {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := keyOf(t)
	e := p.m[k]
	delete(p.m, k)
	if e == nil || now.Sub(e.started) > prefetchTTL {
		return nil
	}
	return e
}

// prefetch is the kit's Endpoints.Prefetch: it starts reading t's lead card under ctx, which acts
// as the ticket's user.
func (h *handler) prefetch(ctx context.Context, t widget.Ticket) {
	e := h.ahead.start(t, time.Now())
	if e == nil {
		return
	}
	go func() {
		defer close(e.done)
		ctx, cancel := context.WithTimeout(ctx, prefetchTimeout)
		defer cancel()
		crm, err := h.crm(ctx, t.Account)
		if err != nil {
			e.err = err
			return
		}
		e.card, e.err = crm.Lead(ctx, t.LeadID)
	}()
}

// prefetchedCard returns the card read ahead for t, waiting for it while ctx allows; ok is
// false when there is none or its reads failed, and the caller reads the card itself.
func (h *handler) prefetchedCard(ctx context.Context, t widget.Ticket) (card LeadCard, ok bool) {
	e := h.ahead.take(t, time.Now())
	if e == nil {
		return LeadCard{}, false
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return LeadCard{}, false
	}
	return e.card, e.err == nil
}
