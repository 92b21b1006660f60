package collectors

import (
	"math"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// RFC 3611 4.5 worked by hand: our RRTR leaves at t0 carrying NTP time W;
// the sender holds it 0.5 s (DLRR 32768/65536 s) and its SR and DLRR arrive
// at t0+600 ms, so the round trip is 600 - 500 = 100 ms.
func TestInboundDLRRRoundTrip(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", RemoteID: "RO1", SSRC: 5, Kind: "audio", ClockRate: 48000})
	var log RRTRLog
	wall := time.Unix(1700000000, 0)
	ntp := rtpx.TimeToNTP(wall)
	lrr := uint32(ntp >> 16) // the middle 32 bits, by hand
	sr := func(at time.Time, packets uint32) {
		t.Helper()
		if !s.OnSenderReport(at, rtpx.TimeToNTP(at), packets, packets*100) {
			t.Fatal("SR refused")
		}
	}
	dlrr := func(at time.Time, b DLRRBlock) RTTResult {
		t.Helper()
		sent, ok := log.Match(b)
		if !ok {
			return RTTUnmatched
		}
		return s.OnDLRR(at, sent, b)
	}
	ro := func() (rtt *float64, total float64, n uint64) {
		t.Helper()
		r := s.Snapshot(t0.Add(time.Hour)).Remote
		if r == nil || r.TotalRoundTripTime == nil || r.RoundTripTimeMeasurements == nil {
			t.Fatal("round-trip counters missing")
		}
		return r.RoundTripTime, *r.TotalRoundTripTime, *r.RoundTripTimeMeasurements
	}

	sr(t0, 1)
	if r := s.Snapshot(t0).Remote; r.TotalRoundTripTime != nil || r.RoundTripTime != nil {
		t.Fatal("round-trip members before any RRTR was sent: the peer cannot measure them")
	}
	log.Sent(t0, ntp, 0xAAAA)
	s.OnRRTRSent()
	if rtt, total, n := ro(); rtt != nil || total != 0 || n != 0 {
		t.Fatalf("before an answer: rtt %v total %v n %d", rtt, total, n)
	}

	at := t0.Add(600 * time.Millisecond)
	sr(at, 2)
	if res := dlrr(at, DLRRBlock{SSRC: 0xBBBB, LastRR: lrr, DLRR: 1}); res != RTTUnmatched {
		t.Fatalf("another receiver's answer: %v", res)
	}
	if res := dlrr(at, DLRRBlock{SSRC: 0xAAAA, LastRR: lrr, DLRR: 32768}); res != RTTMeasured {
		t.Fatalf("DLRR: %v", res)
	}
	rtt, total, n := ro()
	if rtt == nil || math.Abs(*rtt-0.100) > 1e-9 || math.Abs(total-0.100) > 1e-9 || n != 1 {
		t.Fatalf("rtt %v total %v n %d, want 0.1 s once", rtt, total, n)
	}

	// The spec: roundTripTime does not exist when the latest SR has no
	// DLRR, or one with LRR or DLRR zero; the cumulative members stay.
	sr(t0.Add(time.Second), 3)
	if rtt, total, n := ro(); rtt != nil || math.Abs(total-0.100) > 1e-9 || n != 1 {
		t.Fatalf("after an SR without DLRR: rtt %v total %v n %d", rtt, total, n)
	}
	if res := s.OnDLRR(t0.Add(2*time.Second), t0, DLRRBlock{SSRC: 0xAAAA, LastRR: lrr, DLRR: 0}); res != RTTNone {
		t.Fatalf("DLRR 0: %v", res)
	}
	if res := s.OnDLRR(t0.Add(2*time.Second), t0, DLRRBlock{SSRC: 0xAAAA, LastRR: 0, DLRR: 5}); res != RTTNone {
		t.Fatalf("LRR 0: %v", res)
	}
	// A round trip that comes out negative: held longer than it took.
	if res := dlrr(t0.Add(100*time.Millisecond), DLRRBlock{SSRC: 0xAAAA, LastRR: lrr, DLRR: 32768}); res != RTTRejected {
		t.Fatalf("negative round trip: %v", res)
	}
	if rtt, _, n := ro(); rtt != nil || n != 1 {
		t.Fatal("a refused sample counted")
	}
	// A second good sample: sent at t0+5s, held 0.25 s, back at t0+5.3s.
	ntp2 := rtpx.TimeToNTP(wall.Add(5 * time.Second))
	log.Sent(t0.Add(5*time.Second), ntp2, 0xAAAA)
	at = t0.Add(5300 * time.Millisecond)
	sr(at, 7)
	if res := dlrr(at, DLRRBlock{SSRC: 0xAAAA, LastRR: uint32(ntp2 >> 16), DLRR: 16384}); res != RTTMeasured {
		t.Fatalf("second DLRR: %v", res)
	}
	if rtt, total, n := ro(); rtt == nil || math.Abs(*rtt-0.050) > 1e-9 || math.Abs(total-0.150) > 1e-9 || n != 2 {
		t.Fatalf("rtt %v total %v n %d, want 0.05, 0.15, 2", rtt, total, n)
	}
}

func TestRRTRLogForgets(t *testing.T) {
	var log RRTRLog
	for k := range rrtrLogLen + 1 {
		log.Sent(t0.Add(time.Duration(k)*time.Second), uint64(k+1)<<32, 1)
	}
	if _, ok := log.Match(DLRRBlock{SSRC: 1, LastRR: 1 << 16}); ok {
		t.Fatal("the oldest RRTR is still matched after rrtrLogLen newer ones")
	}
	if at, ok := log.Match(DLRRBlock{SSRC: 1, LastRR: 2 << 16}); !ok || !at.Equal(t0.Add(time.Second)) {
		t.Fatalf("second RRTR: %v %v", at, ok)
	}
}

func TestRRTRAnswers(t *testing.T) {
	var a RRTRAnswers
	if got := a.AppendDLRR(nil, t0); len(got) != 0 {
		t.Fatalf("answers before any RRTR: %v", got)
	}
	ntp := rtpx.TimeToNTP(time.Unix(1700000000, 500_000_000))
	a.OnRRTR(t0, 7, ntp)
	// 250 ms later: DLRR = 0.25 × 65536 = 16384; LRR = NTP's middle bits.
	got := a.AppendDLRR(nil, t0.Add(250*time.Millisecond))
	want := DLRRBlock{SSRC: 7, LastRR: uint32(ntp >> 16), DLRR: 16384}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %v, want %v", got, want)
	}
	// A newer RRTR from the same receiver replaces the old one.
	ntp2 := ntp + 1<<32
	a.OnRRTR(t0.Add(time.Second), 7, ntp2)
	if answers := a.AppendDLRR(nil, t0.Add(time.Second)); len(answers) != 1 || answers[0].LastRR != uint32(ntp2>>16) || answers[0].DLRR != 0 {
		t.Fatalf("after a newer RRTR: %v", answers)
	}
	// The table holds four receivers; a fifth waits until one goes quiet.
	for r := uint32(8); r <= 10; r++ {
		if !a.OnRRTR(t0.Add(time.Second), r, ntp2) {
			t.Fatalf("receiver %d refused", r)
		}
	}
	if a.OnRRTR(t0.Add(time.Second), 11, ntp2) {
		t.Fatal("a fifth receiver taken")
	}
	if answers := a.AppendDLRR(nil, t0.Add(time.Second)); len(answers) != maxRRTRReporters {
		t.Fatalf("%d answers, want %d", len(answers), maxRRTRReporters)
	}
	if !a.OnRRTR(t0.Add(40*time.Second), 12, ntp2) { // the others are 39 s old: gone
		t.Fatal("no room after the others went quiet")
	}
	got = a.AppendDLRR(nil, t0.Add(40*time.Second))
	if len(got) != 1 || got[0].SSRC != 12 {
		t.Fatalf("after 40 s: %v", got)
	}
}

