package webhook

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/amokit/amokit/amocrm"
)

// Limits of the decoder, so that a hostile body cannot make it allocate without bound.
const (
	arenaChunk = 16 << 10 // bytes of text values per allocation
	maxDepth   = 12       // brackets in one key
	maxParts   = 50000    // events, custom fields, values, tags and other fields in one delivery
)

// ErrPayload is matched by every error Parse returns, with errors.Is.
var ErrPayload = errors.New("webhook: malformed payload")

type payloadError struct{ msg string }

func (e *payloadError) Error() string        { return "webhook: malformed payload: " + e.msg }
func (e *payloadError) Is(target error) bool { return target == ErrPayload }

func bad(format string, args ...any) error { return &payloadError{fmt.Sprintf(format, args...)} }

// Parse decodes the body of one webhook request: application/x-www-form-urlencoded, nested the
// way PHP's http_build_query nests arrays ("leads[status][0][id]=25399013"). It accepts both
// shapes of a delete that amoCRM documents ("leads[delete][0][id]=1" and "leads[delete]=1").
// Parts it does not decode are listed in Delivery.Ignored; a body that is not well formed, or a
// field that should be a number and is not, is an error matching ErrPayload.
func Parse(body []byte) (*Delivery, error) {
	d := decoders.Get().(*decoder)
	defer d.release()
	if err := d.parse(body); err != nil {
		return nil, err
	}
	return d.finish()
}

// decoders holds decoders between calls, so that the buffers and items they need only while
// decoding (a fifth of what a 50-lead delivery allocated) are not allocated and collected anew
// for every delivery. A decoder in the pool keeps nothing of the delivery it decoded.
var decoders = sync.Pool{New: func() any { return &decoder{last: -1, hot: nothing} }}

// Scratch larger than this, left by an unusual delivery, is not kept in the pool.
const (
	keepBytes = 64 << 10
	keepItems = 1024
)

// release empties d, keeping only its scratch buffers, and returns it to the pool.
func (d *decoder) release() {
	clear(d.itemSlab) // the items point into the delivery
	clear(d.items)
	clear(d.tops)
	next := decoder{last: -1, hot: nothing}
	if len(d.key) <= keepBytes && len(d.valBuf) <= keepBytes {
		next.key, next.valBuf = d.key, d.valBuf
	}
	if cap(d.items) <= keepItems && cap(d.itemSlab) <= keepItems {
		next.items, next.itemSlab, next.tops = d.items[:0], d.itemSlab[:0], d.tops[:0]
	}
	*d = next
	decoders.Put(d)
}

// span is a bracketed segment of the decoded key, as offsets into decoder.key.
type span struct{ lo, hi int }

type item struct {
	key      itemKey
	lead     *Lead
	contact  *Contact
	task     *Task
	note     *Note
	noteType string // contacts[note][i][type]
	id       int64  // short delete form
	cfKeys   keyList
	valKeys  []keyList // by custom field; only as long as the last field with a sparse list
	tagKeys  keyList
}

// keyList maps the keys of a PHP array ("custom_fields[3]") to positions in a slice of n
// elements. amoCRM's arrays are lists, with keys 0, 1, 2… in order; while that holds, a key is its
// own position and nothing is stored, so the zero keyList serves. Other keys are kept in a list,
// with a map once it is long, so that a hostile payload cannot make the lookups quadratic.
type keyList struct {
	sparse bool // some key was not the next index: keys holds every key
	keys   []arrayKey
	idx    map[arrayKey]int
}

// arrayKey is a key of a PHP array: a small number, or else text.
type arrayKey struct {
	num int64 // -1 when the key is text
	str string
}

func keyOf(b []byte, alloc bool) arrayKey {
	if n, ok := index(b); ok {
		return arrayKey{num: n}
	}
	if alloc {
		return arrayKey{num: -1, str: string(b)}
	}
	return arrayKey{num: -1, str: unsafe.String(unsafe.SliceData(b), len(b))} // for a lookup only
}

// find returns the position of key among n elements, or -1.
func (k *keyList) find(key []byte, n int) int {
	if !k.sparse {
		if i, ok := index(key); ok && i < int64(n) {
			return int(i)
		}
		return -1
	}
	want := keyOf(key, false)
	if l := len(k.keys); l > 0 && k.keys[l-1] == want {
		return l - 1
	}
	if k.idx != nil {
		if i, ok := k.idx[want]; ok {
			return i
		}
		return -1
	}
	for i, have := range k.keys {
		if have == want {
			return i
		}
	}
	return -1
}

// next reports whether key is the next index of a list of n elements, which a dense keyList
// takes without storing anything.
func next(key []byte, n int) bool {
	i, ok := index(key)
	return ok && i == int64(n)
}

// add gives key position n, the next one; the caller has checked that find does not know it.
func (k *keyList) add(d *decoder, key []byte, n int) int {
	if !k.sparse {
		if next(key, n) {
			return n
		}
		k.sparse = true
		k.keys = carve(&d.keySlab, n+4)
		for i := range n {
			k.keys = append(k.keys, arrayKey{num: int64(i)})
		}
	}
	k.keys = append(k.keys, keyOf(key, true))
	switch {
	case k.idx != nil:
		k.idx[k.keys[n]] = n
	case len(k.keys) > 16:
		k.idx = make(map[arrayKey]int, 2*len(k.keys))
		for j, have := range k.keys {
			k.idx[have] = j
		}
	}
	return n
}

