package docscheck

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// textExts are the files whose text is checked; .ci/run has no extension and is added by name.
var textExts = []string{".go", ".md", ".js", ".html", ".css", ".sql", ".json", ".tmpl", ".txt", ".sh"}

// mdRef finds a Markdown file named in text, with its anchor. The character before it must not
// belong to a path or URL, so https://host/x/README.md is left alone.
var mdRef = regexp.MustCompile(`(?:^|[^\w/.:-])((?:[\w.-]+/)*[\w-]+\.md)(#[\w-]*)?`)

// outside are the marks of a citation of notes that are not in the repository.
var outside = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`§`), "a section sign: cite docs/<page>.md#<section> instead"},
	{regexp.MustCompile(`\.\./shared|/work/shared`), "a path outside the repository"},
	{regexp.MustCompile(`(?i)domain description`), `"the domain description": cite docs/glass-domain.md`},
	{regexp.MustCompile(`\blesson \d+`), "a numbered lesson of notes kept elsewhere"},
}

// problems returns every dangling citation under root, one line each.
func problems(root string) ([]string, error) {
	anchors := map[string]map[string]bool{} // Markdown file → its anchors, read once
	anchorsOf := func(path string) (map[string]bool, error) {
		if a, ok := anchorsOf(anchors, path); ok {
			return a, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		a := markdownAnchors(b)
		anchors[path] = a
		return a, nil
	}
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" || (d.Name() == "testdata" && path != root) {
				return filepath.SkipDir
			}
			return nil
		}
		if !slices.Contains(textExts, filepath.Ext(path)) && filepath.ToSlash(rel) != ".ci/run" {
			return nil
		}
		if filepath.Base(path) == "docscheck_test.go" {
			return nil // this file spells out what it looks for
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			at := fmt.Sprintf("%s:%d", filepath.ToSlash(rel), n)
			for _, o := range outside {
				if o.re.MatchString(line) {
					out = append(out, at+": "+o.what)
				}
			}
			for _, m := range mdRef.FindAllStringSubmatch(line, -1) {
				target, anchor := m[1], strings.TrimPrefix(m[2], "#")
				file := ""
				for _, base := range []string{filepath.Dir(path), root} {
					if c := filepath.Join(base, filepath.FromSlash(target)); isFile(c) {
						file = c
						break
					}
				}
				if file == "" {
					out = append(out, fmt.Sprintf("%s: %s is not in the repository", at, target))
					continue
				}
				if anchor == "" {
					continue
				}
				a, err := anchorsOf(file)
				if err != nil {
					return err
				}
				if !a[anchor] {
					out = append(out, fmt.Sprintf("%s: %s has no section #%s", at, target, anchor))
				}
			}
		}
		return sc.Err()
	})
	return out, err
}

func anchorsOf(m map[string]map[string]bool, path string) (map[string]bool, bool) {
	a, ok := m[path]
	return a, ok
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

var (
	heading  = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)
	htmlID   = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	notSlug  = regexp.MustCompile(`[^\p{L}\p{N}_ -]`)
	fenceTag = regexp.MustCompile("^\\s*(```|~~~)")
	mdLink   = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
)

// markdownAnchors returns the anchors GitHub makes for a Markdown file: one per heading outside
// code fences (its text with links reduced to their text, in lower case, punctuation dropped,
// spaces as hyphens, -1, -2… for repeats) and one per <a id="…">.
func markdownAnchors(b []byte) map[string]bool {
	a := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for line := range strings.SplitSeq(string(b), "\n") {
		if fenceTag.MatchString(line) {
			inFence = !inFence
			continue
		}
		for _, m := range htmlID.FindAllStringSubmatch(line, -1) {
			a[m[1]] = true
		}
		if inFence {
			continue
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		text := mdLink.ReplaceAllString(m[1], "$1") // a link in a heading counts by its text
		slug := strings.ReplaceAll(notSlug.ReplaceAllString(strings.ToLower(text), ""), " ", "-")
		if n := seen[slug]; n > 0 {
			a[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			a[slug] = true
		}
		seen[slug]++
	}
	return a
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for !isFile(filepath.Join(dir, "go.mod")) {
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "go.mod not found above the test's directory")
		dir = parent
	}
	return dir
}

// TestNoDanglingCitation is the check itself, over the whole module.
func TestNoDanglingCitation(t *testing.T) {
	t.Parallel()
	got, err := problems(moduleRoot(t))
	require.NoError(t, err)
	assert.Empty(t, got, "put the fact in docs/<page>.md in your own words with its public source, and cite docs/<page>.md#<section>")
}

// TestProblemsFindsEachKind runs the check on a small tree with one of every kind of dangling
// citation, and with citations that resolve.
func TestProblemsFindsEachKind(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	write("go.mod", "module x\n")
	write("docs/limits.md", "# Limits\n\n## Rate limits\n\n```\n# not a heading\n```\n<a id=\"kept\"></a>\n## Rate limits\n## Tasks ([tasks-api](https://example.com/tasks))\n")
	write("docs/README.md", "[limits](limits.md#rate-limits) [again](limits.md#rate-limits-1) [kept](limits.md#kept) [tasks](limits.md#tasks-tasks-api)\n")
	write("pkg/ok.go", "// The limit (docs/limits.md#rate-limits); see https://github.com/o/r/blob/main/README.md.\n")
	write("pkg/bad.go", strings.Join([]string{
		"// DefaultRate is the documented limit (limits.md §3.1).",
		"// See docs/limits.md#no-such-section.",
		"// The widget-backend.md rules.",
		"// As the domain description says.",
		"// From ../" + "shared/notes.", // split, so that this file cites nothing itself,
		"// GUIDE.md lesson 13.",
	}, "\n")+"\n")
	write("pkg/page.html", `<a href="docs/gone.md">x</a>`+"\n")
	write("pkg/image.png", "limits.md §1\n")

	got, err := problems(root)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		"pkg/bad.go:1: a section sign: cite docs/<page>.md#<section> instead",
		"pkg/bad.go:1: limits.md is not in the repository",
		"pkg/bad.go:2: docs/limits.md has no section #no-such-section",
		"pkg/bad.go:3: widget-backend.md is not in the repository",
		`pkg/bad.go:4: "the domain description": cite docs/glass-domain.md`,
		"pkg/bad.go:5: a path outside the repository",
		"pkg/bad.go:6: a numbered lesson of notes kept elsewhere",
		"pkg/bad.go:6: GUIDE.md is not in the repository",
		"pkg/page.html:1: docs/gone.md is not in the repository",
	}, got)
}
