package e2e

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/collectors"
	"github.com/rtcstats/rtcstats/internal/impairnet"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

func senderSSRC(t *testing.T, p *peers.Peer, kind string) uint32 {
	t.Helper()
	for _, s := range p.PC.GetSenders() {
		if s.Track() != nil && s.Track().Kind().String() == kind {
			return uint32(s.GetParameters().Encodings[0].SSRC)
		}
	}
	t.Fatalf("%s has no %s sender", p.Name, kind)
	return 0
}

// afterFirst spares a stream's first n packets: RFC 3550 counts loss from the
// first packet received, so a dropped first packet is rightly never "lost".
func afterFirst(n int, match func(uint16) bool) func(uint16) bool {
	seen := 0
	return func(seq uint16) bool {
		seen++
		return seen > n && match(seq)
	}
}

// The offerer's network drops exactly 15 of its audio packets (seq%10 == 3)
// and 10 of its video packets (seq%7 == 0). Audio has no NACK in pion's
// defaults, so all 15 stay lost; video is repaired by NACK + RTX.
func TestImpairedLossIsExact(t *testing.T) {
	inet, err := impairnet.New()
	if err != nil {
		t.Fatal(err)
	}
	var audioSSRC, videoSSRC uint32
	pair, off, ans, _ := call(t, peers.Config{OffererNet: inet}, 4*time.Second, func(p *peers.Pair) {
		audioSSRC = senderSSRC(t, p.Offerer, "audio")
		videoSSRC = senderSSRC(t, p.Offerer, "video")
		inet.AddDropRTP(audioSSRC, afterFirst(5, impairnet.SeqMod(10, 3)), 15)
		inet.AddDropRTP(videoSSRC, afterFirst(5, impairnet.SeqMod(7, 0)), 10)
	})
	droppedAudio := len(inet.Dropped(audioSSRC))
	droppedVideo := len(inet.Dropped(videoSSRC))
	if droppedAudio != 15 || droppedVideo != 10 {
		t.Fatalf("the wrapper dropped %d audio and %d video packets, want 15 and 10", droppedAudio, droppedVideo)
	}

	// Audio: the receiver's loss is exactly the drops, and so is what its
	// RR told the sender.
	ao := outbound(t, off, "audio")
	ai := inboundBySSRC(t, ans, audioSSRC)
	if *ai.PacketsLost != 15 {
		t.Errorf("audio packetsLost %d, want 15", *ai.PacketsLost)
	}
	if *ai.PacketsReceived != *ao.PacketsSent-15 {
		t.Errorf("audio received %d of %d sent with 15 dropped", *ai.PacketsReceived, *ao.PacketsSent)
	}
	ari := remoteInbound(t, off, ao)
	if *ari.PacketsLost != 15 || *ari.PacketsReceived != *ai.PacketsReceived {
		t.Errorf("audio remote-inbound lost %d received %d, want 15 and %d", *ari.PacketsLost, *ari.PacketsReceived, *ai.PacketsReceived)
	}

	// Settle waits for the RTCP counters only. The burst members decide a
	// missing packet collectors.BurstHold after a later one arrived (they
	// lag by up to 1 s), and the last drop can come less than that before
	// the media ends: read them once the hold has passed.
	time.Sleep(collectors.BurstHold + 100*time.Millisecond)
	lateOff, late, err := pair.Stats()
	if err != nil {
		t.Fatal(err)
	}
	ab, vb := inboundBySSRC(t, late, audioSSRC), inboundBySSRC(t, late, videoSSRC)

	// Bursts (RFC 3611, Gmin 16), by hand from the rule: the 15 audio drops
	// are 10 apart (6 across a wrap of the sequence number: 65536 = 6 mod
	// 10), at most 9 received between each, fewer than Gmin, so they are
	// one burst from the first drop to the last: 14×10+1 = 141 expected
	// (137 across a wrap), 15 lost, and no loss in the gaps.
	drops := inet.Dropped(audioSSRC)
	span := int(drops[len(drops)-1]-drops[0]) + 1 // uint16: wraps with the numbers
	if span != 141 && span != 137 {
		t.Fatalf("audio drops %v span %d sequence numbers, want 141 (137 across a wrap)", drops, span)
	}
	if ab.BurstLossCount == nil || *ab.BurstLossCount != 1 || *ab.BurstPacketsLost != 15 ||
		math.Abs(*ab.BurstLossRate-15.0/float64(span)) > 1e-12 || *ab.GapLossRate != 0 {
		t.Errorf("audio bursts: count %v lost %v rate %v gap rate %v, want 1, 15, 15/%d, 0",
			deref(ab.BurstLossCount), deref(ab.BurstPacketsLost), deref(ab.BurstLossRate), deref(ab.GapLossRate), span)
	}

	// Video: every drop was NACKed and repaired over RTX.
	vo := outbound(t, off, "video")
	vi := inboundBySSRC(t, ans, videoSSRC)
	if *vi.PacketsLost != 0 {
		t.Errorf("video packetsLost %d after RTX repair, want 0", *vi.PacketsLost)
	}
	// Each dropped packet is repaired by exactly one RTX packet. pion's NACK
	// generator never sees the repair (RTX is decapsulated after the
	// interceptors) and NACKs again; its responder then resends the same
	// RTX packet, same RTX sequence number, which SRTP replay protection
	// discards before any interceptor. So the sender counts every resend,
	// the receiver exactly one per drop.
	if vi.RetransmittedPacketsReceived == nil || *vi.RetransmittedPacketsReceived != 10 {
		t.Errorf("video retransmittedPacketsReceived %v, want 10", deref(vi.RetransmittedPacketsReceived))
	}
	if *vo.RetransmittedPacketsSent < 10 {
		t.Errorf("video retransmittedPacketsSent %d, want ≥ 10", *vo.RetransmittedPacketsSent)
	}
	firstHand := *vo.PacketsSent - *vo.RetransmittedPacketsSent
	if *vi.PacketsReceived != firstHand-10+10 {
		t.Errorf("video received %d (incl. RTX), sent %d first-hand with 10 dropped and repaired", *vi.PacketsReceived, firstHand)
	}
	if vo.RTXSSRC == nil || vi.RTXSSRC == nil || *vo.RTXSSRC != *vi.RTXSSRC {
		t.Errorf("rtxSsrc %v vs %v", vo.RTXSSRC, vi.RTXSSRC)
	}
	// Repaired in time, a drop is no loss for the burst metrics either.
	if vb.BurstLossCount == nil || *vb.BurstLossCount != 0 || *vb.BurstPacketsLost != 0 || *vb.GapLossRate != 0 {
		t.Errorf("video bursts after RTX repair: count %v lost %v gap rate %v, want 0",
			deref(vb.BurstLossCount), deref(vb.BurstPacketsLost), deref(vb.GapLossRate))
	}
	// NACKs: the receiver counts what it sent, the sender what it got.
	// From the later reports: the last NACK may still have been in flight.
	lvo := outbound(t, lateOff, "video")
	if *vb.NACKCount == 0 || *vb.NACKCount != *lvo.NACKCount {
		t.Errorf("nackCount sent %d, received %d", *vb.NACKCount, *lvo.NACKCount)
	}
	noViolations(t, "offerer", off)
	noViolations(t, "answerer", ans)
}

