//go:build linux

package e2e

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats/internal/netns"
	"github.com/rtcstats/rtcstats/internal/nfqueue"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

// These tests impair a call in the kernel's own path between two network
// namespaces (internal/netns: the offerer in A, the answerer in B, joined
// by a veth pair), with the kernel's tools: iptables for random loss,
// NFQUEUE with a program of ours (internal/nfqueue) for delay and jitter,
// tbf for rate. Each compares our statistics with the impairing tool's own
// counters, and the jitter with a capture that Wireshark reads.

// vethConfig makes peers.New use the namespaces' networks and gather only
// their veth addresses (peers.New allows only loopback by default).
func vethConfig(p *netns.Pair) peers.Config {
	return peers.Config{
		OffererNet: p.A.Net(), AnswererNet: p.B.Net(),
		Setup: func(_ *webrtc.MediaEngine, s *webrtc.SettingEngine) error {
			s.SetIncludeLoopbackCandidate(false)
			s.SetIPFilter(func(ip net.IP) bool {
				a, ok := netip.AddrFromSlice(ip)
				return ok && (a.Unmap() == p.A.Addr || a.Unmap() == p.B.Addr)
			})
			s.SetInterfaceFilter(func(name string) bool { return strings.HasPrefix(name, "veth") })
			return nil
		},
	}
}

// impairedCall connects the pair and sends media for d. Once the answerer
// has read 10 packets of the offerer's audio, begin runs with that SSRC;
// 500 ms before the media ends, end runs. Sparing the first and the last
// packets keeps RFC 3550's loss exact: loss before the first packet received
// or after the last is never counted. It returns the settled reports.
func impairedCall(t *testing.T, cfg peers.Config, d time.Duration, begin func(p *peers.Pair, audio uint32), end func(p *peers.Pair)) (*peers.Pair, report.Report, report.Report) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pair, err := peers.New(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = pair.Close() })
	audio := senderSSRC(t, pair.Offerer, "audio")

	started := time.Now()
	mctx, mcancel := context.WithTimeout(context.Background(), d)
	defer mcancel()
	media := make(chan error, 1)
	go func() {
		_, _, err := pair.SendMedia(mctx)
		media <- err
	}()
	for pair.Answerer.RTPRead(audio) < 10 {
		if time.Since(started) > 3*time.Second {
			t.Fatal("the answerer read no audio")
		}
		time.Sleep(5 * time.Millisecond)
	}
	begin(pair, audio)
	time.Sleep(time.Until(started.Add(d - 500*time.Millisecond)))
	end(pair)
	if err := <-media; err != nil {
		t.Fatalf("send media: %v", err)
	}
	off, ans, err := pair.Settle(context.Background(), 5*time.Second)
	if err != nil {
		t.Fatalf("settle: %v", err)
	}
	return pair, off, ans
}

// u32SSRC is an xt_u32 expression matching a UDP/IPv4 datagram whose
// payload is RTP of ssrc: the IP header length from byte 0, then 8 bytes of
// UDP header and 8 of RTP header to the SSRC (byte 36 without IP options).
func u32SSRC(ssrc uint32) string { return fmt.Sprintf("0>>22&0x3C@16=0x%08x", ssrc) }

