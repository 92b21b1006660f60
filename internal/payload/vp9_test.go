package payload

import "testing"

// vp9Data stands in for the VP9 frame after the descriptor; the parser never
// reads it beyond checking it is there.
var vp9Data = []byte{0x83, 0x49, 0x83, 0x42}

// invalid as descLen means no prefix, nor the whole payload, is valid.
const invalid = 1 << 20

// vp9KeySS is a key frame start in non-flexible mode (I L B V, picture ID
// 0x0001 with M=1, SID=0, TL0PICIDX 0) with the scalability structure as
// libwebrtc sends it on key frames: N_S=2 Y=1 G=1 (0x58); 320x180, 640x360,
// 1280x720; N_G=2; group T=0 U=0 R=1 (0x04) with P_DIFF 1; group T=1 U=1
// R=2 (0x38) with P_DIFFs 1, 2. The descriptor is 24 bytes.
var vp9KeySS = cat(
	[]byte{0xaa, 0x80, 0x01, 0x00, 0x00},
	[]byte{0x58},
	[]byte{0x01, 0x40, 0x00, 0xb4, 0x02, 0x80, 0x01, 0x68, 0x05, 0x00, 0x02, 0xd0},
	[]byte{0x02, 0x04, 0x01, 0x38, 0x01, 0x02},
	vp9Data)

// First bytes: I=0x80 P=0x40 L=0x20 F=0x10 B=0x08 E=0x04 V=0x02 Z=0x01.
// Layer byte: |TID:3|U|SID:3|D|.
var vp9Cases = []struct {
	name       string
	payload    []byte
	descLen    int
	start, key bool
}{
	{"minimal key", cat([]byte{0x08}, vp9Data), 1, true, true},
	{"minimal delta", cat([]byte{0x48}, vp9Data), 1, true, false},
	{"B=0 P=0", cat([]byte{0x04}, vp9Data), 1, false, false},
	{"B=0 P=1", cat([]byte{0x40}, vp9Data), 1, false, false},
	{"I 7-bit", cat([]byte{0x88, 0x12}, vp9Data), 2, true, true},
	{"I 15-bit", cat([]byte{0x88, 0x81, 0x02}, vp9Data), 3, true, true},
	// Picture ID 0x0005 (M=1), SID=0, TL0PICIDX=3. Misplacing the layer byte
	// by one would read 0x05 (SID=2) or 0x03 (SID=1).
	{"non-flexible L SID=0", cat([]byte{0xa8, 0x80, 0x05, 0x00, 0x03}, vp9Data), 5, true, true},
	{"non-flexible L SID=1", cat([]byte{0xa8, 0x80, 0x05, 0x03, 0x00}, vp9Data), 5, false, false},
	// TID=2 U=1 SID=0, TL0PICIDX 0x11.
	{"non-flexible L delta", cat([]byte{0xe8, 0x7f, 0x50, 0x11}, vp9Data), 4, true, false},
	// Flexible mode has no TL0PICIDX; P=0 means no P_DIFF either.
	{"flexible L key", cat([]byte{0xb8, 0x05, 0x00}, vp9Data), 3, true, true},
	{"flexible P=0 has no P_DIFF", cat([]byte{0x98, 0x03}, vp9Data), 2, true, true},
	// P_DIFF bytes |P_DIFF:7|N|: 0x02 = diff 1, last.
	{"flexible one P_DIFF", cat([]byte{0xd8, 0x21, 0x02}, vp9Data), 3, true, false},
	{"flexible L one P_DIFF", cat([]byte{0xf8, 0x80, 0x10, 0x50, 0x02}, vp9Data), 5, true, false},
	// 0x03 = diff 1 more, 0x05 = diff 2 more, 0x08 = diff 4 last.
	{"flexible L three P_DIFFs", cat([]byte{0xf8, 0x80, 0x10, 0x50, 0x03, 0x05, 0x08}, vp9Data), 7, true, false},
	{"flexible L SID=1", cat([]byte{0xf8, 0x80, 0x10, 0x52, 0x02}, vp9Data), 5, false, false},
	{"flexible four P_DIFFs", cat([]byte{0xd8, 0x21, 0x03, 0x03, 0x03, 0x02}, vp9Data), invalid, false, false},
	{"flexible P_DIFF chain cut", []byte{0xd8, 0x21, 0x03, 0x03}, invalid, false, false},
	{"non-flexible L V full SS", vp9KeySS, 24, true, true},
	{"V SS N_S=0 no Y no G", cat([]byte{0x0a, 0x00}, vp9Data), 2, true, true},
	{"V SS Y one layer", cat([]byte{0x0a, 0x10, 0x01, 0x40, 0x00, 0xf0}, vp9Data), 6, true, true},
	{"V SS G N_G=0", cat([]byte{0x0a, 0x08, 0x00}, vp9Data), 3, true, true},
	// Group T=0 U=0 R=3 (0x0c) with three P_DIFFs.
	{"V SS G R=3", cat([]byte{0x0a, 0x08, 0x01, 0x0c, 0x01, 0x02, 0x03}, vp9Data), 7, true, true},
	// I, P, L, F, B, V together: P_DIFFs then the SS.
	{"flexible L P_DIFF and SS", cat([]byte{0xfa, 0x21, 0x00, 0x02, 0x08, 0x01, 0x04, 0x01}, vp9Data), 8, true, false},
	{"V SS widths cut", []byte{0x0a, 0x58, 0x01, 0x40}, invalid, false, false},
}