// decoder reads a body in one pass. For each key=value pair, the key scanner (readKey) leaves the
// decoded key and its bracketed segments in key and segs, the value scanner (readValue) the
// decoded value where value finds it, and pair dispatches them into the typed events. The
// scanners' state is offsets rather than slices, so that the loop stores no pointers.
type decoder struct {
	body  []byte
	out   Delivery
	items []*item
	byKey map[itemKey]int // built once a key is not the next of its group: see item
	tops  []itemKey       // the greatest key of each group of items
	last  int

	// The current key decoded is key[:keyLen], its root key[:rootEnd], its segments
	// segs[:nsegs]. key is a buffer whose length is its capacity.
	key     []byte
	keyLen  int
	rootEnd int
	segs    [maxDepth]span
	nsegs   int

	// The current value is body[valLo:valHi] when it needs no decoding, as numbers never do;
	// otherwise (valEsc) it is decoded into valBuf[:valLen].
	valLo, valHi int
	valEsc       bool
	valBuf       []byte
	valLen       int

	// The previous raw key is body[prevLo:prevHi], and its segment i opens ('[' or %5B) at
	// prevLo+opens[i]. A key whose raw text up to one of those openings is the previous key's
	// keeps the segments before it: keep says how many.
	prevLo, prevHi int
	opens          [maxDepth]int
	keep           int

	// What the previous pair resolved, for a pair that keeps enough of its key (see entity and
	// customField). hot is the current pair's, was the previous one's.
	hot, was resolved

	// The current chunk of values kept as text, of which arenaUsed bytes are taken; its length
	// is its capacity.
	arena     []byte
	arenaUsed int

	parts   int
	ignored map[string]bool

	// Slabs that small slices and structs are carved from, so that a delivery of many items
	// costs a few allocations rather than several per item.
	itemSlab  []item
	leadSlab  []Lead
	fieldSlab []CustomField
	valueSlab []CustomFieldValue
	tagSlab   []Tag
	keySlab   []arrayKey
}

// resolved is what a pair resolved: its item (an index into decoder.items, -1 for none), the
// number of segments naming the item, and its custom field (-1 for none).
type resolved struct{ item, rest, field int }

var nothing = resolved{-1, 0, -1}

// carve returns an empty slice with room for n elements, taken from the slab *pool; a slice that
// outgrows it is moved by append like any other.
func carve[T any](pool *[]T, n int) []T {
	if cap(*pool)-len(*pool) < n {
		*pool = make([]T, 0, max(n, 64))
	}
	l := len(*pool)
	*pool = (*pool)[:l+n]
	return (*pool)[l : l : l+n]
}

// extend appends a zero element to *s, a slice taken from the slab *pool. While *s ends where
// the slab's used part ends, as it does while one item's fields arrive together, it grows in
// place; otherwise it moves to the slab's end. *s never has room beyond its length, so that a
// caller appending to it cannot overwrite its neighbours.
func extend[T any](pool *[]T, s *[]T) {
	p, n := *pool, len(*s)
	if l := len(p); n > 0 && l < cap(p) && &(*s)[n-1] == &p[l-1] {
		*pool = p[:l+1]
		*s = p[l-n : l+1 : l+1]
		return
	}
	if cap(p)-len(p) < n+1 {
		p = make([]T, 0, max(64, 2*(n+1)))
	}
	l := len(p)
	p = p[:l+n+1]
	copy(p[l:], *s)
	*pool, *s = p, p[l:l+n+1:l+n+1]
}

// intern returns the roots and actions the decoder knows without allocating.
func intern(b []byte) string {
	for _, s := range [...]string{"leads", "contacts", "task", "add", "update", "delete", "restore", "status", "responsible", "note"} {
		if string(b) == s {
			return s
		}
	}
	return string(b)
}

// special marks the bytes the key scanner stops at: the separators, the escapes and the brackets.
// Every other byte stands for itself.
var special = [256]bool{'&': true, '=': true, '%': true, '+': true, '[': true, ']': true}

// inValue marks the bytes the value scanner stops at.
var inValue = [256]bool{'&': true, '%': true, '+': true}

func (d *decoder) parse(b []byte) error {
	d.body, d.hot, d.prevLo, d.prevHi = b, nothing, 0, 0
	for p := 0; p < len(b); {
		if b[p] == '&' {
			p++
			continue
		}
		var err error
		if p, err = d.readKey(b, p); err != nil {
			return err
		}
		d.valLo, d.valHi, d.valEsc = p, p, false
		if p < len(b) && b[p] == '=' {
			if p, err = d.readValue(b, p+1); err != nil {
				return err
			}
		}
		if err := d.pair(); err != nil {
			return err
		}
	}
	return nil
}

