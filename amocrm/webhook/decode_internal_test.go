package webhook

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// parseReference decodes body the plain way, to check Parse's scanner against: the body split at
// '&', each pair at its first '=' and unescaped with url.QueryUnescape, as url.ParseQuery does
// pair by pair; the decoded key split at its brackets; and every pair dispatched afresh, without
// keeping anything of the previous key.
func parseReference(body []byte) (*Delivery, error) {
	d := decoder{last: -1, hot: nothing}
	for pair := range strings.SplitSeq(string(body), "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, bad("%v", err)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, bad("%v", err)
		}
		root, rest, nested := strings.Cut(key, "[")
		d.keyLen, d.nsegs, d.keep = 0, 0, 0
		d.put([]byte(root))
		d.rootEnd = d.keyLen
		d.valBuf, d.valLen, d.valEsc = []byte(val), len(val), true
		for nested {
			name, after, ok := strings.Cut(rest, "]")
			if !ok {
				return nil, bad("key %q has an unclosed '['", key)
			}
			if d.nsegs == maxDepth {
				return nil, bad("key %q is nested deeper than %d", key, maxDepth)
			}
			d.putByte('[')
			d.segs[d.nsegs] = span{d.keyLen, d.keyLen + len(name)}
			d.nsegs++
			d.put([]byte(name))
			d.putByte(']')
			if after == "" {
				break
			}
			if rest, nested = strings.CutPrefix(after, "["); !nested {
				return nil, bad("key %q has text after a ']'", key)
			}
		}
		if err := d.pair(); err != nil {
			return nil, err
		}
	}
	return d.finish()
}

// sameAsReference fails t unless Parse and parseReference agree on body: both refuse it, or both
// decode the same delivery.
func sameAsReference(t *testing.T, body []byte) {
	t.Helper()
	got, err := Parse(body)
	want, werr := parseReference(body)
	if (err == nil) != (werr == nil) {
		t.Fatalf("body %q\nParse: %v\nreference: %v", truncate(body), err, werr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("body %q\nParse:\n%+v\nreference:\n%+v", truncate(body), got, want)
	}
}

// FuzzParseMatchesReference checks Parse against the plain decoder on any body, starting from the
// documented payloads in the ways they may be escaped.
func FuzzParseMatchesReference(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		for _, style := range []escapeStyle{escapeBrackets, escapePHP, escapeNone} {
			f.Add(encode(string(b), style, nil))
		}
	}
	f.Add([]byte("leads%5Badd%5D%5B0%5D%5Bid%5D=1&leads%5Badd%5D%5B0%5D%5Bb%5Bc%5D=2&leads%5Badd%5D%5B0%5D%5Bb%5D=3"))
	f.Add([]byte("leads[add][0][id]=1&leads%5Badd%5D%5B0%5D%5Bname%5D=x&leads[add][0%5D[price]=5"))
	f.Add([]byte("leads%5Badd%5D%5B0%5D%5Bid%5D=1&leads%5Badd%5D%5B0%5D%5Bid%5Dx=2"))
	f.Add([]byte("le%61ds[add][0][id]=1&le+ads[add][0][id]=2&leads]x[add][0][id]=3&leads[a%64d][0][id]=4"))
	f.Add([]byte("leads[add][0][custom_fields][0][values][0][value]=1&leads[add][0][custom_fields][0][values][0][enum]=2&leads[add][0][custom_fields][1][values][0]=3&leads[add][0][custom_fields][0][name]=x"))
	f.Add([]byte("task[add][0][id]=1&task[add][0][0][id]=2&task[add][0][text]=x&task[add][0][0][text]=y&task[add][0]=3"))
	f.Fuzz(sameAsReference)
}

// TestParseMatchesReferenceOnGeneratedPayloads compares Parse with the plain decoder on payloads
// of random entities, fields and items, escaped in random ways, and on each of them cut short and
// with a byte changed.
func TestParseMatchesReferenceOnGeneratedPayloads(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		body := encode(generate(rnd), escapeStyle(rnd.IntN(4)), rnd)
		sameAsReference(t, body)
		if len(body) > 0 {
			sameAsReference(t, body[:rnd.IntN(len(body))])
			broken := []byte(string(body))
			broken[rnd.IntN(len(broken))] = "&=[]%+5BDx0"[rnd.IntN(11)]
			sameAsReference(t, broken)
		}
	}
}

