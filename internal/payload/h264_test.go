package payload

import "testing"

// NAL units, header |F|NRI:2|Type:5|. A slice header starts with
// first_mb_in_slice as ue(v): a leading 1 bit is 0 (first slice of the
// picture), a leading 0 bit is a later slice.
var (
	h264SPS      = []byte{0x67, 0x42, 0xc0, 0x0a}       // NRI 3, type 7
	h264PPS      = []byte{0x68, 0xce, 0x0f, 0xc8}       // NRI 3, type 8
	h264IDR      = []byte{0x65, 0x88, 0x84, 0x00}       // NRI 3, type 5, first_mb 0
	h264IDR2     = []byte{0x65, 0x41, 0x9a, 0x00}       // type 5, first_mb != 0
	h264Slice    = []byte{0x41, 0x9a, 0x02, 0x10}       // NRI 2, type 1, first_mb 0
	h264Slice2   = []byte{0x41, 0x5a, 0x02}             // type 1, first_mb != 0
	h264AUD      = []byte{0x09, 0x10}                   // type 9, primary_pic_type 0
	h264SEI      = []byte{0x06, 0x05, 0x01, 0x00, 0x80} // type 6
	h264PartB    = []byte{0x23, 0x80, 0x01}             // NRI 1, type 3: slice_id first
	h264EndOfSeq = []byte{0x0a, 0x00}                   // type 10, padded
)

// stapA builds a STAP-A (RFC 6184 §5.7.1): header NRI 3 type 24 (0x78), then
// each NAL unit behind its 16-bit size, written out by hand here.
var (
	// 0x78 | 00 04 SPS | 00 04 PPS | 00 04 IDR = 19 bytes; units end at 7,
	// 13 and 19.
	h264STAPParamsIDR = cat([]byte{0x78, 0x00, 0x04}, h264SPS, []byte{0x00, 0x04}, h264PPS, []byte{0x00, 0x04}, h264IDR)
	h264STAPParams    = cat([]byte{0x78, 0x00, 0x04}, h264SPS, []byte{0x00, 0x04}, h264PPS)
	// Units end at 7, 13 and 19: SPS, PPS, then a non-IDR slice.
	h264STAPParamsSlice = cat([]byte{0x78, 0x00, 0x04}, h264SPS, []byte{0x00, 0x04}, h264PPS, []byte{0x00, 0x04}, h264Slice)
	h264STAPAUDSlice    = cat([]byte{0x58, 0x00, 0x02}, h264AUD, []byte{0x00, 0x04}, h264Slice)
	h264STAPAUDSPSPPS   = cat([]byte{0x78, 0x00, 0x02}, h264AUD, []byte{0x00, 0x04}, h264SPS, []byte{0x00, 0x04}, h264PPS)
)

// fuA builds an FU-A (RFC 6184 §5.8) with FU indicator F=0 NRI=3 type 28
// (0x7c) and FU header |S|E|R|Type|.
func fuA(fuHeader byte, data ...byte) []byte {
	return cat([]byte{0x7c, fuHeader}, data)
}

var h264Cases = []struct {
	name       string
	payload    []byte
	start, key bool
}{
	{"single IDR", h264IDR, true, true},
	{"single IDR later slice", h264IDR2, false, true},
	{"single non-IDR", h264Slice, true, false},
	{"single non-IDR later slice", h264Slice2, false, false},
	{"single SPS", h264SPS, true, true},
	{"single PPS", h264PPS, true, true},
	{"single AUD", h264AUD, true, false},
	{"single SEI", h264SEI, true, false},
	{"single partition B", h264PartB, false, false},
	{"single end of sequence", h264EndOfSeq, false, false},
	{"single prefix NAL (14)", []byte{0x6e, 0x80, 0x01}, true, false},
	{"single subset SPS (15)", []byte{0x6f, 0x53, 0x00}, true, false},
	{"single filler (12)", []byte{0x0c, 0xff, 0x80}, false, false},
	{"single auxiliary slice (19)", []byte{0x73, 0x88}, false, false},
	{"F bit set", []byte{0xe5, 0x88, 0x84}, false, false},
	{"header only", []byte{0x65}, false, false},
	{"empty", nil, false, false},
	{"STAP-A SPS PPS IDR", h264STAPParamsIDR, true, true},
	{"STAP-A SPS PPS", h264STAPParams, true, true},
	{"STAP-A SPS PPS non-IDR", h264STAPParamsSlice, true, false},
	{"STAP-A AUD non-IDR", h264STAPAUDSlice, true, false},
	{"STAP-A AUD SPS PPS", h264STAPAUDSPSPPS, true, true},
	{"STAP-A size past end", cat([]byte{0x78, 0x00, 0x04}, h264SPS, []byte{0x00, 0x05}, h264IDR), false, false},
	{"STAP-A half a size", cat([]byte{0x78, 0x00, 0x04}, h264SPS, []byte{0x00}), false, false},
	{"STAP-A zero size", cat([]byte{0x78, 0x00, 0x00, 0x00, 0x04}, h264IDR), false, false},
	{"STAP-A no units", []byte{0x78, 0x00}, false, false},
	{"STAP-A F bit in unit", cat([]byte{0x78, 0x00, 0x04, 0xe7}, h264SPS[1:]), false, false},
	{"FU-A IDR start", fuA(0x85, 0x88, 0x84, 0x21), true, true},
	{"FU-A IDR middle", fuA(0x05, 0x21, 0x22), false, false},
	{"FU-A IDR end", fuA(0x45, 0x23), false, false},
	{"FU-A IDR start later slice", fuA(0x85, 0x41, 0x9a), false, true},
	{"FU-A non-IDR start", fuA(0x81, 0x9a, 0x02), true, false},
	{"FU-A non-IDR middle", fuA(0x01, 0x9a), false, false},
	{"FU-A non-IDR end", fuA(0x41, 0x9a), false, false},
	{"FU-A S and E", fuA(0xc5, 0x88), false, false},
	{"FU-A no data", fuA(0x85), false, false},
	{"STAP-B", cat([]byte{0x79, 0x00, 0x01, 0x00, 0x04}, h264IDR), false, false},
	{"MTAP16", []byte{0x7a, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x65, 0x88}, false, false},
	{"FU-B", []byte{0x7d, 0x85, 0x00, 0x01, 0x88}, false, false},
	{"type 0", []byte{0x60, 0x88}, false, false},
	{"type 30", []byte{0x7e, 0x88}, false, false},
	{"type 31", []byte{0x7f, 0x88}, false, false},
}

