package collectors

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/payload"
)

// FuzzFrameTracker feeds arbitrary packets to a receiver and a sender and
// checks what must hold whatever arrives: no panic, counters that never go
// back, key frames a subset of frames, and no more frames than marker
// packets (each counted frame ends in its own one).
//
// Input: a codec byte, then records of a flags byte (bit 0 marker, bits
// 1-3 timestamp step, bits 4-7 payload length / 4), a signed sequence
// number step, and the payload.
func FuzzFrameTracker(f *testing.F) {
	for _, dc := range dumpCodecs {
		pkts := readDump(f, dc.name)
		var b []byte
		b = append(b, byte(dc.codec))
		prevSeq, prevTS := pkts[0].SequenceNumber-1, pkts[0].Timestamp
		for _, p := range pkts[:12] {
			n := min(len(p.Payload), 60) / 4 * 4
			flags := byte(n/4) << 4
			if p.Marker {
				flags |= 1
			}
			if p.Timestamp != prevTS {
				flags |= 1 << 1
			}
			b = append(b, flags, byte(p.SequenceNumber-prevSeq))
			b = append(b, p.Payload[:n]...)
			prevSeq, prevTS = p.SequenceNumber, p.Timestamp
		}
		f.Add(b)
	}
	f.Add([]byte{byte(payload.CodecH264), 0x21, 0x01, 0x09, 0xf0, 0x00, 0x00, 0x11, 0xff, 0x65, 0x88, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		codec := payload.Codec(data[0] % 5)
		data = data[1:]
		rx := NewFrameTracker(codec, FrameReceiver)
		tx := NewFrameTracker(codec, FrameSender)
		if codec == payload.CodecUnknown {
			if rx != nil || tx != nil {
				t.Fatal("tracker for an unknown codec")
			}
			return
		}
		if err := tx.SetTarget(100e3, 30); err != nil {
			t.Fatal(err)
		}
		now := ft0
		seq, ts := uint16(0), uint32(0)
		markers := 0
		var prev [2]FrameStats
		for len(data) >= 2 {
			flags, step := data[0], int8(data[1])
			data = data[2:]
			n := min(int(flags>>4)*4, len(data))
			pl := data[:n]
			data = data[n:]
			seq += uint16(step)
			ts += uint32(flags>>1&0x07) * 3000
			marker := flags&1 != 0
			if marker {
				markers++
			}
			now = now.Add(time.Duration(flags&0x0f) * time.Millisecond)
			rx.Packet(inst(now), seq, ts, marker, pl)
			tx.Packet(inst(now), seq, ts, marker, pl)
			for i, st := range []FrameStats{rx.Snapshot(inst(now)), tx.Snapshot(inst(now))} {
				p := prev[i]
				if st.Frames < p.Frames || st.KeyFrames < p.KeyFrames || st.FramesAssembledFromMultiplePackets < p.FramesAssembledFromMultiplePackets ||
					st.HugeFramesSent < p.HugeFramesSent || st.TotalAssemblyTime < p.TotalAssemblyTime {
					t.Fatalf("side %d: counters went back: %+v after %+v", i, st, p)
				}
				if st.KeyFrames > st.Frames || st.FramesAssembledFromMultiplePackets > st.Frames || st.HugeFramesSent > st.Frames {
					t.Fatalf("side %d: subset larger than frames: %+v", i, st)
				}
				if int(st.Frames) > markers {
					t.Fatalf("side %d: %d frames from %d marker packets", i, st.Frames, markers)
				}
				if st.HasFrameSize && (st.FrameWidth == 0 || st.FrameHeight == 0) {
					t.Fatalf("side %d: size %dx%d", i, st.FrameWidth, st.FrameHeight)
				}
				if st.HasFramesPerSecond && (st.FramesPerSecond < 0 || st.FramesPerSecond > float64(st.Frames)) {
					t.Fatalf("side %d: %v fps after %d frames", i, st.FramesPerSecond, st.Frames)
				}
				prev[i] = st
			}
		}
	})
}

