package collectors

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/payload"
)

// vp8Packet is a VP8 payload: a descriptor with S and the partition index
// from flags, and for a first packet a frame tag, key or not, with a key
// frame's start code and size.
func vp8Packet(start, key bool, pid byte, w, h uint16) []byte {
	b0 := byte(0x80) | pid&0x07
	if start {
		b0 |= 0x10
	}
	pl := []byte{b0, 0x80, 0x80, 0x01} // X, I, 15-bit picture id
	if key {
		return append(pl, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, byte(w), byte(w>>8)&0x3f, byte(h), byte(h>>8)&0x3f, 0xaa)
	}
	return append(pl, 0x01, 0x00, 0x00, 0xbb, 0xcc)
}

// FuzzFrameTrackerFastPaths holds the receiver's fast paths for VP8 (the
// next packet inside a frame, the next packet starting one) to the general
// path: two trackers, one with the fast paths and one without, take the same
// packets and must end every packet in the same state, bit for bit.
//
// Input: records of a flags byte (bit 0 marker, bit 1 S, bits 2-3 the
// partition index or key frame, bits 4-7 the timestamp step) and a signed
// sequence number step.
func FuzzFrameTrackerFastPaths(f *testing.F) {
	var inOrder []byte
	for n := range 64 {
		flags := byte(0)
		if n%4 == 3 {
			flags |= 1
		}
		if n%4 == 0 {
			flags |= 2 | 1<<4
		}
		inOrder = append(inOrder, flags, 1)
	}
	f.Add(inOrder)
	f.Add([]byte{0x12, 1, 0x00, 1, 0x01, 2, 0x00, 0xff, 0x13, 1, 0x12, 1, 0xf3, 1, 0x83, 1, 0x72, 1, 0x01, 1})
	f.Add([]byte{0x12, 1, 0x01, 1, 0x12, 1, 0x01, 1, 0xb2, 1, 0x01, 1, 0x02, 1, 0x12, 1})
	steps := [16]uint32{0, 3000, 3000, 3000, 1, 2999, 1 << 30, 1<<30 - 1, 1 << 31, 1<<31 + 1, 3<<30 + 7, ^uint32(2999), ^uint32(0), 90000, 1 << 29, 0x9e3779b9}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		slow := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		slow.generalOnly = true
		now := ft0
		seq, ts := uint16(100), uint32(5000)
		for k := 0; len(data) >= 2; k++ {
			flags, step := data[0], int8(data[1])
			data = data[2:]
			seq += uint16(step)
			ts += steps[flags>>4]
			now = now.Add(time.Duration(1+flags>>4) * time.Millisecond)
			sel := flags >> 2 & 0x03
			pl := vp8Packet(flags&2 != 0, sel == 3, sel%3, 640, 360)
			fast.Packet(inst(now), seq, ts, flags&1 != 0, pl)
			slow.Packet(inst(now), seq, ts, flags&1 != 0, pl)
			if !sameState(fast, slow) {
				t.Fatalf("packet %d (seq %d ts %d flags %#x): fast path and general path differ:\n%s", k, seq, ts, flags, stateDiff(fast, slow))
			}
		}
	})
}

// stateDiff lists the fields in which two trackers differ.
func stateDiff(fast, general *FrameTracker) string {
	var b strings.Builder
	a, g := reflect.ValueOf(fast).Elem(), reflect.ValueOf(general).Elem()
	for i := range a.NumField() {
		name := a.Type().Field(i).Name
		if name == "generalOnly" {
			continue
		}
		if fa, fg := fmt.Sprintf("%+v", a.Field(i)), fmt.Sprintf("%+v", g.Field(i)); fa != fg {
			fmt.Fprintf(&b, "  %s: fast %s, general %s\n", name, fa, fg)
		}
	}
	return b.String()
}

// sameState reports whether a tracker with the fast paths and one without
// are in the same state.
func sameState(fast, general *FrameTracker) bool {
	g := *general
	g.generalOnly = false
	return *fast == g
}