// generate writes a delivery as decoded "key=value" lines: items of leads, contacts, companies,
// tasks and notes under random actions, with known and unknown fields, custom fields, tags and
// linked leads, in the payload's order or shuffled.
func generate(rnd *rand.Rand) string {
	var lines []string
	add := func(k string, v any) { lines = append(lines, fmt.Sprintf("%s=%v", k, v)) }
	pick := func(s ...string) string { return s[rnd.IntN(len(s))] }
	for range 1 + rnd.IntN(6) {
		root := pick("leads", "contacts", "task", "customers", "unsorted")
		action := pick("add", "update", "delete", "status", "responsible", "restore", "note", "other")
		index := fmt.Sprint(rnd.IntN(3))
		if rnd.IntN(8) == 0 {
			index = pick("x", "", "-1")
		}
		p := fmt.Sprintf("%s[%s][%s]", root, action, index)
		if root == "task" && rnd.IntN(2) == 0 {
			p += "[0]"
		}
		if action == "delete" && rnd.IntN(3) == 0 {
			add(fmt.Sprintf("%s[delete]", root), 1+rnd.IntN(1000))
			continue
		}
		if action == "note" {
			n := p + "[note]"
			add(n+"[id]", 1+rnd.IntN(1000))
			add(n+"[element_id]", 1+rnd.IntN(1000))
			add(n+"[text]", pick("Позвонил клиенту", "a+b & c=d", "100%"))
			add(n+"[note_type]", pick("4", "5", "x"))
			add(n+"[date_create]", pick("2024-09-17 14:32:38", "0000-00-00 00:00:00", ""))
			if root == "contacts" {
				add(p+"[type]", pick("contact", "company"))
			}
			continue
		}
		add(p+"[id]", pick(fmt.Sprint(1+rnd.IntN(100000)), "", "0"))
		add(p+"[name]", pick("Стеклопакет, заказ 1", "Order #7", "", "a]b[c"))
		add(p+"[status_id]", 142)
		add(p+"[old_status_id]", pick("7039101", "x"))
		add(p+"[pipeline_id]", 8572511)
		add(p+"[old_pipeline_id]", 8572500)
		add(p+"[price]", pick("125000", "1 500,5"))
		if root == "contacts" {
			add(p+"[type]", pick("contact", "company", "robot"))
			add(p+fmt.Sprintf("[linked_leads_id][%d][ID]", 7551167+rnd.IntN(3)), 7551167)
		}
		if root == "task" {
			add(p+"[complete_till]", pick("2017-07-22 23:59:00", "22.07.2017"))
			add(p+"[result][text]", "Done")
		}
		add(p+"[tags][0][id]", 80147)
		add(p+"[tags][0][name]", "repeat")
		for f := range rnd.IntN(4) {
			cf := fmt.Sprintf("%s[custom_fields][%d]", p, f)
			add(cf+"[id]", 1246483+f)
			add(cf+"[name]", pick("Тип стекла", "Дата", "PHONE"))
			switch rnd.IntN(4) {
			case 0:
				add(cf+"[values][0][value]", "Закалённое")
				add(cf+"[values][0][enum]", pick("908107", "CODE"))
			case 1:
				add(cf+"[values][0]", 1725915600)
			case 2:
				add(cf+"[values][value]", "2")
				add(cf+"[values][enum]", 566642)
			default:
				for v := range 3 {
					add(fmt.Sprintf("%s[values][%d][value]", cf, v), v)
					add(fmt.Sprintf("%s[values][%d][enum]", cf, v), 908111+v)
				}
			}
		}
		if rnd.IntN(4) == 0 {
			add(p+"[loss_reason_id]", 7)
			add(p+"[x][0][y]", "z")
		}
	}
	add("account[subdomain]", "example")
	add("account[id]", 12345678)
	add("account[_links][self]", "https://example.amocrm.ru")
	if rnd.IntN(4) == 0 {
		rnd.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	}
	return strings.Join(lines, "\n")
}

// escapeStyle is how encode escapes the keys of a payload; values are always escaped as PHP does.
type escapeStyle int

const (
	escapeBrackets escapeStyle = iota // PHP's urlencode: brackets as %5B and %5D
	escapePHP                         // brackets as %5b and %5d, and letters escaped at random
	escapeNone                        // brackets as they are
	escapeMixed                       // each bracket and letter at random
)

// encode turns "key=value" lines into a body, escaping keys in the given style (choosing with
// rnd, which may be nil for the fixed styles).
func encode(text string, style escapeStyle, rnd *rand.Rand) []byte {
	coin := func() bool { return rnd != nil && rnd.IntN(2) == 0 }
	var parts []string
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		var b strings.Builder
		for _, c := range []byte(k) {
			switch {
			case (c == '[' || c == ']') && (style == escapeBrackets || style == escapeMixed && coin()):
				fmt.Fprintf(&b, "%%%02X", c)
			case c == '[' || c == ']':
				if style == escapePHP {
					fmt.Fprintf(&b, "%%%02x", c)
				} else {
					b.WriteByte(c)
				}
			case c == ' ':
				b.WriteByte('+')
			case (style == escapePHP || style == escapeMixed) && coin() && c != '&' && c != '=':
				fmt.Fprintf(&b, "%%%02X", c)
			default:
				b.WriteString(url.QueryEscape(string([]byte{c})))
			}
		}
		parts = append(parts, b.String()+"="+url.QueryEscape(v))
	}
	return []byte(strings.Join(parts, "&"))
}

// atoi must agree with strconv on every number and refuse what strconv refuses.
func TestAtoiMatchesStrconv(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(3, 4))
	cases := []string{"", "0", "7", "-", "-1", "12345678", "99999999", "00000000", "1726572758", "123456789012345678",
		"-123456789012345678", "1234567x", "x2345678", "1234:678", "1234/678", "123456789012345678901", "12345678\x00", "9223372036854775807"}
	for range 2000 {
		b := make([]byte, 1+rnd.IntN(19))
		for i := range b {
			b[i] = byte('0' + rnd.IntN(10))
			if rnd.IntN(40) == 0 {
				b[i] = byte(rnd.IntN(256))
			}
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		got, err := atoi([]byte(c))
		want, werr := strconv.ParseInt(c, 10, 64)
		if c == "" {
			want, werr = 0, nil // PHP's null
		}
		if strings.HasPrefix(c, "+") {
			continue
		}
		if (err == nil) != (werr == nil) || err == nil && got != want {
			t.Errorf("atoi(%q) = %d, %v; strconv: %d, %v", c, got, err, want, werr)
		}
	}
}
