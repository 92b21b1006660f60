package collectors

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/rtcstats/rtcstats/internal/rtpx"
	"github.com/rtcstats/rtcstats/report"
)

const csrcLevelsID = 2 // extmap id of the RFC 6465 extension in these tests

// mixedPacket writes, with pion/rtp, a packet whose CSRC list is csrcs and,
// if levels is not nil, an RFC 6465 element carrying them.
func mixedPacket(tb testing.TB, seq uint16, csrcs []uint32, levels []byte) ([]byte, rtpx.Header) {
	tb.Helper()
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq, SSRC: 0xabcdef, CSRC: csrcs}, Payload: []byte{0x08, 1}}
	if levels != nil {
		if err := p.SetExtension(csrcLevelsID, levels); err != nil {
			tb.Fatal(err)
		}
	}
	pkt, err := p.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	var h rtpx.Header
	if err := rtpx.ParseHeader(pkt, &h); err != nil {
		tb.Fatal(err)
	}
	return pkt, h
}

func feedCSRC(tb testing.TB, tab *CSRCTable, now time.Time, seq uint16, csrcs []uint32, levels []byte) {
	tb.Helper()
	pkt, h := mixedPacket(tb, seq, csrcs, levels)
	tab.OnPacket(inst(now), pkt, &h, h.Extension(pkt, csrcLevelsID))
}

// Three packets from a mixer:
//
//	t0       CSRCs A, B  RFC 6465 levels 0, 20
//	t0+20ms  CSRCs B, C  no extension
//	t0+40ms  CSRCs A     level 127
//
// A contributed to 2 packets, the newest at t0+40ms with level 127, which
// is silence: audioLevel 0. B contributed to 2, the newest (t0+20ms) had no
// extension: audioLevel absent. C contributed to 1 at t0+20ms, no level.
func TestCSRCTable(t *testing.T) {
	const a, b, c = 0x0a0a0a0a, 0x0b0b0b0b, 0x0c0c0c0c
	tab := NewCSRCTable(CSRCConfig{InboundID: "IT1"})
	feedCSRC(t, tab, t0, 1, []uint32{a, b}, []byte{0, 20})
	feedCSRC(t, tab, t0.Add(20*time.Millisecond), 2, []uint32{b, c}, nil)
	feedCSRC(t, tab, t0.Add(40*time.Millisecond), 3, []uint32{a}, []byte{127})

	now := t0.Add(time.Second)
	got := tab.Snapshot(now, inst(now))
	if len(got) != 3 || tab.Len() != 3 || tab.Refused() != 0 {
		t.Fatalf("%d objects, Len %d, Refused %d", len(got), tab.Len(), tab.Refused())
	}
	nowMs := rtpx.UnixMillis(now)
	want := []struct {
		csrc    uint32
		packets uint32
		level   *float64
		ts      float64
	}{
		{a, 2, new(0.0), nowMs - 960},
		{b, 2, nil, nowMs - 980},
		{c, 1, nil, nowMs - 980},
	}
	ids := map[string]bool{}
	for i, w := range want {
		o := got[i]
		if o.ContributorSSRC != w.csrc || o.InboundRTPStreamID != "IT1" || o.Type != report.TypeCSRC ||
			o.PacketsContributedTo == nil || *o.PacketsContributedTo != w.packets {
			t.Errorf("object %d: %+v, want csrc %#x packets %d", i, o, w.csrc, w.packets)
		}
		if (o.AudioLevel == nil) != (w.level == nil) || (o.AudioLevel != nil && *o.AudioLevel != *w.level) {
			t.Errorf("object %d: audioLevel %v, want %v", i, o.AudioLevel, w.level)
		}
		if d := o.Timestamp - w.ts; d > 1e-6 || d < -1e-6 {
			t.Errorf("object %d: timestamp %f, want %f", i, o.Timestamp, w.ts)
		}
		if o.ID == "" || ids[o.ID] {
			t.Errorf("object %d: id %q empty or repeated", i, o.ID)
		}
		ids[o.ID] = true
	}
	// The first snapshot's objects are not changed by later packets.
	feedCSRC(t, tab, now, 4, []uint32{a}, []byte{6})
	if *got[0].PacketsContributedTo != 2 || *got[0].AudioLevel != 0 {
		t.Error("a snapshot aliases the table")
	}
	if s := tab.Snapshot(now, inst(now))[0]; *s.PacketsContributedTo != 3 || *s.AudioLevel != LinearAudioLevel(6) || s.ID != got[0].ID {
		t.Errorf("after a fourth packet: %+v", s)
	}
}

