package collectors

import (
	"math"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// restartStep is one packet fed to an Inbound and what must hold after it.
type restartStep struct {
	seq            uint16
	ts             uint32
	lost           int64
	received, dups uint64
	restarts       uint64
	jitter         float64 // ticks at 48 kHz
	skipJitter     bool
}

// runSteps feeds packets 20 ms apart (960 ticks at 48 kHz): step i arrives
// at 20i ms, so a packet whose timestamp is 960 ticks per step after the
// previous in-order packet's gives a zero transit difference.
func runSteps(t *testing.T, s *Inbound, steps []restartStep) {
	t.Helper()
	for i, st := range steps {
		at := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		s.OnPacket(inst(at), &rtpx.Header{Sequence: st.seq, Timestamp: st.ts, SSRC: 1, HeaderLen: 12, PayloadLen: 50}, nil)
		in := s.Snapshot(at).Inbound
		if *in.PacketsLost != st.lost || *in.PacketsReceived != st.received || *in.PacketsDuplicated != st.dups {
			t.Errorf("step %d (seq %d): lost %d received %d dups %d, want %d %d %d", i, st.seq,
				*in.PacketsLost, *in.PacketsReceived, *in.PacketsDuplicated, st.lost, st.received, st.dups)
		}
		if s.seq.restarts != st.restarts {
			t.Errorf("step %d (seq %d): %d restarts, want %d", i, st.seq, s.seq.restarts, st.restarts)
		}
		if !st.skipJitter && in.Jitter != nil && math.Abs(*in.Jitter*48000-st.jitter) > jitterTolerance {
			t.Errorf("step %d (seq %d): jitter %v ticks, want %v", i, st.seq, *in.Jitter*48000, st.jitter)
		}
	}
}

// A single packet far from the sequence (a stray: corrupt, or from another
// sender on a colliding SSRC) arms RFC 3550 A.1's probation but is not a
// restart. It is counted as received and, as A.1 leaves it out of both
// received and expected, it changes neither packetsLost nor jitter (its
// timestamp is garbage too).
//
//	seq    what                          expected          received  lost
//	1000   first                         1                 1         0
//	1001   in order                      2                 2         0
//	1003   in order, 1002 missing        4                 3         1
//	40000  +36997 ≥ 3000: stray          4+1 (outside)     4         1
//	1004   in order (bad_seq = 40001)    5+1               5         1
//	1005   in order                      6+1               6         1
//	804    -201 ≤ -100: stray            6+2               7         1
//	1006   in order                      7+2               8         1
func TestStrayPacketIsNotARestart(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", SSRC: 1, Kind: "audio", ClockRate: 48000})
	runSteps(t, s, []restartStep{
		{seq: 1000, ts: 0, received: 1},
		{seq: 1001, ts: 960, received: 2},
		{seq: 1003, ts: 2880, lost: 1, received: 3, jitter: 960.0 / 16}, // arrives at 40 ms, ts says 60 ms
		{seq: 40000, ts: 123456789, lost: 1, received: 4, jitter: 960.0 / 16},
		{seq: 1004, ts: 4800, lost: 1, received: 5, jitter: 960.0 / 16 * 15 / 16}, // 2 steps after 1003: D = 0
		{seq: 1005, ts: 5760, lost: 1, received: 6, jitter: 960.0 / 16 * 15 / 16 * 15 / 16},
		{seq: 804, ts: 99, lost: 1, received: 7, jitter: 960.0 / 16 * 15 / 16 * 15 / 16},
		{seq: 1006, ts: 7680, lost: 1, received: 8, jitter: 960.0 / 16 * 15 / 16 * 15 / 16 * 15 / 16},
	})
}

// The RFC 3550 A.1 boundaries, relative to the highest sequence number h:
// h+2999 is in order (2998 lost), h+3000 is a very large jump; h-99 is a
// late packet, h-100 a very large jump (udelta = 65436 = RTP_SEQ_MOD -
// MAX_MISORDER, which A.1 puts on the jump side). Its successor h-99 is
// late again (A.1 tests misorder before bad_seq), so the restart pair
// has to lie further back: h-200, h-199.
//
//	seq   what                          expected           received  lost
//	10    first                         1                  1         0
//	3009  +2999: in order               3000               2         2998
//	6009  +3000: stray                  3000+1             3         2998
//	2910  -99: late, fills a hole       3000+1             4         2997
//	2909  -100: stray                   3000+2             5         2997
//	2809  -200: stray, bad_seq = 2810   3000+3             6         2997
//	2810  confirms: restart at 2810     3003+1             7         2997
//
// The last line: the restart closes the epoch 10..3009 (3000 expected, 3
// received: 10, 3009 and 2910) with its 2997 missing packets still
// counted; the three strays are expected and received once each; the new
// epoch has expected 1, received 1.
func TestSequenceJumpBoundaries(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", SSRC: 1, Kind: "audio", ClockRate: 48000})
	runSteps(t, s, []restartStep{
		{seq: 10, received: 1, skipJitter: true},
		{seq: 10 + 2999, lost: 2998, received: 2, skipJitter: true},
		{seq: 3009 + 3000, lost: 2998, received: 3, skipJitter: true},
		{seq: 3009 - 99, lost: 2997, received: 4, skipJitter: true},
		{seq: 3009 - 100, lost: 2997, received: 5, skipJitter: true},
		{seq: 3009 - 200, lost: 2997, received: 6, skipJitter: true},
		{seq: 3009 - 199, lost: 2997, received: 7, restarts: 1, skipJitter: true},
	})
}

// A genuine restart: the sender starts again at 30000 (and a new
// timestamp base). The first packet of the new numbering is a stray, the
// second confirms it (A.1: two sequential packets), and the stream
// re-bases there as A.1 init_seq does. The loss of the old numbering (1
// packet) stays in packetsLost; the new numbering's loss is counted from
// its new base; the jump itself is no loss; packetsReceived keeps counting.
//
//	seq    what                               expected            received  lost
//	1000..1009 without 1003                   10                  9         1
//	30000  stray, bad_seq = 30001             10+1                10        1
//	30001  confirms: restart, base = 30001    (10+1) + 1          11        1
//	30002  in order                           11 + 2              12        1
//	30004  in order, 30003 missing            11 + 4              13        2
//	1010   straggler of the old numbering     11+1 + 4            14        2
//	30005  in order                           12 + 5              15        2
//
// RFC 3550's own counters restart at 30001 (init_seq zeroes received and
// the expected-prior values): its new-epoch loss is 4-3 = 1, and the 1
// lost before the restart plus that 1 make our 2.
func TestSequenceRestart(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", SSRC: 1, Kind: "audio", ClockRate: 48000})
	var steps []restartStep
	for i := range 10 {
		if i == 3 {
			continue
		}
		n := uint64(len(steps) + 1)
		lost := int64(0)
		if i > 3 {
			lost = 1
		}
		steps = append(steps, restartStep{seq: uint16(1000 + i), ts: uint32(len(steps)) * 960, received: n, lost: lost})
	}
	// Regular arrival before the restart: jitter 0 throughout. The new
	// numbering starts at timestamp 3e9; the transit difference across
	// the restart would be ~3e9 ticks but is not a jitter sample.
	const newTS = 3_000_000_000
	k := uint32(len(steps)) // packet index, drives the arrival time
	steps = append(steps,
		restartStep{seq: 30000, ts: newTS, lost: 1, received: 10},
		restartStep{seq: 30001, ts: newTS + 960, lost: 1, received: 11, restarts: 1},
		restartStep{seq: 30002, ts: newTS + 2*960, lost: 1, received: 12, restarts: 1},
		restartStep{seq: 30004, ts: newTS + 3*960, lost: 2, received: 13, restarts: 1}, // sender skipped 30003
		restartStep{seq: 1010, ts: k * 960, lost: 2, received: 14, restarts: 1},
		// Two steps after 30004 on the wire, one by its timestamp: |D| = 960.
		restartStep{seq: 30005, ts: newTS + 4*960, lost: 2, received: 15, restarts: 1, jitter: 960.0 / 16},
	)
	runSteps(t, s, steps)
}

// Two strays that do not follow each other do not restart; the packet
// after the second one does (A.1 re-arms bad_seq on every stray).
func TestRestartNeedsSequentialPair(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", SSRC: 1, Kind: "audio", ClockRate: 48000})
	runSteps(t, s, []restartStep{
		{seq: 100, received: 1},
		{seq: 101, ts: 960, received: 2},
		{seq: 40000, ts: 5, received: 3},              // bad_seq = 40001
		{seq: 50000, ts: 7, received: 4},              // not 40001: bad_seq = 50001
		{seq: 102, ts: 4 * 960, received: 5},          // in order; 102..: still the old numbering
		{seq: 50001, ts: 9, received: 6, restarts: 1}, // follows 50000: restart
		{seq: 50002, ts: 9 + 960, received: 7, restarts: 1},
	})
}

// Retransmissions (RFC 4588 OSN) refer back to earlier packets: one 500
// behind the highest sequence number still repairs its loss (A.1's
// MAX_MISORDER is for the primary stream), and one far away neither
// restarts the stream nor arms a restart.
func TestRTXNeverRestarts(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", SSRC: 1, Kind: "video", ClockRate: 90000})
	s.LinkRTX(2)
	for i := range 600 {
		if i == 50 {
			continue
		}
		s.OnPacket(inst(t0), hdr(uint16(2000+i), 0), nil)
	}
	if got := *s.Snapshot(t0).Inbound.PacketsLost; got != 1 {
		t.Fatalf("lost %d before repair", got)
	}
	rtx := &rtpx.Header{SSRC: 2, HeaderLen: 12, PayloadLen: 102}
	s.OnRTXPacket(inst(t0), rtx, 2050) // 549 behind the highest (2599)
	if in := s.Snapshot(t0).Inbound; *in.PacketsLost != 0 || *in.PacketsReceived != 600 {
		t.Fatalf("after a repair 549 back: lost %d received %d", *in.PacketsLost, *in.PacketsReceived)
	}
	s.OnRTXPacket(inst(t0), rtx, 40000)
	s.OnRTXPacket(inst(t0), rtx, 40001)
	s.OnPacket(inst(t0), hdr(40002, 0), nil) // would confirm a restart armed by 40001
	in := s.Snapshot(t0).Inbound
	if s.seq.restarts != 0 || *in.PacketsLost != 0 || *in.PacketsReceived != 603 {
		t.Fatalf("restarts %d lost %d received %d", s.seq.restarts, *in.PacketsLost, *in.PacketsReceived)
	}
}
