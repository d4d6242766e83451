package amocrm

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacer decides when a request to an account may leave, so that every client of that account
// stays under amoCRM's limit together. A Client calls Wait before each attempt and Pause when
// amoCRM answers 429. Implementations are safe for concurrent use; account is the account's host
// (Client.Domain). See docs/pacing.md for the reasoning behind the default.
type Pacer interface {
	// Wait blocks until one more request to account may be sent, and counts it. It returns
	// ctx's error if ctx ends first.
	Wait(ctx context.Context, account string) error
	// Pause holds back every request to account for at least d from now.
	Pause(ctx context.Context, account string, d time.Duration) error
}

// DefaultPace is the share of amoCRM's limit the default pacer uses: requests leave at least
// 1/(DefaultRate×DefaultPace) seconds apart (150 ms). The 5% of headroom absorbs the jitter
// between a request leaving and reaching amoCRM, so that no reading of the limit (7 in any
// sliding second, nginx spacing without burst, a token bucket) is ever exceeded.
const DefaultPace = 0.95

// LocalPacer is the default Pacer: requests to one account leave one at a time, in the order
// they asked, at least a fixed interval apart, with no burst. It paces the goroutines of one
// process; share one LocalPacer between the Clients of a process (WithPacer), or use a shared
// Pacer such as the PostgreSQL one when several processes use one account.
type LocalPacer struct {
	interval time.Duration

	mu    sync.Mutex
	lanes map[string]*paceLane
}

// paceLane is one account's queue.
type paceLane struct {
	turn    chan struct{} // held by the one waiter whose turn it is
	last    time.Time     // when the last request left
	until   time.Time     // paused until
	writing chan struct{} // closed once the request let go last is written or given up; nil if none
}

// maxHold bounds how long the next request waits for the previous one to be written.
const maxHold = 2 * time.Second

// NewLocalPacer returns a pacer that lets requests to an account leave at most rps a second,
// evenly spaced. NewLocalPacer(DefaultRate*DefaultPace) is the default.
func NewLocalPacer(rps float64) *LocalPacer {
	var interval time.Duration
	if rps > 0 && !math.IsInf(rps, 1) {
		interval = time.Duration(math.Ceil(float64(time.Second) / rps))
	}
	return &LocalPacer{interval: interval, lanes: map[string]*paceLane{}}
}

func (p *LocalPacer) lane(account string) *paceLane {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.lanes[account]
	if l == nil {
		l = &paceLane{turn: make(chan struct{}, 1)}
		p.lanes[account] = l
	}
	return l
}

// Wait implements Pacer. Waiters take turns first come, first served; the interval counts from
// the moment the previous request actually left, so a late wake-up never squeezes two requests
// together.
func (p *LocalPacer) Wait(ctx context.Context, account string) error {
	_, err := p.wait(ctx, account, false)
	return err
}

// wait is Wait; with track, the request let go is tracked by the ticket returned until it is
// written (wrote) or given up (sent), and the next one waits for that, up to maxHold, so a
// request held up on its way to the wire (a new TLS connection, say) is never overtaken by the
// next one.
func (p *LocalPacer) wait(ctx context.Context, account string, track bool) (chan struct{}, error) {
	l := p.lane(account)
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-l.turn }()
	for {
		p.mu.Lock()
		now := time.Now()
		if w := l.writing; w != nil && now.Before(l.last.Add(maxHold)) {
			hold := l.last.Add(maxHold).Sub(now)
			p.mu.Unlock()
			t := time.NewTimer(hold)
			select {
			case <-w:
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
			t.Stop()
			continue
		}
		at := l.last.Add(p.interval)
		if l.until.After(at) {
			at = l.until
		}
		if !now.Before(at) {
			l.last = now
			l.writing = nil
			if track {
				l.writing = make(chan struct{})
			}
			p.mu.Unlock()
			return l.writing, nil
		}
		p.mu.Unlock()
		if err := sleep(ctx, at.Sub(now)); err != nil {
			return nil, err
		}
	}
}

// sent ends the tracking of ticket's request, written or not.
func (p *LocalPacer) sent(account string, ticket chan struct{}) {
	if p == nil || ticket == nil {
		return
	}
	l := p.lane(account)
	p.mu.Lock()
	defer p.mu.Unlock()
	if ticket != nil && l.writing == ticket {
		close(l.writing)
		l.writing = nil
	}
}

// wrote moves the start of the next interval to when a request was actually written, if that
// was later than when Wait let it go: the time between the two (a token fetch, a new connection,
// a busy machine) must not squeeze the next request toward this one.
func (p *LocalPacer) wrote(account string, ticket chan struct{}, at time.Time) {
	l := p.lane(account)
	p.mu.Lock()
	defer p.mu.Unlock()
	if ticket == nil || l.writing != ticket {
		return // a later request is already on its way
	}
	if at.After(l.last) {
		l.last = at
	}
	close(l.writing)
	l.writing = nil
}