// RFC 6465 levels map to CSRC-list positions; an element with fewer levels
// than CSRCs leaves the rest without one, and a source named twice in one
// list counts once, with the level of its first position.
func TestCSRCTableLevelsByPosition(t *testing.T) {
	tab := NewCSRCTable(CSRCConfig{InboundID: "IT2"})
	feedCSRC(t, tab, time.Unix(1, 0), 1, []uint32{7, 8, 7, 9}, []byte{30, 40, 50})
	got := tab.Snapshot(time.Unix(2, 0), inst(time.Unix(2, 0)))
	if len(got) != 3 {
		t.Fatalf("%d objects", len(got))
	}
	for i, w := range []struct {
		csrc  uint32
		level float64
		has   bool
	}{{7, LinearAudioLevel(30), true}, {8, LinearAudioLevel(40), true}, {9, 0, false}} {
		o := got[i]
		if o.ContributorSSRC != w.csrc || *o.PacketsContributedTo != 1 || (o.AudioLevel != nil) != w.has || (w.has && *o.AudioLevel != w.level) {
			t.Errorf("object %d: %+v level %v, want %+v", i, o, o.AudioLevel, w)
		}
	}
}

// The table keeps MaxCSRCs contributors and refuses the rest, counting one
// refusal per CSRC-list entry; known contributors keep counting.
func TestCSRCTableCap(t *testing.T) {
	calls := 0
	tab := NewCSRCTable(CSRCConfig{InboundID: "IT3", NewID: func(c uint32) string { calls++; return "X" + string(rune('A'+calls%26)) + string(rune(c)) }})
	now := time.Unix(1, 0)
	for i := range MaxCSRCs + 10 {
		feedCSRC(t, tab, now, uint16(i), []uint32{uint32(i) * 977}, nil)
	}
	if tab.Len() != MaxCSRCs || tab.Refused() != 10 || calls != MaxCSRCs {
		t.Fatalf("Len %d Refused %d NewID calls %d", tab.Len(), tab.Refused(), calls)
	}
	feedCSRC(t, tab, now, 999, []uint32{0, 977 * (MaxCSRCs + 3)}, nil)
	if tab.Refused() != 11 || calls != MaxCSRCs {
		t.Fatalf("Refused %d calls %d", tab.Refused(), calls)
	}
	if o := tab.Snapshot(now, inst(now))[0]; o.ContributorSSRC != 0 || *o.PacketsContributedTo != 2 {
		t.Fatalf("first contributor: %+v", o)
	}
}

// A packet whose header claims more CSRCs than it holds never reaches the
// table (ParseHeader rejects it); a Header not from this packet is read
// within bounds.
func TestCSRCTableShortPacket(t *testing.T) {
	tab := NewCSRCTable(CSRCConfig{InboundID: "IT4"})
	h := rtpx.Header{CSRCCount: 15}
	tab.OnPacket(inst(time.Unix(1, 0)), make([]byte, 20), &h, []byte{1, 2, 3})
	if tab.Len() != 1 {
		t.Fatalf("Len %d, want 1 (the one whole CSRC in 20 bytes)", tab.Len())
	}
}

func BenchmarkCSRCTableOnPacket(b *testing.B) {
	tab := NewCSRCTable(CSRCConfig{InboundID: "IT"})
	pkt, h := mixedPacket(b, 1, []uint32{11, 22, 33}, []byte{1, 2, 3})
	now := time.Unix(1, 0)
	ext := h.Extension(pkt, csrcLevelsID)
	tab.OnPacket(inst(now), pkt, &h, ext)
	b.ReportAllocs()
	for b.Loop() {
		tab.OnPacket(inst(now), pkt, &h, h.Extension(pkt, csrcLevelsID))
	}
}

func TestCSRCTableKnownSourceNoAllocs(t *testing.T) {
	tab := NewCSRCTable(CSRCConfig{InboundID: "IT"})
	pkt, h := mixedPacket(t, 1, []uint32{11, 22, 33}, []byte{1, 2, 3})
	now := time.Unix(1, 0)
	tab.OnPacket(inst(now), pkt, &h, h.Extension(pkt, csrcLevelsID))
	if n := testing.AllocsPerRun(1000, func() {
		tab.OnPacket(inst(now), pkt, &h, h.Extension(pkt, csrcLevelsID))
	}); n != 0 {
		t.Fatalf("%v allocations per packet", n)
	}
}
