//go:build unix

package machine

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time (user and system) this process has used, or 0 if unknown.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