// iptablesCounter returns the packet counter of the rule in chain whose
// target is target and whose listing contains marker.
func iptablesCounter(ctx context.Context, ns *netns.NS, table, chain, target, marker string) (uint64, error) {
	out, err := ns.Run(ctx, "iptables", "-t", table, "-L", chain, "-v", "-x", "-n")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 3 && f[2] == target && strings.Contains(line, marker) {
			return strconv.ParseUint(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s rule with %q in %s/%s:\n%s", target, marker, table, chain, out)
}

// dropSample is the drop rule's counter, read by a command that started
// at t0 and ended at t1 (wall-clock ms).
type dropSample struct {
	t0, t1 float64
	n      uint64
}

// rrSample is the sender's view of one Receiver Report about its audio.
type rrSample struct {
	reports  uint64
	at       float64 // arrival, wall-clock ms
	lost     int64
	received uint64
	fraction float64
}

// TestNetRandomLossExact drops 10 % of the offerer's audio packets at
// random with iptables in the answerer's namespace (INPUT, matched by SSRC
// with u32). Audio has no NACK or RTX, so every drop stays lost: the
// answerer's packetsLost and the offerer's remote-inbound packetsLost must
// equal the rule's counter exactly. Each Receiver Report's fractionLost is
// checked against the drops in its interval (see checkFractions).
func TestNetRandomLossExact(t *testing.T) {
	ns := netns.New(t)
	netns.Require(t, "iptables")
	var (
		match   string
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		mu      sync.Mutex
		drops   []dropSample
		rrs     []rrSample
		pollErr error
	)
	wallMs := func() float64 { return float64(time.Now().UnixNano()) / 1e6 }
	pair, off, ans := impairedCall(t, vethConfig(ns), 5*time.Second, func(p *peers.Pair, audio uint32) {
		match = u32SSRC(audio)
		if out, err := ns.B.Run(t.Context(), "iptables", "-I", "INPUT", "1", "-i", ns.B.IfName, "-p", "udp",
			"-m", "u32", "--u32", match, "-m", "statistic", "--mode", "random", "--probability", "0.1", "-j", "DROP"); err != nil {
			t.Skipf("cannot add the iptables u32/statistic drop rule: %v: %s", err, out)
		}
		// Sample the drop counter and the offerer's view of the RRs.
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(40 * time.Millisecond):
				}
				t0 := wallMs()
				n, err := iptablesCounter(context.Background(), ns.B, "filter", "INPUT", "DROP", "statistic")
				t1 := wallMs()
				r, gerr := p.Factory.GetStats(p.Offerer.PC)
				mu.Lock()
				if err != nil || gerr != nil {
					pollErr = errors.Join(err, gerr)
					mu.Unlock()
					return
				}
				drops = append(drops, dropSample{t0, t1, n})
				if ri := audioRemoteInbound(r); ri != nil && (len(rrs) == 0 || *ri.ReportsReceived != rrs[len(rrs)-1].reports) {
					rrs = append(rrs, rrSample{
						reports: *ri.ReportsReceived, at: ri.Timestamp, lost: *ri.PacketsLost,
						received: *ri.PacketsReceived, fraction: *ri.FractionLost,
					})
				}
				mu.Unlock()
			}
		})
	}, func(*peers.Pair) {
		// Stop dropping: an ACCEPT in front of the DROP rule.
		if out, err := ns.B.Run(t.Context(), "iptables", "-I", "INPUT", "1", "-i", ns.B.IfName, "-p", "udp",
			"-m", "u32", "--u32", match, "-j", "ACCEPT"); err != nil {
			t.Errorf("stop dropping: %v: %s", err, out)
		}
		time.Sleep(100 * time.Millisecond) // one more sample after the last drop
		close(stop)
		wg.Wait()
	})
	if pollErr != nil {
		t.Fatalf("sampling: %v", pollErr)
	}
	dropped, err := iptablesCounter(context.Background(), ns.B, "filter", "INPUT", "DROP", "statistic")
	if err != nil {
		t.Fatal(err)
	}
	audio := senderSSRC(t, pair.Offerer, "audio")
	ao := outbound(t, off, "audio")
	ai := inboundBySSRC(t, ans, audio)
	ari := remoteInbound(t, off, ao)
	t.Logf("iptables dropped %d of %d audio packets; answerer packetsLost %d, packetsReceived %d; offerer remote-inbound packetsLost %d",
		dropped, *ao.PacketsSent, *ai.PacketsLost, *ai.PacketsReceived, *ari.PacketsLost)
	if dropped < 5 {
		t.Fatalf("only %d packets dropped: the rule did not match the audio", dropped)
	}
	if *ai.PacketsLost != int64(dropped) || *ari.PacketsLost != int64(dropped) {
		t.Errorf("packetsLost %d (answerer), %d (offerer's remote-inbound), want the rule's %d", *ai.PacketsLost, *ari.PacketsLost, dropped)
	}
	if *ai.PacketsReceived != *ao.PacketsSent-dropped || *ari.PacketsReceived != *ai.PacketsReceived {
		t.Errorf("received %d (answerer), %d (remote-inbound), want %d sent - %d dropped", *ai.PacketsReceived, *ari.PacketsReceived, *ao.PacketsSent, dropped)
	}
	checkFractions(t, drops, rrs)
	noViolations(t, "offerer", off)
	noViolations(t, "answerer", ans)
}

// audioRemoteInbound is the remote-inbound-rtp of r's audio outbound-rtp,
// once it has a packetsReceived.
func audioRemoteInbound(r report.Report) *report.RemoteInboundRTPStreamStats {
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](r) {
		if o.Kind != "audio" || o.RemoteID == nil {
			continue
		}
		if ri, ok := report.Lookup[*report.RemoteInboundRTPStreamStats](r, *o.RemoteID); ok && ri.PacketsReceived != nil {
			return ri
		}
	}
	return nil
}

