package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// memSample is one reading of a process's memory.
type memSample struct {
	at   time.Duration // since the load began
	heap uint64        // live heap after the last GC, bytes; 0 if unknown
	rss  uint64        // resident set size, bytes; 0 if unknown
	// coarse marks a heap read from the GC trace, which gives whole MB rounded down: 0 there
	// means under 1 MB.
	coarse bool
}

// selfMemory reads this process: the live heap as of the last GC (runtime/metrics) and VmRSS.
func selfMemory() memSample {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	m := memSample{rss: procRSS("self")}
	if s[0].Value.Kind() == metrics.KindUint64 {
		m.heap = s[0].Value.Uint64()
	}
	return m
}

// procRSS returns VmRSS of /proc/<pid>/status, or 0 where there is no /proc.
func procRSS(pid string) uint64 {
	if runtime.GOOS != "linux" {
		return 0
	}
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

func mb(b uint64) string {
	if b == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64)
}

// ratioText formats a ratio, 0 meaning unknown.
func ratioText(r float64) string {
	if r == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(r, 'f', 2, 64)
}

// heapMB formats a sample's heap.
func (s memSample) heapMB() string {
	if !s.coarse {
		return mb(s.heap)
	}
	if s.heap < 1<<20 {
		return "<1"
	}
	return strconv.FormatUint(s.heap>>20, 10)
}

// flat reports whether end is at most 1.25 × start, or at most 2 MB above it.
func flat(start, end uint64) bool {
	return end <= start+start/4 || end <= start+2<<20
}

// memReport is what printMemory concludes.
type memReport struct {
	heapRatio, rssRatio float64 // end / start; 0 where unknown
	flat                bool
}

// printMemory prints the samples and the idle, start, end and max of heap and RSS, where start is
// the first sample taken with the load running and idle the one before it. Memory is flat when
// the end is at most 1.25 × the start or 2 MB above it, for the RSS and for a heap known to the
// byte (a heap from the GC trace is too coarse to judge).
func printMemory(out io.Writer, what string, samples []memSample) memReport {
	fmt.Fprintf(out, "memory of %s, sampled every few seconds (heap = live heap after the last GC):\n", what)
	fmt.Fprintf(out, "  %8s %10s %10s\n", "t", "heap MB", "RSS MB")
	for _, s := range samples {
		fmt.Fprintf(out, "  %7.0fs %10s %10s\n", s.at.Seconds(), s.heapMB(), mb(s.rss))
	}
	if len(samples) < 3 {
		fmt.Fprintln(out, "  too few samples to judge")
		return memReport{}
	}
	idle, start, end := samples[0], samples[1], samples[len(samples)-1]
	top := start
	for _, s := range samples[1:] {
		top.heap, top.rss = max(top.heap, s.heap), max(top.rss, s.rss)
	}
	ratio := func(a, b uint64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	r := memReport{heapRatio: ratio(end.heap, start.heap), rssRatio: ratio(end.rss, start.rss), flat: true}
	if start.coarse {
		r.heapRatio = 0 // whole MB cannot give a ratio
	}
	fmt.Fprintf(out, "  heap MB: idle %s, start %s, end %s, max %s; end/start %s\n", idle.heapMB(), start.heapMB(), end.heapMB(), top.heapMB(), ratioText(r.heapRatio))
	fmt.Fprintf(out, "  RSS MB:  idle %s, start %s, end %s, max %s; end/start %s\n", mb(idle.rss), mb(start.rss), mb(end.rss), mb(top.rss), ratioText(r.rssRatio))
	if start.rss > 0 {
		r.flat = r.flat && flat(start.rss, end.rss)
	}
	if !start.coarse && start.heap > 0 {
		r.flat = r.flat && flat(start.heap, end.heap)
	}
	fmt.Fprintf(out, "  memory flat (end ≤ 1.25 × start or ≤ start + 2 MB, RSS%s): %t\n", map[bool]string{true: "", false: " and heap"}[start.coarse], r.flat)
	return r
}