// readKey reads the key starting at b[p] up to its '=', '&' or the end, returning where it
// stopped. A key is decoded and split the way its decoded text would be: the root up to the first
// '[', then segments from each '[' to the next ']'. Brackets arrive escaped (%5B, %5D) from PHP's
// urlencode and are read as brackets without decoding the key; other escapes are decoded.
// Consecutive keys mostly share their first segments ("leads[update][0][name]",
// "leads[update][0][price]"), so when the raw text up to the opening of one of the previous
// key's segments is the same, the segments before it are kept and only the rest is read.
func (d *decoder) readKey(b []byte, p int) (int, error) {
	d.keep = 0
	if prev := b[d.prevLo:d.prevHi]; len(prev) > 0 {
		i := d.nsegs - 1
		// Most often the key differs from the previous one in its last segment only.
		if i >= 0 && p+d.opens[i] < len(b) && !bytes.Equal(b[p:p+d.opens[i]], prev[:d.opens[i]]) {
			same := commonPrefix(b[p:], prev)
			for i >= 0 && d.opens[i] > same {
				i--
			}
		}
		if i >= 0 && opensAt(b, p+d.opens[i]) {
			d.keep, d.nsegs, d.keyLen = i, i, d.segs[i].lo-1
			return d.readSegments(b, p, p+d.opens[i])
		}
	}
	d.nsegs, d.keyLen = 0, 0
	q := p
	for q < len(b) && !special[b[q]] {
		q++
	}
	d.put(b[p:q])
	if q < len(b) && b[q] != '=' && b[q] != '&' && b[q] != '[' && !opensAt(b, q) {
		// The root holds an escape, a '+' or a ']': decode it up to the first '['.
	root:
		for q < len(b) {
			switch b[q] {
			case '=', '&', '[':
				break root
			case '%':
				if opensAt(b, q) {
					break root
				}
			}
			var err error
			if q, err = d.putDecoded(b, q); err != nil {
				return q, err
			}
		}
	}
	d.rootEnd = d.keyLen
	return d.readSegments(b, p, q)
}

// readSegments reads the segments of the key that starts at b[start], from b[q] on, which is the
// end of the key or an opening bracket.
func (d *decoder) readSegments(b []byte, start, q int) (int, error) {
	for q < len(b) && b[q] != '=' && b[q] != '&' {
		open := q
		switch {
		case b[q] == '[':
			q++
		case opensAt(b, q):
			q += 3
		default:
			return q, bad("key %q has text after a ']'", truncate(b[start:q+1]))
		}
		if d.nsegs == maxDepth {
			return q, bad("key %q is nested deeper than %d", truncate(b[start:q]), maxDepth)
		}
		s := q
		for q < len(b) && !special[b[q]] {
			q++
		}
		// Room for the brackets and 16 bytes, so that a short name is copied as one 16-byte
		// block whatever its length.
		if d.keyLen+q-s+18 > len(d.key) {
			d.growKey(q - s + 18)
		}
		d.key[d.keyLen] = '['
		lo := d.keyLen + 1
		if q-s <= 16 && s+16 <= len(b) {
			*(*[16]byte)(d.key[lo:]) = *(*[16]byte)(b[s:])
		} else {
			copy(d.key[lo:], b[s:q])
		}
		d.keyLen = lo + q - s
		switch {
		case q < len(b) && b[q] == ']':
			q++
		case closesAt(b, q):
			q += 3
		default:
			// An escape, a '+' or a '[' in the name, or no closing bracket: decode it.
		name:
			for {
				if q == len(b) {
					return q, bad("key %q has an unclosed '['", truncate(b[start:q]))
				}
				switch b[q] {
				case ']':
					q++
					break name
				case '=', '&':
					return q, bad("key %q has an unclosed '['", truncate(b[start:q]))
				case '%':
					if closesAt(b, q) {
						q += 3
						break name
					}
				}
				var err error
				if q, err = d.putDecoded(b, q); err != nil {
					return q, err
				}
			}
		}
		d.segs[d.nsegs] = span{lo, d.keyLen}
		d.opens[d.nsegs] = open - start
		d.nsegs++
		d.putByte(']')
	}
	d.prevLo, d.prevHi = start, q
	return q, nil
}

// put appends b to the decoded key.
func (d *decoder) put(b []byte) {
	if d.keyLen+len(b) > len(d.key) {
		d.growKey(len(b))
	}
	copy(d.key[d.keyLen:], b)
	d.keyLen += len(b)
}

func (d *decoder) putByte(c byte) {
	if d.keyLen == len(d.key) {
		d.growKey(1)
	}
	d.key[d.keyLen] = c
	d.keyLen++
}

func (d *decoder) growKey(n int) {
	k := make([]byte, max(2*len(d.key), d.keyLen+n, 256))
	copy(k, d.key[:d.keyLen])
	d.key = k
}

// readValue reads the value starting at b[p] up to the next '&' or the end, returning where it
// stopped.
func (d *decoder) readValue(b []byte, p int) (int, error) {
	s := p
	for p < len(b) && !inValue[b[p]] {
		p++
	}
	if p == len(b) || b[p] == '&' {
		d.valLo, d.valHi = s, p
		return p, nil
	}
	e := len(b)
	if i := bytes.IndexByte(b[p:], '&'); i >= 0 {
		e = p + i
	}
	if len(d.valBuf) < e-s {
		d.valBuf = make([]byte, max(e-s, 2*len(d.valBuf), 256))
	}
	copy(d.valBuf, b[s:p])
	n, err := unescapeInto(d.valBuf[p-s:], b[p:e])
	d.valEsc, d.valLen = true, p-s+n
	return e, err
}

// value returns the current value, decoded.
func (d *decoder) value() []byte {
	if d.valEsc {
		return d.valBuf[:d.valLen]
	}
	return d.body[d.valLo:d.valHi]
}

// commonPrefix returns how many leading bytes a and b share, comparing eight at a time.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]); x != 0 {
			return i + bits.TrailingZeros64(x)/8
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// opensAt reports whether b has a '[' or %5B at i; closesAt, a ']' or %5D.
func opensAt(b []byte, i int) bool {
	return i < len(b) && (b[i] == '[' || i+2 < len(b) && b[i] == '%' && b[i+1] == '5' && b[i+2]|0x20 == 'b')
}

