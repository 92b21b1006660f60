package collectors

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/rtcstats/rtcstats/internal/payload"
	"github.com/rtcstats/rtcstats/report"
)

// The RTP dumps in internal/payload/testdata were packetized by pion from
// ffmpeg encodes and come with ffprobe's view of every frame
// (internal/payload/testdata/gen.sh). Expectations below are computed from
// ffprobe's output and from grouping the dump's packets by timestamp, never
// from the tracker.

const dumpDir = "../internal/payload/testdata"

type dumpPkt struct {
	at time.Duration // recording offset
	rtp.Packet
}

// readDump reads an rtpdump file (rtptools: "#!rtpplay1.0 addr/port\n", a
// 16-byte file header, then per packet length, packet length and offset in
// ms, 2+2+4 bytes big-endian, and the packet).
func readDump(tb testing.TB, name string) []dumpPkt {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dumpDir, name+".rtpdump"))
	if err != nil {
		tb.Fatal(err)
	}
	b = b[bytes.IndexByte(b, '\n')+1+16:]
	var out []dumpPkt
	for len(b) >= 8 {
		n := int(binary.BigEndian.Uint16(b))
		p := dumpPkt{at: time.Duration(binary.BigEndian.Uint32(b[4:])) * time.Millisecond}
		if err := p.Unmarshal(b[8:n]); err != nil {
			tb.Fatal(err)
		}
		out = append(out, p)
		b = b[n:]
	}
	return out
}

type probeFrame struct {
	Key     int `json:"key_frame"` //nolint:tagliatelle // ffprobe's name
	Width   int `json:"width"`
	Height  int `json:"height"`
	PktSize int `json:"pkt_size,string"` //nolint:tagliatelle // ffprobe's name
}

func readProbe(tb testing.TB, name string) []probeFrame {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dumpDir, name+".ffprobe.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var v struct{ Frames []probeFrame }
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	return v.Frames
}

// dumpFrameIndex returns, per packet, the index of its frame: the dumps
// hold each frame's packets consecutively.
func dumpFrameIndex(pkts []dumpPkt) []int {
	idx := make([]int, len(pkts))
	for i := 1; i < len(pkts); i++ {
		idx[i] = idx[i-1]
		if pkts[i].Timestamp != pkts[i-1].Timestamp {
			idx[i]++
		}
	}
	return idx
}

var dumpCodecs = []struct {
	name  string
	codec payload.Codec
}{
	{"vp8", payload.CodecVP8}, {"vp9", payload.CodecVP9}, {"h264", payload.CodecH264}, {"av1", payload.CodecAV1},
}

