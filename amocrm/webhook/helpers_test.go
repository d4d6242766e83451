package webhook_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// phpEncode encodes s the way PHP's urlencode does, which is what http_build_query applies to
// every key and value: letters, digits and "-_." stay, a space is '+', everything else, brackets
// included, is %XX in upper case.
func phpEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// encodeLines turns "key=value" lines (the decoded form in which the payloads are documented)
// into a request body; blank lines and lines starting with # are skipped.
func encodeLines(text string) []byte {
	var parts []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		parts = append(parts, phpEncode(k)+"="+phpEncode(v))
	}
	return []byte(strings.Join(parts, "&"))
}

// payload reads testdata/name.txt as a request body.
func payload(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
	if err != nil {
		tb.Fatal(err)
	}
	return encodeLines(string(b))
}

// allPayloads returns every testdata payload, for the fuzz corpus.
func allPayloads(tb testing.TB) [][]byte {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, n := range names {
		out = append(out, payload(tb, strings.TrimSuffix(filepath.Base(n), ".txt")))
	}
	if len(out) == 0 {
		tb.Fatal("no payloads in testdata")
	}
	return out
}