func closesAt(b []byte, i int) bool {
	return i < len(b) && (b[i] == ']' || i+2 < len(b) && b[i] == '%' && b[i+1] == '5' && b[i+2]|0x20 == 'd')
}

// putDecoded appends the form-decoded character at b[q] (an escape, a '+' or itself) to the
// key and returns where the next one starts.
func (d *decoder) putDecoded(b []byte, q int) (int, error) {
	switch b[q] {
	case '%':
		c, err := unescapeAt(b, q)
		if err != nil {
			return q, err
		}
		d.putByte(c)
		return q + 3, nil
	case '+':
		d.putByte(' ')
	default:
		d.putByte(b[q])
	}
	return q + 1, nil
}

// unescapeAt decodes the %XX escape at b[i].
func unescapeAt(b []byte, i int) (byte, error) {
	if i+2 >= len(b) {
		return 0, bad("a %% escape is cut short")
	}
	h, l := hexValue[b[i+1]], hexValue[b[i+2]]
	if h|l > 15 {
		return 0, bad("%q is not a %% escape", b[i:i+3])
	}
	return h<<4 | l, nil
}

// unescapeInto writes the form-decoded src to dst, which is at least as long, and returns how
// many bytes it wrote: '+' is a space and %XX a byte.
func unescapeInto(dst, src []byte) (int, error) {
	out := dst[:len(src)]
	i, j := 0, 0
	for i < len(src) {
		// Text outside ASCII arrives as runs of escapes, two or more to a character (Cyrillic
		// is %D0%A1…): decoding two at a time halves the loop's overhead on it.
		if i+6 <= len(src) && src[i] == '%' && src[i+3] == '%' {
			e := src[i : i+6 : i+6]
			h1, l1, h2, l2 := hexValue[e[1]], hexValue[e[2]], hexValue[e[4]], hexValue[e[5]]
			if h1|l1|h2|l2 <= 15 && j+2 <= len(out) {
				o := out[j : j+2 : j+2]
				o[0], o[1] = h1<<4|l1, h2<<4|l2
				i, j = i+6, j+2
				continue
			}
		}
		switch c := src[i]; c {
		case '%':
			if i+3 > len(src) {
				return j, bad("a %% escape is cut short")
			}
			h, l := hexValue[src[i+1]], hexValue[src[i+2]]
			if h|l > 15 {
				return j, bad("%q is not a %% escape", src[i:i+3])
			}
			out[j] = h<<4 | l
			i += 3
		case '+':
			out[j] = ' '
			i++
		default:
			out[j] = c
			i++
		}
		j++
	}
	return j, nil
}

// hexValue maps a hexadecimal digit to its value and every other byte to 0xff.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := range 10 {
		t['0'+i] = byte(i)
	}
	for i := range 6 {
		t['a'+i], t['A'+i] = byte(10+i), byte(10+i)
	}
	return t
}()