// FuzzFrameTrackerReorder builds a clean stream from the input (frames of
// one to four packets, some key), delivers it with every packet delayed by
// up to maxDelay packets and some duplicated, and expects the receiver to
// count every frame and key frame exactly once: nothing is lost, so every
// frame completes however its packets are shuffled.
//
// maxDelay keeps every frame, and the frame before it, tracked until the
// frame completes: from the first arrival of a frame's (or its
// predecessor's) packets to the last of its own, at most maxDelay newer
// one-packet frames and maxDelay-1 older late ones can start, 2*maxDelay
// in all with the frame itself, fewer than frameSlots.
func FuzzFrameTrackerReorder(f *testing.F) {
	f.Add(uint8(0), []byte{0x13, 0x02, 0x41, 0x00, 0x22, 0x31}, uint64(1))
	f.Add(uint8(1), []byte{0x13, 0x02, 0x41, 0x00, 0x22, 0x31}, uint64(7))
	const maxDelay = frameSlots/2 - 1
	f.Fuzz(func(t *testing.T, codecSel uint8, frames []byte, seed uint64) {
		if len(frames) == 0 || len(frames) > 200 {
			return
		}
		codec := payload.CodecVP8
		if codecSel&1 == 1 {
			codec = payload.CodecH264
		}
		type pkt struct {
			seq    uint16
			ts     uint32
			marker bool
			pl     []byte
		}
		var stream []pkt
		var keys uint32
		seq := uint16(seed)
		for i, b := range frames {
			n := int(b&0x03) + 1
			key := i == 0 || b&0x04 != 0
			if key {
				keys++
			}
			for j := range n {
				var pl []byte
				switch {
				case codec == payload.CodecVP8:
					pl = vp8Pkt(j == 0, key, 64, 48, 10)
				case j == 0 && key:
					pl = []byte{0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce, 0x00, 0x03, 0x65, 0x88, 0x80} // STAP-A SPS(cut) PPS IDR
				case j == 0:
					pl = []byte{0x41, 0x9a, 0x00} // first slice of a P picture
				default:
					pl = []byte{0x41, 0x40, 0x00} // a later slice
				}
				stream = append(stream, pkt{seq, uint32(i) * 3000, j == n-1, pl})
				seq++
			}
		}
		rng := rand.New(rand.NewPCG(seed, uint64(len(frames))))
		type arrival struct {
			at, order float64
			p         pkt
		}
		var arrivals []arrival
		for i, p := range stream {
			arrivals = append(arrivals, arrival{float64(i) + maxDelay*rng.Float64(), rng.Float64(), p})
			if rng.IntN(4) == 0 {
				arrivals = append(arrivals, arrival{float64(i) + 2*maxDelay*rng.Float64(), rng.Float64(), p})
			}
		}
		sort.Slice(arrivals, func(a, b int) bool {
			if arrivals[a].at != arrivals[b].at {
				return arrivals[a].at < arrivals[b].at
			}
			return arrivals[a].order < arrivals[b].order
		})
		// The H.264 stream's first frame counts only if its first packet
		// is the lowest sequence number when the frame completes; it is,
		// since the frame cannot complete before that packet arrives.
		rx := NewFrameTracker(codec, FrameReceiver)
		for _, a := range arrivals {
			rx.Packet(inst(ft0.Add(time.Duration(a.at*float64(time.Millisecond)))), a.p.seq, a.p.ts, a.p.marker, a.p.pl)
		}
		st := rx.Snapshot(inst(ft0.Add(time.Hour)))
		if st.Frames != uint32(len(frames)) || st.KeyFrames != keys {
			t.Fatalf("%s: %d frames, %d key; sent %d, %d", codec, st.Frames, st.KeyFrames, len(frames), keys)
		}
	})
}
