package bench

import (
	"testing"

	"github.com/rtcstats/rtcstats/report"
)

// TestHarnessDrivesBoth checks that the benchmarks measure what they claim:
// every packet and RTCP batch reaches both implementations and is counted.
func TestHarnessDrivesBoth(t *testing.T) {
	for _, exts := range []bool{false, true} {
		s := open(t, impls[0]) // pion
		p := bindPair(t, s, exts)
		in, out := s.pion.Get(ssrcIn), s.pion.Get(ssrcOut)
		recv, sent := in.InboundRTPStreamStats.PacketsReceived, out.OutboundRTPStreamStats.PacketsSent
		for range 1000 {
			p.readRTP(t)
			p.writeRTP(t)
		}
		p.exchangeRTCP(t)
		in, out = s.pion.Get(ssrcIn), s.pion.Get(ssrcOut)
		if got := in.InboundRTPStreamStats.PacketsReceived - recv; got != 1000 {
			t.Errorf("pion exts=%v: %d packets received, want 1000", exts, got)
		}
		if got := out.OutboundRTPStreamStats.PacketsSent - sent; got != 1000 {
			t.Errorf("pion exts=%v: %d packets sent, want 1000", exts, got)
		}
		if in.InboundRTPStreamStats.PacketsLost != 0 || in.InboundRTPStreamStats.NACKCount == 0 ||
			out.OutboundRTPStreamStats.NACKCount == 0 || out.RemoteInboundRTPStreamStats.RoundTripTimeMeasurements == 0 {
			t.Errorf("pion exts=%v: inbound %+v outbound %+v", exts, in.InboundRTPStreamStats, out)
		}
	}

	// rtcstats, through GetStats on the PeerConnection statsEnv builds.
	const n = 10
	st, _ := statsEnv(t, impls[1], n)
	r := getStats(t, st)
	outs := report.Filter[*report.OutboundRTPStreamStats](r)
	ris := report.Filter[*report.RemoteInboundRTPStreamStats](r)
	if len(outs) != n || len(ris) != n {
		t.Fatalf("rtcstats: %d outbound-rtp, %d remote-inbound-rtp, want %d each", len(outs), len(ris), n)
	}
	for _, o := range outs {
		if *o.PacketsSent != 4 || *o.NACKCount != 1 {
			t.Errorf("rtcstats: outbound %d packets %d nacks", *o.PacketsSent, *o.NACKCount)
		}
	}
	for _, ri := range ris {
		if ri.RoundTripTime == nil {
			t.Errorf("rtcstats: remote-inbound without RTT")
		}
	}
	t.Logf("rtcstats report for %d+%d streams: %d objects (inbound-rtp objects need a track id, which an "+
		"unnegotiated PeerConnection does not have; they are snapshotted, then left out)", n, n, len(r))
}

// getStats calls GetStats on the PeerConnection of an rtcstats statsEnv.
func getStats(t *testing.T, st *streams) report.Report {
	t.Helper()
	if st.pc == nil {
		t.Fatal("no PeerConnection")
	}
	r, err := st.factory.GetStats(st.pc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
