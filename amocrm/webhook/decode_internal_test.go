package webhook

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func parseNoReuse(body []byte) (*Delivery, error) {
	d := decoder{last: -1, noReuse: true}
	if err := d.parse(body); err != nil {
		return nil, err
	}
	return d.finish()
}

// FuzzKeyPrefixReuse checks that decoding only the last segment of a key whose raw prefix repeats
// the previous key's gives what decoding every key whole gives.
func FuzzKeyPrefixReuse(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		var parts []string
		for _, line := range strings.Split(string(b), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, _ := strings.Cut(line, "=")
			parts = append(parts, strings.NewReplacer("[", "%5B", "]", "%5D").Replace(k)+"="+v)
		}
		f.Add([]byte(strings.Join(parts, "&")))
	}
	f.Add([]byte("leads%5Badd%5D%5B0%5D%5Bid%5D=1&leads%5Badd%5D%5B0%5D%5Bb%5Bc%5D=2&leads%5Badd%5D%5B0%5D%5Bb%5D=3"))
	f.Add([]byte("leads[add][0][id]=1&leads%5Badd%5D%5B0%5D%5Bname%5D=x&leads[add][0%5D[price]=5"))
	f.Add([]byte("leads%5Badd%5D%5B0%5D%5Bid%5D=1&leads%5Badd%5D%5B0%5D%5Bid%5Dx=2"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := Parse(body)
		want, werr := parseNoReuse(body)
		if (err == nil) != (werr == nil) {
			t.Fatalf("with reuse: %v; without: %v", err, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("with reuse:\n%+v\nwithout:\n%+v", got, want)
		}
	})
}
