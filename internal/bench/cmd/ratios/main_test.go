package main

import (
	"bytes"
	"strings"
	"testing"
)

// Three runs of a benchmark with a floor, two of one without, and noise
// that must be skipped. Medians and ratios worked by hand:
//
//	plain: pion 400, rtcstats 75, none 20 → raw 75/400 = 0.188,
//	net 55/380 = 0.145; CPU pion 500, rtcstats 75, none 21 → 0.150,
//	net 54/479 = 0.113.
//	rtcp: pion (100+200)/2 = 150, rtcstats (30+60)/2 = 45 → 0.300.
const input = `goos: linux
BenchmarkInbound/plain/impl=pion-2      1000  400 ns/op  500 cpu-ns/op  3 allocs/op
BenchmarkInbound/plain/impl=rtcstats-2  1000   70 ns/op   76 cpu-ns/op  0 allocs/op
BenchmarkInbound/plain/impl=none-2      1000   20 ns/op   21 cpu-ns/op
BenchmarkInbound/plain/impl=pion-2      1000  300 ns/op  520 cpu-ns/op
BenchmarkInbound/plain/impl=rtcstats-2  1000   80 ns/op   74 cpu-ns/op
BenchmarkInbound/plain/impl=none-2      1000   19 ns/op   20 cpu-ns/op
BenchmarkInbound/plain/impl=pion-2      1000  500 ns/op  480 cpu-ns/op
BenchmarkInbound/plain/impl=rtcstats-2  1000   75 ns/op   75 cpu-ns/op
BenchmarkInbound/plain/impl=none-2      1000   21 ns/op   22 cpu-ns/op
BenchmarkRTCP/in/impl=pion              1000  100 ns/op
BenchmarkRTCP/in/impl=rtcstats          1000   30 ns/op
BenchmarkRTCP/in/impl=pion              1000  200 ns/op
BenchmarkRTCP/in/impl=rtcstats          1000   60 ns/op
BenchmarkOther-2                        1000    5 ns/op
PASS
`

func TestRatios(t *testing.T) {
	var out bytes.Buffer
	if err := run(nil, strings.NewReader(input), &out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"| BenchmarkInbound/plain | 400.0 | 75.0 | 20.0 | 0.188 | 0.145 | 0.150 | 0.113 |",
		"| BenchmarkRTCP/in | 150.0 | 45.0 | — | 0.300 | — | — | — |",
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2+len(want) {
		t.Fatalf("got\n%s", out.String())
	}
	for i, w := range want {
		if lines[2+i] != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, lines[2+i], w)
		}
	}
}

func TestSplitImpl(t *testing.T) {
	for _, c := range []struct{ in, name, impl string }{
		{"BenchmarkInbound/plain/impl=pion-2", "BenchmarkInbound/plain", "pion"},
		{"BenchmarkRTCP/in/impl=rtcstats/streams=100-8", "BenchmarkRTCP/in/streams=100-8", "rtcstats"},
		{"BenchmarkX/impl=none", "BenchmarkX", "none"},
	} {
		name, impl, ok := splitImpl(c.in)
		if !ok || name != c.name || impl != c.impl {
			t.Errorf("splitImpl(%q) = %q, %q, %v", c.in, name, impl, ok)
		}
	}
	if _, _, ok := splitImpl("BenchmarkOther-2"); ok {
		t.Error("a name without impl= was split")
	}
}

func TestNoPairIsAnError(t *testing.T) {
	if err := run(nil, strings.NewReader("BenchmarkX/impl=pion 1 5 ns/op\n"), &bytes.Buffer{}); err == nil {
		t.Error("no error for output without an rtcstats result")
	}
}
