package rtpx

import (
	"encoding/binary"
	"testing"

	"github.com/pion/rtp"
)

// refOpusMillis10 is RFC 6716 Table 2 written out by mode: the frame size
// of each TOC configuration in tenths of a millisecond.
func refOpusMillis10(config byte) uint32 {
	switch {
	case config < 12: // SILK-only: NB, MB, WB each 10, 20, 40, 60 ms
		return [4]uint32{100, 200, 400, 600}[config%4]
	case config < 16: // Hybrid: SWB, FB each 10, 20 ms
		return [2]uint32{100, 200}[config%2]
	default: // CELT-only: NB, WB, SWB, FB each 2.5, 5, 10, 20 ms
		return [4]uint32{25, 50, 100, 200}[config%4]
	}
}

// refOpusSamples is an independent reading of RFC 6716 3.1-3.2 for the
// frame count and of R1, R3-R6 for the checks OpusSamples makes.
func refOpusSamples(p []byte) (uint32, bool) {
	if len(p) < 1 {
		return 0, false
	}
	frames := uint32(0)
	switch p[0] & 3 {
	case 0:
		frames = 1
	case 1:
		if len(p)%2 != 1 {
			return 0, false
		}
		frames = 2
	case 2:
		if len(p) < 2 {
			return 0, false
		}
		frames = 2
	case 3:
		if len(p) < 2 || p[1]&0x3f == 0 {
			return 0, false
		}
		frames = uint32(p[1] & 0x3f)
	}
	total10 := frames * refOpusMillis10(p[0]>>3) // tenths of ms
	if total10 > 1200 {
		return 0, false
	}
	return total10 * 48 / 10, true
}

// FuzzAudioLevel feeds arbitrary extension payloads and Opus payloads to
// the parsers: they never panic, RFC 6464 agrees with pion/rtp's
// AudioLevelExtension on one-byte payloads, RFC 6465 levels are the bytes
// with the reserved bit cleared, and OpusSamples agrees with the reference.
func FuzzAudioLevel(f *testing.F) {
	f.Add([]byte{0x80 | 42})
	f.Add([]byte{0x7f})
	f.Add([]byte{10, 0xff, 0x00})
	f.Add([]byte{0x0b, 0x01, 0x02})
	f.Add([]byte{0x0b, 0x06})
	f.Add([]byte{0x1b, 0x03})
	f.Add([]byte{0xfa, 0x01, 0x02})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		level, voice, ok := ParseAudioLevel(b)
		if ok != (len(b) == 1) {
			t.Fatalf("% x: ok %v", b, ok)
		}
		if ok {
			var p rtp.AudioLevelExtension
			if err := p.Unmarshal(b); err != nil || p.Level != level || p.Voice != voice {
				t.Fatalf("% x: %d %v, pion %+v %v", b, level, voice, p, err)
			}
		}
		for i := -1; i <= len(b); i++ {
			l, ok := CSRCAudioLevel(b, i)
			if ok != (i >= 0 && i < len(b)) || (ok && l != b[i]&0x7f) || l > MaxAudioLevel {
				t.Fatalf("% x [%d]: %d %v", b, i, l, ok)
			}
		}
		got, gok := OpusSamples(b)
		want, wok := refOpusSamples(b)
		if got != want || gok != wok {
			t.Fatalf("OpusSamples(% x) = %d %v, reference %d %v", b, got, gok, want, wok)
		}
	})
}

// FuzzCSRC builds packets with a CSRC list and checks Header.CSRC against
// the list as written and pion/rtp's reading of it.
func FuzzCSRC(f *testing.F) {
	f.Add(uint8(3), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2)
	f.Add(uint8(15), []byte{1, 2, 3}, 0)
	f.Add(uint8(0), []byte{}, -1)
	f.Fuzz(func(t *testing.T, cc uint8, list []byte, i int) {
		cc &= 0x0f
		pkt := append([]byte{0x80 | cc, 0x6f, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9}, list...)
		var h Header
		if err := ParseHeader(pkt, &h); err != nil {
			if _, ok := h.CSRC(pkt, i); ok {
				t.Fatal("CSRC from a rejected packet")
			}
			return
		}
		c, ok := h.CSRC(pkt, i)
		if ok != (i >= 0 && i < int(cc)) {
			t.Fatalf("CSRC(%d) ok %v with cc %d", i, ok, cc)
		}
		if !ok {
			return
		}
		if want := binary.BigEndian.Uint32(list[4*i:]); c != want {
			t.Fatalf("CSRC(%d) = %#x, want %#x", i, c, want)
		}
		var p rtp.Packet
		if err := p.Unmarshal(pkt); err == nil && p.CSRC[i] != c {
			t.Fatalf("CSRC(%d) = %#x, pion %#x", i, c, p.CSRC[i])
		}
	})
}