// checkFractions checks each Receiver Report interval seen while sampling.
// pion's receiver computes, per RR, the packets expected since the last
// one (ΔE, the difference of the extended highest sequence numbers) and
// those missing among them (ΔL), and sends fractionLost = floor(256·ΔL/ΔE)
// /256 with the cumulative loss. From two consecutive RRs the offerer's
// remote-inbound gives ΔL = Δ packetsLost and ΔE = Δ(packetsReceived +
// packetsLost) exactly, so:
//
//  1. fractionLost must be exactly floor(256·ΔL/ΔE)/256, and
//  2. ΔL must lie within what the iptables counter says was dropped
//     between the two RRs. The counter is sampled every ~50 ms (and each
//     reading takes a few ms), so this is a bracket. A drop belongs to the
//     interval if it happened after the earlier RR was generated and before
//     the last packet the receiver got before the later one (a drop is only
//     known when a later packet arrives); that packet came less than 100 ms
//     before the RR unless five packets in a row were dropped. So ΔL is at
//     least the counter's rise from the first reading after the earlier
//     RR's arrival to the last reading before the later RR's arrival minus
//     100 ms, and at most its rise from the last reading before the earlier
//     RR's arrival minus 100 ms to the first reading after the later RR's.
//
// The tolerance on fractionLost against the drops is therefore the width of
// that bracket over ΔE (≈50 packets per 1 s RR interval at 50 packets/s):
// the drops among the ~8 packets at the two edges, typically 0-2, i.e. up
// to about 0.04, plus the 1/256 truncation.
func checkFractions(t *testing.T, drops []dropSample, rrs []rrSample) {
	t.Helper()
	before := func(x float64) (uint64, bool) { // counter ≤ C(x)
		var n uint64
		ok := false
		for _, s := range drops {
			if s.t1 <= x {
				n, ok = s.n, true
			}
		}
		return n, ok
	}
	after := func(x float64) (uint64, bool) { // counter ≥ C(x)
		for _, s := range drops {
			if s.t0 >= x {
				return s.n, true
			}
		}
		return 0, false
	}
	checked, worst := 0, 0.0
	for i := 1; i < len(rrs); i++ {
		a, b := rrs[i-1], rrs[i]
		if b.reports != a.reports+1 {
			continue // an RR between the two was not seen
		}
		dL := b.lost - a.lost
		dE := int64(b.received) + b.lost - int64(a.received) - a.lost
		if dE <= 0 {
			continue
		}
		if want := float64((dL<<8)/dE) / 256; b.fraction != want {
			t.Errorf("RR %d: fractionLost %v, but its own counters give floor(256*%d/%d)/256 = %v", b.reports, b.fraction, dL, dE, want)
		}
		loA, ok1 := before(a.at - 100)
		hiA, ok2 := after(a.at)
		loB, ok3 := before(b.at - 100)
		hiB, ok4 := after(b.at)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			continue // outside the sampled period
		}
		lo, hi := int64(loB)-int64(hiA), int64(hiB)-int64(loA)
		if dL < lo || dL > hi {
			t.Errorf("RR %d: %d lost of %d expected in its interval, iptables dropped between %d and %d", b.reports, dL, dE, lo, hi)
		}
		mid := float64(lo+hi) / 2 / float64(dE)
		worst = max(worst, math.Abs(b.fraction-mid))
		checked++
		t.Logf("RR %d: fractionLost %.4f (%d/%d), iptables drops in the interval %d..%d (fraction %.3f..%.3f)",
			b.reports, b.fraction, dL, dE, lo, hi, float64(lo)/float64(dE), float64(hi)/float64(dE))
	}
	if checked < 2 {
		t.Errorf("only %d RR intervals checked against the drop counter (%d RRs, %d samples)", checked, len(rrs), len(drops))
	}
	t.Logf("%d RR intervals: largest |fractionLost - drops/expected| %.4f", checked, worst)
}

