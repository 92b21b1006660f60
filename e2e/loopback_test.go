package e2e

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

// Two peers, no impairment: every count on one side must equal the count on
// the other side, and the counts must equal what the application read.
func TestLoopbackCrossPeerConsistency(t *testing.T) {
	pair, off, ans, _ := call(t, peers.Config{}, 3*time.Second)

	for _, side := range []struct {
		name     string
		snd, rcv report.Report
		rcvPeer  *peers.Peer
	}{{"offerer→answerer", off, ans, pair.Answerer}, {"answerer→offerer", ans, off, pair.Offerer}} {
		for _, kind := range []string{"audio", "video"} {
			o := outbound(t, side.snd, kind)
			in := inboundBySSRC(t, side.rcv, o.SSRC)
			tag := side.name + " " + kind
			// Lossless loopback: nothing was retransmitted, everything arrived.
			if *o.RetransmittedPacketsSent != 0 {
				t.Errorf("%s: %d retransmissions on a lossless path", tag, *o.RetransmittedPacketsSent)
			}
			if *o.PacketsSent != *in.PacketsReceived || *o.BytesSent != *in.BytesReceived ||
				*o.HeaderBytesSent != *in.HeaderBytesReceived {
				t.Errorf("%s: sent %d pkts/%d B/%d hdr B, received %d/%d/%d", tag,
					*o.PacketsSent, *o.BytesSent, *o.HeaderBytesSent,
					*in.PacketsReceived, *in.BytesReceived, *in.HeaderBytesReceived)
			}
			// The application's own count of packets read from the track.
			if got := side.rcvPeer.RTPRead(o.SSRC); got != *in.PacketsReceived {
				t.Errorf("%s: application read %d packets, inbound-rtp says %d", tag, got, *in.PacketsReceived)
			}
			if *in.PacketsLost != 0 || *in.PacketsDuplicated != 0 {
				t.Errorf("%s: lost %d duplicated %d", tag, *in.PacketsLost, *in.PacketsDuplicated)
			}

			// The receiver's view of our stream, from its last RR, matches
			// what the receiver itself counted (settled: no packets in flight).
			ri := remoteInbound(t, side.snd, o)
			if *ri.PacketsReceived != *in.PacketsReceived || *ri.PacketsLost != *in.PacketsLost || *ri.FractionLost != 0 {
				t.Errorf("%s: remote-inbound received %d lost %d, inbound-rtp %d/%d", tag,
					*ri.PacketsReceived, *ri.PacketsLost, *in.PacketsReceived, *in.PacketsLost)
			}
			// pion's report interceptor computes the RR jitter itself; both
			// follow RFC 3550 on the same packets, a few tenths of a ms.
			if in.Jitter == nil || ri.Jitter == nil || math.Abs(*in.Jitter-*ri.Jitter) > 0.002 {
				t.Errorf("%s: jitter ours %v, reported by the receiver's RR %v", tag, in.Jitter, ri.Jitter)
			}
			if ri.RoundTripTime == nil || *ri.RoundTripTime <= 0 || *ri.RoundTripTime > 0.05 {
				t.Errorf("%s: roundTripTime %v on loopback", tag, ri.RoundTripTime)
			}
			if *ri.RoundTripTimeMeasurements == 0 || *ri.TotalRoundTripTime < *ri.RoundTripTime {
				t.Errorf("%s: %d RTT measurements totalling %v", tag, *ri.RoundTripTimeMeasurements, *ri.TotalRoundTripTime)
			}

			// The sender's view from its last SR, seen by the receiver: SRs
			// count first-hand packets and payload octets.
			ro := remoteOutbound(t, side.rcv, in)
			if *ro.PacketsSent != *o.PacketsSent || *ro.BytesSent != *o.BytesSent {
				t.Errorf("%s: remote-outbound %d pkts/%d B, sender counted %d/%d", tag,
					*ro.PacketsSent, *ro.BytesSent, *o.PacketsSent, *o.BytesSent)
			}
			if *ro.ReportsSent == 0 || ro.RemoteTimestamp == nil || math.Abs(*ro.RemoteTimestamp-ro.Timestamp) > 1000 {
				t.Errorf("%s: reportsSent %d remoteTimestamp %v arrival %v", tag, *ro.ReportsSent, ro.RemoteTimestamp, ro.Timestamp)
			}
			if o.Mid == nil || in.Mid == nil || *o.Mid != *in.Mid {
				t.Errorf("%s: mid %v vs %v", tag, o.Mid, in.Mid)
			}
		}
	}
	noViolations(t, "offerer", off)
	noViolations(t, "answerer", ans)
}

// Every type the report must hold, ids stable across calls, and the JSON
// round trip loses nothing.
func TestLoopbackReportShape(t *testing.T) {
	pair, off, _, _ := call(t, peers.Config{}, 2*time.Second)

	want := []report.Type{
		report.TypeCodec, report.TypeInboundRTP, report.TypeOutboundRTP,
		report.TypeRemoteInboundRTP, report.TypeRemoteOutboundRTP, report.TypeTransport,
		report.TypeCandidatePair, report.TypeLocalCandidate, report.TypeRemoteCandidate,
		report.TypeCertificate, report.TypePeerConnection, report.TypeDataChannel,
	}
	have := map[report.Type]int{}
	for _, s := range off {
		have[s.StatsType()]++
	}
	for _, ty := range want {
		if have[ty] == 0 {
			t.Errorf("no %s object in the report", ty)
		}
	}

	again, err := pair.Factory.GetStats(pair.Offerer.PC)
	if err != nil {
		t.Fatal(err)
	}
	for id, s := range off {
		s2, ok := again[id]
		if !ok {
			t.Errorf("id %s (%s) missing from the second report", id, s.StatsType())
			continue
		}
		if s2.StatsType() != s.StatsType() {
			t.Errorf("id %s changed type", id)
		}
	}
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](again) {
		if *o.PacketsSent < *off[o.ID].(*report.OutboundRTPStreamStats).PacketsSent {
			t.Errorf("packetsSent went backwards for %s", o.ID)
		}
	}

	b, err := json.Marshal(off)
	if err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("JSON round trip changed the report:\n%s\n%s", b, b2)
	}
	if _, v, err := report.ValidateJSON(b); err != nil || len(v) > 0 {
		t.Errorf("ValidateJSON: %v %v", err, v)
	}

	// Kind rules, checked directly as well as by Validate.
	for _, in := range report.Filter[*report.InboundRTPStreamStats](off) {
		if in.Kind == "audio" && (in.PLICount != nil || in.FIRCount != nil || in.FramesReceived != nil) {
			t.Errorf("audio inbound %s has video-only members", in.ID)
		}
		if in.Kind == "video" && (in.PLICount == nil || in.FIRCount == nil) {
			t.Errorf("video inbound %s lacks pliCount/firCount", in.ID)
		}
	}
}
