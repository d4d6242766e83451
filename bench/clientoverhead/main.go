// Command clientoverhead compares the cost of one amocrm Leads.List of a 250-lead page with a
// plain net/http + encoding/json client that decodes the same body into the same fields (amocrm.Lead's
// fields, without its methods), and prints wall time, CPU time and allocations per call, and their ratios.
//
//	go run ./bench/clientoverhead                   # 5 interleaved rounds, medians
//	go test -bench . -benchmem ./bench/clientoverhead
//
// Two transports are measured. "loopback" is an httptest server on 127.0.0.1 serving the body, as a
// real client would see it; the server's work is in both sides' CPU time. "memory" answers from
// memory without a network, so only the client's own work is counted: the stricter ratio.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/amokit/amokit/bench/internal/machine"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "clientoverhead:", err)
			os.Exit(1)
		}
	}
}

// target is the ceiling of the SDK's cost as a multiple of the baseline's.
const target = 1.05

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("clientoverhead", flag.ContinueOnError)
	rounds := fs.Int("rounds", 5, "interleaved rounds of every benchmark; medians are reported")
	benchtime := fs.Duration("benchtime", time.Second, "time per benchmark run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	testing.Init()
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		return err
	}

	env, err := newEnv(ctx)
	if err != nil {
		return err
	}
	defer env.close()
	fmt.Fprintf(out, "clientoverhead: Leads.List of %d leads (%d-byte body) against net/http + encoding/json into amocrm.Lead's fields\n",
		pageSize, len(env.body))
	fmt.Fprintf(out, "%d rounds of %v each, interleaved; medians; GOMAXPROCS=%d; load average %s\n\n", *rounds, *benchtime, gomaxprocs(), machine.LoadAvg())

	type key struct{ transport, client string }
	results := map[key][]measure{}
	for range *rounds {
		for _, tr := range transports {
			for _, cl := range clients {
				r := testing.Benchmark(func(b *testing.B) { env.bench(b, tr, cl) })
				if r.N == 0 {
					return fmt.Errorf("benchmark %s/%s failed", tr, cl)
				}
				results[key{tr, cl}] = append(results[key{tr, cl}], measureOf(r))
			}
		}
	}

	fmt.Fprintf(out, "sdk: amocrm.Client Leads.List; baseline: one GET and one json.Decoder pass into amocrm.Lead's fields;\n")
	fmt.Fprintf(out, "twopass: the baseline decoding in two passes, as amocrm's fetchPage did (envelope with json.RawMessage, then Unmarshal)\n\n")
	fmt.Fprintf(out, "%-9s %-9s %12s %12s %12s %10s\n", "transport", "client", "ns/op", "cpu-ns/op", "B/op", "allocs/op")
	allMet := true
	for _, tr := range transports {
		m := map[string]measure{}
		for _, cl := range clients {
			m[cl] = median(results[key{tr, cl}])
			fmt.Fprintf(out, "%-9s %-9s %12.0f %12.0f %12.0f %10.0f\n", tr, cl, m[cl].ns, m[cl].cpu, m[cl].bytes, m[cl].allocs)
		}
		ratios := ratio(m[clientSDK], m[clientBaseline])
		met := ratios.cpu <= target && ratios.bytes <= target && ratios.allocs <= target
		allMet = allMet && met
		fmt.Fprintf(out, "%-9s %-9s %12.3f %12.3f %12.3f %10.3f   sdk/baseline (target ≤ %.2f: met=%t)\n", tr, "ratio", ratios.ns, ratios.cpu, ratios.bytes, ratios.allocs, target, met)
		tp := ratio(m[clientTwoPass], m[clientBaseline])
		fmt.Fprintf(out, "%-9s %-9s %12.3f %12.3f %12.3f %10.3f   twopass/baseline (the cost of the second pass alone)\n\n", tr, "ratio", tp.ns, tp.cpu, tp.bytes, tp.allocs)
		fmt.Fprintf(out, "RESULT clientoverhead: transport=%s ns_ratio=%.3f cpu_ratio=%.3f bytes_ratio=%.3f allocs_ratio=%.3f twopass_cpu_ratio=%.3f targets_met=%t\n\n",
			tr, ratios.ns, ratios.cpu, ratios.bytes, ratios.allocs, tp.cpu, met)
	}
	fmt.Fprintf(out, "load average at the end: %s\n", machine.LoadAvg())
	if !allMet {
		return errors.New("a target was missed")
	}
	return nil
}

// measure is one benchmark's figures per operation.
type measure struct{ ns, cpu, bytes, allocs float64 }

func measureOf(r testing.BenchmarkResult) measure {
	return measure{ns: float64(r.T.Nanoseconds()) / float64(r.N), cpu: r.Extra[cpuMetric],
		bytes: float64(r.AllocedBytesPerOp()), allocs: float64(r.AllocsPerOp())}
}

func ratio(a, b measure) measure {
	return measure{ns: a.ns / b.ns, cpu: a.cpu / b.cpu, bytes: a.bytes / b.bytes, allocs: a.allocs / b.allocs}
}

// median takes each figure's median separately.
func median(ms []measure) measure {
	pick := func(f func(measure) float64) float64 {
		v := make([]float64, len(ms))
		for i, m := range ms {
			v[i] = f(m)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return measure{
		ns:     pick(func(m measure) float64 { return m.ns }),
		cpu:    pick(func(m measure) float64 { return m.cpu }),
		bytes:  pick(func(m measure) float64 { return m.bytes }),
		allocs: pick(func(m measure) float64 { return m.allocs }),
	}
}