// openDelay binds an NFQUEUE in ns, queues the UDP that leaves its veth and
// holds each packet as delay says. It skips when the kernel or iptables
// cannot queue. The Delayer stops at cleanup.
func openDelay(t *testing.T, ns *netns.NS, delay nfqueue.DelayFunc) *nfqueue.Delayer {
	t.Helper()
	netns.Require(t, "iptables")
	var q *nfqueue.Queue
	err := ns.Do(func() (err error) {
		q, err = nfqueue.Open(7, 128)
		return err
	})
	if errors.Is(err, nfqueue.ErrUnavailable) {
		t.Skipf("the kernel cannot provide an NFQUEUE (nfnetlink_queue): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The Delayer's real-time threads wait in system calls; back in Go
	// they need a P. With GOMAXPROCS at the CPU count, every P may be held
	// by a thread of ours that another process keeps off the CPU, and the
	// release waits for it. Spare Ps let it go on at once.
	prev := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(max(prev, 4*runtime.NumCPU()))
	d := nfqueue.StartDelayer(q, delay)
	t.Cleanup(func() {
		_, _ = d.Stop()
		runtime.GOMAXPROCS(prev)
	})
	// --queue-bypass: should the queue go away, packets pass instead of
	// being dropped.
	if out, err := ns.Run(t.Context(), "iptables", "-t", "mangle", "-A", "POSTROUTING", "-o", ns.IfName, "-p", "udp",
		"-j", "NFQUEUE", "--queue-num", "7", "--queue-bypass"); err != nil {
		t.Skipf("cannot add the iptables NFQUEUE rule: %v: %s", err, out)
	}
	return d
}

// TestNetDelayRTT delays everything the offerer's namespace sends by 40 ms
// (NFQUEUE, our program). The offerer's SRs and the answerer's RRs about
// them cross the delay once, as do the answerer's SRs and the offerer's
// RRs: both peers must measure 40 ms ± 5 ms for every stream, for the last
// sample and on average over all samples.
func TestNetDelayRTT(t *testing.T) {
	ns := netns.New(t)
	const delay = 40 * time.Millisecond
	var d *nfqueue.Delayer
	_, off, ans, _ := call(t, vethConfig(ns), 4*time.Second, func(*peers.Pair) {
		d = openDelay(t, ns.A, nfqueue.Fixed(delay))
	})
	st := d.Stats()
	t.Logf("NFQUEUE held %d packets %v..%v (mean %v)", st.Packets, st.MinHeld, st.MaxHeld, st.MeanHeld())
	for _, side := range []struct {
		name string
		r    report.Report
	}{{"offerer", off}, {"answerer", ans}} {
		for _, kind := range []string{"audio", "video"} {
			ri := remoteInbound(t, side.r, outbound(t, side.r, kind))
			if ri.RoundTripTime == nil || *ri.RoundTripTimeMeasurements == 0 {
				t.Errorf("%s %s: no roundTripTime", side.name, kind)
				continue
			}
			rtt := time.Duration(*ri.RoundTripTime * float64(time.Second))
			avg := time.Duration(*ri.TotalRoundTripTime / float64(*ri.RoundTripTimeMeasurements) * float64(time.Second))
			t.Logf("%s %s: roundTripTime %v, average %v over %d samples", side.name, kind, rtt, avg, *ri.RoundTripTimeMeasurements)
			if rtt < delay-5*time.Millisecond || rtt > delay+5*time.Millisecond {
				t.Errorf("%s %s: roundTripTime %v, want %v ± 5ms", side.name, kind, rtt, delay)
			}
			// On a loaded machine the delayer itself can hold a packet
			// longer than asked (it says how long: MaxHeld). One sample
			// may carry that excess, so the average may by 1/n of it.
			n := time.Duration(*ri.RoundTripTimeMeasurements)
			slack := max(st.MaxHeld-delay, 0) / n
			if avg < delay-5*time.Millisecond || avg > delay+5*time.Millisecond+slack {
				t.Errorf("%s %s: average %v, want %v ± 5ms (+%v the delayer overheld)", side.name, kind, avg, delay, slack)
			}
		}
	}
	noViolations(t, "offerer", off)
	noViolations(t, "answerer", ans)
}

// tcpdump is a capture running in a namespace.
type tcpdump struct {
	cmd    *exec.Cmd
	file   string
	exited chan struct{} // closed when tcpdump has exited
	once   sync.Once

	mu      sync.Mutex
	stderr  strings.Builder
	waitErr error
}

// startTcpdump captures the UDP that ns's veth receives into a pcap file
// with nanosecond timestamps, and returns once tcpdump is listening.
func startTcpdump(t *testing.T, ns *netns.NS) *tcpdump {
	t.Helper()
	file := filepath.Join(t.TempDir(), "in.pcap")
	// `ip netns exec` execs tcpdump in place: the process is tcpdump.
	// --immediate-mode: without it, packets still in the capture ring's
	// current block when tcpdump is stopped are neither written nor
	// counted as dropped.
	// No context ends it: stop does, with SIGINT, so that tcpdump flushes
	// the file and prints its counts.
	cmd := exec.CommandContext(context.Background(), "ip", "netns", "exec", ns.Name, "tcpdump", "-i", ns.IfName, "-Q", "in", "-U", "-n",
		"--immediate-mode", "--time-stamp-precision=nano", "-B", "16384", "-w", file, "udp")
	pr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	td := &tcpdump{cmd: cmd, file: file, exited: make(chan struct{})}
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			td.mu.Lock()
			td.stderr.WriteString(sc.Text() + "\n")
			td.mu.Unlock()
			if !signalled && strings.Contains(sc.Text(), "listening on") {
				signalled = true
				close(listening)
			}
		}
		_, _ = io.Copy(io.Discard, pr)
		err := cmd.Wait()
		td.mu.Lock()
		td.waitErr = err
		td.mu.Unlock()
		close(td.exited)
	}()
	t.Cleanup(func() { td.stop() })
	select {
	case <-listening:
	case <-td.exited:
		t.Fatalf("tcpdump ended: %s", td.output())
	case <-time.After(5 * time.Second):
		t.Fatalf("tcpdump is not listening: %s", td.output())
	}
	return td
}

func (td *tcpdump) output() string {
	td.mu.Lock()
	defer td.mu.Unlock()
	return fmt.Sprintf("%s(exit: %v)", td.stderr.String(), td.waitErr)
}

// stop ends the capture (SIGINT: tcpdump flushes the file and prints its
// counts) and returns what tcpdump printed.
func (td *tcpdump) stop() string {
	td.once.Do(func() {
		_ = td.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-td.exited:
		case <-time.After(5 * time.Second):
			_ = td.cmd.Process.Kill()
			<-td.exited
		}
	})
	return td.output()
}

