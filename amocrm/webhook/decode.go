package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/amokit/amokit/amocrm"
)

// Limits of the decoder, so that a hostile body cannot make it allocate without bound.
const (
	arenaChunk = 16 << 10 // bytes of decoded values per allocation
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
	d := decoder{last: -1}
	if err := d.parse(body); err != nil {
		return nil, err
	}
	return d.finish()
}

// span is a bracketed segment of the decoded key, as offsets into decoder.key.
type span struct{ lo, hi int }

type item struct {
	root, action string
	lead         *Lead
	contact      *Contact
	task         *Task
	note         *Note
	noteType     string // contacts[note][i][type]
	id           int64  // short delete form
	cfKeys       keyList
	valKeys      []keyList
	tagKeys      keyList
}

// keyList maps the keys of a PHP array ("custom_fields[3]") to positions in a slice. amoCRM's
// arrays are lists, with keys 0, 1, 2… in order; while that holds, a key is its own position and
// nothing is stored. Other keys are kept in a list, with a map once it is long, so that a hostile
// payload cannot make the lookups quadratic.
type keyList struct {
	n      int  // positions given out
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
	if isIndex(b) {
		n, _ := atoi(b)
		return arrayKey{num: n}
	}
	if alloc {
		return arrayKey{num: -1, str: string(b)}
	}
	return arrayKey{num: -1, str: unsafe.String(unsafe.SliceData(b), len(b))} // for a lookup only
}