func TestH264KeyFrame(t *testing.T) {
	for _, tc := range h264Cases {
		start, key := H264KeyFrame(tc.payload)
		if start != tc.start || key != tc.key {
			t.Errorf("%s: got start=%v key=%v, want %v %v", tc.name, start, key, tc.start, tc.key)
		}
	}
}

func TestH264Prefixes(t *testing.T) {
	t.Run("STAP-A SPS PPS IDR", func(t *testing.T) {
		checkPrefixes(t, CodecH264, H264KeyFrame, h264STAPParamsIDR, onlyAt(map[int][2]bool{
			7: {true, true}, 13: {true, true}, 19: {true, true},
		}))
	})
	t.Run("STAP-A SPS PPS non-IDR", func(t *testing.T) {
		// Cut before the slice, the parameter sets look like they lead an IDR.
		checkPrefixes(t, CodecH264, H264KeyFrame, h264STAPParamsSlice, onlyAt(map[int][2]bool{
			7: {true, true}, 13: {true, true}, 19: {true, false},
		}))
	})
	t.Run("FU-A IDR start", func(t *testing.T) {
		p := fuA(0x85, 0x88, 0x84, 0x21)
		checkPrefixes(t, CodecH264, H264KeyFrame, p, func(n int) (bool, bool) {
			return n >= 3, n >= 3
		})
	})
	t.Run("single IDR", func(t *testing.T) {
		checkPrefixes(t, CodecH264, H264KeyFrame, h264IDR, func(n int) (bool, bool) {
			return n >= 2, n >= 2
		})
	})
}

func TestH264Sequence(t *testing.T) {
	k := NewKeyFrames(CodecH264)
	steps := []struct {
		ts      uint32
		payload []byte
		want    bool
	}{
		// IDR in three FU-A fragments.
		{3000, fuA(0x85, 0x88, 0x84), true},
		{3000, fuA(0x05, 0x21), true},
		{3000, fuA(0x45, 0x22), true},
		// Non-IDR picture in three fragments.
		{6000, fuA(0x81, 0x9a), false},
		{6000, fuA(0x01, 0x21), false},
		{6000, fuA(0x41, 0x22), false},
		// IDR whose first fragment was lost: the rest says nothing.
		{9000, fuA(0x05, 0x21), false},
		{9000, fuA(0x45, 0x22), false},
		// Parameter sets first, as encoders send them; the IDR follows.
		{12000, h264STAPParams, true},
		{12000, fuA(0x85, 0x88), true},
		{12000, fuA(0x45, 0x22), true},
		// Non-IDR picture as two slices.
		{15000, h264Slice, false},
		{15000, h264Slice2, false},
		// An AUD ahead of the parameter sets cannot know what follows; the
		// packets from the first key NAL unit on are key.
		{18000, h264AUD, false},
		{18000, h264SPS, true},
		{18000, h264PPS, true},
		{18000, h264IDR, true},
		{18000, h264IDR2, true},
		// The key frame lost its STAP-A: the IDR fragment still marks itself
		// and the rest of the frame, since a new timestamp is the start.
		{21000, fuA(0x85, 0x88), true},
		{21000, fuA(0x45, 0x22), true},
		// A retransmitted fragment of the earlier non-IDR picture.
		{6000, fuA(0x01, 0x21), false},
		{24000, h264Slice, false},
	}
	for i, s := range steps {
		if got := k.Packet(s.ts, s.payload); got != s.want {
			t.Errorf("step %d (ts %d): got %v, want %v", i, s.ts, got, s.want)
		}
	}
}