func TestAverageRTCPInterval(t *testing.T) {
	in := NewInbound(InboundConfig{ID: "IT1", SSRC: 5, Kind: "audio", ClockRate: 48000})
	out := NewOutbound(OutboundConfig{ID: "OT1", SSRC: 6, Kind: "audio", ClockRate: 48000})
	if in.Snapshot(t0).Inbound.AverageRTCPInterval != nil || out.Snapshot(t0).Outbound.AverageRTCPInterval != nil {
		t.Fatal("averageRtcpInterval before two reports")
	}
	// Reports at 0, 0.9, 2.1 and 3.0 s: three intervals over 3 s = 1 s.
	for _, ms := range []int{0, 900, 2100, 3000} {
		at := t0.Add(time.Duration(ms) * time.Millisecond)
		in.OnReportSent(at)
		out.OnSenderReportSent(at, rtpx.TimeToNTP(at))
	}
	if got := *in.Snapshot(t0).Inbound.AverageRTCPInterval; math.Abs(got-1) > 1e-9 {
		t.Fatalf("inbound %v, want 1 s", got)
	}
	if got := *out.Snapshot(t0).Outbound.AverageRTCPInterval; math.Abs(got-1) > 1e-9 {
		t.Fatalf("outbound %v, want 1 s", got)
	}
}