func TestVP9KeyFrame(t *testing.T) {
	for _, tc := range vp9Cases {
		t.Run(tc.name, func(t *testing.T) {
			start, key := VP9KeyFrame(tc.payload)
			if start != tc.start || key != tc.key {
				t.Fatalf("got start=%v key=%v, want %v %v", start, key, tc.start, tc.key)
			}
			checkPrefixes(t, CodecVP9, VP9KeyFrame, tc.payload, descriptorPrefixes(tc.descLen, tc.start, tc.key))
		})
	}
}

func TestVP9Sequence(t *testing.T) {
	// Non-flexible, picture ID 7 bits: B on the first packet, E on the last.
	k := NewKeyFrames(CodecVP9)
	steps := []struct {
		ts      uint32
		payload []byte
		want    bool
	}{
		{1000, []byte{0x88, 0x01, 0xaa}, true},  // I B, P=0
		{1000, []byte{0x80, 0x01, 0xaa}, true},  // I
		{1000, []byte{0x84, 0x01, 0xaa}, true},  // I E
		{4000, []byte{0xc8, 0x02, 0xaa}, false}, // I P B
		{4000, []byte{0xc0, 0x02, 0xaa}, false},
		{4000, []byte{0xc4, 0x02, 0xaa}, false},
		// A key frame that lost its B packet: P=0 alone does not make it key.
		{7000, []byte{0x80, 0x03, 0xaa}, false},
		{7000, []byte{0x84, 0x03, 0xaa}, false},
		// Spatial layers share the timestamp. The SID=0 start decides; the
		// SID=1 layer frame (B=1, inter-layer predicted) inherits it.
		{10000, []byte{0xa8, 0x04, 0x00, 0x00, 0xaa}, true}, // I L B, SID 0
		{10000, []byte{0xa4, 0x04, 0x00, 0x00, 0xaa}, true}, // I L E, SID 0
		{10000, []byte{0xa9, 0x04, 0x03, 0x00, 0xaa}, true}, // I L B Z, SID 1 D
		{10000, []byte{0xa4, 0x04, 0x03, 0x00, 0xaa}, true}, // I L E, SID 1
		// The SID=1 frame of a picture whose base layer was never seen.
		{13000, []byte{0xa8, 0x05, 0x03, 0x00, 0xaa}, false},
		{13000, []byte{0xa4, 0x05, 0x03, 0x00, 0xaa}, false},
	}
	for i, s := range steps {
		if got := k.Packet(s.ts, s.payload); got != s.want {
			t.Errorf("step %d (ts %d): got %v, want %v", i, s.ts, got, s.want)
		}
	}
}
