package payload

import (
	"testing"

	"github.com/pion/rtp/codecs/vp9"
)

// FuzzFrameInfo runs Parser.Parse on arbitrary payloads of every codec and
// checks the invariants of FrameInfo, the agreement of start bits with the
// key frame parsers (themselves fuzzed against pion), and VP9 key frame
// headers against pion's independent VP9 header parser. The AV1 parser is
// fed two payloads in a row so that a sequence header in the first one
// governs the second.
func FuzzFrameInfo(f *testing.F) {
	for _, tc := range vp8Cases {
		f.Add(byte(CodecVP8), tc.payload, []byte(nil))
	}
	for _, tc := range vp9Cases {
		f.Add(byte(CodecVP9), tc.payload, []byte(nil))
	}
	f.Add(byte(CodecVP9), cat([]byte{0x88, 0x11}, vp9Header(1, false, true, 7, 100, 50)), []byte(nil))
	for _, s := range realSPS {
		f.Add(byte(CodecH264), mustHex(f, s.sps), []byte(nil))
	}
	s := av1Seq{timing: true, decoderModel: true, ops: []uint16{0x101}, orderHintBits: 5, maxW: 640, maxH: 480, widthBits: 10}
	f.Add(byte(CodecAV1), av1Packet(true, obu(obuSequenceHeader, s.obu())), av1Packet(false, obu(obuFrame, s.keyFrame(true, true, 320, 240))))
	f.Fuzz(func(t *testing.T, codec byte, p, next []byte) {
		c := Codec(codec % 5)
		parser := NewParser(c)
		for i, pl := range [][]byte{p, next} {
			fi := parser.Parse(pl)
			if !fi.Valid && fi != (FrameInfo{}) {
				t.Fatalf("payload %d: invalid but %+v", i, fi)
			}
			if fi.MediaBytes < 0 || fi.MediaBytes > len(pl) {
				t.Fatalf("payload %d: %d media bytes of %d", i, fi.MediaBytes, len(pl))
			}
			if fi.HasSize != (fi.Width > 0 && fi.Height > 0) || !fi.HasSize && (fi.Width != 0 || fi.Height != 0) {
				t.Fatalf("payload %d: size %dx%d, HasSize %v", i, fi.Width, fi.Height, fi.HasSize)
			}
			if fi.Start && !fi.MayStart {
				t.Fatalf("payload %d: Start without MayStart", i)
			}
			switch c {
			case CodecVP8:
				start, key := VP8KeyFrame(pl)
				if fi.Start != start || fi.Key != key || fi.HasSize && !key {
					t.Fatalf("VP8 % x: %+v, VP8KeyFrame %v %v", pl, fi, start, key)
				}
			case CodecVP9:
				start, _ := VP9KeyFrame(pl)
				if fi.Start != start || fi.Key && !start {
					t.Fatalf("VP9 % x: %+v, VP9KeyFrame start %v", pl, fi, start)
				}
				n, _, ss := vp9Descriptor(pl)
				if !start || ss != 0 {
					break
				}
				var h vp9.Header
				if err := h.Unmarshal(pl[n:]); err != nil {
					if fi.HasSize {
						t.Fatalf("VP9 % x: size %dx%d where pion fails: %v", pl, fi.Width, fi.Height, err)
					}
					break
				}
				wantKey := !h.ShowExistingFrame && !h.NonKeyFrame
				if fi.Key != wantKey || wantKey && (fi.Width != uint32(h.Width()) || fi.Height != uint32(h.Height())) {
					t.Fatalf("VP9 % x: %+v, pion key %v %dx%d", pl, fi, wantKey, h.Width(), h.Height())
				}
			case CodecAV1:
				if len(pl) > 0 && pl[0]&av1N != 0 && fi.Valid && (!fi.Start || !fi.Key) {
					t.Fatalf("AV1 N=1: %+v", fi)
				}
			case CodecH264, CodecUnknown: // no independent reference: the checks above only
			}
		}
	})
}
