package machine

import (
	"crypto/sha256"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCPUTimeGrowsWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("CPU time is not measured here")
	}
	before := CPUTime()
	sum := sha256.Sum256(nil)
	for range 200000 {
		sum = sha256.Sum256(sum[:])
	}
	assert.Greater(t, CPUTime(), before)
}

func TestLoadAvg(t *testing.T) {
	t.Parallel()
	got := LoadAvg()
	if runtime.GOOS != "linux" {
		assert.Equal(t, "n/a", got)
		return
	}
	assert.Regexp(t, `^\d+\.\d+ \d+\.\d+ \d+\.\d+$`, got)
}
