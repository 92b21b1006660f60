package payload

import (
	"bytes"
	"testing"
)

// Aggregation header |Z|Y|W:2|N|-:3|; OBU headers |0|type:4|X|S|0| without
// obu_size as the RTP format recommends: 0x08 sequence header (type 1),
// 0x30 frame (type 6), 0x18 frame header (type 3), 0x20 tile group (type 4).
var (
	// N=1, W=0: elements of 3 and 2 bytes, each behind a leb128 length;
	// they end at 5 and 8.
	av1KeyW0 = []byte{0x08, 0x03, 0x08, 0x00, 0x00, 0x02, 0x30, 0x10}
	// N=1, W=0, one element of 130 bytes: leb128 130 = 0x82 0x01.
	av1KeyLong = cat([]byte{0x08, 0x82, 0x01, 0x30}, bytes.Repeat([]byte{0x00}, 129))
)

var av1Cases = []struct {
	name       string
	payload    []byte
	start, key bool
}{
	{"N=1 W=1", []byte{0x18, 0x08, 0x00, 0x00, 0x00}, true, true},
	{"N=1 W=0", av1KeyW0, true, true},
	{"N=1 W=0 two-byte leb128", av1KeyLong, true, true},
	{"N=1 W=0 padded leb128", []byte{0x08, 0x81, 0x00, 0x30}, true, true},
	{"N=0 W=1", []byte{0x10, 0x30, 0x10, 0x20}, true, false},
	{"N=0 W=2", []byte{0x20, 0x02, 0x18, 0x00, 0x20, 0x11}, true, false},
	{"N=1 Y=1 W=2", []byte{0x68, 0x03, 0x08, 0x00, 0x00, 0x30, 0x10, 0x20}, true, true},
	{"N=1 W=3", []byte{0x38, 0x01, 0x08, 0x02, 0x18, 0x00, 0x30, 0x10}, true, true},
	{"Z=1 W=1", []byte{0x90, 0xde, 0xad}, false, false},
	{"Z=1 Y=1 W=1", []byte{0xd0, 0x01, 0x02}, false, false},
	{"Z=1 N=1 forbidden", []byte{0x98, 0x08, 0x00}, false, false},
	{"W=0 length past end", []byte{0x08, 0x05, 0x08, 0x00}, false, false},
	{"W=0 empty element", []byte{0x08, 0x00, 0x01, 0x30}, false, false},
	{"W=0 leb128 cut", []byte{0x08, 0x82}, false, false},
	// leb128 1 padded to 9 bytes; the AV1 bitstream stops reading at 8.
	{"W=0 leb128 over 8 bytes", []byte{0x08, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x30}, false, false},
	{"W=2 first length past end", []byte{0x28, 0x05, 0x08}, false, false},
	{"W=3 only two elements", []byte{0x38, 0x01, 0x08, 0x01, 0x30}, false, false},
	{"W=2 only one element", []byte{0x28, 0x01, 0x08}, false, false},
	{"header only", []byte{0x18}, false, false},
	{"empty", nil, false, false},
}

func TestAV1KeyFrame(t *testing.T) {
	for _, tc := range av1Cases {
		start, key := AV1KeyFrame(tc.payload)
		if start != tc.start || key != tc.key {
			t.Errorf("%s: got start=%v key=%v, want %v %v", tc.name, start, key, tc.start, tc.key)
		}
	}
}

func TestAV1Prefixes(t *testing.T) {
	t.Run("W=0", func(t *testing.T) {
		checkPrefixes(t, CodecAV1, AV1KeyFrame, av1KeyW0, onlyAt(map[int][2]bool{
			5: {true, true}, 8: {true, true},
		}))
	})
	t.Run("W=1", func(t *testing.T) {
		// The only element is unsized, so every prefix with one byte of it
		// is a valid packet.
		checkPrefixes(t, CodecAV1, AV1KeyFrame, []byte{0x18, 0x08, 0x00, 0x00, 0x00}, func(n int) (bool, bool) {
			return n >= 2, n >= 2
		})
	})
	t.Run("W=0 long", func(t *testing.T) {
		checkPrefixes(t, CodecAV1, AV1KeyFrame, av1KeyLong, onlyAt(map[int][2]bool{
			len(av1KeyLong): {true, true},
		}))
	})
}

func TestAV1Sequence(t *testing.T) {
	k := NewKeyFrames(CodecAV1)
	steps := []struct {
		ts      uint32
		payload []byte
		want    bool
	}{
		// Key frame over three packets: N=1 Y=1, then Z=1 Y=1, then Z=1.
		{3000, []byte{0x58, 0x08, 0x00, 0x30}, true},
		{3000, []byte{0xd0, 0x11, 0x12}, true},
		{3000, []byte{0x90, 0x13, 0x14}, true},
		// Delta frame: N=0 Y=1, Z=1 Y=1, Z=1.
		{6000, []byte{0x50, 0x30, 0x10}, false},
		{6000, []byte{0xd0, 0x11, 0x12}, false},
		{6000, []byte{0x90, 0x13, 0x14}, false},
		// Key frame without its first packet.
		{9000, []byte{0xd0, 0x11, 0x12}, false},
		{9000, []byte{0x90, 0x13, 0x14}, false},
		// Delta frame split at OBU boundaries: Z=0 on every packet.
		{12000, []byte{0x10, 0x18, 0x00}, false},
		{12000, []byte{0x10, 0x20, 0x00}, false},
		// Retransmitted tail of the key frame.
		{3000, []byte{0x90, 0x13, 0x14}, true},
		{15000, []byte{0x10, 0x30, 0x10}, false},
	}
	for i, s := range steps {
		if got := k.Packet(s.ts, s.payload); got != s.want {
			t.Errorf("step %d (ts %d): got %v, want %v", i, s.ts, got, s.want)
		}
	}
}