var droppedByKernel = regexp.MustCompile(`(\d+) packets dropped by kernel`)

// wirePacket is one RTP packet of a capture as tshark decodes it.
type wirePacket struct {
	at   int64 // ns since the epoch, from the capture
	ssrc uint32
	seq  uint16
	ts   uint32
	pt   uint8
	mark bool
	dst  netip.AddrPort
}

// tsharkRTP decodes every RTP packet of a capture with tshark (heuristic
// RTP on any UDP port) and returns them in capture order.
func tsharkRTP(t *testing.T, file string) []wirePacket {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "tshark", "-r", file, "-n", "-o", "rtp.heuristic_rtp:TRUE", "-Y", "rtp", "-T", "fields",
		"-E", "separator=,", "-e", "frame.time_epoch", "-e", "rtp.ssrc", "-e", "rtp.seq", "-e", "rtp.timestamp",
		"-e", "rtp.p_type", "-e", "rtp.marker", "-e", "ip.dst", "-e", "udp.dstport").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var pkts []wirePacket
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimSpace(line), ",")
		if len(f) != 8 {
			continue
		}
		at, err1 := parseEpochNs(f[0])
		ssrc, err2 := strconv.ParseUint(f[1], 0, 32)
		seq, err3 := strconv.ParseUint(f[2], 0, 16)
		ts, err4 := strconv.ParseUint(f[3], 0, 32)
		pt, err5 := strconv.ParseUint(f[4], 0, 7)
		mark, err6 := strconv.ParseBool(f[5])
		dst, err7 := netip.ParseAddrPort(f[6] + ":" + f[7])
		if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
			t.Fatalf("tshark line %q: %v", line, err)
		}
		pkts = append(pkts, wirePacket{at, uint32(ssrc), uint16(seq), uint32(ts), uint8(pt), mark, dst})
	}
	return pkts
}

// parseEpochNs parses "1700000000.123456789" exactly.
func parseEpochNs(s string) (int64, error) {
	sec, frac, _ := strings.Cut(s, ".")
	frac = (frac + "000000000")[:9]
	a, err1 := strconv.ParseInt(sec, 10, 64)
	b, err2 := strconv.ParseInt(frac, 10, 64)
	return a*1e9 + b, errors.Join(err1, err2)
}

// rfc3550Jitter is RFC 3550 A.8 over one SSRC's packets in arrival order,
// on extended sequence numbers and timestamps, taking only packets that
// advance the sequence. It returns the final running estimate and, for
// comparison with Wireshark, its maximum over the packets without the
// marker bit, in seconds, and the number of samples.
func rfc3550Jitter(pkts []wirePacket, ssrc uint32, rate float64) (final, peak float64, n, unmarked int) {
	var (
		first            = true
		t0               int64
		maxSeq, extTS    int64
		lastTS           uint32
		lastTransit, jit float64
	)
	for _, p := range pkts {
		if p.ssrc != ssrc {
			continue
		}
		if first {
			first, t0 = false, p.at
			maxSeq, extTS, lastTS = int64(p.seq), int64(p.ts), p.ts
			lastTransit = -float64(extTS)
			continue
		}
		ext := maxSeq + int64(int16(p.seq-uint16(maxSeq)))
		if ext <= maxSeq {
			continue // late or duplicate
		}
		maxSeq = ext
		extTS += int64(int32(p.ts - lastTS))
		lastTS = p.ts
		transit := float64(p.at-t0)*rate/1e9 - float64(extTS)
		jit += (math.Abs(transit-lastTransit) - jit) / 16
		lastTransit = transit
		if !p.mark {
			peak = max(peak, jit)
			unmarked++
		}
		n++
	}
	return jit / rate, peak / rate, n, unmarked
}