// Pause implements Pacer.
func (p *LocalPacer) Pause(_ context.Context, account string, d time.Duration) error {
	l := p.lane(account)
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := time.Now().Add(d); until.After(l.until) {
		l.until = until
	}
	return nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limiterPacer paces with a token bucket the caller chose (WithRateLimit, WithLimiter).
type limiterPacer struct{ l *rate.Limiter }

func (p limiterPacer) Wait(ctx context.Context, _ string) error { return p.l.Wait(ctx) }

// Pause is left to the client's own brake: a token bucket has no notion of a pause.
func (p limiterPacer) Pause(context.Context, string, time.Duration) error { return nil }

// The brake: what a Client does on its own when amoCRM refuses.
const (
	// firstPause is how long every request of a Client waits after a 429; each further 429
	// within strikeMemory doubles it, up to maxPause.
	firstPause   = time.Second
	maxPause     = 32 * time.Second
	strikeMemory = time.Minute
	// resumeStep is the spacing of the first requests after a pause; every success halves it
	// until it is below minStep, and then the pacer alone sets the pace.
	resumeStep = time.Second
	minStep    = 100 * time.Millisecond
)

// brake slows a whole Client after a 429 and stops it after a block. Requests sent before the
// current pause began do not make it longer when their 429s come back.
type brake struct {
	mu         sync.Mutex
	until      time.Time // no request leaves before
	strikes    int
	lastStrike time.Time
	step       time.Duration // extra spacing while resuming
	last       time.Time     // when the last request the brake let go while resuming left
	// turn is held by the one request the brake lets go while resuming, until that request
	// has left the pacer too (or was given up): the step counts between departures.
	turn chan struct{}
	// pauses counts the pauses begun, so that a request the brake let go before a pause began
	// is sent back to it instead of leaving at the pacer's pace when the pause ends.
	pauses uint64

	blocked *BlockedError
	stop    context.Context // cancelled when blocked
	cancel  context.CancelFunc
}

func newBrake() *brake {
	b := &brake{turn: make(chan struct{}, 1)}
	b.stop, b.cancel = context.WithCancel(context.Background())
	return b
}

// BlockedError is what every call returns once amoCRM has blocked the client (403 after
// repeated rate-limit violations): the client sends nothing more until Client.Unblock.
// errors.Is(err, ErrBlocked) is true.
type BlockedError struct {
	// Since is when the block was seen.
	Since time.Time
}

func (e *BlockedError) Error() string {
	return "amocrm: amoCRM is blocking this client (403 after repeated rate-limit violations, since " +
		e.Since.UTC().Format(time.RFC3339) + "); no request is sent until the block is lifted: ask amoCRM's " +
		"support, then call Client.Unblock or restart the service"
}

// Is makes errors.Is(err, ErrBlocked) true.
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// wait holds a request back while the client is paused or resuming. It returns the number of
// pauses begun when the request was let go (see pausedSince) and the function to call once the
// request has left, with when it left, or was given up, with the zero time; or the block.
//
// While the client resumes, the brake lets one request go at a time and the next waits until
// that one has left: the request may still wait for the pacer (behind requests the pause sends
// back), and the step counts from when it left, not from when the brake let it go.
func (b *brake) wait(ctx context.Context) (uint64, func(left time.Time), error) {
	b.mu.Lock()
	now := time.Now()
	if b.blocked != nil {
		b.mu.Unlock()
		return 0, nil, b.blocked
	}
	if b.step == 0 && !now.Before(b.until) {
		defer b.mu.Unlock()
		return b.pauses, func(time.Time) {}, nil
	}
	stop := b.stop
	b.mu.Unlock()
	select {
	case b.turn <- struct{}{}:
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	case <-stop.Done():
		return 0, nil, b.err()
	}
	for {
		b.mu.Lock()
		now := time.Now()
		if b.blocked != nil {
			b.mu.Unlock()
			<-b.turn
			return 0, nil, b.blocked
		}
		at := b.until
		if b.step > 0 && b.last.Add(b.step).After(at) {
			at = b.last.Add(b.step)
		}
		if !now.Before(at) {
			pauses := b.pauses
			b.mu.Unlock()
			var once sync.Once
			return pauses, func(left time.Time) {
				once.Do(func() {
					b.mu.Lock()
					if left.After(b.last) {
						b.last = left
					}
					b.mu.Unlock()
					<-b.turn
				})
			}, nil
		}
		b.mu.Unlock()
		t := time.NewTimer(at.Sub(now))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-b.turn
			return 0, nil, ctx.Err()
		case <-stop.Done():
			t.Stop()
			<-b.turn
			return 0, nil, b.err()
		}
	}
}