// ft0 is the frame tests' time origin.
var ft0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// TestFrameTrackerDumps plays each dump in order into a receiver and a
// sender and checks every counter after every frame against ffprobe.
func TestFrameTrackerDumps(t *testing.T) {
	for _, dc := range dumpCodecs {
		t.Run(dc.name, func(t *testing.T) {
			pkts := readDump(t, dc.name)
			probe := readProbe(t, dc.name)
			idx := dumpFrameIndex(pkts)
			if idx[len(idx)-1]+1 != len(probe) {
				t.Fatalf("%d frames in the dump, ffprobe %d", idx[len(idx)-1]+1, len(probe))
			}
			// Independent expectations: packets per frame from the dump,
			// the rest from ffprobe.
			perFrame := make([]int, len(probe))
			for _, i := range idx {
				perFrame[i]++
			}
			const targetBitrate, targetFPS = 120e3, 15
			avg := targetBitrate / 8 / targetFPS
			rx := NewFrameTracker(dc.codec, FrameReceiver)
			tx := NewFrameTracker(dc.codec, FrameSender)
			if err := tx.SetTarget(targetBitrate, targetFPS); err != nil {
				t.Fatal(err)
			}
			var keys, multi, huge uint32
			var assembly time.Duration
			for n, p := range pkts {
				now := ft0.Add(p.at)
				rx.Packet(inst(now), p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
				tx.Packet(inst(now), p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
				if n+1 < len(pkts) && idx[n+1] == idx[n] {
					continue
				}
				i := idx[n]
				want := probe[i]
				if want.Key == 1 {
					keys++
				}
				if perFrame[i] > 1 {
					multi++ // all packets of a frame share its recording offset
				}
				if float64(want.PktSize) >= 2.5*avg {
					huge++
				}
				for _, side := range []struct {
					name string
					st   FrameStats
				}{{"receiver", rx.Snapshot(inst(now))}, {"sender", tx.Snapshot(inst(now))}} {
					st := side.st
					if st.Frames != uint32(i+1) || st.KeyFrames != keys {
						t.Fatalf("%s after frame %d: %d frames, %d key, want %d, %d", side.name, i, st.Frames, st.KeyFrames, i+1, keys)
					}
					if !st.HasFrameSize || st.FrameWidth != uint32(want.Width) || st.FrameHeight != uint32(want.Height) {
						t.Fatalf("%s after frame %d: size %dx%d (%v), ffprobe %dx%d", side.name, i, st.FrameWidth, st.FrameHeight, st.HasFrameSize, want.Width, want.Height)
					}
				}
				if st := rx.Snapshot(inst(now)); st.FramesAssembledFromMultiplePackets != multi || st.TotalAssemblyTime != assembly.Seconds() {
					t.Fatalf("after frame %d: %d multi-packet frames in %vs, want %d in %v", i, st.FramesAssembledFromMultiplePackets, st.TotalAssemblyTime, multi, assembly)
				}
				// IVF frame sizes are the VP8/VP9 media bytes; for H.264
				// and AV1 the payloader changes the framing.
				if dc.codec == payload.CodecVP8 || dc.codec == payload.CodecVP9 {
					if st := tx.Snapshot(inst(now)); !st.HasHugeFramesSent || st.HugeFramesSent != huge {
						t.Fatalf("after frame %d: %d huge frames (%v), want %d", i, st.HugeFramesSent, st.HasHugeFramesSent, huge)
					}
				}
			}
			if keys != 4 || multi == 0 {
				t.Fatalf("dump has %d key frames and %d multi-packet frames", keys, multi)
			}

			// Frame rate: frames whose last packet is within the last second.
			end := pkts[len(pkts)-1].at
			for _, at := range []time.Duration{end, end + 500*time.Millisecond, end + time.Second} {
				var want float64
				for n, p := range pkts {
					if (n+1 == len(pkts) || idx[n+1] != idx[n]) && at-p.at < time.Second {
						want++
					}
				}
				for _, st := range []FrameStats{rx.Snapshot(inst(ft0.Add(at))), tx.Snapshot(inst(ft0.Add(at)))} {
					if !st.HasFramesPerSecond || st.FramesPerSecond != want {
						t.Errorf("at %v: %v fps (%v), want %v", at, st.FramesPerSecond, st.HasFramesPerSecond, want)
					}
				}
				if st := tx.Snapshot(inst(ft0.Add(at))); !st.HasSourceFramesPerSecond || st.SourceFramesPerSecond != want {
					t.Errorf("at %v: source %v fps (%v), want %v", at, st.SourceFramesPerSecond, st.HasSourceFramesPerSecond, want)
				}
			}
			if want := 15.0; rx.Snapshot(inst(ft0.Add(end))).FramesPerSecond != want {
				t.Errorf("steady state: %v fps, the stream has %v", rx.Snapshot(inst(ft0.Add(end))).FramesPerSecond, want)
			}
		})
	}
}

// TestFrameTrackerRepoVP8 checks the numbers the loopback test expects for
// the repository's testdata/video.ivf, sent through pion's VP8 payloader:
// ffprobe counts 90 frames, key frames 0, 30 and 60, all 320x240 (see
// testdata/README.md).
func TestFrameTrackerRepoVP8(t *testing.T) {
	frames := readIVFFrames(t, "../testdata/video.ivf")
	if len(frames) != 90 {
		t.Fatalf("%d frames, testdata/README.md says 90", len(frames))
	}
	rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
	pk := rtp.NewPacketizer(1200, 96, 1, vp8Payloader(), rtp.NewRandomSequencer(), 90000)
	now := ft0
	for _, f := range frames {
		for _, p := range pk.Packetize(f, 3000) {
			rx.Packet(inst(now), p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
		}
		now = now.Add(time.Second / 30)
	}
	st := rx.Snapshot(inst(now))
	if st.Frames != 90 || st.KeyFrames != 3 || st.FrameWidth != 320 || st.FrameHeight != 240 {
		t.Errorf("framesReceived %d, keyFramesDecoded %d, %dx%d; want 90, 3, 320x240", st.Frames, st.KeyFrames, st.FrameWidth, st.FrameHeight)
	}
}

// vp8Payloader is pion/webrtc v4's VP8 payloader configuration.
func vp8Payloader() rtp.Payloader { return &codecs.VP8Payloader{EnablePictureID: true} }

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func readIVFFrames(tb testing.TB, path string) [][]byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	b = b[binary.LittleEndian.Uint16(b[6:]):]
	var out [][]byte
	for len(b) >= 12 {
		n := int(binary.LittleEndian.Uint32(b))
		out = append(out, b[12:12+n])
		b = b[12+n:]
	}
	return out
}

// playDump feeds the dump's packets, in the order of order (indices into
// pkts), to a new receiver; each packet arrives 1 ms after the previous.
func playDump(codec payload.Codec, pkts []dumpPkt, order []int) (*FrameTracker, time.Time) {
	rx := NewFrameTracker(codec, FrameReceiver)
	now := ft0
	for _, i := range order {
		p := pkts[i]
		rx.Packet(inst(now), p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
		now = now.Add(time.Millisecond)
	}
	return rx, now
}

// framePackets returns the packet indices of frame i.
func framePackets(idx []int, i int) []int {
	var out []int
	for n, f := range idx {
		if f == i {
			out = append(out, n)
		}
	}
	return out
}

func without(n int, skip ...int) []int {
	var out []int
next:
	for i := range n {
		for _, s := range skip {
			if i == s {
				continue next
			}
		}
		out = append(out, i)
	}
	return out
}

// TestFrameTrackerLoss drops packets and works out by hand which frames
// can still be complete. Frames 0, 10, 15 and 25 are key frames; 15
// changes the size; 10 spans at least three packets in every dump.
func TestFrameTrackerLoss(t *testing.T) {
	for _, dc := range dumpCodecs {
		pkts := readDump(t, dc.name)
		probe := readProbe(t, dc.name)
		idx := dumpFrameIndex(pkts)
		ten, fifteen := framePackets(idx, 10), framePackets(idx, 15)
		if len(ten) < 3 || len(fifteen) < 2 {
			t.Fatalf("%s: frames 10 and 15 have %d and %d packets", dc.name, len(ten), len(fifteen))
		}
		// Losing a frame's last packet hides where the next frame starts
		// for H.264 and AV1, which have no start bit: the lost packet
		// could have been the next frame's first.
		implicit := dc.codec == payload.CodecH264 || dc.codec == payload.CodecAV1
		lostAfterMarker := func(n uint32) uint32 {
			if implicit {
				return n - 1
			}
			return n
		}
		t.Run(dc.name+"/middle of key frame", func(t *testing.T) {
			rx, now := playDump(dc.codec, pkts, without(len(pkts), ten[1]))
			st := rx.Snapshot(inst(now))
			if st.Frames != 29 || st.KeyFrames != 3 {
				t.Errorf("%d frames, %d key; want 29, 3", st.Frames, st.KeyFrames)
			}
			if st.FrameWidth != uint32(probe[29].Width) || st.FrameHeight != uint32(probe[29].Height) {
				t.Errorf("size %dx%d, want %dx%d", st.FrameWidth, st.FrameHeight, probe[29].Width, probe[29].Height)
			}
		})
		t.Run(dc.name+"/size waits for a complete key frame", func(t *testing.T) {
			// Frame 15's first packet, which carries the new size, arrives;
			// its last does not. Stop before frame 25: the size is still
			// that of frame 10, the last complete key frame.
			order := without(framePackets(idx, 25)[0], fifteen[len(fifteen)-1])
			rx, now := playDump(dc.codec, pkts, order)
			st := rx.Snapshot(inst(now))
			if want := lostAfterMarker(24); st.Frames != want || st.KeyFrames != 2 {
				t.Errorf("%d frames, %d key; want %d, 2", st.Frames, st.KeyFrames, want)
			}
			if st.FrameWidth != uint32(probe[14].Width) || st.FrameHeight != uint32(probe[14].Height) {
				t.Errorf("size %dx%d from an incomplete key frame; want %dx%d", st.FrameWidth, st.FrameHeight, probe[14].Width, probe[14].Height)
			}
		})
		t.Run(dc.name+"/marker packet", func(t *testing.T) {
			rx, now := playDump(dc.codec, pkts, without(len(pkts), fifteen[len(fifteen)-1]))
			st := rx.Snapshot(inst(now))
			if want := lostAfterMarker(29); st.Frames != want || st.KeyFrames != 3 {
				t.Errorf("%d frames, %d key; want %d, 3", st.Frames, st.KeyFrames, want)
			}
		})
		t.Run(dc.name+"/first packet", func(t *testing.T) {
			rx, now := playDump(dc.codec, pkts, without(len(pkts), fifteen[0]))
			if st := rx.Snapshot(inst(now)); st.Frames != 29 || st.KeyFrames != 3 {
				t.Errorf("%d frames, %d key; want 29, 3", st.Frames, st.KeyFrames)
			}
		})
		t.Run(dc.name+"/whole frame", func(t *testing.T) {
			// The neighbours of a wholly lost frame are complete, but for
			// H.264 and AV1 the next frame's predecessor is gone.
			rx, now := playDump(dc.codec, pkts, without(len(pkts), framePackets(idx, 3)...))
			if st, want := rx.Snapshot(inst(now)), lostAfterMarker(29); st.Frames != want {
				t.Errorf("%d frames, want %d", st.Frames, want)
			}
		})
	}
}

// TestFrameTrackerReorder delivers packets out of order, late and twice.
func TestFrameTrackerReorder(t *testing.T) {
	for _, dc := range dumpCodecs {
		pkts := readDump(t, dc.name)
		idx := dumpFrameIndex(pkts)
		key := framePackets(idx, 10)
		t.Run(dc.name+"/reversed frame", func(t *testing.T) {
			order := without(len(pkts), key...)
			at := framePackets(idx, 11)[0] - len(key) // where frame 10 was
			var rev []int
			for _, k := range slices.Backward(key) {
				rev = append(rev, k)
			}
			order = append(order[:at:at], append(rev, order[at:]...)...)
			rx, now := playDump(dc.codec, pkts, order)
			if st := rx.Snapshot(inst(now)); st.Frames != 30 || st.KeyFrames != 4 {
				t.Errorf("%d frames, %d key; want 30, 4", st.Frames, st.KeyFrames)
			}
		})
		// Frame 10's first packet, which carries the size of the first
		// segment, arrives as late as the tracker allows: after the
		// packets of frame last, the 15th frame after it, so that frame
		// 10 is still among the 16 tracked. When its payload does not
		// prove that it begins a frame (H.264 here; AV1's starts a coded
		// video sequence, N=1), frame 9 must be tracked too, to prove it
		// by its different timestamp: one frame less. One frame later the
		// packet arrives too late and frame 10 is lost.
		last := 10 + frameSlots - 1
		p := payload.NewParser(dc.codec)
		if !p.Parse(pkts[framePackets(idx, 10)[0]].Payload).Start {
			last--
		}
		for _, c := range []struct {
			name  string
			last  int
			want  uint32
			wantK uint32
		}{{"late packet completes a frame", last, 30, 4}, {"packet too late for its frame", last + 1, 29, 3}} {
			t.Run(dc.name+"/"+c.name, func(t *testing.T) {
				late := framePackets(idx, 10)[0]
				at := framePackets(idx, c.last+1)[0] // the late packet comes before this one
				order := without(len(pkts), late)
				order = append(order[:at-1:at-1], append([]int{late}, order[at-1:]...)...)
				if at-late >= frameSeqWindow {
					t.Fatalf("the late packet is %d behind, outside the window", at-late)
				}
				rx := NewFrameTracker(dc.codec, FrameReceiver)
				now := ft0
				for n, i := range order {
					p := pkts[i]
					if n == at-1 {
						// Frames 0..last without 10.
						if st := rx.Snapshot(inst(now)); st.Frames != uint32(c.last) {
							t.Fatalf("before the late packet: %d frames, want %d", st.Frames, c.last)
						}
					}
					rx.Packet(inst(now), p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
					now = now.Add(time.Millisecond)
				}
				st := rx.Snapshot(inst(now))
				if st.Frames != c.want || st.KeyFrames != c.wantK {
					t.Errorf("%d frames, %d key; want %d, %d", st.Frames, st.KeyFrames, c.want, c.wantK)
				}
				// However late frame 10 completed, frame 25's size is
				// newer (and for VP8 and VP9 frame 25 came before it).
				probe := readProbe(t, dc.name)
				if st.FrameWidth != uint32(probe[29].Width) {
					t.Errorf("width %d, want %d: a late key frame overwrote a newer size", st.FrameWidth, probe[29].Width)
				}
			})
		}
		t.Run(dc.name+"/everything twice", func(t *testing.T) {
			var order []int
			for i := range pkts {
				order = append(order, i, i)
			}
			// and once more, all of it, as if retransmitted late
			order = append(order, without(len(pkts))...)
			rx, now := playDump(dc.codec, pkts, order)
			if st := rx.Snapshot(inst(now)); st.Frames != 30 || st.KeyFrames != 4 {
				t.Errorf("%d frames, %d key; want 30, 4", st.Frames, st.KeyFrames)
			}
			tx := NewFrameTracker(dc.codec, FrameSender)
			for _, i := range order {
				p := pkts[i]
				tx.Packet(inst(now), p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
			}
			if st := tx.Snapshot(inst(now)); st.Frames != 30 || st.KeyFrames != 4 {
				t.Errorf("sender: %d frames, %d key; want 30, 4", st.Frames, st.KeyFrames)
			}
		})
	}
}

// vp8Pkt builds an RTP VP8 payload: descriptor with S and PID 0 when start,
// then data. A key frame start carries a key frame header of w x h.
func vp8Pkt(start, key bool, w, h uint16, size int) []byte {
	p := []byte{0x00}
	if start {
		p[0] = 0x10
	}
	d := make([]byte, size)
	if start {
		d[0] = 0x01 // inter frame: P bit set
		if key {
			d[0] = 0x00
			copy(d[3:], []byte{0x9d, 0x01, 0x2a, byte(w), byte(w >> 8), byte(h), byte(h >> 8)})
		}
	}
	return append(p, d...)
}

// TestFrameTrackerHandMade works through small streams by hand.
func TestFrameTrackerHandMade(t *testing.T) {
	t.Run("single-packet frames and wrap", func(t *testing.T) {
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		now := ft0
		seq, ts := uint16(65534), uint32(1<<32-3000)
		for i := range 4 {
			rx.Packet(inst(now), seq, ts, true, vp8Pkt(true, i == 0, 64, 48, 20))
			seq++
			ts += 3000
			now = now.Add(33 * time.Millisecond)
		}
		st := rx.Snapshot(inst(now))
		if st.Frames != 4 || st.KeyFrames != 1 || st.FramesAssembledFromMultiplePackets != 0 || st.TotalAssemblyTime != 0 {
			t.Errorf("%+v", st)
		}
		if st.FrameWidth != 64 || st.FrameHeight != 48 {
			t.Errorf("size %dx%d, want 64x48", st.FrameWidth, st.FrameHeight)
		}
	})
	t.Run("assembly time", func(t *testing.T) {
		// Three packets of one frame at 0, 5 and 12 ms, the marker packet
		// in the middle of the arrivals: 12 ms from first to last.
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		rx.Packet(inst(ft0), 10, 90, false, vp8Pkt(true, true, 8, 8, 20))
		rx.Packet(inst(ft0.Add(5*time.Millisecond)), 12, 90, true, vp8Pkt(false, false, 0, 0, 20))
		if st := rx.Snapshot(inst(ft0)); st.Frames != 0 {
			t.Fatalf("counted with packet 11 missing")
		}
		rx.Packet(inst(ft0.Add(12*time.Millisecond)), 11, 90, false, vp8Pkt(false, false, 0, 0, 20))
		st := rx.Snapshot(inst(ft0))
		if st.Frames != 1 || st.FramesAssembledFromMultiplePackets != 1 || math.Abs(st.TotalAssemblyTime-0.012) > 1e-12 {
			t.Errorf("%+v, want one frame assembled in 0.012 s", st)
		}
	})
	t.Run("start packet missing", func(t *testing.T) {
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		rx.Packet(inst(ft0), 11, 90, false, vp8Pkt(false, false, 0, 0, 20))
		rx.Packet(inst(ft0), 12, 90, true, vp8Pkt(false, false, 0, 0, 20))
		if st := rx.Snapshot(inst(ft0)); st.Frames != 0 || st.HasFrameSize || st.HasFramesPerSecond {
			t.Errorf("%+v: a frame without its first packet", st)
		}
	})
	t.Run("two start packets", func(t *testing.T) {
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		rx.Packet(inst(ft0), 1, 90, false, vp8Pkt(true, false, 0, 0, 20))
		rx.Packet(inst(ft0), 2, 90, true, vp8Pkt(true, false, 0, 0, 20))
		if st := rx.Snapshot(inst(ft0)); st.Frames != 0 {
			t.Errorf("counted a timestamp with two first packets")
		}
	})
	t.Run("stale frames are evicted", func(t *testing.T) {
		// Frame at ts 0 misses its middle packet while 32 more frames
		// start; the missing packet then arrives too late to complete it.
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		rx.Packet(inst(ft0), 0, 0, false, vp8Pkt(true, false, 0, 0, 20))
		rx.Packet(inst(ft0), 2, 0, true, vp8Pkt(false, false, 0, 0, 20))
		for i := range frameSlots {
			rx.Packet(inst(ft0), uint16(3+i), uint32(3000*(i+1)), true, vp8Pkt(true, false, 0, 0, 20))
		}
		rx.Packet(inst(ft0), 1, 0, false, vp8Pkt(false, false, 0, 0, 20))
		if st := rx.Snapshot(inst(ft0)); st.Frames != frameSlots {
			t.Errorf("%d frames, want %d: the evicted frame must not count", st.Frames, frameSlots)
		}
	})
	t.Run("packets older than the window", func(t *testing.T) {
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		rx.Packet(inst(ft0), 2000, 1, true, vp8Pkt(true, false, 0, 0, 20))
		rx.Packet(inst(ft0), 2000-frameSeqWindow, 2, true, vp8Pkt(true, false, 0, 0, 20)) // cannot tell it from a duplicate
		rx.Packet(inst(ft0), 1999, 3, true, vp8Pkt(true, false, 0, 0, 20))
		if st := rx.Snapshot(inst(ft0)); st.Frames != 2 {
			t.Errorf("%d frames, want 2: one packet was %d behind", st.Frames, frameSeqWindow)
		}
	})
	t.Run("sequence window boundaries", func(t *testing.T) {
		// A frame of two packets, 2000 and 2001, waits for its marker
		// packet while older packets arrive: one frameSeqWindow-1 behind is
		// accepted, one frameSeqWindow behind is ignored, and two
		// consecutive ones just short of frameRestartGap behind are
		// ignored too, without restarting: the waiting frame completes.
		// Two consecutive from frameRestartGap behind restart the
		// numbering; the second counts, the waiting frame is dropped.
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		one := func(seq uint16, ts uint32) { rx.Packet(inst(ft0), seq, ts, true, vp8Pkt(true, false, 0, 0, 20)) }
		frames := func(want uint32) {
			t.Helper()
			if st := rx.Snapshot(inst(ft0)); st.Frames != want {
				t.Fatalf("%d frames, want %d", st.Frames, want)
			}
		}
		rx.Packet(inst(ft0), 2000, 1, false, vp8Pkt(true, false, 0, 0, 20))
		one(2000-(frameSeqWindow-1), 2)
		frames(1)
		one(2000-frameSeqWindow, 3)
		frames(1)
		one(2000-(frameRestartGap-1), 4)
		one(2000-(frameRestartGap-2), 5)
		frames(1)
		rx.Packet(inst(ft0), 2001, 1, true, vp8Pkt(false, false, 0, 0, 20))
		frames(2)
		rx.Packet(inst(ft0), 2002, 6, false, vp8Pkt(true, false, 0, 0, 20)) // waits for 2003
		one(2002-frameRestartGap-1, 7)
		frames(2)
		one(2002-frameRestartGap, 8) // confirms the restart
		frames(3)
		one(2002-frameRestartGap+1, 9)
		frames(4)
		// 2003 is far ahead of the new numbering, and the frame it ended
		// was dropped with the old one: alone, it is no frame.
		rx.Packet(inst(ft0), 2003, 6, true, vp8Pkt(false, false, 0, 0, 20))
		frames(4)
	})
	t.Run("sequence restart", func(t *testing.T) {
		// Ten one-packet frames at 30000.., then the source restarts at
		// 100: 100 is too old to accept alone, 101 confirms the restart.
		for _, dir := range []FrameDirection{FrameReceiver, FrameSender} {
			f := NewFrameTracker(payload.CodecVP8, dir)
			for i := range 10 {
				f.Packet(inst(ft0), uint16(30000+i), uint32(i*3000), true, vp8Pkt(true, i == 0, 64, 48, 20))
			}
			for i := range 10 {
				f.Packet(inst(ft0), uint16(100+i), uint32(900000+i*3000), true, vp8Pkt(true, false, 0, 0, 20))
			}
			if st := f.Snapshot(inst(ft0)); st.Frames != 19 || st.KeyFrames != 1 || st.FrameWidth != 64 {
				t.Errorf("direction %d: %+v, want 19 frames, the size kept", dir, st)
			}
		}
	})
	t.Run("late key frame keeps the newer size", func(t *testing.T) {
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		rx.Packet(inst(ft0), 1, 100, false, vp8Pkt(true, true, 320, 240, 20)) // key 320x240, waits for seq 2
		rx.Packet(inst(ft0), 3, 200, true, vp8Pkt(true, true, 160, 120, 20))  // key 160x120, complete
		rx.Packet(inst(ft0), 2, 100, true, vp8Pkt(false, false, 0, 0, 20))    // completes the older one
		st := rx.Snapshot(inst(ft0))
		if st.Frames != 2 || st.KeyFrames != 2 || st.FrameWidth != 160 || st.FrameHeight != 120 {
			t.Errorf("%+v, want 2 key frames, size 160x120", st)
		}
	})
	t.Run("frame rate ring overflow", func(t *testing.T) {
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		now := ft0
		for i := range fpsRing + 10 {
			rx.Packet(inst(now), uint16(i), uint32(i*300), true, vp8Pkt(true, false, 0, 0, 20))
			now = now.Add(time.Millisecond)
		}
		if st := rx.Snapshot(inst(now)); st.HasFramesPerSecond {
			t.Errorf("%v fps from a ring of %d that overflowed within a second", st.FramesPerSecond, fpsRing)
		}
		// 1.1 s later no frame is in the last second: 0 is measured.
		if st := rx.Snapshot(inst(now.Add(1100 * time.Millisecond))); !st.HasFramesPerSecond || st.FramesPerSecond != 0 {
			t.Errorf("%v (%v) fps, want 0", st.FramesPerSecond, st.HasFramesPerSecond)
		}
	})
	t.Run("frame rate across long gaps", func(t *testing.T) {
		// Completions at 0, 254, 509 (gaps of 254 ms and 255 ms, the
		// shortest kept apart in full), then every 256 ms to 2301 (more
		// long gaps than are kept in full), then at 72301 (a gap beyond
		// 16 bits of ms) and 72302. Counted by hand over (now-1s, now].
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		at := []int{0, 254, 509, 765, 1021, 1277, 1533, 1789, 2045, 2301, 72301, 72302}
		checks := map[int][]struct{ now, want int }{
			509:   {{999, 3}, {1000, 2}},    // 0, 254, 509; then 254, 509
			1021:  {{1253, 4}, {1254, 3}},   // 254..1021; then 509..1021
			2301:  {{2301, 4}, {3300, 1}},   // 1533..2301; then 2301
			72302: {{72302, 2}, {73301, 1}}, // 72301, 72302; then 72302
		}
		for i, ms := range at {
			rx.Packet(inst(ft0.Add(time.Duration(ms)*time.Millisecond)), uint16(i), uint32(i*3000), true, vp8Pkt(true, false, 0, 0, 20))
			for _, c := range checks[ms] {
				if st := rx.Snapshot(inst(ft0.Add(time.Duration(c.now) * time.Millisecond))); !st.HasFramesPerSecond || st.FramesPerSecond != float64(c.want) {
					t.Errorf("after the frame at %d ms, at %d ms: %v fps (%v), want %d", ms, c.now, st.FramesPerSecond, st.HasFramesPerSecond, c.want)
				}
			}
		}
	})
	t.Run("frame rate with a completion stamped before the newest", func(t *testing.T) {
		// Frames complete at 1000 and 1100 ms, then one whose packet was
		// stamped at 1050 ms (read concurrently, locked later). At 1960 ms
		// all three lie in (960, 1960]: the late one counts at 1100, and
		// the one at 1000 stays at 1000.
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		for i, ms := range []int{1000, 1100, 1050} {
			rx.Packet(inst(ft0.Add(time.Duration(ms)*time.Millisecond)), uint16(i), uint32(i*3000), true, vp8Pkt(true, false, 0, 0, 20))
		}
		for _, c := range []struct{ now, want int }{{1960, 3}, {2000, 2}, {2099, 2}, {2100, 0}} {
			if st := rx.Snapshot(inst(ft0.Add(time.Duration(c.now) * time.Millisecond))); st.FramesPerSecond != float64(c.want) {
				t.Errorf("at %d ms: %v fps, want %d", c.now, st.FramesPerSecond, c.want)
			}
		}
	})
	t.Run("frame rate window is half-open", func(t *testing.T) {
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		rx.Packet(inst(ft0), 1, 1, true, vp8Pkt(true, false, 0, 0, 20))
		rx.Packet(inst(ft0.Add(500*time.Millisecond)), 2, 2, true, vp8Pkt(true, false, 0, 0, 20))
		for _, c := range []struct {
			at   time.Duration
			want float64
		}{{999 * time.Millisecond, 2}, {time.Second, 1}, {1500 * time.Millisecond, 0}} {
			if st := rx.Snapshot(inst(ft0.Add(c.at))); st.FramesPerSecond != c.want {
				t.Errorf("at %v: %v fps, want %v", c.at, st.FramesPerSecond, c.want)
			}
		}
	})
}

func TestFrameTrackerH264Start(t *testing.T) {
	// Frame 1 is an IDR picture in two packets (STAP-A SPS+PPS, then the
	// slice with first_mb_in_slice 0); frame 2 a one-packet P slice.
	// x264 baseline 320x180: the SPS crops 192 lines to 180 and carries
	// emulation prevention bytes.
	sps := mustHex(t, "6742c00cd901419f9f0110000003001000000301e0f142a480")
	pps := mustHex(t, "68cb83cb20")
	stap := []byte{0x78, 0, byte(len(sps))}
	stap = append(append(append(stap, sps...), 0, byte(len(pps))), pps...)
	idr := []byte{0x65, 0x88, 0x84, 0x00}
	pslice := []byte{0x41, 0x9a, 0x02}
	fuMiddle := []byte{0x7c, 0x05, 0x11} // FU-A of an IDR slice, neither start nor end

	t.Run("stream starts on an access unit", func(t *testing.T) {
		rx := NewFrameTracker(payload.CodecH264, FrameReceiver)
		rx.Packet(inst(ft0), 100, 9000, false, stap)
		rx.Packet(inst(ft0), 101, 9000, true, idr)
		rx.Packet(inst(ft0), 102, 12000, true, pslice)
		st := rx.Snapshot(inst(ft0))
		if st.Frames != 2 || st.KeyFrames != 1 || st.FrameWidth != 320 || st.FrameHeight != 180 {
			t.Errorf("%+v, want 2 frames, 1 key, 320x180", st)
		}
	})
	t.Run("stream starts mid-frame", func(t *testing.T) {
		// The first packet seen cannot open an access unit: frame 1 is not
		// provably complete, frame 2 follows its marker packet and is.
		rx := NewFrameTracker(payload.CodecH264, FrameReceiver)
		rx.Packet(inst(ft0), 100, 9000, false, fuMiddle)
		rx.Packet(inst(ft0), 101, 9000, true, idr)
		rx.Packet(inst(ft0), 102, 12000, true, pslice)
		if st := rx.Snapshot(inst(ft0)); st.Frames != 1 || st.KeyFrames != 0 {
			t.Errorf("%+v, want only the P frame", st)
		}
	})
	t.Run("predecessor arrives last", func(t *testing.T) {
		rx := NewFrameTracker(payload.CodecH264, FrameReceiver)
		rx.Packet(inst(ft0), 100, 9000, false, stap)
		rx.Packet(inst(ft0), 102, 12000, true, pslice)
		if st := rx.Snapshot(inst(ft0)); st.Frames != 0 {
			t.Fatalf("P frame counted before packet 101 told where it starts")
		}
		rx.Packet(inst(ft0), 101, 9000, true, idr)
		if st := rx.Snapshot(inst(ft0)); st.Frames != 2 {
			t.Errorf("%d frames, want 2", st.Frames)
		}
	})
	t.Run("evicted frame's tail", func(t *testing.T) {
		// Frame A (packets 10..12) loses 12 until 32 newer frames have
		// pushed it out of the tracker. Its tail then looks like a frame
		// of its own whose predecessor, 11, was seen; 11 has A's
		// timestamp, so it is no proof of a start.
		rx := NewFrameTracker(payload.CodecH264, FrameReceiver)
		rx.Packet(inst(ft0), 10, 1000, false, stap)
		rx.Packet(inst(ft0), 11, 1000, false, idr)
		for i := range frameSlots {
			rx.Packet(inst(ft0), uint16(13+i), uint32(2000+i), true, []byte{0x09, 0xf0}) // AUD: starts and ends a frame
		}
		rx.Packet(inst(ft0), 12, 1000, true, pslice)
		if st := rx.Snapshot(inst(ft0)); st.Frames != frameSlots {
			t.Errorf("%d frames, want %d", st.Frames, frameSlots)
		}
	})
	t.Run("padding predecessor is remembered for 4 packets", func(t *testing.T) {
		// Frame 1 (100, 101) and padding 102 arrive, then `between`
		// one-packet AUD frames (104...), then frame 2, the P slice 103,
		// whose only proof of a start is padding 102's other timestamp.
		// It counts while 102 is among the 4 packets received before it.
		for between, want := range []uint32{1, 1, 1, 1, 0, 0} {
			rx := NewFrameTracker(payload.CodecH264, FrameReceiver)
			rx.Packet(inst(ft0), 100, 9000, false, stap)
			rx.Packet(inst(ft0), 101, 9000, true, idr)
			rx.Packet(inst(ft0), 102, 9000, false, nil)
			for i := range between {
				rx.Packet(inst(ft0), uint16(104+i), uint32(15000+3000*i), true, []byte{0x09, 0xf0})
			}
			before := rx.Snapshot(inst(ft0)).Frames
			rx.Packet(inst(ft0), 103, 12000, true, pslice)
			if got := rx.Snapshot(inst(ft0)).Frames - before; got != want {
				t.Errorf("%d packets between: frame 2 counted %d times, want %d", between, got, want)
			}
		}
	})
	t.Run("predecessor's frame is still tracked", func(t *testing.T) {
		// Frame 2 (102, 103) arrives marker first, after five AUD frames:
		// packet 101, frame 1's last, is long out of the last 4 received
		// but frame 1 is tracked and keeps it as its highest packet.
		rx := NewFrameTracker(payload.CodecH264, FrameReceiver)
		rx.Packet(inst(ft0), 100, 9000, false, stap)
		rx.Packet(inst(ft0), 101, 9000, true, idr)
		for i := range 5 {
			rx.Packet(inst(ft0), uint16(104+i), uint32(15000+3000*i), true, []byte{0x09, 0xf0})
		}
		rx.Packet(inst(ft0), 103, 12000, true, []byte{0x41, 0x40, 0x00}) // a later slice
		rx.Packet(inst(ft0), 102, 12000, false, pslice)
		if st := rx.Snapshot(inst(ft0)); st.Frames != 7 {
			t.Errorf("%d frames, want 7", st.Frames)
		}
	})
	t.Run("padding between frames", func(t *testing.T) {
		// A padding-only packet (empty payload) after frame 1 is the
		// predecessor that proves where frame 2 starts; it is no frame.
		rx := NewFrameTracker(payload.CodecH264, FrameReceiver)
		rx.Packet(inst(ft0), 100, 9000, false, stap)
		rx.Packet(inst(ft0), 101, 9000, true, idr)
		rx.Packet(inst(ft0), 102, 9000, false, nil)
		rx.Packet(inst(ft0), 103, 12000, true, pslice)
		rx.Packet(inst(ft0), 104, 15000, true, nil) // padding with a marker
		if st := rx.Snapshot(inst(ft0)); st.Frames != 2 {
			t.Errorf("%d frames, want 2", st.Frames)
		}
	})
	t.Run("access unit delimiter proves the start", func(t *testing.T) {
		rx := NewFrameTracker(payload.CodecH264, FrameReceiver)
		rx.Packet(inst(ft0), 100, 9000, true, fuMiddle) // end of a frame whose start is unknown
		rx.Packet(inst(ft0), 102, 12000, false, []byte{0x09, 0xf0})
		rx.Packet(inst(ft0), 103, 12000, true, pslice)
		if st := rx.Snapshot(inst(ft0)); st.Frames != 1 {
			t.Errorf("%d frames, want 1: packet 101 is lost but 102 is an AUD", st.Frames)
		}
	})
}

func TestFrameTrackerSender(t *testing.T) {
	tx := NewFrameTracker(payload.CodecVP8, FrameSender)
	if st := tx.Snapshot(inst(ft0)); !st.Measured || st.HasHugeFramesSent || st.HasFramesPerSecond || st.HasSourceFramesPerSecond {
		t.Fatalf("fresh sender: %+v", st)
	}
	// 80 kbit/s at 10 fps: 1000-byte frames on average, huge from 2500.
	if err := tx.SetTarget(80000, 10); err != nil {
		t.Fatal(err)
	}
	now := ft0
	seq := uint16(0)
	send := func(sizes ...int) {
		for i, n := range sizes {
			tx.Packet(inst(now), seq, uint32(now.Sub(ft0)/time.Millisecond*90), i == len(sizes)-1, vp8Pkt(i == 0, false, 0, 0, n))
			seq++
		}
		now = now.Add(100 * time.Millisecond)
	}
	send(1200, 1299) // 2499 media bytes
	send(1200, 1300) // 2500: huge
	send(3000)       // huge
	// A retransmission of the last packet counts neither as a frame nor as
	// another huge one.
	tx.Packet(inst(now), seq-1, uint32((now.Sub(ft0)-100*time.Millisecond)/time.Millisecond*90), true, vp8Pkt(true, false, 0, 0, 3000))
	if err := tx.SetTarget(0, 10); err != nil {
		t.Fatal(err)
	}
	send(9000) // no target: not judged
	st := tx.Snapshot(inst(now))
	if st.Frames != 4 || st.KeyFrames != 0 || !st.HasHugeFramesSent || st.HugeFramesSent != 2 {
		t.Errorf("%+v, want 4 frames, 2 huge", st)
	}
	if st.HasFrameSize {
		t.Errorf("size %dx%d without a key frame", st.FrameWidth, st.FrameHeight)
	}
	// The first packet was at ft0, the snapshot 400 ms later: the source's
	// first second is not over.
	if !st.HasFramesPerSecond || st.FramesPerSecond != 4 || st.HasSourceFramesPerSecond {
		t.Errorf("%+v, want 4 fps and no source fps yet", st)
	}
	if st := tx.Snapshot(inst(ft0.Add(time.Second))); !st.HasSourceFramesPerSecond || st.SourceFramesPerSecond != 3 {
		t.Errorf("at 1 s: source %v fps (%v), want 3 (frames at 100..300 ms)", st.SourceFramesPerSecond, st.HasSourceFramesPerSecond)
	}
	for _, bad := range [][2]float64{{-1, 10}, {1000, -1}, {math.NaN(), 10}, {1000, math.Inf(1)}} {
		if err := tx.SetTarget(bad[0], bad[1]); !errors.Is(err, ErrInvalidFrameTarget) {
			t.Errorf("SetTarget(%v, %v) = %v", bad[0], bad[1], err)
		}
	}
}

func TestFrameTrackerUnknownCodec(t *testing.T) {
	if NewFrameTracker(payload.CodecUnknown, FrameReceiver) != nil || NewFrameTracker(payload.CodecVP8, 0) != nil {
		t.Fatal("tracker for an unknown codec or direction")
	}
	var f *FrameTracker
	f.Packet(inst(ft0), 1, 1, true, []byte{0x10, 0})
	f.SetCodec(payload.CodecVP8)
	if err := f.SetTarget(1, 1); err != nil {
		t.Error(err)
	}
	st := f.Snapshot(inst(ft0))
	if st != (FrameStats{}) {
		t.Errorf("nil tracker: %+v", st)
	}
	var in report.InboundRTPStreamStats
	var out report.OutboundRTPStreamStats
	var src report.VideoSourceStats
	st.FillInbound(&in)
	st.FillOutbound(&out)
	st.FillVideoSource(&src)
	if !reflect.DeepEqual(in, report.InboundRTPStreamStats{}) || !reflect.DeepEqual(out, report.OutboundRTPStreamStats{}) || src != (report.VideoSourceStats{}) {
		t.Error("unmeasured stats filled members")
	}
}

func TestFrameTrackerSetCodec(t *testing.T) {
	rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
	rx.Packet(inst(ft0), 1, 1, true, vp8Pkt(true, true, 32, 32, 20))
	rx.Packet(inst(ft0), 2, 2, false, vp8Pkt(true, false, 0, 0, 20)) // in progress, dropped by the switch
	rx.SetCodec(payload.CodecUnknown)
	rx.Packet(inst(ft0), 3, 2, true, vp8Pkt(false, false, 0, 0, 20))
	rx.SetCodec(payload.CodecH264)
	rx.Packet(inst(ft0), 4, 3, true, []byte{0x41, 0x9a}) // predecessor 3 was seen with another timestamp
	st := rx.Snapshot(inst(ft0))
	if st.Frames != 2 || st.KeyFrames != 1 || st.FrameWidth != 32 {
		t.Errorf("%+v, want the VP8 key frame and the H.264 frame", st)
	}
}

func TestFrameStatsFill(t *testing.T) {
	st := FrameStats{
		Measured: true, Frames: 7, KeyFrames: 2, FramesAssembledFromMultiplePackets: 3, TotalAssemblyTime: 0.5,
		HugeFramesSent: 1, HasHugeFramesSent: true, FrameWidth: 640, FrameHeight: 360, HasFrameSize: true,
		FramesPerSecond: 30, HasFramesPerSecond: true, SourceFramesPerSecond: 29, HasSourceFramesPerSecond: true,
	}
	var in report.InboundRTPStreamStats
	st.FillInbound(&in)
	if *in.FramesReceived != 7 || *in.KeyFramesDecoded != 2 || *in.FramesAssembledFromMultiplePackets != 3 ||
		*in.TotalAssemblyTime != 0.5 || *in.FrameWidth != 640 || *in.FrameHeight != 360 || *in.FramesPerSecond != 30 ||
		in.FramesDecoded != nil {
		t.Errorf("inbound %+v", in)
	}
	var out report.OutboundRTPStreamStats
	st.FillOutbound(&out)
	if *out.FramesSent != 7 || *out.KeyFramesEncoded != 2 || *out.HugeFramesSent != 1 || *out.FrameWidth != 640 ||
		*out.FrameHeight != 360 || *out.FramesPerSecond != 30 || out.FramesEncoded != nil {
		t.Errorf("outbound %+v", out)
	}
	var src report.VideoSourceStats
	st.FillVideoSource(&src)
	if *src.Frames != 7 || *src.Width != 640 || *src.Height != 360 || *src.FramesPerSecond != 29 {
		t.Errorf("source %+v", src)
	}
	// Absent stays absent.
	st.HasFrameSize, st.HasFramesPerSecond, st.HasHugeFramesSent, st.HasSourceFramesPerSecond = false, false, false, false
	in, out, src = report.InboundRTPStreamStats{}, report.OutboundRTPStreamStats{}, report.VideoSourceStats{}
	st.FillInbound(&in)
	st.FillOutbound(&out)
	st.FillVideoSource(&src)
	if in.FrameWidth != nil || in.FramesPerSecond != nil || out.HugeFramesSent != nil || out.FrameHeight != nil ||
		src.Width != nil || src.FramesPerSecond != nil {
		t.Error("absent members filled")
	}
}

// TestFrameTrackerLongStream replays each dump 5000 times (over 200000
// packets, through many 16-bit wraps and moves of the frames' offset base)
// with every frame's packets in reverse order, the first last: every frame
// and key frame counts, as ffprobe lists them per lap.
func TestFrameTrackerLongStream(t *testing.T) {
	const laps = 5000
	for _, dc := range dumpCodecs {
		t.Run(dc.name, func(t *testing.T) {
			pkts := readDump(t, dc.name)
			probe := readProbe(t, dc.name)
			idx := dumpFrameIndex(pkts)
			var keys uint32
			for _, p := range probe {
				keys += uint32(p.Key)
			}
			var order []int
			for i := range len(probe) {
				fp := framePackets(idx, i)
				for _, k := range slices.Backward(fp) {
					order = append(order, k)
				}
			}
			rx := NewFrameTracker(dc.codec, FrameReceiver)
			now := ft0
			for lap := range uint32(laps) {
				for _, i := range order {
					p := pkts[i]
					rx.Packet(inst(now), p.SequenceNumber+uint16(lap)*uint16(len(pkts)), p.Timestamp+lap*uint32(len(probe))*6000, p.Marker, p.Payload)
					now = now.Add(time.Millisecond)
				}
			}
			if st := rx.Snapshot(inst(now)); st.Frames != laps*uint32(len(probe)) || st.KeyFrames != laps*keys {
				t.Errorf("%d frames, %d key; want %d, %d", st.Frames, st.KeyFrames, laps*len(probe), laps*keys)
			}
		})
	}
}

// TestFrameTrackerFrameRateReference completes one-packet frames at random
// whole milliseconds, gaps from 0 to 1.5 s (bursts of many at once, 30 fps,
// long pauses), and checks framesPerSecond after each, at a time up to 100
// ms before it to 1.2 s after, against a count over every completion:
// present and exact while at most fpsRing frames fall in the last second,
// never wrong when present.
func TestFrameTrackerFrameRateReference(t *testing.T) {
	for seed := range uint64(10) {
		rng := rand.New(rand.NewPCG(seed, 11))
		rx := NewFrameTracker(payload.CodecVP8, FrameReceiver)
		var done []int64
		ms := int64(0)
		for i := range 3000 {
			switch r := rng.IntN(100); {
			case r < 40:
				// same millisecond
			case r < 80:
				ms += int64(rng.IntN(40))
			case r < 95:
				ms += int64(200 + rng.IntN(200))
			default:
				ms += int64(rng.IntN(1500))
			}
			rx.Packet(inst(ft0.Add(time.Duration(ms)*time.Millisecond)), uint16(i), uint32(i), true, vp8Pkt(true, false, 0, 0, 10))
			done = append(done, ms)
			// Sometimes before the newest completions, as a GetStats
			// that read its clock before packets stamped later were
			// accounted: those are not in (now-1s, now].
			now := ms + int64(rng.IntN(3))*int64(rng.IntN(600)) - int64(rng.IntN(2))*int64(rng.IntN(100))
			want := 0
			for _, d := range done {
				if now-d < 1000 && d <= now {
					want++
				}
			}
			st := rx.Snapshot(inst(ft0.Add(time.Duration(now) * time.Millisecond)))
			if st.HasFramesPerSecond && st.FramesPerSecond != float64(want) {
				t.Fatalf("seed %d, frame %d at %d ms, snapshot at %d: %v fps, want %d", seed, i, ms, now, st.FramesPerSecond, want)
			}
			if !st.HasFramesPerSecond && want <= fpsRing {
				t.Fatalf("seed %d, frame %d: framesPerSecond absent with %d frames in the last second", seed, i, want)
			}
		}
	}
}

// TestFrameTrackerPacketAllocs holds the hot path to zero allocations.
func TestFrameTrackerPacketAllocs(t *testing.T) {
	for _, dc := range dumpCodecs {
		pkts := readDump(t, dc.name)
		for _, dir := range []FrameDirection{FrameReceiver, FrameSender} {
			f := NewFrameTracker(dc.codec, dir)
			i := 0
			allocs := testing.AllocsPerRun(1000, func() {
				p := pkts[i%len(pkts)]
				lap := uint32(i / len(pkts))
				f.Packet(inst(ft0), p.SequenceNumber+uint16(lap)*uint16(len(pkts)), p.Timestamp+lap*30*6000, p.Marker, p.Payload)
				i++
			})
			if allocs != 0 {
				t.Errorf("%s direction %d: %v allocations per packet", dc.name, dir, allocs)
			}
		}
	}
}

// BenchmarkFrameTrackerPacket is the cost per packet of each dump, played
// in a loop, 1 ms apart, into a receiver (recv) and a sender (send). The
// times carry a monotonic reading, as the interceptor's do.
func BenchmarkFrameTrackerPacket(b *testing.B) {
	start := time.Now()
	for _, dir := range []struct {
		name string
		dir  FrameDirection
	}{{"recv", FrameReceiver}, {"send", FrameSender}} {
		for _, dc := range dumpCodecs {
			b.Run(dir.name+"/"+dc.name, func(b *testing.B) {
				pkts := readDump(b, dc.name)
				f := NewFrameTracker(dc.codec, dir.dir)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					p := pkts[i%len(pkts)]
					lap := uint32(i / len(pkts))
					f.Packet(inst(start.Add(time.Duration(i)*time.Millisecond)), p.SequenceNumber+uint16(lap)*uint16(len(pkts)), p.Timestamp+lap*30*6000, p.Marker, p.Payload)
					i++
				}
			})
		}
	}
}

// TestTrackerSizes holds the per-stream state to its budget: an inbound
// video stream embeds a FrameTracker and a BurstLoss and must stay within
// 4 KiB retained (internal/bench BenchmarkMemory). A change that regrows
// them must fail here, not in a benchmark nobody runs.
func TestTrackerSizes(t *testing.T) {
	const (
		// The Go allocator's size class: a tracker of 1153 bytes is
		// allocated 1280.
		frameBudget = 1152
		burstBudget = 614 // 0.6 KiB
	)
	if n := unsafe.Sizeof(FrameTracker{}); n > frameBudget {
		t.Errorf("FrameTracker is %d bytes, budget %d", n, frameBudget)
	}
	if n := unsafe.Sizeof(BurstLoss{}); n > burstBudget {
		t.Errorf("BurstLoss is %d bytes, budget %d", n, burstBudget)
	}
	// The frame slot is most of the tracker.
	if n := unsafe.Sizeof(frameSlot{}); n > 40 {
		t.Errorf("frameSlot is %d bytes, want at most 40", n)
	}
}

// TestVP8MayStartMatchesParser: a receiver parses a VP8 packet only when
// vp8MayStart says it may begin a frame. For every first byte, with each
// kind of descriptor extension and a key frame header right after any
// descriptor length, a packet it passes over must parse to nothing a
// receiver uses (no start, key or size), and one it passes that parses
// must be a start.
func TestVP8MayStartMatchesParser(t *testing.T) {
	p := payload.NewParser(payload.CodecVP8)
	starts := 0
	for b0 := range 256 {
		for _, ext := range []byte{0x00, 0x80, 0x40, 0x20, 0x10, 0xf0} {
			for _, pid := range []byte{0x00, 0x80} { // 7- or 15-bit PictureID
				for d := 1; d <= 5; d++ {
					pl := make([]byte, d+10)
					pl[0], pl[1], pl[2] = byte(b0), ext, pid
					copy(pl[d:], []byte{0x00, 0, 0, 0x9d, 0x01, 0x2a, 64, 0, 48, 0})
					info := p.Parse(pl)
					if !vp8MayStart(pl) && (info.Start || info.MayStart || info.Key || info.HasSize) {
						t.Fatalf("% x: skipped, but parses to %+v", pl, info)
					}
					if vp8MayStart(pl) && info.Valid && !info.Start {
						t.Fatalf("% x: passed, but parses to %+v", pl, info)
					}
					if info.Start {
						starts++
					}
				}
			}
		}
	}
	if starts == 0 {
		t.Fatal("no start packet among the cases")
	}
}

// TestFrameTrackerSenderInOrder works through a sender's stream by hand. A
// frame counts at its marker packet; a retransmission of any earlier
// packet, and a padding packet, changes nothing; a frame whose marker
// never went out before the next timestamp does not count; a frame begun
// before there was a target is not judged, the next one is; and the key
// flag and size come from a VP8 frame's first packet.
func TestFrameTrackerSenderInOrder(t *testing.T) {
	tx := NewFrameTracker(payload.CodecVP8, FrameSender)
	now := ft0
	pkt := func(seq uint16, ts uint32, marker bool, pl []byte) {
		tx.Packet(inst(now), seq, ts, marker, pl)
		now = now.Add(10 * time.Millisecond)
	}
	check := func(what string, frames, keys, huge uint32, hasHuge bool, w uint32) {
		t.Helper()
		st := tx.Snapshot(inst(now))
		if st.Frames != frames || st.KeyFrames != keys || st.HugeFramesSent != huge || st.HasHugeFramesSent != hasHuge || st.FrameWidth != w {
			t.Fatalf("%s: %+v, want %d frames, %d key, %d huge (%v), width %d", what, st, frames, keys, huge, hasHuge, w)
		}
	}
	pkt(100, 0, false, vp8Pkt(true, true, 320, 240, 1000)) // key frame 320x240
	pkt(101, 0, false, vp8Pkt(false, false, 0, 0, 1000))
	check("before the marker", 0, 0, 0, false, 0)
	pkt(100, 0, false, vp8Pkt(true, true, 320, 240, 1000)) // retransmitted
	pkt(102, 0, true, vp8Pkt(false, false, 0, 0, 1000))
	check("key frame", 1, 1, 0, false, 320)
	pkt(101, 0, false, vp8Pkt(false, false, 0, 0, 1000)) // retransmitted, after the marker
	pkt(102, 0, true, vp8Pkt(false, false, 0, 0, 1000))
	pkt(103, 0, false, nil) // padding
	check("retransmissions and padding", 1, 1, 0, false, 320)

	// Frame 3000 loses its marker packet; 6000 begins.
	pkt(104, 3000, false, vp8Pkt(true, false, 0, 0, 500))
	pkt(106, 6000, true, vp8Pkt(true, false, 0, 0, 500))
	check("a frame without its marker", 2, 1, 0, false, 320)

	// 80 kbit/s at 10 fps: huge from 2500 bytes. The target comes after
	// the first packet of frame 9000 (3000 bytes): it is not judged.
	pkt(107, 9000, false, vp8Pkt(true, false, 0, 0, 1500))
	if err := tx.SetTarget(80000, 10); err != nil {
		t.Fatal(err)
	}
	pkt(108, 9000, true, vp8Pkt(false, false, 0, 0, 1500))
	check("begun without a target", 3, 1, 0, true, 320)
	pkt(109, 12000, false, vp8Pkt(true, false, 0, 0, 1500))
	pkt(110, 12000, true, vp8Pkt(false, false, 0, 0, 1000))
	check("judged", 4, 1, 1, true, 320)

	// A key frame whose later packet looks like a first one of another
	// size: the first packet's size stands.
	pkt(111, 15000, false, vp8Pkt(true, true, 640, 480, 100))
	pkt(112, 15000, true, vp8Pkt(true, true, 160, 120, 100))
	check("size from the first packet", 5, 2, 1, true, 640)
}

// After a restart of the numbering to lower sequence numbers, a new key
// frame's size replaces the old one in either direction.
func TestFrameTrackerRestartTakesNewSize(t *testing.T) {
	for _, dir := range []FrameDirection{FrameReceiver, FrameSender} {
		f := NewFrameTracker(payload.CodecVP8, dir)
		for i := range 5 {
			f.Packet(inst(ft0), uint16(30000+i), uint32(i*3000), true, vp8Pkt(true, i == 0, 640, 480, 20))
		}
		for i := range 5 {
			f.Packet(inst(ft0), uint16(100+i), uint32(900000+i*3000), true, vp8Pkt(true, i == 1, 320, 240, 20))
		}
		if st := f.Snapshot(inst(ft0)); st.Frames != 9 || st.KeyFrames != 2 || st.FrameWidth != 320 || st.FrameHeight != 240 {
			t.Errorf("direction %d: %+v, want 9 frames, 2 key, 320x240", dir, st)
		}
	}
}
