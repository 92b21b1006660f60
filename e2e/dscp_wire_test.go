//go:build linux

package e2e

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats/internal/netns"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/internal/wirecap"
	"github.com/rtcstats/rtcstats/report"
)

// selectedPorts returns the local ports of both peers' selected candidate pairs.
func selectedPorts(t *testing.T, p *peers.Pair) map[uint16]bool {
	t.Helper()
	ports := map[uint16]bool{}
	for _, peer := range []*peers.Peer{p.Offerer, p.Answerer} {
		sel, err := peer.PC.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
		if err != nil || sel == nil {
			t.Fatalf("%s: no selected candidate pair: %v", peer.Name, err)
		}
		ports[sel.Local.Port] = true
	}
	return ports
}

// wireRTP is an RTP packet as captured: its clear header and its DSCP.
type wireRTP struct {
	ssrc, ts uint32
	seq      uint16
	dscp     string
}

// parseWireRTP reads the clear RTP header of a captured UDP payload (RFC
// 3550 §5.1; RFC 5761 tells RTCP apart), without any code of ours.
func parseWireRTP(p wirecap.Packet) (wireRTP, bool) {
	b := p.Payload
	if len(b) < 12 || b[0] < 128 || b[0] > 191 || (b[1] >= 192 && b[1] <= 223) {
		return wireRTP{}, false
	}
	return wireRTP{
		ssrc: binary.BigEndian.Uint32(b[8:]), ts: binary.BigEndian.Uint32(b[4:]),
		seq: binary.BigEndian.Uint16(b[2:]), dscp: fmt.Sprint(p.TOS >> 2),
	}, true
}

// sentStream is an outbound stream as its sender's report describes it.
type sentStream struct {
	sender, kind string
	out          *report.OutboundRTPStreamStats
	in           *report.InboundRTPStreamStats // at the other peer
	reads        map[[2]uint32]bool            // (seq, ts) -> key frame, as the receiver read them
	wire         map[string]uint64
}

func sentStreams(t *testing.T, pair *peers.Pair, off, ans report.Report) (map[uint32]*sentStream, map[uint32]*sentStream) {
	t.Helper()
	byPrimary, bySSRC := map[uint32]*sentStream{}, map[uint32]*sentStream{}
	for _, side := range []struct {
		name     string
		snd, rcv report.Report
		rcvPeer  *peers.Peer
	}{{"offerer", off, ans, pair.Answerer}, {"answerer", ans, off, pair.Offerer}} {
		for _, kind := range []string{"audio", "video"} {
			o := outbound(t, side.snd, kind)
			s := &sentStream{
				sender: side.name, kind: kind, out: o, in: inboundBySSRC(t, side.rcv, o.SSRC),
				reads: map[[2]uint32]bool{}, wire: map[string]uint64{},
			}
			for _, r := range side.rcvPeer.Reads(webrtc.SSRC(o.SSRC)) {
				s.reads[[2]uint32{uint32(r.Seq), r.Timestamp}] = r.KeyFrame
			}
			byPrimary[o.SSRC], bySSRC[o.SSRC] = s, s
			if o.RTXSSRC != nil {
				bySSRC[*o.RTXSSRC] = s
			}
		}
	}
	return byPrimary, bySSRC
}

