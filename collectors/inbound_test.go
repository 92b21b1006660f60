package collectors

import (
	"math"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

var t0 = time.Unix(1700000000, 0)

func hdr(seq uint16, ts uint32) *rtpx.Header {
	return &rtpx.Header{PayloadType: 96, Sequence: seq, Timestamp: ts, SSRC: 1, HeaderLen: 12, PayloadLen: 100}
}

// Five packets 20 ms apart at 90 kHz (1800 ticks each); the third arrives
// 10 ms (900 ticks) late. Worked by hand from RFC 3550 A.8, J += (|D|-J)/16:
//
//	p1: D = 0           J = 0
//	p2: D = 900         J = 900/16                  = 56.25
//	p3: D = -900 -> 900 J = 56.25 + (900-56.25)/16  = 108.984375
//	p4: D = 0           J = 108.984375 * 15/16      = 102.1728515625
func jitterCase(t *testing.T, firstTS uint32) {
	t.Helper()
	s := NewInbound(InboundConfig{ID: "IT1", RemoteID: "RO1", SSRC: 1, Kind: "video", ClockRate: 90000})
	wantTicks := []float64{0, 56.25, 108.984375, 102.1728515625}
	for i := range len(wantTicks) + 1 {
		arrival := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		if i == 2 {
			arrival = arrival.Add(10 * time.Millisecond)
		}
		s.OnPacket(inst(arrival), hdr(uint16(100+i), firstTS+uint32(i)*1800), nil)
		if i == 0 {
			if snap := s.Snapshot(arrival); snap.Inbound.Jitter != nil {
				t.Fatalf("jitter present after one packet: %v", *snap.Inbound.Jitter)
			}
			continue
		}
		got := *s.Snapshot(arrival).Inbound.Jitter
		want := wantTicks[i-1] / 90000
		if math.Abs(got-want) > 1e-12 {
			t.Fatalf("after packet %d: jitter %.12f s, want %.12f s", i, got, want)
		}
	}
}

func TestJitterSingleDelayedPacket(t *testing.T) { jitterCase(t, 1_000_000) }

// The same packets with RTP timestamps that wrap past 2^32 between the second
// and third packet give the same jitter: a uint32 subtraction done as int
// would jump by 2^32 here.
func TestJitterTimestampWrap(t *testing.T) { jitterCase(t, math.MaxUint32-1800-899) }

func TestJitterIgnoresLatePackets(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", SSRC: 1, Kind: "audio", ClockRate: 48000})
	for i := range 10 {
		if i == 5 {
			continue
		}
		s.OnPacket(inst(t0.Add(time.Duration(i)*20*time.Millisecond)), hdr(uint16(i), uint32(i)*960), nil)
	}
	// Packet 5 arrives 300 ms late: a retransmission or a reordering, not jitter.
	s.OnPacket(inst(t0.Add(500*time.Millisecond)), hdr(5, 5*960), nil)
	snap := s.Snapshot(t0.Add(time.Second))
	if *snap.Inbound.Jitter != 0 {
		t.Fatalf("jitter = %v, want 0", *snap.Inbound.Jitter)
	}
	if *snap.Inbound.PacketsLost != 0 || *snap.Inbound.PacketsReceived != 10 {
		t.Fatalf("lost %d received %d", *snap.Inbound.PacketsLost, *snap.Inbound.PacketsReceived)
	}
}

// RFC 3550 A.3 across a sequence wrap: 65533, 65534, 1, 2 received (65535 and
// 0 missing): expected = 65538-65533+1 = 6, received 4, lost 2. Then the late
// 65535 (lost 1), a duplicate of 2 (lost 0) and another (lost -1: RFC 3550
// counts duplicates as received, so loss can go negative).
func TestPacketsLostAcrossWrap(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", SSRC: 1, Kind: "audio", ClockRate: 48000})
	steps := []struct {
		seq        uint16
		lost, dups int64
	}{
		{65533, 0, 0}, {65534, 0, 0}, {1, 2, 0}, {2, 2, 0}, {65535, 1, 0}, {2, 0, 1}, {2, -1, 2},
	}
	for i, st := range steps {
		s.OnPacket(inst(t0.Add(time.Duration(i)*time.Millisecond)), hdr(st.seq, uint32(i)*960), nil)
		snap := s.Snapshot(t0)
		if got := *snap.Inbound.PacketsLost; got != st.lost {
			t.Fatalf("step %d (seq %d): packetsLost %d, want %d", i, st.seq, got, st.lost)
		}
		if got := *snap.Inbound.PacketsDuplicated; got != uint64(st.dups) {
			t.Fatalf("step %d: packetsDuplicated %d, want %d", i, got, st.dups)
		}
	}
}

func TestInboundByteAccounting(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", RemoteID: "RO1", SSRC: 1, Kind: "audio", ClockRate: 48000})
	s.OnPacket(inst(t0), &rtpx.Header{Sequence: 1, HeaderLen: 20, PaddingLen: 4, PayloadLen: 60, PayloadType: 111}, []byte("0"))
	s.OnPacket(inst(t0.Add(time.Millisecond)), &rtpx.Header{Sequence: 2, HeaderLen: 12, PayloadLen: 50, PayloadType: 111}, nil)
	snap := s.Snapshot(t0)
	in := snap.Inbound
	if *in.BytesReceived != 110 || *in.HeaderBytesReceived != 36 || *in.PacketsReceived != 2 {
		t.Fatalf("bytes %d header %d packets %d", *in.BytesReceived, *in.HeaderBytesReceived, *in.PacketsReceived)
	}
	if in.Mid == nil || *in.Mid != "0" || !snap.HasPayloadType || snap.PayloadType != 111 {
		t.Fatalf("mid %v pt %d", in.Mid, snap.PayloadType)
	}
	if want := float64(t0.Add(time.Millisecond).UnixNano()) / 1e6; *in.LastPacketReceivedTimestamp != want {
		t.Fatalf("lastPacketReceivedTimestamp %v, want %v", *in.LastPacketReceivedTimestamp, want)
	}
	// Audio: no video-only members; no RTX: no retransmission members; no SR: no remote.
	if in.PLICount != nil || in.FIRCount != nil || in.RetransmittedPacketsReceived != nil || in.RTXSSRC != nil {
		t.Fatal("member present that must be absent")
	}
	if snap.Remote != nil || in.RemoteID != nil {
		t.Fatal("remote-outbound present before any SR")
	}
}

func TestInboundRTXRepairsLoss(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", SSRC: 1, Kind: "video", ClockRate: 90000})
	s.LinkRTX(2)
	for _, seq := range []uint16{10, 11, 13, 14} {
		s.OnPacket(inst(t0), hdr(seq, 0), nil)
	}
	if got := *s.Snapshot(t0).Inbound.PacketsLost; got != 1 {
		t.Fatalf("lost before repair %d", got)
	}
	// RTX packet: 12 bytes header, 2 bytes OSN + 100 bytes original payload.
	s.OnRTXPacket(inst(t0), &rtpx.Header{SSRC: 2, Sequence: 500, HeaderLen: 12, PayloadLen: 102}, 12)
	in := s.Snapshot(t0).Inbound
	if *in.PacketsLost != 0 || *in.PacketsReceived != 5 {
		t.Fatalf("after repair: lost %d received %d", *in.PacketsLost, *in.PacketsReceived)
	}
	if *in.RetransmittedPacketsReceived != 1 || *in.RetransmittedBytesReceived != 100 || *in.RTXSSRC != 2 {
		t.Fatalf("rtx %d/%d ssrc %d", *in.RetransmittedPacketsReceived, *in.RetransmittedBytesReceived, *in.RTXSSRC)
	}
	if *in.BytesReceived != 500 || *in.HeaderBytesReceived != 5*12+2 {
		t.Fatalf("bytes %d header %d", *in.BytesReceived, *in.HeaderBytesReceived)
	}
}

// SR counters are 32-bit: 0xfffffff0 then 0x10 packets means 0x20 more, not
// fewer. A reordered (older) SR changes nothing.
func TestRemoteOutboundFromSenderReports(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", RemoteID: "RO1", SSRC: 7, Kind: "audio", ClockRate: 48000})
	ntp1 := rtpx.TimeToNTP(time.Unix(1700000000, 0))
	ntp2 := rtpx.TimeToNTP(time.Unix(1700000005, 250_000_000))
	if !s.OnSenderReport(t0, ntp1, 0xfffffff0, 0xffffff00) {
		t.Fatal("first SR refused")
	}
	if !s.OnSenderReport(t0.Add(5*time.Second), ntp2, 0x10, 0x100) {
		t.Fatal("second SR refused")
	}
	if s.OnSenderReport(t0.Add(6*time.Second), ntp1, 1, 1) {
		t.Fatal("older SR accepted")
	}
	snap := s.Snapshot(t0.Add(7 * time.Second))
	r := snap.Remote
	if r == nil || snap.Inbound.RemoteID == nil || *snap.Inbound.RemoteID != "RO1" || *r.LocalID != "IT1" {
		t.Fatalf("references wrong: %+v", r)
	}
	if *r.PacketsSent != 0xfffffff0+0x20 || *r.BytesSent != 0xffffff00+0x200 || *r.ReportsSent != 2 {
		t.Fatalf("packets %d bytes %d reports %d", *r.PacketsSent, *r.BytesSent, *r.ReportsSent)
	}
	if *r.RemoteTimestamp != 1700000005250 {
		t.Fatalf("remoteTimestamp %v", *r.RemoteTimestamp)
	}
	if want := float64(t0.Add(5*time.Second).UnixNano()) / 1e6; r.Timestamp != want {
		t.Fatalf("timestamp %v, want SR arrival %v", r.Timestamp, want)
	}
}

func BenchmarkInboundOnPacket(b *testing.B) {
	s := NewInbound(InboundConfig{ID: "IT1", SSRC: 1, Kind: "video", ClockRate: 90000})
	h := hdr(0, 0)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		h.Sequence++
		h.Timestamp += 3000
		now = now.Add(33 * time.Millisecond)
		s.OnPacket(inst(now), h, nil)
	}
}
