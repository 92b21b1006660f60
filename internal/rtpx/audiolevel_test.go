package rtpx

import "testing"

// A hand-assembled packet with CC=3 (CSRCs 0x11111111, 0x22222222,
// 0x33333333) and a one-byte extension block holding, as id 1, an RFC 6464
// level (len=0: one byte, V=1 level 42) and, as id 2, an RFC 6465 list with
// two levels (len=1: two bytes, 10 and 0xff, whose reserved top bit is set).
func audioPacket() []byte {
	return []byte{
		0x93, 0x6f, 0x00, 0x07, // V=2 X CC=3, PT=111, seq 7
		0x00, 0x00, 0x03, 0xc0, // ts 960
		0xaa, 0xbb, 0xcc, 0xdd, // ssrc
		0x11, 0x11, 0x11, 0x11,
		0x22, 0x22, 0x22, 0x22,
		0x33, 0x33, 0x33, 0x33,
		0xbe, 0xde, 0x00, 0x02, // one-byte profile, 2 words
		0x10, 0x80 | 42, // id 1 len 0: V=1, level 42
		0x21, 10, 0xff, // id 2 len 1: levels 10, 127 (top bit set)
		0x00, 0x00, 0x00, // padding
		0x08, 0xaa, // Opus TOC config 1 code 0 (20 ms SILK NB), one data byte
	}
}

func TestParseAudioLevelOneByteForm(t *testing.T) {
	pkt := audioPacket()
	var h Header
	if err := ParseHeader(pkt, &h); err != nil {
		t.Fatal(err)
	}
	level, voice, ok := ParseAudioLevel(h.Extension(pkt, 1))
	if !ok || level != 42 || !voice {
		t.Fatalf("got level %d voice %v ok %v, want 42 true true", level, voice, ok)
	}
	ext := h.Extension(pkt, 2)
	for i, want := range []struct {
		level uint8
		ok    bool
	}{{10, true}, {127, true}, {0, false}} {
		if l, ok := CSRCAudioLevel(ext, i); l != want.level || ok != want.ok {
			t.Errorf("CSRC %d: level %d ok %v, want %d %v", i, l, ok, want.level, want.ok)
		}
	}
	for i, want := range []uint32{0x11111111, 0x22222222, 0x33333333} {
		if c, ok := h.CSRC(pkt, i); !ok || c != want {
			t.Errorf("CSRC(%d) = %#x %v, want %#x", i, c, ok, want)
		}
	}
	for _, i := range []int{-1, 3, 15} {
		if _, ok := h.CSRC(pkt, i); ok {
			t.Errorf("CSRC(%d) ok", i)
		}
	}
	payload := pkt[h.HeaderLen : h.HeaderLen+h.PayloadLen]
	if n, ok := OpusSamples(payload); !ok || n != 960 {
		t.Errorf("OpusSamples = %d %v, want 960 (20 ms at 48 kHz)", n, ok)
	}
}

func TestParseAudioLevelTwoByteForm(t *testing.T) {
	// RFC 6464 3: "|ID|len=1|V|level|0 (pad)|" in the 0x1000 profile.
	pkt := []byte{
		0x90, 0x6f, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9,
		0x10, 0x00, 0x00, 0x01,
		0x07, 0x01, 0x05, 0x00, // id 7 len 1: V=0 level 5, pad
	}
	var h Header
	if err := ParseHeader(pkt, &h); err != nil {
		t.Fatal(err)
	}
	level, voice, ok := ParseAudioLevel(h.Extension(pkt, 7))
	if !ok || level != 5 || voice {
		t.Fatalf("got level %d voice %v ok %v, want 5 false true", level, voice, ok)
	}
}

func TestParseAudioLevelRejectsOtherLengths(t *testing.T) {
	for _, ext := range [][]byte{nil, {}, {0x80, 0x00}, {1, 2, 3, 4}} {
		if _, _, ok := ParseAudioLevel(ext); ok {
			t.Errorf("% x accepted", ext)
		}
	}
	if _, ok := CSRCAudioLevel(nil, 0); ok {
		t.Error("level from nil list")
	}
}

// Expected sample counts from RFC 6716 Table 2 (config -> mode and frame
// size) and section 3.2 (frames per code), written in ms * 48.
func TestOpusSamples(t *testing.T) {
	toc := func(config, s, code byte) byte { return config<<3 | s<<2 | code }
	cases := []struct {
		name    string
		payload []byte
		want    uint32
		ok      bool
	}{
		{"SILK NB 10 ms", []byte{toc(0, 0, 0), 1}, 10 * 48, true},
		{"SILK WB 60 ms", []byte{toc(11, 0, 0), 1, 2}, 60 * 48, true},
		{"hybrid SWB 10 ms", []byte{toc(12, 1, 0)}, 10 * 48, true},
		{"hybrid FB 20 ms", []byte{toc(15, 0, 0), 9}, 20 * 48, true},
		{"CELT NB 2.5 ms", []byte{toc(16, 0, 0), 9}, 120, true},
		{"CELT FB 5 ms", []byte{toc(29, 0, 0), 9}, 5 * 48, true},
		{"CELT FB 20 ms DTX (TOC only)", []byte{toc(31, 0, 0)}, 20 * 48, true},
		{"code 1: two 20 ms frames", []byte{toc(1, 0, 1), 1, 2}, 40 * 48, true},
		{"code 1 odd length (R3)", []byte{toc(1, 0, 1), 1, 2, 3}, 0, false},
		{"code 2: two 10 ms frames", []byte{toc(18, 0, 2), 1, 7}, 20 * 48, true},
		{"code 2 without length (R4)", []byte{toc(18, 0, 2)}, 0, false},
		{"code 3: M=6 of 20 ms = 120 ms", []byte{toc(1, 0, 3), 6}, 120 * 48, true},
		{"code 3: M=3 of 60 ms > 120 ms (R5)", []byte{toc(3, 0, 3), 3}, 0, false},
		{"code 3: M=0", []byte{toc(1, 0, 3), 0x80}, 0, false},
		{"code 3: VBR padded M=2 of 2.5 ms", []byte{toc(16, 0, 3), 0xc2, 0}, 2 * 120, true},
		{"code 3 without count (R6)", []byte{toc(1, 0, 3)}, 0, false},
		{"empty (R1)", nil, 0, false},
	}
	for _, c := range cases {
		got, ok := OpusSamples(c.payload)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %d %v, want %d %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func BenchmarkAudioLevelParse(b *testing.B) {
	pkt := audioPacket()
	var h Header
	b.ReportAllocs()
	for b.Loop() {
		_ = ParseHeader(pkt, &h)
		_, _, _ = ParseAudioLevel(h.Extension(pkt, 1))
		ext := h.Extension(pkt, 2)
		for i := range int(h.CSRCCount) {
			_, _ = h.CSRC(pkt, i)
			_, _ = CSRCAudioLevel(ext, i)
		}
		_, _ = OpusSamples(pkt[h.HeaderLen:])
	}
}