// TestNetJitterMatchesWireshark delays the offerer's packets by 20-60 ms,
// drawn uniformly per packet but kept in order (NFQUEUE), captures what
// the answerer's veth receives with tcpdump, and compares the answerer's
// final inbound-rtp jitter with what Wireshark makes of the capture.
//
// Like with like: inbound-rtp jitter is the final value of RFC 3550 A.8's
// running estimate; tshark's rtp,streams prints only the mean and maximum
// of that estimate over the stream, and none at all for a dynamic payload
// type whose clock rate it was not told. So the test computes the running
// estimate from tshark's per-packet fields (its arrival times and RTP
// timestamps), compares its final value with ours (within 10 %: ours
// timestamps each packet when the application reads it, a little after the
// kernel, and that scheduling noise enters the estimate), and checks the
// computation against Wireshark's own: given the clock rates by an SDP
// (a SIP INVITE the test puts at the start of the capture), tshark's
// rtp,streams maximum jitter must equal the maximum of the computed
// estimate. Wireshark computes the estimate on every packet but leaves
// packets with the marker bit out of its maximum and mean (it takes a
// marker for the start of a talk spurt), and pion sets the marker on every
// Opus packet and on the last packet of each VP8 frame: tshark reports no
// jitter at all for the audio (-1) and, for the video, the maximum over
// the packets without the marker, which is what the test compares. Its
// "mean" is a mean over those packets weighted by its own packet count,
// not a value of the estimate; it is logged only.
func TestNetJitterMatchesWireshark(t *testing.T) {
	ns := netns.New(t)
	netns.Require(t, "tcpdump", "tshark")
	var (
		td *tcpdump
		d  *nfqueue.Delayer
	)
	pair, _, ans, _ := call(t, vethConfig(ns), 4*time.Second, func(*peers.Pair) {
		td = startTcpdump(t, ns.B)
		d = openDelay(t, ns.A, nfqueue.Uniform(20*time.Millisecond, 60*time.Millisecond, 7))
	})
	st := d.Stats()
	msg := td.stop()
	if m := droppedByKernel.FindStringSubmatch(msg); m == nil || m[1] != "0" {
		t.Fatalf("tcpdump: the capture is incomplete or unreadable:\n%s", msg)
	}
	t.Logf("NFQUEUE held %d packets %v..%v (mean %v)", st.Packets, st.MinHeld, st.MaxHeld, st.MeanHeld())
	pkts := tsharkRTP(t, td.file)
	kinds := []struct {
		name, codec string
		rate        float64
	}{{"audio", "opus/48000/2", 48000}, {"video", "VP8/90000", 90000}}
	rtpmap := map[uint8]string{}
	var dst netip.AddrPort
	for _, k := range kinds {
		ssrc := senderSSRC(t, pair.Offerer, k.name)
		for _, p := range pkts {
			if p.ssrc == ssrc {
				rtpmap[p.pt], dst = k.codec, p.dst
				break
			}
		}
	}
	summary := tsharkStreams(t, withSDP(t, td.file, dst, rtpmap))
	for _, k := range kinds {
		ssrc := senderSSRC(t, pair.Offerer, k.name)
		in := inboundBySSRC(t, ans, ssrc)
		theirs, peak, n, unmarked := rfc3550Jitter(pkts, ssrc, k.rate)
		if n < 50 || in.Jitter == nil {
			t.Errorf("%s: %d packets of SSRC %d in the capture, jitter %v", k.name, n, ssrc, deref(in.Jitter))
			continue
		}
		if uint64(n+1) != *in.PacketsReceived {
			t.Errorf("%s: %d packets in the capture, %d received: the capture is not the packets we measured", k.name, n+1, *in.PacketsReceived)
		}
		ours := *in.Jitter
		ws, analysed := summary[ssrc]
		t.Logf("%s (SSRC %#08x, %d packets received, %d captured): jitter ours %.3f ms, RFC 3550 over the capture %.3f ms (%+.1f %%), "+
			"its max over the %d packets without marker %.3f ms; tshark rtp,streams max %.3f ms, mean %.3f ms (analysed: %v)",
			k.name, ssrc, *in.PacketsReceived, n+1, ours*1000, theirs*1000, (ours/theirs-1)*100, unmarked, peak*1000, ws.max, ws.mean, analysed)
		if math.Abs(ours-theirs) > 0.10*theirs {
			t.Errorf("%s: jitter %.3f ms, the capture's %.3f ms: more than 10 %% apart", k.name, ours*1000, theirs*1000)
		}
		if theirs < 0.002 {
			t.Errorf("%s: capture jitter %.3f ms: the delay did not vary", k.name, theirs*1000)
		}
		if analysed && math.Abs(ws.max-peak*1000) > 0.002 {
			t.Errorf("%s: tshark's max jitter %.3f ms, the estimate computed from its fields peaks at %.3f ms", k.name, ws.max, peak*1000)
		}
		if k.name == "video" && !analysed {
			t.Errorf("video: tshark did not analyse the VP8 stream's jitter")
		}
	}
}

// wsJitter is tshark's rtp,streams jitter summary of one stream, in ms.
type wsJitter struct{ mean, max float64 }

// tsharkStreams returns tshark's rtp,streams jitter per SSRC, for the
// streams it computed jitter for (it prints -1 as the minimum otherwise).
func tsharkStreams(t *testing.T, file string) map[uint32]wsJitter {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "tshark", "-r", file, "-n", "-q", "-o", "rtp.heuristic_rtp:TRUE", "-z", "rtp,streams").Output()
	if err != nil {
		t.Fatalf("tshark rtp,streams: %v", err)
	}
	// ... SSRC Payload Pkts Lost (pct) MinDelta MeanDelta MaxDelta MinJitter MeanJitter MaxJitter [Problems]
	row := regexp.MustCompile(`(0x[0-9A-Fa-f]{8})\s+\S+\s+\d+\s+-?\d+ \([^)]*\)\s+(?:\S+\s+){3}(\S+)\s+(\S+)\s+(\S+)`)
	m := map[uint32]wsJitter{}
	for line := range strings.Lines(string(out)) {
		f := row.FindStringSubmatch(line)
		if f == nil {
			continue
		}
		ssrc, _ := strconv.ParseUint(f[1], 0, 32)
		minJ, _ := strconv.ParseFloat(f[2], 64)
		mean, _ := strconv.ParseFloat(f[3], 64)
		mx, _ := strconv.ParseFloat(f[4], 64)
		if minJ >= 0 {
			m[uint32(ssrc)] = wsJitter{mean, mx}
		}
	}
	return m
}

