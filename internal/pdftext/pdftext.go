// Package pdftext reads the text of a PDF back for tests, the way a person
// copying it from a viewer would, with poppler's pdftotext (Debian package
// poppler-utils). A test that needs it is skipped with a message when the
// program is missing, or fails when AMOKIT_REQUIRE_PDFTOTEXT=1 is set, as
// in CI (`bash .ci/run` installs it).
package pdftext

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
)

// EnvRequire names the environment variable that, set to 1, turns a skip
// for want of pdftotext into a failure.
const EnvRequire = "AMOKIT_REQUIRE_PDFTOTEXT"

// Text returns the text of pdf with its layout kept (columns separated by
// spaces, rows by newlines), pages separated by form feeds.
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("pdftext: pdftotext not found but %s is 1: apt-get install poppler-utils", EnvRequire)
		}
		t.Skip("pdftext: pdftotext not found; apt-get install poppler-utils to run this test")
	}
	cmd := exec.CommandContext(context.Background(), bin, "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftext: pdftotext: %v: %s", err, stderr.String())
	}
	return out.String()
}