// TestDSCPOnTheWire proves the marks with a packet capture on loopback, not
// with our own receive path: every RTP packet leaves with the DSCP the
// policy gives its stream and frame, and the per-SSRC totals on the wire
// equal perDscpPacketsSent and the peer's perDscpPacketsReceived exactly.
func TestDSCPOnTheWire(t *testing.T) {
	netns.RequireRoot(t)
	var capture *wirecap.Capture
	pair, off, ans, _ := call(t, dscpConfig(), 3*time.Second, func(p *peers.Pair) {
		ports := selectedPorts(t, p)
		var err error
		capture, err = wirecap.Start("lo", func(pk wirecap.Packet) bool {
			return ports[pk.Src.Port()] && ports[pk.Dst.Port()]
		})
		if err != nil {
			t.Fatalf("capture: %v", err)
		}
	})
	pkts, st, err := capture.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if st.Drops != 0 {
		t.Fatalf("the kernel dropped %d captured packets: the proof is incomplete", st.Drops)
	}
	byPrimary, bySSRC := sentStreams(t, pair, off, ans)

	var rtp, wrong int
	for _, p := range pkts {
		w, ok := parseWireRTP(p)
		if !ok {
			continue
		}
		rtp++
		s := bySSRC[w.ssrc]
		if s == nil {
			t.Errorf("captured RTP of unknown SSRC %d", w.ssrc)
			continue
		}
		s.wire[w.dscp]++
		if w.ssrc != s.out.SSRC {
			continue // a retransmission: its original's frame is not in its header
		}
		key, read := s.reads[[2]uint32{uint32(w.seq), w.ts}]
		if s.kind == "video" && !read {
			t.Errorf("%s video seq %d on the wire was never read by the receiver", s.sender, w.seq)
			continue
		}
		if want := expectedDSCP(s.sender, s.kind, key); w.dscp != want {
			if wrong++; wrong <= 10 {
				t.Errorf("%s %s seq %d (key frame %v): DSCP %s on the wire, policy %s", s.sender, s.kind, w.seq, key, w.dscp, want)
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d RTP packets carried the wrong DSCP", wrong, rtp)
	}
	for ssrc, s := range byPrimary {
		tag := fmt.Sprintf("%s %s (SSRC %d)", s.sender, s.kind, ssrc)
		if !maps.Equal(s.wire, s.out.PerDSCPPacketsSent) {
			t.Errorf("%s: on the wire %v, perDscpPacketsSent %v", tag, s.wire, s.out.PerDSCPPacketsSent)
		}
		if !maps.Equal(s.wire, s.in.PerDSCPPacketsReceived) {
			t.Errorf("%s: on the wire %v, peer's perDscpPacketsReceived %v", tag, s.wire, s.in.PerDSCPPacketsReceived)
		}
		t.Logf("%s: %v", tag, s.wire)
	}
	if rtp == 0 {
		t.Fatal("no RTP captured")
	}
}

// TestDSCPRemarkedOnPath runs the call between two network namespaces
// joined by a veth pair; an nftables rule on the offerer's side rewrites the
// DSCP of everything it sends to CS1. The offerer's perDscpPacketsSent shows
// what it marked, the answerer's perDscpPacketsReceived what arrived, and
// the other direction is untouched.
func TestDSCPRemarkedOnPath(t *testing.T) {
	ns := netns.New(t)
	netns.Require(t, "nft")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := ns.A.NFT(ctx, `table inet rtcs_remark {
	chain post {
		type filter hook postrouting priority mangle; policy accept;
		meta l4proto udp ip dscp set cs1
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	cfg := dscpConfig()
	cfg.OffererNet, cfg.AnswererNet = ns.A.Net(), ns.B.Net()
	cfg.Setup = func(_ *webrtc.MediaEngine, s *webrtc.SettingEngine) error {
		s.SetIncludeLoopbackCandidate(false)
		s.SetIPFilter(func(ip net.IP) bool {
			a, ok := netip.AddrFromSlice(ip)
			return ok && (a.Unmap() == ns.A.Addr || a.Unmap() == ns.B.Addr)
		})
		s.SetInterfaceFilter(func(name string) bool { return strings.HasPrefix(name, "veth") })
		return nil
	}
	pair, off, ans, _ := call(t, cfg, 3*time.Second)
	byPrimary, _ := sentStreams(t, pair, off, ans)
	for ssrc, s := range byPrimary {
		tag := fmt.Sprintf("%s %s (SSRC %d)", s.sender, s.kind, ssrc)
		sent, recv := s.out.PerDSCPPacketsSent, s.in.PerDSCPPacketsReceived
		var want map[string]uint64
		if s.sender == "offerer" {
			want = map[string]uint64{"8": sum(sent)} // all rewritten to CS1
			if _, ok := sent["8"]; ok || len(sent) == 0 {
				t.Errorf("%s: perDscpPacketsSent %v should show the original marks", tag, sent)
			}
		} else {
			want = sent // not rewritten
		}
		if !maps.Equal(recv, want) {
			t.Errorf("%s: sent %v, received %v, want received %v", tag, sent, recv, want)
		}
		t.Logf("%s: sent %v received %v", tag, sent, recv)
	}
	if got := transportOf(t, ans).PerDSCPSCTPPacketsReceived; len(got) != 1 || got["8"] == 0 {
		t.Errorf("answerer SCTP received %v, want all under 8", got)
	}
}
