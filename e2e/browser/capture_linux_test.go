//go:build linux

package browser

import (
	"encoding/binary"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"testing"

	"github.com/rtcstats/rtcstats/internal/wirecap"
	"github.com/rtcstats/rtcstats/report"
)

// wireCapture is an AF_PACKET capture of the RTP on loopback, started
// before the browser connects so that it sees every packet of the call.
type wireCapture struct{ c *wirecap.Capture }

// startWireCapture starts capturing, or returns nil when not root.
func startWireCapture(t *testing.T) *wireCapture {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	// pion's port is known only once it answers; keep all RTP on lo and
	// pick the call's packets by that port afterwards.
	c, err := wirecap.Start("lo", func(p wirecap.Packet) bool {
		_, ok := wireSSRC(p.Payload)
		return ok
	})
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	t.Cleanup(func() { _, _, _ = c.Stop() })
	return &wireCapture{c: c}
}

// wireSSRC reads the SSRC of an RTP packet from its clear header (RFC 3550
// §5.1; RFC 5761 tells RTCP apart), without any code of ours.
func wireSSRC(b []byte) (uint32, bool) {
	if len(b) < 12 || b[0] < 128 || b[0] > 191 || (b[1] >= 192 && b[1] <= 223) {
		return 0, false
	}
	return binary.BigEndian.Uint32(b[8:]), true
}

// onTheWire: with media stopped on both sides, the DSCP of every RTP packet
// on loopback between pion's and Chromium's sockets, counted per stream,
// equals our perDscpPacketsSent (what pion marked) and our
// perDscpPacketsReceived (what Chromium marked) exactly. Our marks are the
// policy's: audio EF, video AF42/AF43. Chromium reports no DSCP in its
// getStats, so the capture is the only witness that our marks reach it.
func (in *interop) onTheWire(t *testing.T, wc *wireCapture) {
	t.Helper()
	pkts, st, err := wc.c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if st.Drops != 0 {
		t.Fatalf("the kernel dropped %d captured packets: the proof is incomplete", st.Drops)
	}
	after := in.c.ours()
	pair, err := in.c.sess.PC.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("no selected candidate pair: %v", err)
	}
	// pion has one socket, on 127.0.0.1. Chromium may send to it from its
	// host candidate on another interface's address (192.0.2.2 here); the
	// kernel delivers that over lo as well, so the call is identified by
	// pion's address alone.
	pion := netip.AddrPortFrom(netip.MustParseAddr(pair.Local.Address), pair.Local.Port)

	type stream struct {
		name     string
		fromPion bool
		counted  func(report.Report) map[string]uint64
		wire     map[string]uint64
		allowed  map[string]bool // nil: anything
	}
	streams := map[uint32]*stream{}
	add := func(s *stream, ssrcs ...*uint32) {
		for _, p := range ssrcs {
			if p != nil {
				streams[*p] = s
			}
		}
	}
	for _, kind := range []string{"audio", "video"} {
		o, ok := outboundKind(in.final, kind)
		if !ok {
			t.Fatalf("no %s outbound-rtp", kind)
		}
		ssrc := o.SSRC
		allowed := map[string]bool{"46": true}
		if kind == "video" {
			allowed = map[string]bool{"36": true, "38": true}
		}
		add(&stream{
			name: "pion " + kind, fromPion: true, wire: map[string]uint64{}, allowed: allowed,
			counted: func(r report.Report) map[string]uint64 {
				s, _ := perDSCP[*report.OutboundRTPStreamStats](r, ssrc)
				return s
			},
		}, &ssrc, o.RTXSSRC)
		co, ok := outboundKind(in.browserFinal, kind)
		if !ok {
			t.Fatalf("Chromium has no %s outbound-rtp", kind)
		}
		cssrc := co.SSRC
		add(&stream{
			name: "Chromium " + kind, wire: map[string]uint64{},
			counted: func(r report.Report) map[string]uint64 {
				s, _ := perDSCP[*report.InboundRTPStreamStats](r, cssrc)
				return s
			},
		}, &cssrc, co.RTXSSRC)
	}
	var n int
	for _, p := range pkts {
		if p.Src != pion && p.Dst != pion {
			continue
		}
		ssrc, _ := wireSSRC(p.Payload)
		s := streams[ssrc]
		if s == nil {
			t.Errorf("RTP of unknown SSRC %d on the wire", ssrc)
			continue
		}
		if s.fromPion != (p.Src == pion) {
			t.Errorf("%s: SSRC %d in the wrong direction", s.name, ssrc)
			continue
		}
		s.wire[fmt.Sprint(p.TOS>>2)]++
		n++
	}
	if n == 0 {
		for i, p := range pkts {
			if i < 5 {
				t.Logf("captured %v -> %v", p.Src, p.Dst)
			}
		}
		t.Fatalf("none of %d captured RTP packets is to or from pion at %v", len(pkts), pion)
	}
	seen := map[*stream]bool{}
	for _, s := range streams {
		if seen[s] {
			continue
		}
		seen[s] = true
		before, later := s.counted(in.final), s.counted(after)
		t.Logf("%s: on the wire %v; counted %v", s.name, s.wire, later)
		if !maps.Equal(s.wire, before) && !maps.Equal(s.wire, later) {
			t.Errorf("%s: on the wire %v, our per-DSCP counters %v (before the capture stopped) and %v (after)", s.name, s.wire, before, later)
		}
		for k := range s.wire {
			if s.allowed != nil && !s.allowed[k] {
				t.Errorf("%s: %d packets with DSCP %s on the wire; policy allows %v", s.name, s.wire[k], k, s.allowed)
			}
		}
	}
}

// perDSCP returns the per-DSCP counts of the stream of type T with ssrc.
func perDSCP[T report.Stats](r report.Report, ssrc uint32) (map[string]uint64, bool) {
	s, ok := bySSRC[T](r, ssrc)
	if !ok {
		return nil, false
	}
	switch x := any(s).(type) {
	case *report.OutboundRTPStreamStats:
		return x.PerDSCPPacketsSent, true
	case *report.InboundRTPStreamStats:
		return x.PerDSCPPacketsReceived, true
	}
	return nil, false
}
