package payload

import (
	"bytes"
	"encoding/hex"
	"path/filepath"
	"testing"

	"github.com/pion/rtp/codecs/vp9"
)

// bitWriter builds bit strings MSB first for hand-made headers.
type bitWriter struct {
	b []byte
	n uint // bits used in the last byte
}

func (w *bitWriter) put(v uint64, bits int) *bitWriter {
	for i := bits - 1; i >= 0; i-- {
		if w.n == 0 {
			w.b = append(w.b, 0)
		}
		if v>>uint(i)&1 == 1 {
			w.b[len(w.b)-1] |= 0x80 >> w.n
		}
		w.n = (w.n + 1) % 8
	}
	return w
}

func (w *bitWriter) flag(v bool) *bitWriter {
	if v {
		return w.put(1, 1)
	}
	return w.put(0, 1)
}

// ue writes an Exp-Golomb code (H.264 §9.1).
func (w *bitWriter) ue(v uint32) *bitWriter {
	x := uint64(v) + 1
	n := 0
	for x>>uint(n) > 1 {
		n++
	}
	w.put(0, n)
	return w.put(x, n+1)
}

func (w *bitWriter) se(v int32) *bitWriter {
	if v > 0 {
		return w.ue(uint32(2*v - 1))
	}
	return w.ue(uint32(-2 * v))
}

// uvlc writes an AV1 uvlc() (§4.10.3), the same code as ue.
func (w *bitWriter) uvlc(v uint32) *bitWriter { return w.ue(v) }

// trailing ends a bit string with a stop bit and zero padding.
func (w *bitWriter) trailing() []byte {
	w.put(1, 1)
	return w.b
}

