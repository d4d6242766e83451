package throttle_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/amokit/amokit/internal/throttle"
)

func TestFailuresGrowTheDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var f throttle.Failures
		for range throttle.Free {
			_, ok := f.Allow("10.0.0.1")
			assert.True(t, ok, "the first failures are free")
			f.Fail("10.0.0.1")
		}
		_, ok := f.Allow("10.0.0.1")
		assert.True(t, ok)
		f.Fail("10.0.0.1")
		wait, ok := f.Allow("10.0.0.1")
		assert.False(t, ok)
		assert.Equal(t, throttle.FirstDelay, wait)
		_, ok = f.Allow("10.0.0.2")
		assert.True(t, ok, "another client has its own count")

		time.Sleep(wait)
		_, ok = f.Allow("10.0.0.1")
		assert.True(t, ok)
		f.Fail("10.0.0.1")
		wait, _ = f.Allow("10.0.0.1")
		assert.Equal(t, 2*throttle.FirstDelay, wait, "each failure doubles the wait")

		// Many failures are capped at MaxDelay; a success clears them.
		for range 30 {
			time.Sleep(throttle.MaxDelay)
			f.Fail("10.0.0.1")
		}
		wait, _ = f.Allow("10.0.0.1")
		assert.Equal(t, throttle.MaxDelay, wait)
		f.Succeed("10.0.0.1")
		_, ok = f.Allow("10.0.0.1")
		assert.True(t, ok)
	})
}

func TestFailuresLogOncePerWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var f throttle.Failures
		lines, total := 0, 0
		for range 1000 { // a guesser at full speed, ignoring the waits
			if n, log := f.Fail("10.0.0.1"); log {
				lines++
				total += n
			}
		}
		assert.Equal(t, 1, lines, "one line for the first window")
		time.Sleep(throttle.Window)
		n, log := f.Fail("10.0.0.1")
		assert.True(t, log, "the next window logs again")
		assert.Equal(t, 1001, total+n, "the lines count every failure, those not logged one by one too")
	})
}
