//go:build linux

package e2e

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
	"golang.org/x/sys/unix"
)

// TestWallClockStep steps the system's wall clock (CLOCK_REALTIME) during a
// loopback call: forward 10 minutes, then back 20, then back to the true
// time. Round-trip times and jitter are measured on the monotonic clock and
// must not notice; every timestamp member follows the wall clock.
//
// Stepping CLOCK_REALTIME changes it for the whole machine, so the test
// takes care of everyone else:
//   - It runs last in this package (t.Parallel: Go runs parallel top-level
//     tests after all sequential ones; it is the package's only parallel
//     test and must stay so) and, before stepping, waits until no other Go
//     test binary or toolchain process (compile, link, vet) runs on the
//     machine, so `go test ./...` has finished every other package first. It
//     skips, saying why, if the machine does not get quiet within 2 minutes.
//   - The clock is restored (true time = wall time before the first step +
//     CLOCK_MONOTONIC elapsed since) by t.Cleanup, whatever happens in the
//     test, and by a watchdog process that survives this one, should this
//     binary be killed (test timeout, signal) with the clock stepped.
//   - It steps only after DTLS is established, though no handshake would
//     notice: pion's certificates are valid from a day before they are
//     made to a month after, and pion's DTLS checks the peer's certificate
//     by its fingerprint, not its validity. Go timers and deadlines run on
//     the monotonic clock.
//
// The clock spends about 2.5 s away from the true time.
func TestWallClockStep(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_SYS_TIME) to step the wall clock")
	}
	t.Parallel() // only to run after every sequential test of the package
	waitForQuietMachine(t, 2*time.Minute)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pair, err := peers.New(ctx, peers.Config{})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = pair.Close() })

	mctx, mcancel := context.WithCancel(context.Background())
	defer mcancel()
	media := make(chan error, 1)
	go func() {
		_, _, err := pair.SendMedia(mctx)
		media <- err
	}()

	// First RTT samples: SRs and RRs go out about once a second.
	time.Sleep(1500 * time.Millisecond)

	clk, err := newWallClock(t)
	if err != nil {
		t.Skipf("cannot step the wall clock: %v", err)
	}
	phases := []struct {
		name string
		step func() error
		off  time.Duration // wall clock minus true time during the phase
	}{
		{"before", func() error { return nil }, 0},
		{"+10 min", func() error { return clk.step(10 * time.Minute) }, 10 * time.Minute},
		{"-20 min", func() error { return clk.step(-20 * time.Minute) }, -10 * time.Minute},
		{"restored", clk.restore, 0},
	}
	prevRTTs := map[string]uint64{}
	for _, ph := range phases {
		if err := ph.step(); err != nil {
			if ph.name == "+10 min" {
				t.Skipf("cannot step the wall clock: %v", err)
			}
			t.Fatalf("%s: %v", ph.name, err)
		}
		// Long enough for a new SR, RR and RTT sample in each direction;
		// a loaded machine's report tickers run late, so wait (up to 3 s
		// more) until every stream has one.
		time.Sleep(1200 * time.Millisecond)
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && !newRTTSamples(pair, prevRTTs); {
			time.Sleep(100 * time.Millisecond)
		}
		for _, p := range []*peers.Peer{pair.Offerer, pair.Answerer} {
			r, err := pair.Factory.GetStats(p.PC)
			nowMs := float64(time.Now().UnixNano()) / 1e6 // wall clock, as stepped
			if err != nil {
				t.Fatalf("%s %s: GetStats: %v", ph.name, p.Name, err)
			}
			seen := checkClockPhase(t, ph.name, p.Name, r, nowMs, prevRTTs)
			t.Logf("%-8s %-8s wall clock %+v from true time, report timestamp %.0f; %s", ph.name, p.Name, ph.off, nowMs, seen)
		}
	}
	if err := clk.restore(); err != nil {
		t.Fatal(err)
	}

	mcancel()
	if err := <-media; err != nil {
		t.Fatalf("send media: %v", err)
	}
	// Settling needs the remote-outbound views to take the SRs sent after
	// the clock went back 20 minutes (older NTP times, more packets).
	off, ans, err := pair.Settle(context.Background(), 5*time.Second)
	if err != nil {
		t.Fatalf("settle after the steps: %v", err)
	}
	noViolations(t, "offerer", off)
	noViolations(t, "answerer", ans)
}

