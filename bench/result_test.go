// Package bench holds the benchmark programs, one a directory; this test keeps the line they
// all print for scripts, "RESULT <name>: key=value ...", in one form.
package bench

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resultLiteral finds the format strings of RESULT lines in Go source.
var resultLiteral = regexp.MustCompile(`"RESULT [^"]*"`)

// mainPackage finds a program's package clause.
var mainPackage = regexp.MustCompile(`(?m)^package main$`)

// resultForm is the one form: a name of lower-case words joined by '/', a colon, then
// key=value pairs with lower-case keys.
var resultForm = regexp.MustCompile(`^"RESULT [a-z0-9]+(/[a-z0-9]+)*: [a-z0-9_]+=\S+( [a-z0-9_]+=\S+)*(\\n)*"$`)

func TestEveryProgramPrintsOneResultForm(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*/*.go")
	require.NoError(t, err)
	programs := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		dir := filepath.Dir(f)
		if _, seen := programs[dir]; !seen && mainPackage.Match(src) {
			programs[dir] = false
		}
		for _, lit := range resultLiteral.FindAllString(string(src), -1) {
			programs[dir] = true
			assert.Regexp(t, resultForm, lit, "%s: a RESULT line reads \"RESULT <name>: key=value ...\"", f)
		}
	}
	require.NotEmpty(t, programs)
	for dir, prints := range programs {
		assert.True(t, prints, "%s prints no RESULT line", dir)
	}
}