func (k *keyList) find(key []byte) int {
	if !k.sparse {
		if isIndex(key) {
			if n, _ := atoi(key); n < int64(k.n) {
				return int(n)
			}
		}
		return -1
	}
	want := keyOf(key, false)
	if n := len(k.keys); n > 0 && k.keys[n-1] == want {
		return n - 1
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

// add gives key the next position; the caller has checked that find does not know it.
func (k *keyList) add(d *decoder, key []byte) int {
	if !k.sparse {
		if isIndex(key) {
			if n, _ := atoi(key); n == int64(k.n) {
				k.n++
				return k.n - 1
			}
		}
		k.sparse = true
		k.keys = carve(&d.keySlab, k.n+4)
		for i := range k.n {
			k.keys = append(k.keys, arrayKey{num: int64(i)})
		}
	}
	k.keys = append(k.keys, keyOf(key, true))
	k.n++
	i := len(k.keys) - 1
	switch {
	case k.idx != nil:
		k.idx[k.keys[i]] = i
	case len(k.keys) > 16:
		k.idx = make(map[arrayKey]int, 2*len(k.keys))
		for j, have := range k.keys {
			k.idx[have] = j
		}
	}
	return i
}

type decoder struct {
	out     Delivery
	items   []*item
	byKey   map[string]int
	last    int
	lastKey []byte
	key     []byte
	val     []byte // the current value, a window on arena
	arena   []byte // the current chunk of decoded values, back to back; never grown past its capacity
	segs    []span
	rootEnd int // d.key[:rootEnd] is the key's root

	// The previous raw key, and where in it each of d.segs opens, when clean (see decodeKey).
	prevRaw []byte
	rawOpen []int
	clean   bool
	noReuse bool

	parts   int
	ignored map[string]bool

	// Slabs that small slices and structs are carved from, so that a delivery of many items
	// costs a few allocations rather than several per item.
	itemSlab    []item
	leadSlab    []Lead
	fieldSlab   []CustomField
	valueSlab   []CustomFieldValue
	tagSlab     []Tag
	keySlab     []arrayKey
	keyListSlab []keyList
}

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

func (d *decoder) parse(body []byte) error {
	for len(body) > 0 {
		var pair []byte
		if i := indexByte(body, '&'); i >= 0 {
			pair, body = body[:i], body[i+1:]
		} else {
			pair, body = body, nil
		}
		if len(pair) == 0 {
			continue
		}
		k, v := pair, []byte(nil)
		if i := indexByte(pair, '='); i >= 0 {
			k, v = pair[:i], pair[i+1:]
		}
		var err error
		if err = d.decodeKey(k); err != nil {
			return err
		}
		// Values are decoded into chunks of an arena that never move once allocated, so that the
		// strings made from them (see text) need no allocation of their own.
		if cap(d.arena)-len(d.arena) < len(v) {
			d.arena = make([]byte, 0, max(len(v), arenaChunk))
		}
		start := len(d.arena)
		if d.arena, err = unescape(d.arena, v); err != nil {
			return err
		}
		d.val = d.arena[start:len(d.arena):len(d.arena)]
		if err := d.pair(); err != nil {
			return err
		}
	}
	return nil
}

func indexByte(b []byte, c byte) int { return bytes.IndexByte(b, c) }

// unescape appends the form-decoded src to dst: '+' is a space and %XX a byte.
func unescape(dst, src []byte) ([]byte, error) {
	if bytes.IndexByte(src, '%') < 0 && bytes.IndexByte(src, '+') < 0 {
		return append(dst, src...), nil
	}
	return unescapeEach(dst, src)
}

// unescapeEach is unescape without looking for a run to copy whole first: for keys, whose
// brackets are escaped every few bytes.
func unescapeEach(dst, src []byte) ([]byte, error) {
	n := len(dst)
	dst = slices.Grow(dst, len(src))[:n+len(src)]
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 >= len(src) {
				return dst[:n], bad("a %% escape is cut short")
			}
			h, ok1 := unhex(src[i+1])
			l, ok2 := unhex(src[i+2])
			if !ok1 || !ok2 {
				return dst[:n], bad("%q is not a %% escape", src[i:i+3])
			}
			c = h<<4 | l
			i += 2
		}
		dst[n] = c
		n++
	}
	return dst[:n], nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeKey decodes the raw key k into d.key and splits it into its root and bracketed segments.
// Consecutive keys mostly share their first segments ("leads[update][0][name]",
// "leads[update][0][price]"), so when k's raw text up to the opening of some segment is the
// previous key's, only the rest is decoded and split again. That needs each segment's opening in
// the raw text, which is known when every '[' of the key opens a segment (no segment name holds a
// '['): then the n-th '[' or %5B of the raw text opens the n-th segment. noReuse turns this off,
// for tests.
func (d *decoder) decodeKey(k []byte) error {
	if d.clean && !d.noReuse {
		for i := len(d.rawOpen) - 1; i >= 0; i-- {
			at := d.rawOpen[i]
			if !opensAt(k, at) || !bytes.Equal(k[:at], d.prevRaw[:at]) {
				continue
			}
			open := d.segs[i].lo - 1
			var err error
			if d.key, err = unescapeEach(d.key[:open], k[at:]); err != nil {
				d.clean = false
				return err
			}
			d.segs, d.rawOpen = d.segs[:i], d.rawOpen[:i]
			return d.remember(k, open, at)
		}
	}
	d.clean = false
	var err error
	if d.key, err = unescapeEach(d.key[:0], k); err != nil {
		return err
	}
	d.rootEnd = indexByte(d.key, '[')
	d.segs, d.rawOpen = d.segs[:0], d.rawOpen[:0]
	if d.rootEnd < 0 {
		d.rootEnd = len(d.key)
		return nil
	}
	return d.remember(k, d.rootEnd, 0)
}

// opensAt reports whether the raw key k has a '[' or %5B at i.
func opensAt(k []byte, i int) bool {
	return i < len(k) && (k[i] == '[' || i+2 < len(k) && k[i] == '%' && k[i+1] == '5' && (k[i+2] == 'B' || k[i+2] == 'b'))
}

// remember splits d.key from the '[' at open on, records where the raw key k opens those
// segments (its brackets from rawOpen on), and keeps k for the next key.
func (d *decoder) remember(k []byte, open, rawOpen int) error {
	d.clean = false
	if err := d.split(open); err != nil {
		return err
	}
	for i := rawOpen; i < len(k); i++ {
		switch k[i] {
		case '[':
			d.rawOpen = append(d.rawOpen, i)
		case '%':
			if i+2 < len(k) && k[i+1] == '5' && (k[i+2] == 'B' || k[i+2] == 'b') {
				d.rawOpen = append(d.rawOpen, i)
			}
			i += 2
		}
	}
	d.clean = len(d.rawOpen) == len(d.segs)
	d.prevRaw = append(d.prevRaw[:0], k...)
	return nil
}

// split reads the bracketed segments of d.key from i, which is at a '[', appending to d.segs.
func (d *decoder) split(i int) error {
	k := d.key
	for i < len(k) {
		if k[i] != '[' {
			return bad("key %q has text after a ']'", truncate(k))
		}
		j := indexByte(k[i+1:], ']')
		if j < 0 {
			return bad("key %q has an unclosed '['", truncate(k))
		}
		if len(d.segs) == maxDepth {
			return bad("key %q is nested deeper than %d", truncate(k), maxDepth)
		}
		d.segs = append(d.segs, span{i + 1, i + 1 + j})
		i += j + 2
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

func (d *decoder) seg(i int) []byte { s := d.segs[i]; return d.key[s.lo:s.hi] }

func (d *decoder) pair() error {
	root := d.key[:d.rootEnd]
	switch string(root) {
	case "account":
		return d.account()
	case "leads", "contacts", "task":
		return d.entity(root)
	case "":
		return bad("a key has no name")
	}
	d.ignore(string(root))
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
	if len(d.segs) == 0 {
		return nil
	}
	switch string(d.seg(0)) {
	case "id":
		if len(d.segs) == 1 {
			return d.int(&d.out.Account.ID, "account[id]")
		}
	case "subdomain":
		if len(d.segs) == 1 {
			d.out.Account.Subdomain = d.text()
		}
	case "_links":
		if len(d.segs) == 2 && string(d.seg(1)) == "self" {
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
	if len(b) == 0 || len(b) > 9 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (d *decoder) entity(root []byte) error {
	if len(d.segs) == 0 {
		return bad("%q has no action", root)
	}
	action := d.seg(0)
	if !knownAction(string(root), string(action)) {
		d.ignore(string(root) + "[" + string(action) + "]")
		return nil
	}
	// The item is named by the key up to its index: "leads[update][0]", or "task[update][0][0]"
	// where amoCRM's sample nests the task once more.
	end := d.segs[0].hi + 1
	rest := 1
	if len(d.segs) > 1 {
		if !isIndex(d.seg(1)) {
			return bad("%q: %q is not an item index", truncate(d.key), d.seg(1))
		}
		end, rest = d.segs[1].hi+1, 2
		if len(d.segs) > 2 && isIndex(d.seg(2)) {
			end, rest = d.segs[2].hi+1, 3
		}
	}
	it, err := d.item(root, action, end)
	if err != nil {
		return err
	}
	if rest == len(d.segs) {
		// The short form of a delete: the value is the id.
		if string(action) != "delete" {
			return bad("%q: only a delete may be a bare id", truncate(d.key))
		}
		return d.int(&it.id, "id")
	}
	path := d.segs[rest:]
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

func (d *decoder) item(root, action []byte, end int) (*item, error) {
	if d.last >= 0 && bytes.Equal(d.key[:end], d.lastKey) {
		return d.items[d.last], nil
	}
	if i, ok := d.byKey[string(d.key[:end])]; ok {
		d.last = i
		d.lastKey = append(d.lastKey[:0], d.key[:end]...)
		return d.items[i], nil
	}
	if err := d.spend(); err != nil {
		return nil, err
	}
	it := &carve(&d.itemSlab, 1)[:1][0]
	it.root, it.action = string(root), string(action)
	switch {
	case it.action == "note":
		it.note = &Note{}
	case it.root == "leads":
		it.lead = &carve(&d.leadSlab, 1)[:1][0]
	case it.root == "contacts":
		it.contact = &Contact{}
	default:
		it.task = &Task{}
	}
	if d.byKey == nil {
		d.byKey = map[string]int{}
	}
	d.byKey[string(d.key[:end])] = len(d.items)
	d.last = len(d.items)
	d.items = append(d.items, it)
	d.lastKey = append(d.lastKey[:0], d.key[:end]...)
	return it, nil
}

func (d *decoder) spend() error {
	d.parts++
	if d.parts > maxParts {
		return bad("more than %d parts", maxParts)
	}
	return nil
}

// name returns the path segment i of the current key.
func (d *decoder) name(path []span, i int) []byte { return d.key[path[i].lo:path[i].hi] }

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
			l.Price = amocrm.Decimal(d.val)
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
		return bad("%q: a custom field needs an index and a name", truncate(d.key))
	}
	key := d.name(path, 0)
	i := it.cfKeys.find(key)
	if i < 0 {
		if err := d.spend(); err != nil {
			return err
		}
		if *fields == nil {
			*fields = carve(&d.fieldSlab, 8)
			it.valKeys = carve(&d.keyListSlab, 8)
		}
		*fields = append(*fields, CustomField{})
		it.valKeys = append(it.valKeys, keyList{})
		i = it.cfKeys.add(d, key)
	}
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
	keys := &it.valKeys[field]
	i := keys.find(key)
	if i < 0 {
		if err := d.spend(); err != nil {
			return err
		}
		if cf.Values == nil {
			cf.Values = carve(&d.valueSlab, 2)
		}
		cf.Values = append(cf.Values, CustomFieldValue{})
		i = keys.add(d, key)
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
	i := it.tagKeys.find(key)
	if i < 0 {
		if err := d.spend(); err != nil {
			return err
		}
		if *tags == nil {
			*tags = carve(&d.tagSlab, 2)
		}
		*tags = append(*tags, Tag{})
		i = it.tagKeys.add(d, key)
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

// text returns the current value as a string sharing the arena's memory. A chunk of the arena
// only takes a value that fits in what is left of it (a decoded value is never longer than its
// encoded form), so appending never moves it, and bytes once written are never written again: the
// strings stay immutable, as in strings.Builder.
func (d *decoder) text() string {
	if len(d.val) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(d.val), len(d.val))
}

// int reads the value as a whole number; "" is 0, as PHP sends a null.
func (d *decoder) int(dst *int64, field string) error {
	n, err := atoi(d.val)
	if err != nil {
		return bad("%s %q is not a whole number", field, truncate(d.val))
	}
	*dst = n
	return nil
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
	v := d.val
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
		if c < '0' || c > '9' {
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
	d.out.Events = make([]Event, 0, len(d.items))
	for _, it := range d.items {
		ev := Event{Action: Action(it.action)}
		switch {
		case it.note != nil:
			ev.Note = it.note
			ev.ID = it.note.ElementID
			switch it.root {
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
			return nil, bad("%s[%s] item has no id", it.root, it.action)
		}
		d.out.Events = append(d.out.Events, ev)
	}
	return &d.out, nil
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
