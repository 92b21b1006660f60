package payload

import "testing"

// VP8 payload headers (RFC 6386 §9.1): a 3-byte frame tag
// |size[2:0]|show|ver:3|P| size[10:3] size[18:11], here first_part_size=18,
// show_frame=1, version 0, so 0x50 0x02 0x00 for a key frame (P=0); a key
// frame goes on with the start code 9d 01 2a and 16-bit LE width/height
// (160x120). The delta frame tag differs only in P=1.
var (
	vp8KeyHdr   = []byte{0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xa0, 0x00, 0x78, 0x00}
	vp8DeltaHdr = []byte{0x51, 0x02, 0x00, 0x11, 0x22}
)

// Descriptor bytes are picked so that a wrong offset lands on a byte whose
// bit 0 flips the verdict (odd ahead of a key header, even ahead of a delta
// one), or leaves no payload in the prefix sweep.
var vp8Cases = []struct {
	name       string
	payload    []byte
	descLen    int
	start, key bool
}{
	{"no X key", cat([]byte{0x10}, vp8KeyHdr), 1, true, true},
	{"no X delta", cat([]byte{0x10}, vp8DeltaHdr), 1, true, false},
	{"no X S=0", cat([]byte{0x00}, vp8KeyHdr), 1, false, false},
	{"S=1 PID=1", cat([]byte{0x11}, vp8KeyHdr), 1, false, false},
	{"S=0 PID=1", cat([]byte{0x01}, vp8KeyHdr), 1, false, false},
	{"N and R bits ignored", cat([]byte{0x10 | 0x20 | 0x40 | 0x08}, vp8KeyHdr), 1, true, true},
	{"X no fields", cat([]byte{0x90, 0x00}, vp8KeyHdr), 2, true, true},
	{"X I 7-bit", cat([]byte{0x90, 0x80, 0x17}, vp8KeyHdr), 3, true, true},
	{"X I 7-bit delta", cat([]byte{0x90, 0x80, 0x16}, vp8DeltaHdr), 3, true, false},
	{"X I 15-bit", cat([]byte{0x90, 0x80, 0x81, 0x23}, vp8KeyHdr), 4, true, true},
	{"X I 15-bit delta", cat([]byte{0x90, 0x80, 0x92, 0x34}, vp8DeltaHdr), 4, true, false},
	{"X L", cat([]byte{0x90, 0x40, 0x05}, vp8KeyHdr), 3, true, true},
	// TID=1 Y=0 KEYIDX=1.
	{"X T", cat([]byte{0x90, 0x20, 0x41}, vp8KeyHdr), 3, true, true},
	{"X K", cat([]byte{0x90, 0x10, 0x03}, vp8KeyHdr), 3, true, true},
	{"X T and K share a byte", cat([]byte{0x90, 0x30, 0x61}, vp8KeyHdr), 3, true, true},
	// PictureID 0x1235 (M=1), TL0PICIDX 7, TID=3 Y=1 KEYIDX=1.
	{"X I15 L T K key", cat([]byte{0x90, 0xf0, 0x92, 0x35, 0x07, 0xe1}, vp8KeyHdr), 6, true, true},
	{"X I15 L T K delta", cat([]byte{0x90, 0xf0, 0x92, 0x36, 0x08, 0xe2}, vp8DeltaHdr), 6, true, false},
	{"X I15 L T K continuation", cat([]byte{0x80, 0xf0, 0x92, 0x35, 0x07, 0xe1}, vp8KeyHdr), 6, false, false},
	{"X I7 L key", cat([]byte{0x90, 0xc0, 0x11, 0x03}, vp8KeyHdr), 4, true, true},
	{"descriptor only", []byte{0x90, 0x80, 0x17}, 3, false, false},
	{"15-bit PictureID cut", []byte{0x90, 0x80, 0x81}, 4, false, false},
	{"extension byte missing", []byte{0x90}, 2, false, false},
}

func TestVP8KeyFrame(t *testing.T) {
	for _, tc := range vp8Cases {
		t.Run(tc.name, func(t *testing.T) {
			start, key := VP8KeyFrame(tc.payload)
			if start != tc.start || key != tc.key {
				t.Fatalf("got start=%v key=%v, want %v %v", start, key, tc.start, tc.key)
			}
			checkPrefixes(t, CodecVP8, VP8KeyFrame, tc.payload, descriptorPrefixes(tc.descLen, tc.start, tc.key))
		})
	}
}

func TestVP8Sequence(t *testing.T) {
	const (
		keyTS   = 3000
		deltaTS = 6000
		lostTS  = 9000
		nextTS  = 12000
	)
	first := func(hdr []byte) []byte { return cat([]byte{0x90, 0x80, 0x05}, hdr) }
	rest := []byte{0x80, 0x80, 0x05, 0x50, 0x50} // S=0; data that would look key
	k := NewKeyFrames(CodecVP8)
	steps := []struct {
		ts      uint32
		payload []byte
		want    bool
	}{
		{keyTS, first(vp8KeyHdr), true},
		{keyTS, rest, true},
		{keyTS, rest, true},
		{deltaTS, first(vp8DeltaHdr), false},
		{deltaTS, rest, false},
		{keyTS, rest, true}, // late retransmission of the key frame
		// A second start for a timestamp already decided does not reopen it.
		{deltaTS, first(vp8KeyHdr), false},
		{deltaTS, rest, false},
		// Key frame whose first packet never shows up.
		{lostTS, rest, false},
		{lostTS, rest, false},
		{nextTS, first(vp8DeltaHdr), false},
		{nextTS, rest, false},
	}
	for i, s := range steps {
		if got := k.Packet(s.ts, s.payload); got != s.want {
			t.Errorf("step %d (ts %d): got %v, want %v", i, s.ts, got, s.want)
		}
	}
}