// The offerer's outgoing packets (RTP and RTCP) are delayed by 30 ms. Both
// peers' RTT crosses that path exactly once, so both must measure 30 ms:
// from their SRs (remote-inbound-rtp) and, with WithRTCPXR on both, from the
// DLRR answers to their RRTRs (remote-outbound-rtp). Without WithRTCPXR
// remote-outbound-rtp has no round-trip members.
//
// Every delay on the way only adds: a sample is never below 30 ms (less the
// 1/65536 s rounding of compact NTP), and a busy machine (the race detector,
// the browser tests beside) adds to some: CI once saw one round of 39 ms. So
// the ceiling is 30 ms + 10 ms + what the delay queue itself added (MaxLate).
// A wrong DLSR/DLRR, LSR or unit is off by far more.
func TestImpairedRTT(t *testing.T) {
	for _, xr := range []bool{false, true} {
		t.Run(fmt.Sprintf("xr=%v", xr), func(t *testing.T) { testImpairedRTT(t, xr) })
	}
}

func testImpairedRTT(t *testing.T, xr bool) {
	t.Helper()
	const delay = 30 * time.Millisecond
	inet, err := impairnet.New(impairnet.WithDelayClasses(impairnet.ClassRTP, impairnet.ClassRTCP))
	if err != nil {
		t.Fatal(err)
	}
	cfg := peers.Config{OffererNet: inet}
	if xr {
		cfg.FactoryOptions = []rtcstats.Option{rtcstats.WithRTCPXR()}
	}
	_, off, ans, _ := call(t, cfg, 4*time.Second, func(*peers.Pair) {
		inet.SetDelay(delay)
	})
	late := inet.Stats().ByClass[impairnet.ClassRTCP].MaxLate
	lo, hi := delay-time.Millisecond, delay+10*time.Millisecond+late
	t.Logf("RTCP sent at most %v after its due time; want round trips in [%v, %v]", late, lo, hi)
	check := func(what string, rtt, total *float64, n *uint64) {
		t.Helper()
		if rtt == nil || total == nil || n == nil || *n == 0 {
			t.Errorf("%s: no roundTripTime", what)
			return
		}
		got := time.Duration(*rtt * float64(time.Second))
		avg := time.Duration(*total / float64(*n) * float64(time.Second))
		t.Logf("%s: roundTripTime %v, average %v over %d samples", what, got, avg, *n)
		if got < lo || got > hi {
			t.Errorf("%s: roundTripTime %v, want %v (in [%v, %v])", what, got, delay, lo, hi)
		}
		// Every sample, not just the last, was on the delayed path.
		if avg < lo || avg > hi {
			t.Errorf("%s: average RTT %v over %d samples, want in [%v, %v]", what, avg, *n, lo, hi)
		}
	}
	for _, side := range []struct {
		name string
		r    report.Report
	}{{"offerer", off}, {"answerer", ans}} {
		name, r := side.name, side.r
		for _, kind := range []string{"audio", "video"} {
			ri := remoteInbound(t, r, outbound(t, r, kind))
			check(name+" "+kind+" remote-inbound", ri.RoundTripTime, ri.TotalRoundTripTime, ri.RoundTripTimeMeasurements)
			for _, in := range report.Filter[*report.InboundRTPStreamStats](r) {
				if in.Kind != kind {
					continue
				}
				ro := remoteOutbound(t, r, in)
				what := name + " " + kind + " remote-outbound"
				if !xr {
					if ro.RoundTripTime != nil || ro.TotalRoundTripTime != nil || ro.RoundTripTimeMeasurements != nil {
						t.Errorf("%s: round-trip members without WithRTCPXR: %v %v %v", what,
							deref(ro.RoundTripTime), deref(ro.TotalRoundTripTime), deref(ro.RoundTripTimeMeasurements))
					}
					continue
				}
				check(what, ro.RoundTripTime, ro.TotalRoundTripTime, ro.RoundTripTimeMeasurements)
			}
		}
	}
	noViolations(t, "offerer", off)
	noViolations(t, "answerer", ans)
}

func deref[T any](p *T) any {
	if p == nil {
		return "absent"
	}
	return *p
}