// withSDP writes a copy of a pcap capture (Ethernet, as tcpdump writes it
// on a veth) that starts, one second before its first packet, with a SIP
// INVITE whose SDP maps the dynamic payload types in rtpmap for the RTP
// flow to dst: Wireshark learns their clock rates from it and can compute
// jitter. It returns the copy's path.
func withSDP(t *testing.T, file string, dst netip.AddrPort, rtpmap map[uint8]string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24+16 || binary.LittleEndian.Uint32(b[20:]) != 1 {
		t.Fatalf("%s: not a little-endian Ethernet pcap with packets", file)
	}
	if m := binary.LittleEndian.Uint32(b); m != 0xa1b2c3d4 && m != 0xa1b23c4d { // µs or ns timestamps
		t.Fatalf("%s: unknown pcap magic %x", file, b[:4])
	}
	pts := slices.Sorted(maps.Keys(rtpmap))
	var sdp strings.Builder
	fmt.Fprintf(&sdp, "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP", dst.Addr(), dst.Addr(), dst.Port())
	for _, pt := range pts {
		fmt.Fprintf(&sdp, " %d", pt)
	}
	sdp.WriteString("\r\n")
	for _, pt := range pts {
		fmt.Fprintf(&sdp, "a=rtpmap:%d %s\r\n", pt, rtpmap[pt])
	}
	sip := fmt.Sprintf("INVITE sip:b@%[1]s SIP/2.0\r\nVia: SIP/2.0/UDP %[1]s:5060;branch=z9hG4bK1\r\nFrom: <sip:a@%[1]s>;tag=1\r\n"+
		"To: <sip:b@%[1]s>\r\nCall-ID: rtcstats@%[1]s\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: %[2]d\r\n\r\n%[3]s",
		dst.Addr(), sdp.Len(), sdp.String())
	// Ethernet, IPv4 (checksummed), UDP (no checksum) 5060 -> 5060.
	frame := append(make([]byte, 12), 0x08, 0x00)
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(sip)))
	ip = append(ip, dst.Addr().AsSlice()...)
	ip = append(ip, dst.Addr().AsSlice()...)
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	frame = append(frame, ip...)
	udp := binary.BigEndian.AppendUint16(nil, 5060)
	udp = binary.BigEndian.AppendUint16(udp, 5060)
	udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(sip)))
	frame = append(append(append(frame, udp...), 0, 0), sip...)

	out := append([]byte(nil), b[:24]...)
	rec := binary.LittleEndian.AppendUint32(nil, binary.LittleEndian.Uint32(b[24:])-1) // first packet's second - 1
	rec = binary.LittleEndian.AppendUint32(rec, 0)
	rec = binary.LittleEndian.AppendUint32(rec, uint32(len(frame)))
	rec = binary.LittleEndian.AppendUint32(rec, uint32(len(frame)))
	out = append(append(append(out, rec...), frame...), b[24:]...)
	path := file + ".sdp.pcap"
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tbfStats reads the tbf qdisc with the given handle from `tc -s qdisc`.
func tbfStats(ctx context.Context, ns *netns.NS, handle string) (sentBytes, sentPkts, dropped uint64, err error) {
	out, err := ns.Run(ctx, "tc", "-s", "qdisc", "show", "dev", ns.IfName)
	if err != nil {
		return 0, 0, 0, err
	}
	re := regexp.MustCompile(`qdisc tbf ` + regexp.QuoteMeta(handle) + ` [^\n]*\n\s*Sent (\d+) bytes (\d+) pkt \(dropped (\d+),`)
	m := re.FindStringSubmatch(string(out))
	if m == nil {
		return 0, 0, 0, fmt.Errorf("no tbf %s in:\n%s", handle, out)
	}
	sentBytes, _ = strconv.ParseUint(m[1], 10, 64)
	sentPkts, _ = strconv.ParseUint(m[2], 10, 64)
	dropped, _ = strconv.ParseUint(m[3], 10, 64)
	return sentBytes, sentPkts, dropped, nil
}