func truncate(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

func (d *decoder) pair() error {
	d.was, d.hot = d.hot, nothing
	if w := d.was; w.item >= 0 && w.rest >= 2 && d.keep >= w.rest && d.nsegs > w.rest && (d.keep >= 3 || !isIndex(d.seg(2))) {
		// The key keeps the previous one's root, action and index, and names a field after them
		// (not a task's second index): the same item.
		d.hot.item, d.hot.rest = w.item, w.rest
		return d.field(d.items[w.item], d.segs[w.rest:d.nsegs])
	}
	switch string(d.key[:d.rootEnd]) {
	case "account":
		return d.account()
	case "leads", "contacts", "task":
		return d.entity()
	case "":
		return bad("a key has no name")
	}
	d.ignore(string(d.key[:d.rootEnd]))
	return nil
}

func (d *decoder) ignore(name string) {
	if d.ignored[name] {
		return
	}
	if d.ignored == nil {
		d.ignored = map[string]bool{}
	}
	d.ignored[name] = true
	d.out.Ignored = append(d.out.Ignored, name)
}

func (d *decoder) account() error {
	if d.nsegs == 0 {
		return nil
	}
	switch string(d.seg(0)) {
	case "id":
		if d.nsegs == 1 {
			return d.int(&d.out.Account.ID, "account[id]")
		}
	case "subdomain":
		if d.nsegs == 1 {
			d.out.Account.Subdomain = d.text()
		}
	case "_links":
		if d.nsegs == 2 && string(d.seg(1)) == "self" {
			d.out.Account.Self = d.text()
		}
	}
	return nil
}

// actions lists what each root may carry; anything else is ignored.
func knownAction(root, action string) bool {
	switch action {
	case "add", "update", "delete":
		return true
	case "restore", "note":
		return root != "task"
	case "status", "responsible":
		return root == "leads"
	}
	return false
}

func isIndex(b []byte) bool {
	_, ok := index(b)
	return ok
}

// index reads a small array index: one to nine digits.
func index(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c-'0' > 9 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func (d *decoder) seg(i int) []byte { s := d.segs[i]; return d.key[s.lo:s.hi] }

// entity reads a field of a lead, contact, task or note item. A pair that keeps the segments
// naming the previous pair's item (see readKey) is about the same item.
func (d *decoder) entity() error {
	root, was := d.key[:d.rootEnd], d.was
	if d.nsegs == 0 {
		return bad("%q has no action", root)
	}
	action := d.seg(0)
	if (was.item < 0 || d.keep == 0) && !knownAction(string(root), string(action)) {
		d.ignore(string(root) + "[" + string(action) + "]")
		return nil
	}
	// The item is named by the key up to its index: "leads[update][0]", or "task[update][0][0]"
	// where amoCRM's sample nests the task once more.
	rest := 1
	if d.nsegs > 1 {
		if !isIndex(d.seg(1)) {
			return bad("%s[%s]: %q is not an item index", root, action, d.seg(1))
		}
		rest = 2
		if d.nsegs > 2 && isIndex(d.seg(2)) {
			rest = 3
		}
	}
	i := was.item
	if i < 0 || d.keep < rest || was.rest != rest {
		var err error
		if i, err = d.item(root, action, rest); err != nil {
			return err
		}
	}
	d.hot.item, d.hot.rest = i, rest
	it := d.items[i]
	if rest == d.nsegs {
		// The short form of a delete: the value is the id.
		if string(action) != "delete" {
			return bad("%s[%s]: only a delete may be a bare id", root, action)
		}
		return d.int(&it.id, "id")
	}
	return d.field(it, d.segs[rest:d.nsegs])
}

// field reads the field at path inside the item.
func (d *decoder) field(it *item, path []span) error {
	switch {
	case it.note != nil:
		return d.setNote(it, path)
	case it.lead != nil:
		return d.setLead(it, path)
	case it.contact != nil:
		return d.setContact(it, path)
	default:
		return d.setTask(it, path)
	}
}

// itemKey names an item: its root, its action and up to two indexes ("leads[update][0]",
// "task[update][0][0]", or none in "leads[delete]=1"). An index is kept as its value and its
// number of digits, since "01" and "1" are different keys to PHP.
type itemKey struct {
	root, action string
	i, j         int64 // -1 when absent
	ilen, jlen   int
}

func (k itemKey) less(o itemKey) bool {
	if k.i != o.i || k.ilen != o.ilen {
		return k.i < o.i || k.i == o.i && k.ilen < o.ilen
	}
	return k.j < o.j || k.j == o.j && k.jlen < o.jlen
}

// sameGroup reports whether two keys share their root, action and number of indexes: the group
// whose greatest key decoder.tops keeps.
func (k itemKey) sameGroup(o itemKey) bool {
	return k.root == o.root && k.action == o.action && k.ilen > 0 == (o.ilen > 0) && k.jlen > 0 == (o.jlen > 0)
}

// indexKey returns the value and digit count of a segment that is an index.
func indexKey(b []byte) (int64, int) {
	n, _ := index(b)
	return n, len(b)
}

// item finds or makes the item named by root, action and the rest-1 index segments after the
// action, and returns its index in d.items. amoCRM lists items in order, so a key greater than
// every key of its group seen so far (decoder.tops) is new without a lookup: the map from keys
// to items is built only once a key arrives that is not, such as a lead's second pair after
// another lead's.
func (d *decoder) item(root, action []byte, rest int) (int, error) {
	k := itemKey{root: intern(root), action: intern(action), i: -1, j: -1}
	if rest >= 2 {
		k.i, k.ilen = indexKey(d.seg(1))
	}
	if rest == 3 {
		k.j, k.jlen = indexKey(d.seg(2))
	}
	if d.last >= 0 && d.items[d.last].key == k {
		return d.last, nil
	}
	g := d.group(k)
	if !d.tops[g].less(k) {
		if i, ok := d.lookup(k); ok {
			d.last = i
			return i, nil
		}
	}
	if err := d.spend(); err != nil {
		return -1, err
	}
	if d.tops[g].less(k) {
		d.tops[g] = k
	}
	it := &carve(&d.itemSlab, 1)[:1][0]
	it.key = k
	switch {
	case k.action == "note":
		it.note = &Note{}
	case k.root == "leads":
		it.lead = &carve(&d.leadSlab, 1)[:1][0]
	case k.root == "contacts":
		it.contact = &Contact{}
	default:
		it.task = &Task{}
	}
	d.last = len(d.items)
	if d.byKey != nil {
		d.byKey[k] = d.last
	}
	d.items = append(d.items, it)
	return d.last, nil
}

// group returns the position in d.tops of k's group, adding the group with a key below every
// other if it is new. Roots and actions are few, so the list stays short.
func (d *decoder) group(k itemKey) int {
	for g, top := range d.tops {
		if top.sameGroup(k) {
			return g
		}
	}
	low := k
	low.i, low.ilen, low.j, low.jlen = -2, 0, -2, 0
	d.tops = append(d.tops, low)
	return len(d.tops) - 1
}

// lookup finds the item named k, building the map of items on first use.
func (d *decoder) lookup(k itemKey) (int, bool) {
	if d.byKey == nil {
		d.byKey = make(map[itemKey]int, 2*len(d.items))
		for i, it := range d.items {
			d.byKey[it.key] = i
		}
	}
	i, ok := d.byKey[k]
	return i, ok
}

// name returns the path segment i of the current key.
func (d *decoder) name(path []span, i int) []byte { return d.key[path[i].lo:path[i].hi] }

func (d *decoder) spend() error {
	d.parts++
	if d.parts > maxParts {
		return bad("more than %d parts", maxParts)
	}
	return nil
}

func (d *decoder) setLead(it *item, path []span) error {
	l := it.lead
	f := d.name(path, 0)
	if len(path) == 1 {
		switch string(f) {
		case "id":
			return d.int(&l.ID, "id")
		case "name":
			l.Name = d.text()
			return nil
		case "price":
			l.Price = amocrm.Decimal(d.text())
			return nil
		case "status_id":
			return d.int(&l.StatusID, "status_id")
		case "old_status_id":
			return d.int(&l.OldStatusID, "old_status_id")
		case "pipeline_id":
			return d.int(&l.PipelineID, "pipeline_id")
		case "old_pipeline_id":
			return d.int(&l.OldPipelineID, "old_pipeline_id")
		case "responsible_user_id":
			return d.int(&l.ResponsibleUserID, "responsible_user_id")
		case "old_responsible_user_id":
			return d.int(&l.OldResponsibleUserID, "old_responsible_user_id")
		case "created_user_id":
			return d.int(&l.CreatedUserID, "created_user_id")
		case "modified_user_id":
			return d.int(&l.ModifiedUserID, "modified_user_id")
		case "account_id":
			return d.int(&l.AccountID, "account_id")
		case "date_create":
			return d.unix(&l.DateCreate, "date_create")
		case "last_modified":
			return d.unix(&l.LastModified, "last_modified")
		case "created_at":
			return d.unix(&l.CreatedAt, "created_at")
		case "updated_at":
			return d.unix(&l.UpdatedAt, "updated_at")
		}
	}
	switch string(f) {
	case "custom_fields":
		return d.customField(it, &l.CustomFields, path[1:])
	case "tags":
		return d.tag(it, &l.Tags, path[1:])
	}
	return d.other(&l.Other, path)
}

func (d *decoder) setContact(it *item, path []span) error {
	c := it.contact
	f := d.name(path, 0)
	if len(path) == 1 {
		switch string(f) {
		case "id":
			return d.int(&c.ID, "id")
		case "name":
			c.Name = d.text()
			return nil
		case "type":
			c.Type = d.text()
			return nil
		case "responsible_user_id":
			return d.int(&c.ResponsibleUserID, "responsible_user_id")
		case "old_responsible_user_id":
			return d.int(&c.OldResponsibleUserID, "old_responsible_user_id")
		case "created_user_id":
			return d.int(&c.CreatedUserID, "created_user_id")
		case "modified_user_id":
			return d.int(&c.ModifiedUserID, "modified_user_id")
		case "account_id":
			return d.int(&c.AccountID, "account_id")
		case "company_name":
			c.CompanyName = d.text()
			return nil
		case "linked_company_id":
			return d.int(&c.LinkedCompanyID, "linked_company_id")
		case "date_create":
			return d.unix(&c.DateCreate, "date_create")
		case "last_modified":
			return d.unix(&c.LastModified, "last_modified")
		case "created_at":
			return d.unix(&c.CreatedAt, "created_at")
		case "updated_at":
			return d.unix(&c.UpdatedAt, "updated_at")
		}
	}
	switch string(f) {
	case "custom_fields":
		return d.customField(it, &c.CustomFields, path[1:])
	case "tags":
		return d.tag(it, &c.Tags, path[1:])
	case "linked_leads_id":
		// linked_leads_id[7551167][ID]=7551167: keyed by the lead's id.
		if len(path) < 2 {
			return nil
		}
		id, err := atoi(d.name(path, 1))
		if err != nil || id <= 0 {
			return bad("linked_leads_id key %q is not a lead id", d.name(path, 1))
		}
		for _, have := range c.LinkedLeadIDs {
			if have == id {
				return nil
			}
		}
		if err := d.spend(); err != nil {
			return err
		}
		c.LinkedLeadIDs = append(c.LinkedLeadIDs, id)
		return nil
	}
	return d.other(&c.Other, path)
}

func (d *decoder) setTask(it *item, path []span) error {
	t := it.task
	f := d.name(path, 0)
	if len(path) == 1 {
		switch string(f) {
		case "id":
			return d.int(&t.ID, "id")
		case "element_id":
			return d.int(&t.ElementID, "element_id")
		case "element_type":
			return d.small(&t.ElementType, "element_type")
		case "task_type":
			return d.int(&t.TaskType, "task_type")
		case "text":
			t.Text = d.text()
			return nil
		case "old_text":
			t.OldText = d.text()
			return nil
		case "status":
			return d.small(&t.Status, "status")
		case "action_close":
			var n int
			err := d.small(&n, "action_close")
			t.ActionClose = n == 1
			return err
		case "responsible_user_id":
			return d.int(&t.ResponsibleUserID, "responsible_user_id")
		case "old_responsible_user_id":
			return d.int(&t.OldResponsibleUserID, "old_responsible_user_id")
		case "main_user":
			return d.int(&t.MainUserID, "main_user")
		case "modified_by":
			return d.int(&t.ModifiedBy, "modified_by")
		case "created_user_id":
			return d.int(&t.CreatedUserID, "created_user_id")
		case "account_id":
			return d.int(&t.AccountID, "account_id")
		case "date_create":
			return d.dateTime(&t.DateCreate, "date_create")
		case "last_modified":
			return d.dateTime(&t.LastModified, "last_modified")
		case "complete_till":
			return d.dateTime(&t.CompleteTill, "complete_till")
		case "created_at":
			return d.unix(&t.CreatedAt, "created_at")
		case "updated_at":
			return d.unix(&t.UpdatedAt, "updated_at")
		case "complete_before":
			return d.unix(&t.CompleteBefore, "complete_before")
		}
	}
	if string(f) == "result" && len(path) == 2 {
		switch string(d.name(path, 1)) {
		case "id":
			return d.int(&t.Result.ID, "result[id]")
		case "text":
			t.Result.Text = d.text()
			return nil
		}
	}
	return d.other(&t.Other, path)
}

func (d *decoder) setNote(it *item, path []span) error {
	n := it.note
	f := d.name(path, 0)
	if len(path) == 1 && string(f) == "type" {
		it.noteType = d.text()
		return nil
	}
	if string(f) != "note" || len(path) != 2 {
		return d.other(&n.Other, path)
	}
	switch string(d.name(path, 1)) {
	case "id":
		return d.int(&n.ID, "note[id]")
	case "text":
		n.Text = d.text()
		return nil
	case "note_type":
		return d.small(&n.NoteType, "note[note_type]")
	case "attachement", "attachment":
		n.Attachment = d.text()
		return nil
	case "element_id":
		return d.int(&n.ElementID, "note[element_id]")
	case "element_type":
		return d.small(&n.ElementType, "note[element_type]")
	case "group_id":
		return d.int(&n.GroupID, "note[group_id]")
	case "created_by":
		return d.int(&n.CreatedBy, "note[created_by]")
	case "modified_by":
		return d.int(&n.ModifiedBy, "note[modified_by]")
	case "main_user_id":
		return d.int(&n.MainUserID, "note[main_user_id]")
	case "account_id":
		return d.int(&n.AccountID, "note[account_id]")
	case "date_create":
		return d.dateTime(&n.DateCreate, "note[date_create]")
	case "timestamp_x":
		return d.dateTime(&n.TimestampX, "note[timestamp_x]")
	case "created_at":
		return d.unix(&n.CreatedAt, "note[created_at]")
	case "updated_at":
		return d.unix(&n.UpdatedAt, "note[updated_at]")
	case "metadata":
		n.Metadata = d.text()
		return nil
	}
	return d.other(&n.Other, path)
}

// customField reads custom_fields[i][id|name|code], custom_fields[i][values][j][value|enum],
// custom_fields[i][values][j] (a date or checkbox without [value]) and
// custom_fields[i][values][value|enum] (a radiobutton without an index).
func (d *decoder) customField(it *item, fields *[]CustomField, path []span) error {
	if len(path) < 2 {
		return bad("%s: a custom field needs an index and a name", truncate(d.key[:d.keyLen]))
	}
	key := d.name(path, 0)
	// A pair that keeps the segments up to the field's index is about the previous pair's field.
	i := -1
	if was := d.was; was.field >= 0 && was.item == d.hot.item && d.keep >= was.rest+2 {
		i = was.field
	} else {
		i = it.cfKeys.find(key, len(*fields))
	}
	if i < 0 {
		if err := d.spend(); err != nil {
			return err
		}
		i = it.cfKeys.add(d, key, len(*fields))
		extend(&d.fieldSlab, fields)
	}
	d.hot.field = i
	cf := &(*fields)[i]
	switch string(d.name(path, 1)) {
	case "id":
		if len(path) == 2 {
			return d.int(&cf.ID, "custom_fields[id]")
		}
	case "name":
		if len(path) == 2 {
			cf.Name = d.text()
			return nil
		}
	case "code":
		if len(path) == 2 {
			cf.Code = d.text()
			return nil
		}
	case "values":
		return d.fieldValue(it, i, cf, path[2:])
	}
	return nil // other parts of a field definition (such as a field's type) are not kept
}

func (d *decoder) fieldValue(it *item, field int, cf *CustomField, path []span) error {
	if len(path) == 0 {
		return d.valueAt(it, field, cf, nil, false) // values=x: a single bare value
	}
	first := d.name(path, 0)
	switch {
	case len(path) == 1 && string(first) == "value":
		return d.valueAt(it, field, cf, nil, false)
	case len(path) == 1 && string(first) == "enum":
		return d.valueAt(it, field, cf, nil, true)
	case len(path) == 1:
		return d.valueAt(it, field, cf, first, false)
	case len(path) == 2:
		switch string(d.name(path, 1)) {
		case "value":
			return d.valueAt(it, field, cf, first, false)
		case "enum":
			return d.valueAt(it, field, cf, first, true)
		}
	}
	return nil
}

func (d *decoder) valueAt(it *item, field int, cf *CustomField, key []byte, enum bool) error {
	var dense keyList // the list of a field whose values are all in order: nothing stored
	keys := &dense
	if field < len(it.valKeys) {
		keys = &it.valKeys[field]
	}
	i := keys.find(key, len(cf.Values))
	if i < 0 {
		if err := d.spend(); err != nil {
			return err
		}
		if !keys.sparse && !next(key, len(cf.Values)) && field >= len(it.valKeys) {
			it.valKeys = append(it.valKeys, make([]keyList, field+1-len(it.valKeys))...)
			keys = &it.valKeys[field]
		}
		i = keys.add(d, key, len(cf.Values))
		extend(&d.valueSlab, &cf.Values)
	}
	v := &cf.Values[i]
	if enum {
		return d.int(&v.Enum, "custom_fields[values][enum]")
	}
	v.Value = d.text()
	return nil
}

func (d *decoder) tag(it *item, tags *[]Tag, path []span) error {
	if len(path) != 2 {
		return nil
	}
	key := d.name(path, 0)
	i := it.tagKeys.find(key, len(*tags))
	if i < 0 {
		if err := d.spend(); err != nil {
			return err
		}
		i = it.tagKeys.add(d, key, len(*tags))
		extend(&d.tagSlab, tags)
	}
	switch string(d.name(path, 1)) {
	case "id":
		return d.int(&(*tags)[i].ID, "tags[id]")
	case "name":
		(*tags)[i].Name = d.text()
	}
	return nil
}

func (d *decoder) other(m *map[string]string, path []span) error {
	if err := d.spend(); err != nil {
		return err
	}
	if *m == nil {
		*m = map[string]string{}
	}
	var b strings.Builder
	b.Write(d.name(path, 0))
	for i := 1; i < len(path); i++ {
		b.WriteByte('[')
		b.Write(d.name(path, i))
		b.WriteByte(']')
	}
	(*m)[b.String()] = d.text()
	return nil
}

// text returns the current value as a string, copied into the arena and sharing its memory. A
// chunk of the arena only takes a value that fits in what is left of it, so appending never moves
// it, and bytes once written are never written again: the strings stay immutable, as in
// strings.Builder. Values read as numbers are never copied.
func (d *decoder) text() string {
	v := d.value()
	if len(v) == 0 {
		return ""
	}
	if len(d.arena)-d.arenaUsed < len(v) {
		d.arena, d.arenaUsed = make([]byte, max(len(v), arenaChunk)), 0
	}
	start := d.arenaUsed
	d.arenaUsed += copy(d.arena[start:], v)
	return unsafe.String(&d.arena[start], len(v))
}

// int reads the value as a whole number; "" is 0, as PHP sends a null.
func (d *decoder) int(dst *int64, field string) error {
	n, err := atoi(d.value())
	if err != nil {
		return d.notNumber(field)
	}
	*dst = n
	return nil
}

func (d *decoder) notNumber(field string) error {
	return bad("%s %q is not a whole number", field, truncate(d.value()))
}

func (d *decoder) small(dst *int, field string) error {
	var n int64
	if err := d.int(&n, field); err != nil {
		return err
	}
	if n < -1<<31 || n > 1<<31-1 {
		return bad("%s %d is out of range", field, n)
	}
	*dst = int(n)
	return nil
}

func (d *decoder) unix(dst *amocrm.Timestamp, field string) error {
	var n int64
	if err := d.int(&n, field); err != nil {
		return err
	}
	*dst = amocrm.Unix(n)
	return nil
}

// dateTime reads "2017-07-20 15:00:00"; "" and PHP's "0000-00-00 00:00:00" are unset.
func (d *decoder) dateTime(dst *DateTime, field string) error {
	v := d.value()
	if len(v) == 0 || string(v) == "0000-00-00 00:00:00" {
		*dst = DateTime{}
		return nil
	}
	if len(v) != 19 || v[4] != '-' || v[7] != '-' || v[10] != ' ' || v[13] != ':' || v[16] != ':' {
		return bad("%s %q is not a date and time like 2017-07-20 15:00:00", field, truncate(v))
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	t := DateTime{Year: num(v[0:4]), Month: time.Month(num(v[5:7])), Day: num(v[8:10]), Hour: num(v[11:13]), Minute: num(v[14:16]), Second: num(v[17:19])}
	if t.Year < 1 || t.Month < 1 || t.Month > 12 || t.Day < 1 || t.Day > 31 || t.Hour < 0 || t.Hour > 23 || t.Minute < 0 || t.Minute > 59 || t.Second < 0 || t.Second > 59 {
		return bad("%s %q is not a date and time like 2017-07-20 15:00:00", field, truncate(v))
	}
	*dst = t
	return nil
}

// atoi parses a decimal int64 without allocating; "" is 0.
func atoi(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, nil
	}
	neg := false
	if b[0] == '-' {
		neg, b = true, b[1:]
		if len(b) == 0 {
			return 0, strconv.ErrSyntax
		}
	}
	if len(b) > 18 {
		// Longer numbers are rare enough to take the slow path, which checks overflow.
		s := string(b)
		if neg {
			s = "-" + s
		}
		return strconv.ParseInt(s, 10, 64)
	}
	var n int64
	for _, c := range b {
		if c-'0' > 9 {
			return 0, strconv.ErrSyntax
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

func (d *decoder) finish() (*Delivery, error) {
	out := &Delivery{Account: d.out.Account, Ignored: d.out.Ignored, Events: make([]Event, 0, len(d.items))}
	for _, it := range d.items {
		ev := Event{Action: Action(it.key.action)}
		switch {
		case it.note != nil:
			ev.Note = it.note
			ev.ID = it.note.ElementID
			switch it.key.root {
			case "leads":
				ev.Entity = EntityLead
			case "contacts":
				ent, err := contactEntity(it.noteType)
				if err != nil {
					return nil, err
				}
				ev.Entity = ent
			}
		case it.lead != nil:
			ev.Entity, ev.Lead, ev.ID = EntityLead, it.lead, it.lead.ID
		case it.contact != nil:
			ent, err := contactEntity(it.contact.Type)
			if err != nil {
				return nil, err
			}
			ev.Entity, ev.Contact, ev.ID = ent, it.contact, it.contact.ID
		default:
			ev.Entity, ev.Task, ev.ID = EntityTask, it.task, it.task.ID
		}
		if it.id != 0 && ev.ID == 0 {
			// The short delete form: only the id is known.
			ev.ID = it.id
			switch ev.Entity {
			case EntityLead:
				ev.Lead.ID = it.id
			case EntityTask:
				ev.Task.ID = it.id
			default:
				ev.Contact.ID = it.id
			}
		}
		if ev.ID <= 0 {
			return nil, bad("%s[%s] item has no id", it.key.root, it.key.action)
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}

// contactEntity tells a contact from a company; a payload without a type (the short delete form)
// counts as a contact.
func contactEntity(typ string) (Entity, error) {
	switch typ {
	case "", "contact":
		return EntityContact, nil
	case "company":
		return EntityCompany, nil
	}
	return "", bad("contacts item of type %q is neither contact nor company", typ)
}
