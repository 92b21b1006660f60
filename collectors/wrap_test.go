package collectors

import (
	"math"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// The 16-bit sequence number and the 32-bit RTP timestamp wrap within the
// same few packets, with a delayed packet, a lost one and a late one, and
// loss, jitter and the counters all come out as worked by hand.
//
// Opus at 48 kHz, 20 ms (960 ticks) per packet, 48 ticks per ms:
//
//	seq    ts (2^32 + k)      arrival  transit diff D (ticks)        J += (|D|-J)/16
//	65533  2^32-2000          0 ms     -                             0
//	65534  2^32-1040          20 ms    0                             0
//	65535  2^32-80            45 ms    (25-20)*48 = 240              15
//	0      880 (wrapped)      lost
//	1      1840               80 ms    35*48-1920 = -240             15+(240-15)/16 = 29.0625
//	3      3760               120 ms   40*48-1920 = 0                29.0625*15/16 = 27.24609375
//	2      2800               125 ms   late: no jitter sample
//
// RFC 3550 A.3 loss (expected = highest-base+1 on extended numbers
// 65533..65539, received counts every packet):
//
//	after 65535: 3-3 = 0; after 1: 5-4 = 1; after 3: 7-5 = 2; after 2: 7-6 = 1.
func TestSequenceAndTimestampWrapTogether(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", SSRC: 1, Kind: "audio", ClockRate: 48000})
	const ts0 = uint32(math.MaxUint32 - 1999) // 2^32-2000
	steps := []struct {
		seq     uint16
		k       uint32 // packet index: ts = ts0 + 960k
		arrival time.Duration
		lost    int64
		jitter  float64 // ticks; NaN: absent
	}{
		{65533, 0, 0, 0, math.NaN()},
		{65534, 1, 20 * time.Millisecond, 0, 0},
		{65535, 2, 45 * time.Millisecond, 0, 15},
		{1, 4, 80 * time.Millisecond, 1, 29.0625},
		{3, 6, 120 * time.Millisecond, 2, 27.24609375},
		{2, 5, 125 * time.Millisecond, 1, 27.24609375},
	}
	for i, st := range steps {
		at := t0.Add(st.arrival)
		s.OnPacket(inst(at), &rtpx.Header{Sequence: st.seq, Timestamp: ts0 + 960*st.k, SSRC: 1, HeaderLen: 12, PayloadLen: 100 + i}, nil)
		in := s.Snapshot(at).Inbound
		if *in.PacketsLost != st.lost {
			t.Errorf("seq %d: packetsLost %d, want %d", st.seq, *in.PacketsLost, st.lost)
		}
		switch {
		case math.IsNaN(st.jitter):
			if in.Jitter != nil {
				t.Errorf("seq %d: jitter %v before two packets", st.seq, *in.Jitter)
			}
		case in.Jitter == nil:
			t.Errorf("seq %d: no jitter", st.seq)
		case *in.Jitter != st.jitter/48000:
			t.Errorf("seq %d: jitter %.12f s (%.6f ticks), want %.6f ticks", st.seq, *in.Jitter, *in.Jitter*48000, st.jitter)
		}
		if *in.PacketsReceived != uint64(i+1) || *in.BytesReceived != uint64(100*(i+1)+i*(i+1)/2) ||
			*in.HeaderBytesReceived != uint64(12*(i+1)) {
			t.Errorf("seq %d: received %d bytes %d header %d", st.seq, *in.PacketsReceived, *in.BytesReceived, *in.HeaderBytesReceived)
		}
		if *in.LastPacketReceivedTimestamp != rtpx.UnixMillis(at) {
			t.Errorf("seq %d: lastPacketReceivedTimestamp %v", st.seq, *in.LastPacketReceivedTimestamp)
		}
		if *in.PacketsDuplicated != 0 {
			t.Errorf("seq %d: %d duplicates", st.seq, *in.PacketsDuplicated)
		}
	}
}

// Several 2^16 cycles: 3·65536+10 packets with every 1000th dropped. Loss
// is the number dropped between the first and the last packet received.
func TestLossOverManySequenceCycles(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", SSRC: 1, Kind: "audio", ClockRate: 48000})
	const n = 3*65536 + 10
	h := &rtpx.Header{SSRC: 1, HeaderLen: 12, PayloadLen: 10}
	var dropped int64
	for i := range n {
		h.Sequence, h.Timestamp = uint16(60000+i), uint32(i*960)
		if i%1000 == 999 {
			dropped++
			continue
		}
		s.OnPacket(inst(t0.Add(time.Duration(i)*20*time.Millisecond)), h, nil)
	}
	in := s.Snapshot(t0).Inbound
	// The first (i = 0) and the last (i = n-1 = 196617) were received, so
	// every drop lies inside the received range.
	if *in.PacketsLost != dropped || *in.PacketsReceived != uint64(n-dropped) {
		t.Fatalf("lost %d received %d, want %d and %d", *in.PacketsLost, *in.PacketsReceived, dropped, n-dropped)
	}
	if *in.Jitter != 0 {
		t.Fatalf("jitter %v on perfectly regular packets", *in.Jitter)
	}
	if s.seq.restarts != 0 {
		t.Fatalf("%d restarts on a wrapping sequence", s.seq.restarts)
	}
}

// A report block's extended highest sequence number carries the receiver's
// cycle count. We sent 65500..65535 and 0..63 (100 packets, extended
// 65500..65599); the peer reports highest 1<<16|63 and 3 lost, so it
// received 65599-65500+1-3 = 97.
func TestRemoteInboundAcrossSequenceWrap(t *testing.T) {
	s := NewOutbound(OutboundConfig{ID: "OT1", RemoteID: "RI1", SSRC: 10, Kind: "audio", ClockRate: 48000})
	for i := range 100 {
		s.OnPacket(inst(t0), 10, uint16(65500+i), 111, 12, 100, 0, nil)
	}
	s.OnReceptionReport(t0, ReceptionReport{ExtHighest: 1<<16 | 63, TotalLost: 3})
	snap := s.Snapshot(t0)
	if r := snap.Remote; *r.PacketsReceived != 97 || *r.PacketsLost != 3 {
		t.Fatalf("remote received %d lost %d, want 97 and 3", *r.PacketsReceived, *r.PacketsLost)
	}
	if o := snap.Outbound; *o.PacketsSent != 100 || *o.BytesSent != 10000 || *o.RetransmittedPacketsSent != 0 {
		t.Fatalf("sent %d bytes %d retransmitted %d", *o.PacketsSent, *o.BytesSent, *o.RetransmittedPacketsSent)
	}
	// A block that still describes the first cycle (highest 65535, none
	// lost) arrives late, reordered: it is older than the last one and must
	// not move the cumulative counters back.
	s.OnReceptionReport(t0, ReceptionReport{ExtHighest: 65535})
	if r := s.Snapshot(t0).Remote; *r.PacketsReceived != 97 || *r.PacketsLost != 3 || *r.ReportsReceived != 2 {
		t.Fatalf("after a stale block: received %d lost %d reports %d, want 97, 3, 2", *r.PacketsReceived, *r.PacketsLost, *r.ReportsReceived)
	}
	// A receiver whose first packet came after our wrap counts cycles from
	// there: highest 0|63 in its numbering is 65599 in ours.
	w := NewOutbound(OutboundConfig{ID: "OT2", RemoteID: "RI2", SSRC: 10, Kind: "audio", ClockRate: 48000})
	for i := range 100 {
		w.OnPacket(inst(t0), 10, uint16(65500+i), 111, 12, 100, 0, nil)
	}
	w.OnReceptionReport(t0, ReceptionReport{ExtHighest: 63, TotalLost: 3})
	if r := w.Snapshot(t0).Remote; r.PacketsReceived == nil || *r.PacketsReceived != 97 {
		t.Fatalf("receiver counting cycles from after the wrap: received %v, want 97", r.PacketsReceived)
	}
}