// TestNetRateLimitTBF sends the offerer's audio through a token bucket
// (tbf, 32 kbit/s, limit 300 bytes) below its rate on the wire: the root
// qdisc of the offerer's veth is an HTB whose u32 filter sends the audio
// SSRC to a class with the tbf under it, and everything else to a class
// that does not limit. What the test can honestly assert:
//   - tbf drops what does not fit (dropped > 0): audio has no NACK/RTX, so
//     the answerer's packetsLost equals tbf's dropped counter exactly;
//   - the answerer's RTP bitrate over the shaped period (report.Delta,
//     payload + header, which is less than what tbf counts on the wire)
//     does not exceed the rate plus the burst spread over the period.
func TestNetRateLimitTBF(t *testing.T) {
	ns := netns.New(t)
	netns.Require(t, "tc")
	const rate = 32000 // bit/s
	dev := ns.A.IfName
	tc := func(args ...string) error {
		out, err := ns.A.Run(t.Context(), "tc", args...)
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	for _, args := range [][]string{
		{"qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "20"},
		{"class", "add", "dev", dev, "parent", "1:", "classid", "1:10", "htb", "rate", "1gbit", "quantum", "1514"},
		{"class", "add", "dev", dev, "parent", "1:", "classid", "1:20", "htb", "rate", "1gbit", "quantum", "1514"},
		{"qdisc", "add", "dev", dev, "parent", "1:10", "handle", "10:", "tbf", "rate", fmt.Sprintf("%dbit", rate), "burst", "1600", "limit", "300"},
	} {
		if err := tc(args...); err != nil {
			t.Skipf("cannot set up htb/tbf (%s): %v", strings.Join(args, " "), err)
		}
	}
	var (
		ansR0     report.Report
		shaped    time.Time
		shapedFor time.Duration
	)
	pair, off, ans := impairedCall(t, vethConfig(ns), 4*time.Second, func(p *peers.Pair, audio uint32) {
		filter := []string{
			"filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "1", "u32",
			"match", "ip", "protocol", "17", "0xff", "match", "u32", fmt.Sprintf("0x%08x", audio), "0xffffffff", "at", "36", "flowid", "1:10",
		}
		if err := tc(filter...); err != nil {
			t.Fatalf("tc filter: %v", err)
		}
		shaped = time.Now()
		var err error
		if ansR0, err = p.Factory.GetStats(p.Answerer.PC); err != nil {
			t.Fatal(err)
		}
	}, func(p *peers.Pair) {
		r1, err := p.Factory.GetStats(p.Answerer.PC)
		if err != nil {
			t.Fatal(err)
		}
		if err := tc("filter", "del", "dev", dev, "parent", "1:", "prio", "1"); err != nil {
			t.Errorf("removing the filter: %v", err)
		}
		shapedFor = time.Since(shaped)
		checkShapedRate(t, ansR0, r1, rate)
	})
	bytes, sent, dropped, err := tbfStats(context.Background(), ns.A, "10:")
	if err != nil {
		t.Fatal(err)
	}
	audio := senderSSRC(t, pair.Offerer, "audio")
	ao := outbound(t, off, "audio")
	ai := inboundBySSRC(t, ans, audio)
	t.Logf("tbf passed %d audio packets (%d bytes on the wire, %.1f kbit/s over %.2f s) and dropped %d; answerer packetsLost %d, packetsReceived %d of %d sent",
		sent, bytes, float64(bytes)*8/shapedFor.Seconds()/1000, shapedFor.Seconds(), dropped, *ai.PacketsLost, *ai.PacketsReceived, *ao.PacketsSent)
	if dropped == 0 {
		t.Fatal("tbf dropped nothing: the audio was not shaped")
	}
	if *ai.PacketsLost != int64(dropped) {
		t.Errorf("answerer packetsLost %d, tbf dropped %d", *ai.PacketsLost, dropped)
	}
	if ari := remoteInbound(t, off, ao); *ari.PacketsLost != int64(dropped) {
		t.Errorf("offerer's remote-inbound packetsLost %d, tbf dropped %d", *ari.PacketsLost, dropped)
	}
	noViolations(t, "offerer", off)
	noViolations(t, "answerer", ans)
}

// checkShapedRate checks the answerer's audio RTP bitrate between two
// reports taken while the audio went through the tbf.
func checkShapedRate(t *testing.T, r0, r1 report.Report, rate float64) {
	t.Helper()
	iv := report.Delta(r0, r1)
	for id, in := range iv.Inbound {
		s, ok := report.Lookup[*report.InboundRTPStreamStats](r1, id)
		if !ok || s.Kind != "audio" || in.Bitrate == nil || in.HeaderBitrate == nil {
			continue
		}
		got := *in.Bitrate + *in.HeaderBitrate
		limit := rate + 1600*8/in.Duration
		t.Logf("answerer audio over %.2f s of shaping: %.1f kbit/s RTP (payload %.1f), tbf rate %.0f kbit/s (+ burst: %.1f)",
			in.Duration, got/1000, *in.Bitrate/1000, rate/1000, limit/1000)
		if got > limit {
			t.Errorf("audio RTP bitrate %.1f kbit/s through a %.0f kbit/s bucket", got/1000, rate/1000)
		}
		return
	}
	t.Errorf("no audio inbound interval over the shaped window")
}