// withEPB inserts H.264 emulation prevention bytes into an RBSP (§7.4.1).
func withEPB(rbsp []byte) []byte {
	var out []byte
	zeros := 0
	for _, c := range rbsp {
		if zeros >= 2 && c <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// checkAllPrefixes parses every prefix of p (in a slice of exactly that
// capacity, so reading past it panics) and checks that a prefix never
// reports a size other than the whole payload's, nor more media bytes than
// it has. (A prefix may parse where the whole does not: a valid STAP-A
// followed by garbage.)
func checkAllPrefixes(t *testing.T, c Codec, p []byte) {
	t.Helper()
	full := NewParser(c)
	whole := full.Parse(p)
	for n := range len(p) {
		pp := NewParser(c)
		f := pp.Parse(prefix(p, n))
		if f.HasSize && whole.HasSize && (f.Width != whole.Width || f.Height != whole.Height) {
			t.Errorf("%s prefix %d: size %dx%d, whole payload %dx%d", c, n, f.Width, f.Height, whole.Width, whole.Height)
		}
		if f.MediaBytes > n {
			t.Errorf("%s prefix %d: %d media bytes", c, n, f.MediaBytes)
		}
		if !f.Valid && f != (FrameInfo{}) {
			t.Errorf("%s prefix %d: invalid but %+v", c, n, f)
		}
	}
}

func TestVP8FrameInfo(t *testing.T) {
	// X=1, I=1 with a 15-bit picture ID (4-byte descriptor), then a key
	// frame tag, start code and 184x104 with scaling bits 2 and 1 set.
	key := cat([]byte{0x90, 0x80, 0x80, 0x05}, []byte{0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xb8, 0x80, 0x68, 0x40}, make([]byte, 20))
	inter := cat([]byte{0x90, 0x80, 0x80, 0x06}, []byte{0x51, 0x02, 0x00}, make([]byte, 20))
	cont := cat([]byte{0x80, 0x80, 0x80, 0x05}, make([]byte, 30))
	otherPart := cat([]byte{0x11}, make([]byte, 30)) // S=1 but PID=1
	for _, tc := range []struct {
		name string
		p    []byte
		want FrameInfo
	}{
		{"key", key, FrameInfo{Valid: true, Start: true, MayStart: true, Key: true, Width: 184, Height: 104, HasSize: true, MediaBytes: len(key) - 4}},
		{"inter", inter, FrameInfo{Valid: true, Start: true, MayStart: true, MediaBytes: len(inter) - 4}},
		{"continuation", cont, FrameInfo{Valid: true, MediaBytes: len(cont) - 4}},
		{"partition 1", otherPart, FrameInfo{Valid: true, MediaBytes: len(otherPart) - 1}},
		{"bad start code", cat(key[:7], []byte{0x9c}, key[8:]), FrameInfo{Valid: true, Start: true, MayStart: true, Key: true, MediaBytes: len(key) - 4}},
		{"zero width", cat(key[:10], []byte{0, 0xc0}, key[12:]), FrameInfo{Valid: true, Start: true, MayStart: true, Key: true, MediaBytes: len(key) - 4}},
		{"descriptor only", key[:4], FrameInfo{}},
		{"empty", nil, FrameInfo{}},
	} {
		p := NewParser(CodecVP8)
		if got := p.Parse(tc.p); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	checkAllPrefixes(t, CodecVP8, key)
	// The size needs all ten header bytes.
	p := NewParser(CodecVP8)
	if f := p.Parse(key[:13]); f.HasSize {
		t.Error("size from a header cut short")
	}
	if f := p.Parse(key[:14]); !f.HasSize {
		t.Error("no size from a complete header")
	}
}

// vp9Header writes a VP9 uncompressed header up to frame_size() (§6.2).
func vp9Header(profile int, showExisting, key bool, colorSpace uint64, w, h uint64) []byte {
	b := new(bitWriter).put(2, 2).put(uint64(profile&1), 1).put(uint64(profile>>1), 1)
	if profile == 3 {
		b.put(0, 1)
	}
	b.flag(showExisting)
	if showExisting {
		return b.put(5, 3).trailing()
	}
	b.flag(!key).put(1, 1).put(0, 1) // frame_type, show_frame, error_resilient_mode
	if !key {
		return b.put(0xabcdef, 24).trailing()
	}
	b.put(0x498342, 24)
	if profile >= 2 {
		b.put(1, 1)
	}
	b.put(colorSpace, 3)
	if colorSpace != 7 {
		b.put(1, 1)
		if profile == 1 || profile == 3 {
			b.put(1, 1).put(0, 1).put(0, 1)
		}
	} else if profile == 1 || profile == 3 {
		b.put(0, 1)
	}
	return b.put(w-1, 16).put(h-1, 16).put(0, 1).put(0xff, 8).trailing()
}

func TestVP9FrameInfo(t *testing.T) {
	// Headers for every profile and both colour space branches, checked
	// against pion's independent VP9 header parser.
	for profile := range 4 {
		for _, cs := range []uint64{2, 7} {
			hdr := vp9Header(profile, false, true, cs, 1280+uint64(profile), 721+cs)
			var ph vp9.Header
			if err := ph.Unmarshal(hdr); err != nil {
				t.Fatalf("profile %d cs %d: pion: %v", profile, cs, err)
			}
			p := NewParser(CodecVP9)
			// I=1 7-bit picture ID, B=1, no SS: the size comes from the header.
			f := p.Parse(cat([]byte{0x88, 0x11}, hdr))
			if !f.Start || !f.Key || !f.HasSize || f.Width != uint32(ph.Width()) || f.Height != uint32(ph.Height()) {
				t.Errorf("profile %d cs %d: %+v, pion %dx%d", profile, cs, f, ph.Width(), ph.Height())
			}
			if f.MediaBytes != len(hdr) {
				t.Errorf("profile %d: %d media bytes, want %d", profile, f.MediaBytes, len(hdr))
			}
			checkAllPrefixes(t, CodecVP9, cat([]byte{0x88, 0x11}, hdr))
		}
	}
	p := NewParser(CodecVP9)
	inter := cat([]byte{0xc8, 0x12}, vp9Header(0, false, false, 0, 0, 0)) // P=1
	if f := p.Parse(inter); !f.Start || f.Key || f.HasSize {
		t.Errorf("inter frame: %+v", f)
	}
	shown := cat([]byte{0x88, 0x13}, vp9Header(0, true, false, 0, 0, 0))
	if f := p.Parse(shown); !f.Start || f.Key || f.HasSize {
		t.Errorf("show_existing_frame: %+v", f)
	}
	badSync := cat([]byte{0x88, 0x11}, vp9Header(0, false, true, 1, 64, 64))
	badSync[3] ^= 0x10 // inside frame_sync_code
	if f := p.Parse(badSync); f.Key || f.HasSize {
		t.Errorf("wrong sync code: %+v", f)
	}
	// A scalability structure with three spatial layers: the last, the
	// largest, is the size, ahead of the header's (the base layer's).
	hdr := vp9Header(0, false, true, 1, 320, 180)
	three := cat([]byte{0x8a, 0x14}, // I B V
		[]byte{0x50}, // N_S=2, Y=1, G=0
		[]byte{0x01, 0x40, 0x00, 0xb4, 0x02, 0x80, 0x01, 0x68, 0x05, 0x00, 0x02, 0xd0}, // 320x180 640x360 1280x720
		hdr)
	if f := p.Parse(three); !f.Key || f.Width != 1280 || f.Height != 720 {
		t.Errorf("three-layer SS: %+v, want 1280x720", f)
	}
	checkAllPrefixes(t, CodecVP9, three)
	// Y=0: no sizes in the structure, the header's is used.
	noY := cat([]byte{0x8a, 0x14}, []byte{0x48, 0x01, 0x04, 0x01}, hdr) // N_S=2 Y=0 G=1, one group
	if f := p.Parse(noY); f.Width != 320 || f.Height != 180 {
		t.Errorf("SS without sizes: %+v, want 320x180", f)
	}
}

// TestVP9DumpHeaders strips the scalability structure from the key frame
// packets of the VP9 dump, so the size must come from the VP9 header.
func TestVP9DumpHeaders(t *testing.T) {
	pkts := readRTPDump(t, filepath.Join("testdata", "vp9.rtpdump"))
	probe := readProbe(t, filepath.Join("testdata", "vp9.ffprobe.json"))
	frame := -1
	var last uint32
	seen := 0
	for i, pkt := range pkts {
		if i == 0 || pkt.Timestamp != last {
			frame++
			last = pkt.Timestamp
		}
		pl := pkt.Payload
		if pl[0]&vp9V == 0 {
			continue
		}
		n, _, ss := vp9Descriptor(pl)
		stripped := cat([]byte{pl[0] &^ vp9V}, pl[1:ss], pl[n:])
		p := NewParser(CodecVP9)
		f := p.Parse(stripped)
		if !f.Key || f.Width != uint32(probe[frame].Width) || f.Height != uint32(probe[frame].Height) {
			t.Errorf("frame %d without SS: %+v, ffprobe %dx%d", frame, f, probe[frame].Width, probe[frame].Height)
		}
		seen++
	}
	if seen != dumpKeyFrames {
		t.Errorf("%d packets with a scalability structure, want one per key frame (%d)", seen, dumpKeyFrames)
	}
}

// SPS of x264 encodes made with ffmpeg 5.1.9 (testsrc2, -bsf:v
// h264_mp4toannexb), with the size ffprobe reports.
var realSPS = []struct {
	name string
	sps  string
	w, h uint32
}{
	{"constrained baseline 4:2:0, cropped", "6742c00cd901419f9f0110000003001000000301e0f142a480", 320, 180},
	{"1080p: 1088 lines cropped", "6742c028da01e0089f970110000003001000000301e0f1832a", 1920, 1080},
	{"high, JVT scaling lists", "6764000bacd943447967c044000003000400000300783c50a658", 200, 116},
	{"high, 4:0:0", "6764000af3650a378bbc05b20000030002000003003c1e244b2c", 150, 94},
	{"high 4:2:2", "677a000bbcd943447922f0110000030001000003001e0f142996", 202, 118},
	{"high 4:4:4", "67f4000a919b2869fc5c5e0220000003002000000303c1e244b2c0", 198, 102},
	{"interlaced", "67640015acd942c8fc460220000003002000000303c3e28532c0", 176, 100},
}

func TestH264SPS(t *testing.T) {
	for _, tc := range realSPS {
		sps := mustHex(t, tc.sps)
		w, h, ok := h264SPSSize(sps[1:])
		if !ok || w != tc.w || h != tc.h {
			t.Errorf("%s: %dx%d (%v), ffprobe %dx%d", tc.name, w, h, ok, tc.w, tc.h)
		}
		for n := range len(sps) - 1 {
			h264SPSSize(prefix(sps[1:], n)) // must not panic
		}
	}

	// Hand-made: Main profile, POC type 1 with a cycle of three, 20x12
	// macroblocks (320x192), field coding (frame_mbs_only 0, so 24 map
	// units are 12 macroblock rows... i.e. 2*12*16 = 384 lines), cropped
	// by 2 left, 3 right (x2 = 10 px) and 1 bottom (x4 = 4 lines):
	// 310x380. The large offsets for ref frames put runs of zeros in
	// the RBSP, which need emulation prevention.
	w := new(bitWriter).put(77, 8).put(0, 8).put(30, 8).ue(3)
	w.ue(0).ue(1)                       // log2_max_frame_num_minus4, pic_order_cnt_type 1
	w.put(0, 1).se(-2).se(1).ue(3)      // flags, offsets, cycle length
	w.se(1 << 20).se(-1 << 20).se(0)    // offset_for_ref_frame
	w.ue(2).put(0, 1).ue(19).ue(11)     // refs, gaps, width 20 mbs, 12 map units
	w.put(0, 1).put(1, 1).put(1, 1)     // frame_mbs_only 0, mb_adaptive, direct_8x8
	w.put(1, 1).ue(2).ue(3).ue(0).ue(1) // cropping
	rbsp := w.put(0, 1).trailing()      // vui_parameters_present_flag 0
	ebsp := withEPB(rbsp)
	if bytes.Equal(ebsp, rbsp) {
		t.Fatal("hand-made SPS needs no emulation prevention; the test would not cover it")
	}
	if w, h, ok := h264SPSSize(ebsp); !ok || w != 310 || h != 380 {
		t.Errorf("hand-made SPS: %dx%d (%v), want 310x380", w, h, ok)
	}
	if _, _, ok := h264SPSSize(rbsp); ok && bytes.Contains(rbsp, []byte{0, 0, 3}) {
		t.Error("the RBSP read as if it had emulation prevention")
	}

	// High profile with scaling lists: list 0 sent in full (16 deltas),
	// list 1 ends early (delta to 0), list 6 (8x8) in full (64 deltas).
	w = new(bitWriter).put(100, 8).put(0, 8).put(40, 8).ue(0)
	w.ue(1).ue(0).ue(0).put(0, 1).put(1, 1) // 4:2:0, 8 bit, scaling matrix present
	for i := range 8 {
		switch i {
		case 0:
			w.put(1, 1)
			for range 16 {
				w.se(1)
			}
		case 1:
			w.put(1, 1).se(3).se(-11) // 8+3 = 11, then 11-11 = 0: stop
		case 6:
			w.put(1, 1)
			for j := range 64 {
				w.se(int32(j%3) - 1)
			}
		default:
			w.put(0, 1)
		}
	}
	w.ue(0).ue(2).ue(1).put(0, 1).ue(79).ue(44).put(1, 1).put(1, 1).put(0, 1) // 1280x720, no crop
	if w, h, ok := h264SPSSize(withEPB(w.put(0, 1).trailing())); !ok || w != 1280 || h != 720 {
		t.Errorf("scaling lists: %dx%d (%v), want 1280x720", w, h, ok)
	}

	// High 4:4:4 has twelve scaling lists; the last four (8x8 Cb, Cr)
	// are sent here, the first eight not.
	w = new(bitWriter).put(244, 8).put(0, 8).put(40, 8).ue(0)
	w.ue(3).put(0, 1).ue(0).ue(0).put(0, 1).put(1, 1) // 4:4:4, not separate planes, scaling matrix
	for i := range 12 {
		w.flag(i >= 8)
		if i >= 8 {
			for range 64 {
				w.se(2)
			}
		}
	}
	// 1280x720 with 4:4:4 crop units (1x1): 6 right, 3 bottom.
	w.ue(0).ue(2).ue(1).put(0, 1).ue(79).ue(44).put(1, 1).put(1, 1).put(1, 1).ue(0).ue(6).ue(0).ue(3)
	if w, h, ok := h264SPSSize(withEPB(w.put(0, 1).trailing())); !ok || w != 1274 || h != 717 {
		t.Errorf("4:4:4 scaling lists: %dx%d (%v), want 1274x717", w, h, ok)
	}

	// Bit depths (§7.4.2.1.1: bit_depth_luma_minus8 and
	// bit_depth_chroma_minus8 are 0..6): a complete High 4:2:0 SPS,
	// 1280x720, accepted at the largest depths and refused when either
	// one is past its range.
	highDepths := func(luma, chroma uint32) []byte {
		w := new(bitWriter).put(110, 8).put(0, 8).put(40, 8).ue(0)
		w.ue(1).ue(luma).ue(chroma).put(0, 1).put(0, 1) // 4:2:0, depths, no bypass, no scaling matrix
		w.ue(0).ue(2).ue(1).put(0, 1).ue(79).ue(44).put(1, 1).put(1, 1).put(0, 1)
		return withEPB(w.put(0, 1).trailing())
	}
	if w, h, ok := h264SPSSize(highDepths(6, 6)); !ok || w != 1280 || h != 720 {
		t.Errorf("14-bit luma and chroma: %dx%d (%v), want 1280x720", w, h, ok)
	}
	for _, d := range [][2]uint32{{7, 0}, {0, 7}, {7, 7}} {
		if _, _, ok := h264SPSSize(highDepths(d[0], d[1])); ok {
			t.Errorf("bit_depth_luma_minus8 %d, bit_depth_chroma_minus8 %d: accepted", d[0], d[1])
		}
	}

	for _, bad := range []struct {
		name string
		w    *bitWriter
	}{
		{"sps id 32", new(bitWriter).put(66, 8).put(0, 16).ue(32)},
		{"chroma_format_idc 4", new(bitWriter).put(100, 8).put(0, 16).ue(0).ue(4)},
		{"pic_order_cnt_type 3", new(bitWriter).put(66, 8).put(0, 16).ue(0).ue(0).ue(3)},
		{"crop everything", new(bitWriter).put(66, 8).put(0, 16).ue(0).ue(0).ue(2).ue(1).put(0, 1).ue(0).ue(0).put(1, 1).put(1, 1).put(1, 1).ue(4).ue(4).ue(0).ue(0)},
	} {
		if _, _, ok := h264SPSSize(withEPB(bad.w.trailing())); ok {
			t.Errorf("%s: accepted", bad.name)
		}
	}
}

func TestH264FrameInfo(t *testing.T) {
	sps := mustHex(t, realSPS[0].sps) // 320x180
	pps := mustHex(t, "68cb83cb20")
	idr := []byte{0x65, 0x88, 0x84, 0x00, 0x10}
	slice2 := []byte{0x41, 0x40, 0x11} // first_mb_in_slice != 0
	stap := func(nals ...[]byte) []byte {
		p := []byte{0x78}
		for _, n := range nals {
			p = append(p, byte(len(n)>>8), byte(len(n)))
			p = append(p, n...)
		}
		return p
	}
	fu := func(nal []byte, s, e bool, from, to int) []byte {
		h := nal[0] & 0x1f
		if s {
			h |= 0x80
		}
		if e {
			h |= 0x40
		}
		return cat([]byte{nal[0]&0x60 | 28, h}, nal[1+from:1+to])
	}
	for _, tc := range []struct {
		name string
		p    []byte
		want FrameInfo
	}{
		{"SPS", sps, FrameInfo{Valid: true, MayStart: true, Width: 320, Height: 180, HasSize: true, MediaBytes: len(sps)}},
		{"STAP-A SPS PPS", stap(sps, pps), FrameInfo{Valid: true, MayStart: true, Width: 320, Height: 180, HasSize: true, MediaBytes: len(sps) + len(pps)}},
		{"STAP-A AUD SPS PPS IDR", stap([]byte{0x09, 0x10}, sps, pps, idr), FrameInfo{Valid: true, Start: true, MayStart: true, Key: true, Width: 320, Height: 180, HasSize: true, MediaBytes: 2 + len(sps) + len(pps) + len(idr)}},
		{"IDR slice", idr, FrameInfo{Valid: true, MayStart: true, Key: true, MediaBytes: len(idr)}},
		{"second slice", slice2, FrameInfo{Valid: true, MediaBytes: len(slice2)}},
		{"AUD", []byte{0x09, 0x10}, FrameInfo{Valid: true, Start: true, MayStart: true, MediaBytes: 2}},
		{"FU-A start of SPS", fu(sps, true, false, 0, 20), FrameInfo{Valid: true, MayStart: true, Width: 320, Height: 180, HasSize: true, MediaBytes: 21}},
		{"FU-A SPS cut short", fu(sps, true, false, 0, 4), FrameInfo{Valid: true, MayStart: true, MediaBytes: 5}},
		{"FU-A middle of IDR", fu(idr, false, false, 1, 3), FrameInfo{Valid: true, Key: true, MediaBytes: 2}},
		{"FU-A end, empty", fu(idr, false, true, 4, 4), FrameInfo{Valid: true, Key: true}},
		{"FU-A start and end", fu(idr, true, true, 0, 4), FrameInfo{}},
		{"forbidden bit", cat([]byte{0xe5}, idr[1:]), FrameInfo{}},
		{"STAP-A unit overruns", []byte{0x78, 0x00, 0x09, 0x67, 0x42}, FrameInfo{}},
		{"STAP-A with SPS then bad unit", cat(stap(sps), []byte{0x00}), FrameInfo{}},
		{"STAP-A empty", []byte{0x78, 0x00}, FrameInfo{}},
		{"STAP-B", []byte{0x79, 0x00, 0x00, 0x02, 0x65, 0x88}, FrameInfo{}},
		{"one byte", []byte{0x65}, FrameInfo{}},
	} {
		p := NewParser(CodecH264)
		if got := p.Parse(tc.p); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
		checkAllPrefixes(t, CodecH264, tc.p)
	}
}

// av1Seq describes a hand-made AV1 sequence header.
type av1Seq struct {
	reducedStill  bool
	timing        bool // timing_info
	unequal       bool // equal_picture_interval 0: frames carry a presentation time
	decoderModel  bool
	ops           []uint16 // operating_point_idc; the first op has a decoder model
	frameIDs      bool
	orderHintBits int
	chooseSCT     bool
	maxW, maxH    uint64
	widthBits     int
}

func (s av1Seq) obu() []byte {
	w := new(bitWriter).put(0, 3).flag(s.reducedStill).flag(s.reducedStill)
	if s.reducedStill {
		w.put(8, 5)
	} else {
		w.flag(s.timing)
		if s.timing {
			w.put(1, 32).put(30, 32).flag(!s.unequal)
			if !s.unequal {
				w.uvlc(0)
			}
			w.flag(s.decoderModel)
			if s.decoderModel {
				w.put(9, 5).put(1, 32).put(14, 5).put(6, 5) // delay 10 bits, removal 15, presentation 7
			}
		}
		w.put(1, 1) // initial_display_delay_present_flag
		w.put(uint64(len(s.ops)-1), 5)
		for i, idc := range s.ops {
			w.put(uint64(idc), 12).put(9, 5).put(1, 1) // level 9 > 7: seq_tier
			if s.decoderModel {
				w.flag(i == 0)
				if i == 0 {
					w.put(0x3ff, 10).put(0, 10).put(1, 1)
				}
			}
			w.put(1, 1).put(3, 4) // initial display delay
		}
	}
	w.put(uint64(s.widthBits-1), 4).put(uint64(s.widthBits-1), 4).put(s.maxW-1, s.widthBits).put(s.maxH-1, s.widthBits)
	if !s.reducedStill {
		w.flag(s.frameIDs)
		if s.frameIDs {
			w.put(5, 4).put(2, 3) // delta 7 bits, id_len 3+7 = 10
		}
	}
	w.put(0, 3)
	if !s.reducedStill {
		w.put(0, 4).flag(s.orderHintBits > 0)
		if s.orderHintBits > 0 {
			w.put(0, 2)
		}
		w.flag(s.chooseSCT) // seq_choose_screen_content_tools; else force = 0
		if !s.chooseSCT {
			w.put(0, 1)
		} else {
			w.put(1, 1) // seq_choose_integer_mv
		}
		if s.orderHintBits > 0 {
			w.put(uint64(s.orderHintBits-1), 3)
		}
	}
	w.put(0, 3).put(0x1d, 8) // superres, cdef, restoration, then colour config bits we do not read
	return w.trailing()
}

// keyFrame writes a frame header for s: a KEY_FRAME, shown or hidden,
// optionally overriding the size. tid/sid select buffer_removal_time.
func (s av1Seq) keyFrame(show, override bool, w, h uint64) []byte {
	b := new(bitWriter)
	if !s.reducedStill {
		b.put(0, 1).put(0, 2).flag(show) // show_existing_frame, KEY_FRAME, show_frame
		if show && s.decoderModel && s.unequal {
			b.put(0x55, 7) // temporal_point_info(): frame_presentation_time
		}
		if !show {
			b.put(1, 1) // showable_frame
			b.put(1, 1) // error_resilient_mode
		}
	}
	b.put(0, 1) // disable_cdf_update
	if s.chooseSCT || s.reducedStill {
		b.put(1, 1) // allow_screen_content_tools
		b.put(0, 1) // force_integer_mv (SELECT)
	}
	if s.frameIDs {
		b.put(0x155, 10)
	}
	if !s.reducedStill {
		b.flag(override)
	}
	b.put(3, s.orderHintBits)
	if s.decoderModel {
		b.put(1, 1) // buffer_removal_time_present_flag
		// Only op 0 has a decoder model; its time is coded when its idc
		// is 0 or includes temporal layer 0 and spatial layer 0.
		if idc := s.ops[0]; idc == 0 || idc&0x001 != 0 && idc&0x100 != 0 {
			b.put(0x5555, 15)
		}
	}
	if !show {
		b.put(0x0f, 8) // refresh_frame_flags
		for range 8 {
			b.put(1, s.orderHintBits) // ref_order_hint
		}
	}
	if override {
		b.put(w-1, s.widthBits).put(h-1, s.widthBits)
	}
	return b.put(0, 1).put(0xa5, 8).trailing()
}

// av1Packet wraps OBUs (header byte, no size field) as length-prefixed
// elements (W=0) behind an aggregation header with N.
func av1Packet(n bool, obus ...[]byte) []byte {
	p := []byte{0}
	if n {
		p[0] = av1N
	}
	for _, o := range obus {
		p = append(p, byte(len(o))) // all test OBUs are < 128 bytes
		p = append(p, o...)
	}
	return p
}

func obu(t byte, body []byte) []byte { return cat([]byte{t << 3}, body) }

func TestAV1FrameInfo(t *testing.T) {
	for _, tc := range []struct {
		name     string
		seq      av1Seq
		show     bool
		override bool
		w, h     uint32
	}{
		{"plain", av1Seq{ops: []uint16{0}, orderHintBits: 7, maxW: 1280, maxH: 720, widthBits: 11}, true, false, 1280, 720},
		{"override", av1Seq{ops: []uint16{0}, orderHintBits: 7, maxW: 1280, maxH: 720, widthBits: 11}, true, true, 640, 360},
		{"decoder model, two operating points", av1Seq{timing: true, decoderModel: true, ops: []uint16{0x101, 0x303}, orderHintBits: 5, maxW: 1920, maxH: 1080, widthBits: 12}, true, true, 960, 540},
		{"decoder model, op 0 without layer 0", av1Seq{timing: true, decoderModel: true, ops: []uint16{0x202, 0x303}, orderHintBits: 5, maxW: 1920, maxH: 1080, widthBits: 12}, true, true, 960, 540},
		{"presentation times", av1Seq{timing: true, unequal: true, decoderModel: true, ops: []uint16{0}, orderHintBits: 5, maxW: 1920, maxH: 1080, widthBits: 12}, true, true, 1000, 500},
		{"timing without decoder model", av1Seq{timing: true, ops: []uint16{0}, orderHintBits: 5, maxW: 1920, maxH: 1080, widthBits: 12}, true, false, 1920, 1080},
		{"frame ids, screen content", av1Seq{ops: []uint16{0}, frameIDs: true, chooseSCT: true, orderHintBits: 8, maxW: 400, maxH: 300, widthBits: 9}, true, true, 320, 240},
		{"hidden key frame", av1Seq{ops: []uint16{0}, orderHintBits: 6, maxW: 352, maxH: 288, widthBits: 9}, false, true, 176, 144},
		{"no order hints", av1Seq{ops: []uint16{0}, maxW: 352, maxH: 288, widthBits: 9}, true, true, 100, 80},
		{"reduced still picture", av1Seq{reducedStill: true, maxW: 64, maxH: 48, widthBits: 7}, true, false, 64, 48},
	} {
		seq := obu(obuSequenceHeader, tc.seq.obu())
		frame := obu(obuFrameHeader, tc.seq.keyFrame(tc.show, tc.override, uint64(tc.w), uint64(tc.h)))
		p := NewParser(CodecAV1)
		f := p.Parse(av1Packet(true, seq, frame))
		if !f.Valid || !f.Start || !f.Key || !f.HasSize || f.Width != tc.w || f.Height != tc.h {
			t.Errorf("%s: %+v, want key %dx%d", tc.name, f, tc.w, tc.h)
		}
		if f.MediaBytes != len(seq)+len(frame) {
			t.Errorf("%s: %d media bytes, want %d", tc.name, f.MediaBytes, len(seq)+len(frame))
		}
		// The key frame header alone, N=0, in a later packet: the parser
		// remembers the sequence header.
		if f := p.Parse(av1Packet(false, frame)); !f.MayStart || f.Start || !f.Key || f.Width != tc.w || f.Height != tc.h {
			t.Errorf("%s, frame header alone: %+v", tc.name, f)
		}
		// Without a sequence header the frame header cannot be read.
		fresh := NewParser(CodecAV1)
		if f := fresh.Parse(av1Packet(false, frame)); f.Key || f.HasSize || !f.MayStart {
			t.Errorf("%s, no sequence header: %+v", tc.name, f)
		}
		checkAllPrefixes(t, CodecAV1, av1Packet(true, seq, frame))
	}

	s := av1Seq{ops: []uint16{0}, orderHintBits: 7, maxW: 1280, maxH: 720, widthBits: 11}
	p := NewParser(CodecAV1)
	p.Parse(av1Packet(true, obu(obuSequenceHeader, s.obu())))
	inter := obu(obuFrame, new(bitWriter).put(0, 1).put(1, 2).put(1, 1).put(0xffff, 16).trailing()) // INTER_FRAME
	if f := p.Parse(av1Packet(false, inter)); f.Key || f.HasSize || !f.MayStart {
		t.Errorf("inter frame: %+v", f)
	}
	showExisting := obu(obuFrameHeader, new(bitWriter).put(1, 1).put(2, 3).trailing())
	if f := p.Parse(av1Packet(false, showExisting)); f.Key || f.HasSize {
		t.Errorf("show_existing_frame: %+v", f)
	}
	tile := obu(4, []byte{1, 2, 3}) // a tile group cannot lead a temporal unit
	if f := p.Parse(av1Packet(false, tile)); !f.Valid || f.MayStart {
		t.Errorf("tile group: %+v", f)
	}
	// Z=1: the first element continues an OBU; it is not read as one.
	cont := av1Packet(false, obu(obuSequenceHeader, []byte{0xff, 0xff, 0xff}), inter)
	cont[0] |= av1Z
	if f := p.Parse(cont); f.MayStart || f.Key || !f.Valid {
		t.Errorf("continuation: %+v", f)
	}
	// OBUs with obu_has_size_field and an extension header.
	kf := s.keyFrame(true, true, 320, 200)
	ext := cat([]byte{obuFrameHeader<<3 | obuExtension | obuHasSize, 0x20, byte(len(kf))}, kf, []byte{0xee}) // a byte past obu_size
	if f := p.Parse(av1Packet(false, ext)); !f.Key || f.Width != 320 || f.Height != 200 {
		t.Errorf("extension and size field: %+v", f)
	}
	// obu_size shorter than the header it should hold: the size is cut off.
	short := cat([]byte{obuFrameHeader<<3 | obuHasSize, 2}, kf)
	if f := p.Parse(av1Packet(false, short)); !f.Key || f.HasSize {
		t.Errorf("obu_size cuts the header: %+v", f)
	}
	// Z=1 with N=1 is forbidden.
	bad := av1Packet(true, inter)
	bad[0] |= av1Z
	if f := p.Parse(bad); f != (FrameInfo{}) {
		t.Errorf("Z and N: %+v", f)
	}
	// A broken sequence header drops the old one.
	p.Parse(av1Packet(true, obu(obuSequenceHeader, []byte{0x00})))
	if f := p.Parse(av1Packet(false, obu(obuFrameHeader, s.keyFrame(true, false, 0, 0)))); f.HasSize {
		t.Errorf("frame header read with a broken sequence header: %+v", f)
	}
}
