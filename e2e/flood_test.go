package e2e

import (
	"context"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/peers"
)

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// A call, then Close: the goroutines (rtcstats' RTCP readers and pion's
// own) end, the factory forgets both PeerConnections and holds no
// reference to them (they are collected), and the heap returns near where
// it was before the call.
func TestCloseReleasesEverything(t *testing.T) {
	for _, dscpOn := range []bool{false, true} {
		name := "plain"
		var opts []rtcstats.Option
		if dscpOn {
			name, opts = "dscp", []rtcstats.Option{rtcstats.WithDSCP()}
		}
		t.Run(name, func(t *testing.T) { closeReleases(t, opts) })
	}
}

func closeReleases(t *testing.T, opts []rtcstats.Option) {
	t.Helper()
	// One call first, so that what pion and the standard library set up
	// once per process (crypto tables, codec registries) is in the baseline.
	warm, err := peers.New(context.Background(), peers.Config{FactoryOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	_ = warm.Close() // and warm is dead from here: the baseline does not count it
	settle(t, 0)
	baseG := runtime.NumGoroutine()
	base := liveHeap()

	f, pcs := runCall(t, opts)
	// Closing one peer makes pion close the other from its DTLS
	// close_notify, in a goroutine of its own: give that close a moment.
	for deadline := time.Now().Add(5 * time.Second); f.Monitored() != 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.Monitored(); n != 0 {
		t.Errorf("factory monitors %d PeerConnections 5 s after Close", n)
	}
	g := settle(t, baseG)
	closed := liveHeap()
	t.Logf("goroutines %d → %d; heap %.2f MiB → %.2f MiB", baseG, g, float64(base)/(1<<20), float64(closed)/(1<<20))
	for i, w := range pcs {
		if w.Value() != nil {
			t.Errorf("PeerConnection %d is still reachable after Close", i)
		}
	}
	// pion keeps some process-wide state (pools, the first SRTP and DTLS
	// contexts' tables); 2 MiB is far below one call's media state.
	if closed > base+2<<20 {
		t.Errorf("heap after Close %.2f MiB, before the call %.2f MiB", float64(closed)/(1<<20), float64(base)/(1<<20))
	}
	runtime.KeepAlive(f)
}

// runCall makes a call with media and stats, closes it, and returns the
// factory and weak pointers to the PeerConnections.
func runCall(t *testing.T, opts []rtcstats.Option) (*rtcstats.Factory, []weak.Pointer[webrtc.PeerConnection]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pair, err := peers.New(ctx, peers.Config{FactoryOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	mctx, mcancel := context.WithTimeout(ctx, time.Second)
	defer mcancel()
	if _, _, err := pair.SendMedia(mctx); err != nil {
		t.Fatal(err)
	}
	off, ans, err := pair.Stats()
	if err != nil || len(off) == 0 || len(ans) == 0 {
		t.Fatalf("stats: %v", err)
	}
	if err := pair.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := pair.Factory.GetStats(pair.Offerer.PC); err == nil {
		t.Error("GetStats after Close returned a report")
	}
	return pair.Factory, []weak.Pointer[webrtc.PeerConnection]{weak.Make(pair.Offerer.PC), weak.Make(pair.Answerer.PC)}
}

// settle waits up to 10 s for the goroutine count to fall to n (0: until it
// stops falling) and returns it.
func settle(t *testing.T, n int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	last, stable := runtime.NumGoroutine(), 0
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		runtime.GC()
		g := runtime.NumGoroutine()
		if n > 0 && g <= n {
			return g
		}
		if n == 0 {
			if g == last {
				if stable++; stable >= 10 {
					return g
				}
			} else {
				stable = 0
			}
		}
		last = g
	}
	if n > 0 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines still run, want %d:\n%s", last, n, buf[:runtime.Stack(buf, true)])
	}
	return last
}
