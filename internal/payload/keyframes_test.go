package payload

import "testing"

func TestKeyFramesForgetsOldFrames(t *testing.T) {
	k := NewKeyFrames(CodecVP8)
	keyStart := []byte{0x10, 0x50, 0x02, 0x00}
	deltaStart := []byte{0x10, 0x51, 0x02, 0x00}
	cont := []byte{0x00, 0x50}
	if !k.Packet(0, keyStart) {
		t.Fatal("key frame start at ts 0 not key")
	}
	// 15 more frames: the key frame is still one of the last 16.
	for i := uint32(1); i < 16; i++ {
		if k.Packet(i*3000, deltaStart) {
			t.Fatalf("delta frame %d reported key", i)
		}
	}
	if !k.Packet(0, cont) {
		t.Error("retransmission of a key frame 15 frames back not key")
	}
	// The 17th frame pushes the key frame out; its packets are now orphans.
	k.Packet(16*3000, deltaStart)
	if k.Packet(0, cont) {
		t.Error("retransmission of a forgotten key frame reported key")
	}
}

func TestKeyFramesTimestampZeroAndJumps(t *testing.T) {
	k := NewKeyFrames(CodecVP8)
	// The empty history must not match timestamp 0.
	if k.Packet(0, []byte{0x00, 0x50}) {
		t.Error("continuation at ts 0 on a fresh tracker reported key")
	}
	if !k.Packet(0xfffffe00, []byte{0x10, 0x50}) {
		t.Error("key frame before the wrap not key")
	}
	if !k.Packet(0x00000a00, []byte{0x10, 0x50}) {
		t.Error("key frame after the wrap not key")
	}
	// A sender that restarts its timestamps far back still gets decisions.
	if !k.Packet(0x1000, []byte{0x10, 0x50}) || !k.Packet(0x1000, []byte{0x00, 0x51}) {
		t.Error("key frame after a backward jump not key")
	}
	if k.Packet(0x1000+3000, []byte{0x10, 0x51}) {
		t.Error("delta frame after a backward jump reported key")
	}
}

func TestKeyFramesReset(t *testing.T) {
	k := NewKeyFrames(CodecVP8)
	k.Packet(9000, []byte{0x10, 0x50})
	k.Reset(CodecH264)
	if k.Codec() != CodecH264 {
		t.Fatalf("Codec() = %v after Reset(CodecH264)", k.Codec())
	}
	// The VP8 key frame is forgotten, and an H.264 non-IDR slice at the same
	// timestamp starts a frame that is not key.
	if k.Packet(9000, h264Slice) {
		t.Error("frame remembered across Reset")
	}
}

func TestKeyFramesPacketAllocs(t *testing.T) {
	type pkt struct {
		ts      uint32
		payload []byte
	}
	streams := []struct {
		codec Codec
		pkts  []pkt
	}{
		{CodecVP8, []pkt{{1, cat([]byte{0x90, 0xf0, 0x92, 0x35, 0x07, 0xe1}, vp8KeyHdr)}, {1, []byte{0x00, 0x11}}, {2, []byte{0x11, 0x11}}}},
		{CodecVP9, []pkt{{1, vp9KeySS}, {1, []byte{0x84, 0x01, 0xaa}}, {2, []byte{0xc8, 0x02, 0xaa}}}},
		{CodecH264, []pkt{{1, h264STAPParamsIDR}, {1, fuA(0x85, 0x88)}, {2, fuA(0x81, 0x9a)}, {2, h264Slice2}}},
		{CodecAV1, []pkt{{1, av1KeyLong}, {1, []byte{0x90, 0x13}}, {2, []byte{0x10, 0x30}}}},
	}
	for _, s := range streams {
		k := NewKeyFrames(s.codec)
		ts := uint32(0)
		allocs := testing.AllocsPerRun(200, func() {
			ts += 10 // new frames each run, so the history keeps turning over
			for _, p := range s.pkts {
				k.Packet(ts+p.ts, p.payload)
			}
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations per run, want 0", s.codec, allocs)
		}
	}
}

func BenchmarkKeyFramesPacket(b *testing.B) {
	k := NewKeyFrames(CodecVP9)
	b.ReportAllocs()
	for i := range b.N {
		k.Packet(uint32(i/3), vp9KeySS)
	}
}

// FuzzParsers checks that no input panics a parser or a tracker, and that
// the explicit-start codecs never call a packet key without calling it a
// start.
func FuzzParsers(f *testing.F) {
	for _, tc := range vp8Cases {
		f.Add(tc.payload)
	}
	for _, tc := range vp9Cases {
		f.Add(tc.payload)
	}
	for _, tc := range h264Cases {
		f.Add(tc.payload)
	}
	for _, tc := range av1Cases {
		f.Add(tc.payload)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		for _, parse := range []func([]byte) (bool, bool){VP8KeyFrame, VP9KeyFrame, AV1KeyFrame} {
			if start, key := parse(p); key && !start {
				t.Fatalf("key without start for % x", p)
			}
		}
		H264KeyFrame(p)
		for c := CodecUnknown; c <= CodecAV1; c++ {
			k := NewKeyFrames(c)
			k.Packet(7, p)
			k.Packet(7, p)
		}
	})
}
