package payload

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"
)

// The files in testdata were encoded by ffmpeg with a key frame every 5th
// frame (see testdata/README.md); ffprobe reports key_frame=1 for frames 0,
// 5, 10 and 15 of 20 in both. The tests packetize them here and expect
// exactly the packets of those frames to be key.
const (
	streamFrames   = 20
	streamKeyEvery = 5
	streamTSStep   = 90000 / 10 // 90 kHz clock, 10 fps
)

// readIVF returns the frames of an IVF file: a 32-byte "DKIF" header (header
// length at offset 6, FourCC at 8), then per frame a 12-byte header holding
// the little-endian frame size and a 64-bit timestamp.
func readIVF(t *testing.T, path, fourcc string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 32 || string(b[:4]) != "DKIF" || string(b[8:12]) != fourcc {
		t.Fatalf("%s: not an IVF file of %s", path, fourcc)
	}
	b = b[binary.LittleEndian.Uint16(b[6:8]):]
	var frames [][]byte
	for len(b) >= 12 {
		size := int(binary.LittleEndian.Uint32(b))
		b = b[12:]
		if size > len(b) {
			t.Fatalf("%s: frame %d truncated", path, len(frames))
		}
		frames = append(frames, b[:size])
		b = b[size:]
	}
	return frames
}

func TestVP8Stream(t *testing.T) {
	frames := readIVF(t, "testdata/testsrc_vp8.ivf", "VP80")
	if len(frames) != streamFrames {
		t.Fatalf("%d frames, want %d", len(frames), streamFrames)
	}
	const chunk = 300 // split frames so key frames span several packets
	k := NewKeyFrames(CodecVP8)
	for i, f := range frames {
		want := i%streamKeyEvery == 0
		ts := uint32(i * streamTSStep)
		// Descriptor X=1 S=1 PID=0 (S=0 after the first packet), I=1 with a
		// 15-bit PictureID equal to the frame number.
		pid := []byte{0x80 | byte(i>>8), byte(i)}
		for off, n := 0, 0; off < len(f); off, n = off+chunk, n+1 {
			b0 := byte(0x80)
			if off == 0 {
				b0 |= 0x10
			}
			p := cat([]byte{b0, 0x80}, pid, f[off:min(off+chunk, len(f))])
			if got := k.Packet(ts, p); got != want {
				t.Errorf("frame %d packet %d: key=%v, want %v", i, n, got, want)
			}
		}
	}
}

// splitAnnexB returns the NAL units of an H.264 Annex B byte stream. Start
// codes are 00 00 01, optionally behind another zero, which emulation
// prevention keeps out of NAL units; a NAL unit ends in its stop bit, so a
// trailing zero belongs to the next start code.
func splitAnnexB(b []byte) [][]byte {
	sc := []byte{0, 0, 1}
	var nals [][]byte
	i := bytes.Index(b, sc)
	for i >= 0 {
		b = b[i+3:]
		i = bytes.Index(b, sc)
		nal := b
		if i >= 0 {
			nal = b[:i]
		}
		nals = append(nals, bytes.TrimRight(nal, "\x00"))
	}
	return nals
}

// packetizeH264 turns one access unit into RTP payloads. mtu <= 0 sends
// each NAL unit as a single NAL unit packet (packetization mode 0).
// Otherwise, like a mode 1 sender, it aggregates consecutive NAL units that
// fit in mtu into a STAP-A (a lone one goes out as a single NAL unit packet)
// and fragments larger ones into FU-As (RFC 6184 §5.7.1, §5.8).
func packetizeH264(au [][]byte, mtu int) [][]byte {
	var out, agg [][]byte
	aggLen := 1 // STAP-A header
	flush := func() {
		switch len(agg) {
		case 0:
		case 1:
			out = append(out, agg[0])
		default:
			var nri byte
			for _, n := range agg {
				nri = max(nri, n[0]&0x60)
			}
			p := []byte{nri | 24}
			for _, n := range agg {
				p = append(p, byte(len(n)>>8), byte(len(n)))
				p = append(p, n...)
			}
			out = append(out, p)
		}
		agg, aggLen = nil, 1
	}
	for _, nal := range au {
		switch {
		case mtu <= 0:
			out = append(out, nal)
		case len(nal) > mtu:
			flush()
			for body, first := nal[1:], true; len(body) > 0; first = false {
				n := min(len(body), mtu-2)
				fu := nal[0] & 0x1f
				if first {
					fu |= 0x80
				}
				if n == len(body) {
					fu |= 0x40
				}
				out = append(out, cat([]byte{nal[0]&0x60 | 28, fu}, body[:n]))
				body = body[n:]
			}
		default:
			if aggLen+2+len(nal) > mtu {
				flush()
			}
			agg = append(agg, nal)
			aggLen += 2 + len(nal)
		}
	}
	flush()
	return out
}

func TestH264Stream(t *testing.T) {
	b, err := os.ReadFile("testdata/testsrc_h264.264")
	if err != nil {
		t.Fatal(err)
	}
	// x264 was asked for access unit delimiters, which makes splitting the
	// stream into access units trivial.
	var aus [][][]byte
	for _, nal := range splitAnnexB(b) {
		if nal[0]&0x1f == nalAUD {
			aus = append(aus, nil)
		}
		if len(aus) == 0 {
			t.Fatal("stream does not start with an access unit delimiter")
		}
		aus[len(aus)-1] = append(aus[len(aus)-1], nal)
	}
	if len(aus) != streamFrames {
		t.Fatalf("%d access units, want %d", len(aus), streamFrames)
	}
	for _, mtu := range []int{0, 1200, 100} {
		k := NewKeyFrames(CodecH264)
		var types [32]int
		for i, au := range aus {
			want := i%streamKeyEvery == 0
			ts := uint32(i * streamTSStep)
			for n, p := range packetizeH264(au, mtu) {
				w := want
				if mtu <= 0 && p[0]&0x1f == nalAUD {
					// Sent alone ahead of the SPS, the AUD cannot know.
					w = false
				}
				if got := k.Packet(ts, p); got != w {
					t.Errorf("mtu %d access unit %d packet %d (type %d): key=%v, want %v", mtu, i, n, p[0]&0x1f, got, w)
				}
				types[p[0]&0x1f]++
			}
		}
		// Make sure each packetization exercised what it is meant to.
		if mtu > 0 && (types[nalSTAPA] == 0 || types[nalFUA] == 0) {
			t.Errorf("mtu %d: %d STAP-A and %d FU-A packets, want both", mtu, types[nalSTAPA], types[nalFUA])
		}
		if mtu <= 0 && (types[nalIDR] == 0 || types[nalSPS] == 0 || types[nalSlice] == 0) {
			t.Errorf("single NAL units: %d IDR, %d SPS, %d non-IDR packets", types[nalIDR], types[nalSPS], types[nalSlice])
		}
		t.Logf("mtu %d: packets by type %v", mtu, types)
	}
}
