package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats"
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

// TestHarnessRTCPIsFresh checks that the RTCP exchanges of the rtcp variant
// take the path of a live call: the peer's SRs are accepted (not discarded
// as stale) and every report block gives an RTT sample (not rejected or
// unmatched), for rtcstats by its debug log and its RTT count, for pion by
// its RTT count. Each batch has two blocks about our stream (in the SR and
// in the RR), so 1 + rounds exchanges give 2 × (1 + rounds) samples.
func TestHarnessRTCPIsFresh(t *testing.T) {
	const rounds = 30
	drive := func(p *pair) {
		for range rounds {
			for range rtcpEvery {
				p.readRTP(t)
			}
			p.exchangeRTCP(t)
		}
	}
	const want = 2 * (1 + rounds)

	var log bytes.Buffer
	f, err := rtcstats.NewFactory(rtcstats.WithLoggerFactory(&logging.DefaultLoggerFactory{
		Writer: &log, DefaultLogLevel: logging.LogLevelDebug,
	}))
	if err != nil {
		t.Fatal(err)
	}
	c := &capture{f: f}
	reg := &interceptor.Registry{}
	reg.Add(c)
	pc, err := webrtc.NewAPI(webrtc.WithInterceptorRegistry(reg)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	drive(bindPair(t, &subject{ic: c.got, rtcstats: f}, false))
	r, err := f.GetStats(pc)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"stale", "rejected", "did not see"} {
		if strings.Contains(log.String(), bad) {
			t.Errorf("rtcstats logged %q:\n%s", bad, log.String())
		}
	}
	ris := report.Filter[*report.RemoteInboundRTPStreamStats](r)
	if len(ris) != 1 || ris[0].RoundTripTimeMeasurements == nil || *ris[0].RoundTripTimeMeasurements != want {
		t.Errorf("rtcstats remote-inbound-rtp: %+v, want %d RTT samples", ris, want)
	}

	s := open(t, impls[0]) // pion
	drive(bindPair(t, s, false))
	deadline := time.Now().Add(5 * time.Second)
	for {
		// pion's recorder works in its own goroutine.
		got := s.pion.Get(ssrcOut).RemoteInboundRTPStreamStats.RoundTripTimeMeasurements
		if got == want {
			break
		}
		if got > want || time.Now().After(deadline) {
			t.Fatalf("pion: %d RTT samples, want %d", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}