// TestFrameTrackerFastPathsRandom is FuzzFrameTrackerFastPaths on
// generated streams: frames of 1-6 packets, mostly in order, with losses,
// reordering, duplicates, lost markers and first packets, key frames,
// timestamps that repeat, go back or jump, and sequence restarts.
func TestFrameTrackerFastPathsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 3000 {
		fast := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		slow := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		slow.generalOnly = true
		now := ft0
		seq, ts := uint16(rng.Uint32()), rng.Uint32()
		type pkt struct {
			seq    uint16
			ts     uint32
			marker bool
			pl     []byte
		}
		var held []pkt // reordered: sent later
		send := func(k int, p pkt) {
			now = now.Add(time.Duration(rng.IntN(3000)) * time.Microsecond)
			fast.Packet(inst(now), p.seq, p.ts, p.marker, p.pl)
			slow.Packet(inst(now), p.seq, p.ts, p.marker, p.pl)
			if !sameState(fast, slow) {
				t.Fatalf("run %d packet %d (seq %d ts %d marker %v): fast path and general path differ:\n%s", run, k, p.seq, p.ts, p.marker, stateDiff(fast, slow))
			}
		}
		for k := 0; k < 200; {
			n := 1 + rng.IntN(6)
			key := rng.IntN(10) == 0
			for i := range n {
				p := pkt{seq: seq, ts: ts, marker: i == n-1, pl: vp8Packet(i == 0, key && i == 0, 0, uint16(160*(1+rng.IntN(8))), 360)}
				seq++
				switch r := rng.IntN(100); {
				case r < 4: // lost
				case r < 8:
					held = append(held, p)
				case r < 10:
					send(k, p)
					send(k, p) // duplicate
				case r < 12:
					p.marker = !p.marker
					send(k, p)
				default:
					send(k, p)
				}
				k++
				if len(held) > 0 && rng.IntN(3) == 0 {
					i := rng.IntN(len(held))
					send(k, held[i])
					held = append(held[:i], held[i+1:]...)
				}
			}
			switch r := rng.IntN(100); {
			case r < 85:
				ts += 3000
			case r < 88: // the same timestamp again
			case r < 92:
				ts -= 3000 * uint32(1+rng.IntN(20))
			case r < 96:
				ts += uint32(rng.Uint64N(1 << 32))
			case r < 98:
				seq += uint16(rng.IntN(300))
			default:
				seq = uint16(rng.Uint32()) // a restart
			}
		}
	}
}

// TestTracksMatchesSearch checks tracks, which rules out a timestamp after
// every tracked frame's without a search, against the search, for frames
// started with timestamps that step forward, back, and by up to 2^32.
func TestTracksMatchesSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	search := func(f *FrameTracker, ts uint32) bool {
		for i := range f.slots {
			if f.slots[i].packets != 0 && f.slots[i].ts == ts {
				return true
			}
		}
		return false
	}
	for run := range 200 {
		f := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		ts := rng.Uint32()
		for n := range 300 {
			switch r := rng.IntN(100); {
			case r < 70:
				ts += 3000
			case r < 80:
				ts -= uint32(rng.IntN(50000))
			case r < 90:
				ts += uint32(rng.IntN(1 << 31))
			case r < 95:
				ts = rng.Uint32()
			default:
				f.restart(uint16(n))
			}
			s := f.slot(ts)
			s.packets = 1
			queries := []uint32{ts, ts + 1, ts + 3000, ts - 3000, ts + 1<<30, ts + 1<<31, ts - 1<<30, rng.Uint32(), f.tsHi + 1, f.tsLo - 1}
			for i := range f.slots {
				queries = append(queries, f.slots[i].ts, f.slots[i].ts+1)
			}
			for _, q := range queries {
				if got, want := f.tracks(q), search(f, q); got != want {
					t.Fatalf("run %d step %d: tracks(%d) = %v, search %v (lo %d hi %d)", run, n, q, got, want, f.tsLo, f.tsHi)
				}
			}
		}
	}
}
