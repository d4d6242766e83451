package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	var lat []time.Duration
	for i := 1; i <= 200; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, 100*time.Millisecond, percentile(lat, 0.50))
	assert.Equal(t, 198*time.Millisecond, percentile(lat, 0.99))
	assert.Equal(t, 200*time.Millisecond, percentile(lat, 1))
	assert.Equal(t, time.Duration(0), percentile(nil, 0.5))

	st := summarize([]time.Duration{3, 1, 2}, []error{context.Canceled})
	assert.Equal(t, stats{n: 4, errors: 1, p50: 2, p99: 3, max: 3, firstErr: context.Canceled}, st)
}

func TestSince(t *testing.T) {
	t.Parallel()
	ts := []timed{{at: 0, took: 5}, {at: 10 * time.Second, took: 7}, {at: 20 * time.Second, took: 9}}
	assert.Equal(t, []time.Duration{7, 9}, since(ts, 10*time.Second))
	assert.Len(t, since(ts, 0), 3)
	assert.Empty(t, since(ts, time.Minute))
}

func TestMixer(t *testing.T) {
	t.Parallel()
	pick := mixer([3]int{198, 1, 1})
	where := map[string][]int{}
	for i := range 400 {
		where[pick(i)] = append(where[pick(i)], i)
	}
	assert.Len(t, where[kindCalculate], 396)
	assert.Equal(t, []int{0, 200}, where[kindGetLead])
	assert.Equal(t, []int{100, 300}, where[kindSave], "saves half a cycle away from get_leads")

	pick = mixer([3]int{0, 2, 2})
	var got []string
	for i := range 4 {
		got = append(got, pick(i))
	}
	assert.Equal(t, []string{kindGetLead, kindSave, kindGetLead, kindSave}, got)
}

func TestParseOptions(t *testing.T) {
	t.Parallel()
	o, err := parseOptions([]string{"-mixed", "-duration", "60s", "-rate", "200"})
	require.NoError(t, err)
	assert.True(t, o.mixed)
	assert.Equal(t, [3]int{198, 1, 1}, o.mix)
	assert.Equal(t, []int{1, 16, 64}, o.clients)
	assert.Equal(t, "demo", o.server)

	for _, bad := range [][]string{
		{"-mix", "1:2"}, {"-mix", "0:0:0"}, {"-rate", "0"}, {"-duration", "2h"}, {"-clients", "1,x"},
		{"-server", "remote"}, {"-saves", "0"},
	} {
		_, err := parseOptions(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestFlat(t *testing.T) {
	t.Parallel()
	assert.True(t, flat(100<<20, 120<<20))
	assert.False(t, flat(100<<20, 130<<20))
	assert.True(t, flat(1<<20, 3<<20), "2 MB of slack for small processes")
	assert.False(t, flat(1<<20, 4<<20))
}

func TestInputValue(t *testing.T) {
	t.Parallel()
	page := `<form><input type="hidden" name="csrf" value="a&amp;b">
<input id="client_secret" name="client_secret" type="password" value="s3cr&#34;t" required></form>`
	v, ok := inputValue(page, "csrf")
	assert.True(t, ok)
	assert.Equal(t, "a&b", v)
	v, ok = inputValue(page, "client_secret")
	assert.True(t, ok)
	assert.Equal(t, `s3cr"t`, v)
	_, ok = inputValue(page, "client")
	assert.False(t, ok)
}

func TestDemoServerReadsGCTraceAndWarnings(t *testing.T) {
	t.Parallel()
	d := &demoServer{logs: map[string]int{}, done: make(chan struct{})}
	d.readStderr(strings.NewReader(strings.Join([]string{
		"gc 1 @0.012s 2%: 0.010+0.56+0.002 ms clock, 0.021+0.10/0.27/0.30+0.005 ms cpu, 3->3->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P",
		`{"time":"2026-01-01T00:00:00Z","level":"INFO","msg":"started"}`,
		`{"time":"2026-01-01T00:00:00Z","level":"WARN","msg":"amocrm: error answer","status":429}`,
		"gc 2 @0.512s 2%: 0.010+0.56+0.002 ms clock, 0.021+0.10/0.27/0.30+0.005 ms cpu, 7->8->5 MB, 9 MB goal, 0 MB stacks, 0 MB globals, 2 P",
		`{"time":"2026-01-01T00:00:01Z","level":"WARN","msg":"amocrm: error answer","status":429}`,
	}, "\n")))
	d.mu.Lock()
	assert.Equal(t, uint64(5<<20), d.liveHeap)
	d.mu.Unlock()
	logs, last := d.warnings()
	assert.Equal(t, map[string]int{"WARN amocrm: error answer": 2}, logs)
	assert.Len(t, last, 2)
}

// TestInProcessServesEveryKind sends each kind of request of the load once to the in-process
// backend, over loopback.
func TestInProcessServesEveryKind(t *testing.T) {
	t.Parallel()
	env, err := newInProcess(t.Context(), 0)
	require.NoError(t, err)
	t.Cleanup(env.close)
	s := env.site()
	require.Len(t, s.leads, len(env.demo.Leads))
	hc := newLoadClient(2)
	for i := range orders {
		assert.NoError(t, s.call(t.Context(), hc, kindCalculate, i), "order %d", i)
	}
	assert.NoError(t, s.call(t.Context(), hc, kindGetLead, 0))
	require.NoError(t, s.call(t.Context(), hc, kindSave, 1))
	notes := env.fake.Notes("leads", s.leads[1])
	require.NotEmpty(t, notes)
	assert.Contains(t, notes[len(notes)-1].Params["text"], "Зеркало", "the save wrote the mirror order's note")

	// A forged ticket is refused, and call reports it.
	s.tickets[s.leads[0]] = s.tickets[s.leads[0]] + "x"
	err = s.call(t.Context(), hc, kindGetLead, 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401")
}

func TestLevels(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	const lat = 100 * time.Millisecond
	assert.Equal(t, 0, levels(nil, lat))
	assert.Equal(t, 1, levels(at(0, 2, 5), lat), "three at once")
	assert.Equal(t, 3, levels(at(203, 0, 1, 101, 3), lat), "each level waits for one answer, in any order")
	assert.Equal(t, 2, levels(at(0, 50, 95), lat), "a level is a whole latency long")
}
