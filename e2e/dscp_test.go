package e2e

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/dscp"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

// The policy of the DSCP tests, and what RFC 8837 Table 1 makes of it,
// worked by hand:
//
//	audio, high (both peers)            EF   46
//	offerer video, medium (kind default) key frames AF42 36, others AF43 38
//	answerer video, high (track id)      key frames AF41 34, others AF42 36
//	data channels, medium                AF11 10
//	STUN and DTLS handshake              DF    0
func dscpConfig() peers.Config {
	return peers.Config{FactoryOptions: []rtcstats.Option{rtcstats.WithDSCP(
		dscp.WithKindPriority(dscp.KindAudio, dscp.PriorityHigh),
		dscp.WithKindPriority(dscp.KindVideo, dscp.PriorityMedium),
		dscp.WithTrackPriority("video-answerer", dscp.PriorityHigh),
		dscp.WithDataChannelPriority(dscp.PriorityMedium),
	)}}
}

// expectedDSCP is the code point (as a record key) of a packet of a peer's
// stream, from the table above.
func expectedDSCP(peer, kind string, keyFrame bool) string {
	switch {
	case kind == "audio":
		return "46"
	case peer == "offerer" && keyFrame:
		return "36"
	case peer == "offerer":
		return "38"
	case keyFrame:
		return "34"
	}
	return "36"
}

// expectedVideoCounts counts, from the packets the receiving application
// read and its own VP8 depacketizer's verdict on each, how many packets of
// each DSCP the sender's policy calls for.
func expectedVideoCounts(sender string, reads []peers.Read) map[string]uint64 {
	want := map[string]uint64{}
	for _, r := range reads {
		want[expectedDSCP(sender, "video", r.KeyFrame)]++
	}
	return want
}

func sum(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

func transportOf(t *testing.T, r report.Report) *report.TransportStats {
	t.Helper()
	ts := report.Filter[*report.TransportStats](r)
	if len(ts) != 1 {
		t.Fatalf("%d transports", len(ts))
	}
	return ts[0]
}

// TestDSCPLoopback: two peers mark per RFC 8837 and count at the socket.
// Every RTP packet is counted under the value the policy gives its stream
// and frame, on both sides, and the sender's and receiver's records agree
// exactly.
func TestDSCPLoopback(t *testing.T) {
	pair, off, ans, _ := call(t, dscpConfig(), 3*time.Second)
	noViolations(t, "offerer", off)
	noViolations(t, "answerer", ans)
	checkRTPMarks(t, pair, off, ans)

	// Datagrams other than RTP, per class, from the transport's extension
	// members: each class carries its one value, and what one peer sent
	// the other received.
	to, ta := transportOf(t, off), transportOf(t, ans)
	for _, c := range []struct {
		name           string
		sent, received map[string]uint64
		peerReceived   map[string]uint64
		keys           []string
	}{
		{"SCTP offerer→answerer", to.PerDSCPSCTPPacketsSent, nil, ta.PerDSCPSCTPPacketsReceived, []string{"10"}},
		{"SCTP answerer→offerer", ta.PerDSCPSCTPPacketsSent, nil, to.PerDSCPSCTPPacketsReceived, []string{"10"}},
		{"STUN offerer", to.PerDSCPSTUNPacketsSent, to.PerDSCPSTUNPacketsReceived, nil, []string{"0"}},
		{"DTLS offerer", to.PerDSCPDTLSPacketsSent, to.PerDSCPDTLSPacketsReceived, nil, []string{"0"}},
	} {
		if got := slices.Sorted(maps.Keys(c.sent)); !slices.Equal(got, c.keys) {
			t.Errorf("%s: sent under DSCPs %v (%v), want %v", c.name, got, c.sent, c.keys)
		}
		if c.received != nil && !slices.Equal(slices.Sorted(maps.Keys(c.received)), c.keys) {
			t.Errorf("%s: received under DSCPs %v, want %v", c.name, c.received, c.keys)
		}
		// SCTP keeps talking (SACKs, heartbeats) after media stops: a
		// datagram may cross between the two peers' snapshots.
		if c.peerReceived != nil {
			for k, v := range c.sent {
				if d := int64(v) - int64(c.peerReceived[k]); d < -2 || d > 2 || len(c.peerReceived) != len(c.sent) {
					t.Errorf("%s: sent %v, peer received %v", c.name, c.sent, c.peerReceived)
				}
			}
		}
	}
	// RTCP is marked like the stream it reports on (lower drop precedence).
	for name, tr := range map[string]*report.TransportStats{"offerer": to, "answerer": ta} {
		for k := range tr.PerDSCPRTCPPacketsSent {
			if !slices.Contains([]string{"46", "36", "34"}, k) {
				t.Errorf("%s: RTCP sent under DSCP %s: %v", name, k, tr.PerDSCPRTCPPacketsSent)
			}
		}
		if len(tr.PerDSCPRTCPPacketsSent) == 0 {
			t.Errorf("%s: no RTCP counted", name)
		}
	}
}

// checkRTPMarks checks every RTP stream of a settled DSCP call: counted
// under the value the policy gives its stream and frame, and the sender's
// and receiver's records equal.
func checkRTPMarks(t *testing.T, pair *peers.Pair, off, ans report.Report) {
	t.Helper()
	for _, side := range []struct {
		sender   string
		snd, rcv report.Report
		rcvPeer  *peers.Peer
	}{{"offerer", off, ans, pair.Answerer}, {"answerer", ans, off, pair.Offerer}} {
		for _, kind := range []string{"audio", "video"} {
			o := outbound(t, side.snd, kind)
			in := inboundBySSRC(t, side.rcv, o.SSRC)
			tag := side.sender + " " + kind
			sent, recv := o.PerDSCPPacketsSent, in.PerDSCPPacketsReceived
			if !maps.Equal(sent, recv) {
				t.Errorf("%s: perDscpPacketsSent %v, receiver's perDscpPacketsReceived %v", tag, sent, recv)
			}
			if sum(sent) != *o.PacketsSent {
				t.Errorf("%s: %d packets per DSCP, packetsSent %d", tag, sum(sent), *o.PacketsSent)
			}
			var want map[string]uint64
			if kind == "audio" {
				want = map[string]uint64{"46": *o.PacketsSent}
			} else {
				want = expectedVideoCounts(side.sender, side.rcvPeer.Reads(webrtc.SSRC(o.SSRC)))
				if len(want) != 2 {
					t.Errorf("%s: the call should hold key and delta frames, got %v", tag, want)
				}
			}
			if !maps.Equal(sent, want) {
				t.Errorf("%s: perDscpPacketsSent %v, policy applied to the packets the receiver read %v", tag, sent, want)
			}
		}
	}
}

// TestDSCPUnderUDPMux: the same marks and counts when each peer's one
// socket sits under pion's UDPMux, wrapped with Marker.NewConn.
func TestDSCPUnderUDPMux(t *testing.T) {
	cfg := dscpConfig()
	cfg.UDPMux = true
	pair, off, ans, _ := call(t, cfg, 2*time.Second)
	noViolations(t, "offerer", off)
	checkRTPMarks(t, pair, off, ans)
	// A mux socket carries many PeerConnections: its per-class totals
	// cannot be split by transport, so they are left out.
	if tr := transportOf(t, off); tr.PerDSCPSTUNPacketsSent != nil {
		t.Errorf("transport totals of a shared socket reported: %v", tr.PerDSCPSTUNPacketsSent)
	}
}