// checkClockPhase checks one peer's report taken at wall-clock time nowMs.
// prevRTTs holds each stream's RTT sample count at the previous phase. It
// returns the RTTs and jitters it saw, for the log.
// newRTTSamples reports whether every outgoing stream of both peers has an
// RTT sample that prev (as checkClockPhase keeps it) has not seen.
func newRTTSamples(pair *peers.Pair, prev map[string]uint64) bool {
	for _, p := range []*peers.Peer{pair.Offerer, pair.Answerer} {
		r, err := pair.Factory.GetStats(p.PC)
		if err != nil {
			return false
		}
		for _, o := range report.Filter[*report.OutboundRTPStreamStats](r) {
			ri, ok := report.Lookup[*report.RemoteInboundRTPStreamStats](r, deref2(o.RemoteID))
			if !ok || ri.RoundTripTimeMeasurements == nil || *ri.RoundTripTimeMeasurements <= prev[p.Name+" "+o.Kind] {
				return false
			}
		}
	}
	return true
}

func checkClockPhase(t *testing.T, phase, peer string, r report.Report, nowMs float64, prevRTTs map[string]uint64) string {
	t.Helper()
	var seen []string
	tag := phase + " " + peer
	near := func(what string, ts float64) {
		t.Helper()
		if math.Abs(ts-nowMs) > 2000 {
			t.Errorf("%s: %s %.0f is %.1f s from the wall clock %.0f", tag, what, ts, (ts-nowMs)/1000, nowMs)
		}
	}
	var streams int
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](r) {
		streams++
		near(o.Kind+" outbound-rtp timestamp", o.Timestamp)
		near(o.Kind+" lastPacketSentTimestamp", *o.LastPacketSentTimestamp)
		ri := remoteInbound(t, r, o)
		near(o.Kind+" remote-inbound-rtp timestamp (last RR)", ri.Timestamp)
		switch {
		case ri.RoundTripTime == nil:
			t.Errorf("%s %s: no roundTripTime", tag, o.Kind)
		case *ri.RoundTripTime <= 0 || *ri.RoundTripTime >= 0.050:
			t.Errorf("%s %s: roundTripTime %v s outside (0, 50 ms)", tag, o.Kind, *ri.RoundTripTime)
		}
		key := peer + " " + o.Kind
		if n := *ri.RoundTripTimeMeasurements; n <= prevRTTs[key] {
			t.Errorf("%s %s: no new RTT sample in this phase (%d)", tag, o.Kind, n)
		}
		prevRTTs[key] = *ri.RoundTripTimeMeasurements
		if ri.RoundTripTime != nil {
			seen = append(seen, fmt.Sprintf("%s RTT %.2f ms", o.Kind, *ri.RoundTripTime*1000))
		}
		if avg := *ri.TotalRoundTripTime / float64(*ri.RoundTripTimeMeasurements); avg <= 0 || avg >= 0.050 {
			t.Errorf("%s %s: average RTT %v s", tag, o.Kind, avg)
		}
		if ri.Jitter == nil || *ri.Jitter < 0 || *ri.Jitter > 0.050 {
			t.Errorf("%s %s: remote-inbound jitter %v", tag, o.Kind, deref(ri.Jitter))
		}
	}
	for _, in := range report.Filter[*report.InboundRTPStreamStats](r) {
		streams++
		near(in.Kind+" inbound-rtp timestamp", in.Timestamp)
		near(in.Kind+" lastPacketReceivedTimestamp", *in.LastPacketReceivedTimestamp)
		if in.Jitter == nil || *in.Jitter < 0 || *in.Jitter > 0.050 {
			t.Errorf("%s %s: jitter %v s", tag, in.Kind, deref(in.Jitter))
		} else {
			seen = append(seen, fmt.Sprintf("%s jitter %.2f ms", in.Kind, *in.Jitter*1000))
		}
		ro := remoteOutbound(t, r, in)
		near(in.Kind+" remote-outbound-rtp timestamp (last SR)", ro.Timestamp)
		near(in.Kind+" remote-outbound-rtp remoteTimestamp (sender's NTP)", *ro.RemoteTimestamp)
	}
	if streams != 4 {
		t.Errorf("%s: %d RTP streams, want 4", tag, streams)
	}
	for _, tr := range report.Filter[*report.TransportStats](r) {
		near("transport timestamp", tr.Timestamp)
	}
	return strings.Join(seen, ", ")
}

// wallClock steps CLOCK_REALTIME and puts it back.
type wallClock struct {
	t           *testing.T
	wall0, mono unix.Timespec // taken together before any step
	mu          sync.Mutex
	stepped     bool
	watchdog    *exec.Cmd
	done        io.WriteCloser
}

func clockNow(clock int32) (unix.Timespec, error) {
	var ts unix.Timespec
	err := unix.ClockGettime(clock, &ts)
	return ts, err
}

