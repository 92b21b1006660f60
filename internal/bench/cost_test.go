//go:build unix

package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestE2ECost measures the process CPU time (user+sys, getrusage) that a
// fixed number of RTP packets costs between two in-process PeerConnections
// connected over UDP on 127.0.0.1 (SRTP, sockets, pion's default
// interceptors and all), with rtcstats, pion's stats interceptor or neither
// registered first in both registries, and prints the ratios to "none".
// Each peer sends one VP8 track, paced; the measurement runs from the first
// write until both peers have read what arrived. Kinds are interleaved over
// rounds and the median per kind is reported.
//
// It runs only with RTCSTATS_E2E_COST=1:
//
//	RTCSTATS_E2E_COST=1 go test -run TestE2ECost -v ./internal/bench/
//
// RTCSTATS_E2E_PACKETS (per direction, default 20000) and
// RTCSTATS_E2E_ROUNDS (default 5) change the size.
func TestE2ECost(t *testing.T) {
	if os.Getenv("RTCSTATS_E2E_COST") != "1" {
		t.Skip("set RTCSTATS_E2E_COST=1 to run")
	}
	packets := envInt(t, "RTCSTATS_E2E_PACKETS", 20000)
	rounds := envInt(t, "RTCSTATS_E2E_ROUNDS", 5)
	const pps = 20000 // per direction
	kinds := []string{"none", "pion", "rtcstats"}
	cpu := map[string][]time.Duration{}
	lost := map[string][]int64{}
	pk := newPackets(t, 0, false)
	for r := range rounds {
		for k := range kinds {
			kind := kinds[(k+r)%len(kinds)] // rotate the order per round
			d, l := costRun(t, kind, pk, packets, pps)
			cpu[kind] = append(cpu[kind], d)
			lost[kind] = append(lost[kind], l)
		}
	}
	median := func(ds []time.Duration) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[len(s)/2]
	}
	base := median(cpu["none"])
	var out strings.Builder
	fmt.Fprintf(&out, "\n%d packets per direction (2 x 1 VP8 track, %d pps each way), %d rounds, GOMAXPROCS=%d\n",
		packets, pps, rounds, runtime.GOMAXPROCS(0))
	fmt.Fprintf(&out, "| registered | CPU median | min..max | CPU µs/packet | ratio to none | extra ns/packet | unread per round |\n|---|---|---|---|---|---|---|\n")
	for _, kind := range kinds {
		m := median(cpu[kind])
		fmt.Fprintf(&out, "| %s | %v | %v..%v | %.2f | %.3f | %.0f | %v |\n", kind, m.Round(time.Millisecond),
			slices.Min(cpu[kind]).Round(time.Millisecond), slices.Max(cpu[kind]).Round(time.Millisecond),
			float64(m.Microseconds())/float64(2*packets), float64(m)/float64(base),
			float64(m-base)/float64(2*packets), lost[kind])
	}
	t.Log(out.String())
}

// costRun builds a pair, warms it up, and returns the CPU time of sending
// packets each way and the number of packets that were not read (negative
// when NACK-repaired duplicates were read as well).
func costRun(t *testing.T, kind string, pk *packets, packets, pps int) (time.Duration, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := newE2EPair(ctx, kind, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	const warm = 500
	if err := p.send(pk, warm, pps); err != nil {
		t.Fatal(err)
	}
	if err := p.waitRead(ctx, warm*9/10); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	r0 := p.off.read.Load() + p.ans.read.Load()
	runtime.GC()
	c0 := cpuTime(t)
	if err := p.send(pk, packets, pps); err != nil {
		t.Fatal(err)
	}
	// Until everything arrived, or nothing more arrives for 50 ms.
	want := r0 + int64(2*packets)
	for last, still := int64(-1), 0; ; {
		n := p.off.read.Load() + p.ans.read.Load()
		if n >= want {
			break
		}
		if n == last {
			if still++; still == 50 {
				break
			}
		} else {
			still = 0
		}
		last = n
		time.Sleep(time.Millisecond)
	}
	c1 := cpuTime(t)
	return c1 - c0, want - (p.off.read.Load() + p.ans.read.Load())
}

func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	d, ok := processCPU()
	if !ok {
		t.Fatal("getrusage failed")
	}
	return d
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}
