package machine

import (
	"os"
	"strings"
)

// LoadAvg returns the 1, 5 and 15 minute load averages as /proc/loadavg gives them, or "n/a"
// where there is no /proc.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}