// newWallClock records the true time and starts the watchdog. Its restore
// runs in t.Cleanup.
func newWallClock(t *testing.T) (*wallClock, error) {
	t.Helper()
	c := &wallClock{t: t}
	var err error
	if c.mono, err = clockNow(unix.CLOCK_MONOTONIC); err != nil {
		return nil, err
	}
	if c.wall0, err = clockNow(unix.CLOCK_REALTIME); err != nil {
		return nil, err
	}
	// Our own test binary, run again as the watchdog. No context ends it:
	// it must outlive a test that dies, and ends when restore closes its
	// stdin.
	cmd := exec.CommandContext(context.Background(), os.Args[0], "-test.run=^TestWallClockWatchdog$", "-test.count=1") //nolint:gosec // G702: see above
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d", watchdogEnv, c.wall0.Nano(), c.mono.Nano()))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // not killed with our process group
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if c.done, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("watchdog: %w", err)
	}
	c.watchdog = cmd
	t.Cleanup(func() {
		if err := c.restore(); err != nil {
			t.Errorf("RESTORING THE WALL CLOCK FAILED (the watchdog tries next): %v", err)
		} else {
			_, _ = io.WriteString(c.done, "done")
		}
		_ = c.done.Close()
		_ = cmd.Wait()
	})
	return c, nil
}

func (c *wallClock) step(d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, err := clockNow(unix.CLOCK_REALTIME)
	if err != nil {
		return err
	}
	ts := unix.NsecToTimespec(cur.Nano() + int64(d))
	if err := unix.ClockSettime(unix.CLOCK_REALTIME, &ts); err != nil {
		return fmt.Errorf("clock_settime: %w", err)
	}
	c.stepped = true
	return nil
}

// restore sets the wall clock to what it would read had it never been
// stepped: the wall time taken before the first step plus the monotonic
// time elapsed since.
func (c *wallClock) restore() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stepped {
		return nil
	}
	if err := restoreWallClock(c.wall0.Nano(), c.mono.Nano()); err != nil {
		return err
	}
	c.stepped = false
	return nil
}

func restoreWallClock(wall0, mono0 int64) error {
	mono, err := clockNow(unix.CLOCK_MONOTONIC)
	if err != nil {
		return err
	}
	ts := unix.NsecToTimespec(wall0 + mono.Nano() - mono0)
	return unix.ClockSettime(unix.CLOCK_REALTIME, &ts)
}

const watchdogEnv = "RTCSTATS_WALLCLOCK_WATCHDOG"

// TestWallClockWatchdog is not a test: TestWallClockStep runs this binary
// again with only this test and watchdogEnv set, as a process of its own.
// It waits for "done" on stdin; if stdin ends without it (the stepping
// process died) or 30 s pass, it restores the wall clock itself.
func TestWallClockWatchdog(t *testing.T) {
	v := os.Getenv(watchdogEnv)
	if v == "" {
		t.Skip("helper process of TestWallClockStep; not a test on its own")
	}
	wall0, mono0, ok := strings.Cut(v, ",")
	w, err1 := strconv.ParseInt(wall0, 10, 64)
	m, err2 := strconv.ParseInt(mono0, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("bad %s=%q", watchdogEnv, v)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(os.Stdin)
		got <- string(b)
	}()
	select {
	case s := <-got:
		if s == "done" {
			return
		}
		fmt.Fprintln(os.Stderr, "wall-clock watchdog: the stepping process ended without restoring the clock; restoring it")
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "wall-clock watchdog: 30 s with the clock stepped; restoring it")
	}
	if err := restoreWallClock(w, m); err != nil {
		t.Fatalf("restoring the wall clock: %v", err)
	}
}

// waitForQuietMachine waits until no other Go test binary and no Go
// toolchain process (compile, link, vet, asm, cgo) runs on the machine:
// their wall-clock readings would jump with ours. It skips the test if the
// machine is not quiet within limit.
func waitForQuietMachine(t *testing.T, limit time.Duration) {
	t.Helper()
	start := time.Now()
	var busy []string
	for {
		busy = busyGoProcesses()
		if len(busy) == 0 {
			if w := time.Since(start); w > time.Second {
				t.Logf("waited %v for other Go processes to finish", w.Round(time.Millisecond))
			}
			return
		}
		if time.Since(start) > limit {
			t.Skipf("other Go test or toolchain processes are still running after %v (%s): stepping the machine's wall clock would disturb them",
				limit, strings.Join(busy, ", "))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func busyGoProcesses() []string {
	self := os.Getpid()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var busy []string
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil {
			continue // gone, or a kernel thread
		}
		exe = strings.TrimSuffix(exe, " (deleted)")
		base := filepath.Base(exe)
		if strings.HasSuffix(base, ".test") || strings.Contains(exe, "/pkg/tool/") {
			busy = append(busy, fmt.Sprintf("%s[%d]", base, pid))
		}
	}
	return busy
}