// pausedSince reports whether a pause holds requests back now, or began after the brake let a
// request go when pauses pauses had begun.
func (b *brake) pausedSince(pauses uint64) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	return now, now.Before(b.until) || b.pauses != pauses
}

// stopped returns a context that ends when the client is blocked.
func (b *brake) stopped() context.Context {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stop
}

func (b *brake) err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.blocked != nil {
		return b.blocked
	}
	return errors.New("amocrm: stopped")
}

// refused records a 429 to a request let go at sent and returns how long the client pauses, or
// 0 when a pause already covers that request.
func (b *brake) refused(sent time.Time, asked time.Duration) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if sent.Before(b.lastStrike) {
		return 0
	}
	if now.Sub(b.lastStrike) > strikeMemory {
		b.strikes = 0
	}
	b.strikes++
	b.lastStrike = now
	d := min(firstPause<<min(b.strikes-1, 10), maxPause)
	d = max(d, asked)
	if until := now.Add(d); until.After(b.until) {
		b.until = until
	}
	b.step = resumeStep
	b.pauses++
	return d
}

// passed records an answer that was not a 429: the pace after a pause picks up.
func (b *brake) passed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.step > 0 {
		b.step /= 2
		if b.step < minStep {
			b.step = 0
		}
	}
}

// block stops the client.
func (b *brake) block() *BlockedError {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.blocked == nil {
		b.blocked = &BlockedError{Since: time.Now()}
		b.cancel()
	}
	return b.blocked
}

// unblock lets the client send again, at the resuming pace.
func (b *brake) unblock() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.blocked != nil {
		b.blocked = nil
		b.stop, b.cancel = context.WithCancel(context.Background())
		b.step = resumeStep
	}
}

// isBlockPage reports whether a 403 is amoCRM's block rather than a refusal of one request: the
// block comes from the edge as an HTML page (or empty), a refusal from the API as JSON.
func isBlockPage(resp *http.Response) bool {
	return resp.StatusCode == http.StatusForbidden && !strings.Contains(resp.Header.Get("Content-Type"), "json")
}

// wait holds a request until both the brake and the pacer let it go, and returns when that was
// and, from a LocalPacer, the ticket that tracks the request to the wire. A pause that began
// while the request waited for the pacer sends it back to the brake; a block seen by another
// goroutine ends the wait at once.
func (t *paceTransport) wait(ctx context.Context) (time.Time, chan struct{}, error) {
	lp, _ := t.pacer.(*LocalPacer)
	for {
		pauses, release, err := t.brake.wait(ctx)
		if err != nil {
			return time.Time{}, nil, err
		}
		blocked := t.brake.stopped()
		pctx, cancel := context.WithCancel(ctx)
		stop := context.AfterFunc(blocked, cancel)
		var ticket chan struct{}
		if lp != nil {
			ticket, err = lp.wait(pctx, t.account, true)
		} else {
			err = t.pacer.Wait(pctx, t.account)
		}
		stop()
		cancel()
		if err == nil && blocked.Err() != nil {
			release(time.Time{})
			lp.sent(t.account, ticket)
			return time.Time{}, nil, t.brake.err()
		}
		if err != nil {
			release(time.Time{})
			if blocked.Err() != nil {
				err = t.brake.err()
			}
			return time.Time{}, nil, err
		}
		// A pause that began while the request waited for the pacer sends it back to the
		// brake, which lets requests go one by one at the resuming pace.
		now, paused := t.brake.pausedSince(pauses)
		if !paused {
			release(now)
			return now, ticket, nil
		}
		release(time.Time{})
		lp.sent(t.account, ticket)
	}
}

// paceTransport makes every attempt wait for the brake and the pacer, and feeds 429s and
// blocks back to both.
type paceTransport struct {
	base    http.RoundTripper
	pacer   Pacer
	account string
	brake   *brake
	onPause func(*http.Request, time.Duration)
	onBlock func(*http.Request)
}

func (t *paceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	sent, ticket, err := t.wait(ctx)
	if err != nil {
		closeBody(req)
		return nil, &notSentError{err}
	}
	if lp, ok := t.pacer.(*LocalPacer); ok {
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { lp.wrote(t.account, ticket, time.Now()) }}
		req = req.WithContext(httptrace.WithClientTrace(ctx, trace))
		defer lp.sent(t.account, ticket)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		if d := t.brake.refused(sent, serverWait(resp)); d > 0 {
			_ = t.pacer.Pause(ctx, t.account, d)
			if t.onPause != nil {
				t.onPause(req, d)
			}
		}
	case isBlockPage(resp):
		t.brake.block()
		if t.onBlock != nil {
			t.onBlock(req)
		}
	default:
		t.brake.passed()
	}
	return resp, nil
}
