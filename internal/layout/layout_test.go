package layout

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/amokit/amokit"

// sdk are the patterns of the SDK's packages, for go list.
func sdk() []string {
	return []string{"./amocrm/...", "./oauth/...", "./tokenstore/...", "./widget/..."}
}

// application are the prefixes of the application's import paths.
func application() []string {
	return []string{module + "/app/", module + "/examples/", module + "/bench/"}
}

// listed is what go list says of one package (or test variant of one).
type listed struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// underAny reports whether the package path p is one of prefixes or below it.
func underAny(p string, prefixes []string) bool {
	for _, prefix := range prefixes {
		if strings.HasPrefix(p+"/", prefix) {
			return true
		}
	}
	return false
}

// violations names, for every package in pkgs, the application packages it depends on,
// directly or through others.
func violations(pkgs []listed) []string {
	var out []string
	for _, p := range pkgs {
		for _, d := range slices.Concat(p.Imports, p.Deps) {
			if underAny(d, application()) {
				out = append(out, p.ImportPath+" depends on "+d)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// moduleDir is the module's root directory.
func moduleDir(t *testing.T) string {
	t.Helper()
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	require.NoError(t, err, "go list -m")
	return strings.TrimSpace(string(root))
}

// goList lists the SDK's packages and their test variants, with their dependencies.
func goList(t *testing.T) []listed {
	t.Helper()
	dir := moduleDir(t)
	watchSources(t, dir)
	cmd := exec.Command("go", append([]string{"list", "-test", "-json=ImportPath,Imports,Deps"}, sdk()...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// modulePackages lists the import paths of every package in the module.
func modulePackages(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "./...")
	cmd.Dir = moduleDir(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	return strings.Fields(string(out))
}

// watchSources stats every Go file of the module. go test caches a passing result until a file
// the test looked at changes; go list reads the sources in another process, so without this a
// new import would not make the cached result stale.
func watchSources(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod") {
			_, err = os.Stat(path)
		}
		return err
	})
	require.NoError(t, err)
}

func TestSDKDoesNotImportTheApplication(t *testing.T) {
	t.Parallel()
	pkgs := goList(t)
	var names []string
	for _, p := range pkgs {
		names = append(names, p.ImportPath)
	}
	for _, want := range []string{module + "/amocrm", module + "/amocrm/amocrmtest", module + "/amocrm/amocrmtest/internal/backend", module + "/oauth", module + "/tokenstore/postgres", module + "/widget", module + "/widget_test [" + module + "/widget.test]"} {
		require.Contains(t, names, want, "go list must list the SDK and its tests")
	}
	var unchecked []string
	for _, p := range modulePackages(t) {
		if !underAny(p, application()) && !underAny(p, []string{module + "/internal/"}) && !slices.Contains(names, p) {
			unchecked = append(unchecked, p)
		}
	}
	assert.Empty(t, unchecked, "a package outside app/, examples/, bench/ and internal/ is SDK: add its tree to sdk()")
	assert.Empty(t, violations(pkgs), "an SDK package imports the application; move what it needs into the SDK or the code into app/")
}

func TestViolationsFindsIndirectImports(t *testing.T) {
	t.Parallel()
	pkgs := []listed{
		{ImportPath: module + "/widget", Imports: []string{"net/http", module + "/oauth"}, Deps: []string{module + "/oauth", module + "/app/glass"}},
		{ImportPath: module + "/oauth", Imports: []string{module + "/examples/widgetserver"}},
		{ImportPath: module + "/amocrm", Imports: []string{module + "/application", module + "/internal/pgtest"}},
		{ImportPath: module + "/tokenstore", Deps: []string{module + "/app"}},
	}
	assert.Equal(t, []string{
		module + "/oauth depends on " + module + "/examples/widgetserver",
		module + "/tokenstore depends on " + module + "/app",
		module + "/widget depends on " + module + "/app/glass",
	}, violations(pkgs))
}
