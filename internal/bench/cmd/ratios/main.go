// Command ratios summarises internal/bench output as per-packet ratios of
// rtcstats to pion, in three ways:
//
//   - raw: sec/op medians, the harness included in both;
//   - net: each implementation's median less that of impl=none from the same
//     run (the harness alone: pion's NoOp interceptor), i.e. the time the
//     interceptor itself adds per operation;
//   - CPU: cpu-ns/op medians (process CPU time, which also counts the
//     garbage collector's work on other cores), and the same net of none.
//
// benchstat shows the raw ratio; it cannot subtract a baseline.
//
//	go test -run '^$' -bench 'Inbound|Outbound' -count 10 ./internal/bench/ > bench.txt
//	go run ./internal/bench/cmd/ratios bench.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// sample holds one benchmark's results per implementation and unit.
type sample map[string]map[string][]float64 // impl → unit → values

// parse reads `go test -bench` output and groups the values of every
// benchmark whose name has an /impl=X element by the name without it.
// Names keep their order of first appearance.
func parse(r io.Reader) (names []string, byName map[string]sample, err error) {
	byName = map[string]sample{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		name, impl, ok := splitImpl(f[0])
		if !ok {
			continue
		}
		s := byName[name]
		if s == nil {
			s = sample{}
			byName[name] = s
			names = append(names, name)
		}
		if s[impl] == nil {
			s[impl] = map[string][]float64{}
		}
		// f[1] is the iteration count; then value-unit pairs.
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%q: value %q: %w", f[0], f[i], err)
			}
			s[impl][f[i+1]] = append(s[impl][f[i+1]], v)
		}
	}
	return names, byName, sc.Err()
}

// splitImpl turns "BenchmarkInbound/plain/impl=pion-2" into
// ("BenchmarkInbound/plain", "pion").
func splitImpl(full string) (name, impl string, ok bool) {
	parts := strings.Split(full, "/")
	for i, p := range parts {
		v, found := strings.CutPrefix(p, "impl=")
		if !found {
			continue
		}
		if k := strings.LastIndexByte(v, '-'); k > 0 && i == len(parts)-1 {
			if _, err := strconv.Atoi(v[k+1:]); err == nil {
				v = v[:k] // the GOMAXPROCS suffix
			}
		}
		return strings.Join(append(slices.Clone(parts[:i]), parts[i+1:]...), "/"), v, true
	}
	return "", "", false
}

func median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// row is one benchmark's medians and ratios; the has* flags say which of
// the optional ones were measured.
type row struct {
	name                       string
	pion, rtcstats, none       float64
	raw, net                   float64
	cpuRaw, cpuNet             float64
	hasNone, hasCPU, hasCPUNet bool
}

func ratios(name string, s sample) (row, bool) {
	r := row{name: name}
	var ok1, ok2 bool
	r.pion, ok1 = median(s["pion"]["ns/op"])
	r.rtcstats, ok2 = median(s["rtcstats"]["ns/op"])
	if !ok1 || !ok2 || r.pion == 0 {
		return r, false
	}
	r.raw = r.rtcstats / r.pion
	if r.none, r.hasNone = median(s["none"]["ns/op"]); r.hasNone && r.pion > r.none {
		r.net = (r.rtcstats - r.none) / (r.pion - r.none)
	} else {
		r.hasNone = false
	}
	cp, okp := median(s["pion"]["cpu-ns/op"])
	cr, okr := median(s["rtcstats"]["cpu-ns/op"])
	if okp && okr && cp > 0 {
		r.hasCPU, r.cpuRaw = true, cr/cp
		if cn, ok := median(s["none"]["cpu-ns/op"]); ok && cp > cn {
			r.hasCPUNet, r.cpuNet = true, (cr-cn)/(cp-cn)
		}
	}
	return r, true
}

// format writes rows as a markdown table.
func format(w io.Writer, rows []row) error {
	var b strings.Builder
	b.WriteString("| benchmark | pion ns/op | rtcstats ns/op | none ns/op | raw ratio | net of none | CPU ratio | CPU net of none |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	opt := func(ok bool, v float64, f string) string {
		if !ok {
			return "—"
		}
		return fmt.Sprintf(f, v)
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %.1f | %.1f | %s | %.3f | %s | %s | %s |\n", r.name, r.pion, r.rtcstats,
			opt(r.hasNone, r.none, "%.1f"), r.raw, opt(r.hasNone, r.net, "%.3f"),
			opt(r.hasCPU, r.cpuRaw, "%.3f"), opt(r.hasCPUNet, r.cpuNet, "%.3f"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	in := stdin
	if len(args) > 1 {
		return fmt.Errorf("usage: ratios [bench.txt] (reads stdin without a file)")
	}
	if len(args) == 1 {
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }() // read only
		in = f
	}
	names, byName, err := parse(in)
	if err != nil {
		return err
	}
	var rows []row
	for _, n := range names {
		if r, ok := ratios(n, byName[n]); ok {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return fmt.Errorf("no benchmark with both impl=pion and impl=rtcstats results")
	}
	return format(stdout, rows)
}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(1)
	}
}
