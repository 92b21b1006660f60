package rtpx

import (
	"bytes"
	"testing"
)

// A hand-assembled packet: V=2, P=1, X=1, CC=1, M=1, PT=96, seq=0x1234,
// ts=0xdeadbeef, ssrc=0x01020304, one CSRC, a one-byte extension block with
// id 1 (mid "a1") and id 3 (one byte 0x7f), 3 payload bytes, 2 padding bytes.
func samplePacket() []byte {
	return []byte{
		0xb1, 0xe0, 0x12, 0x34, // V P X CC, M PT, seq
		0xde, 0xad, 0xbe, 0xef, // ts
		0x01, 0x02, 0x03, 0x04, // ssrc
		0x0a, 0x0b, 0x0c, 0x0d, // csrc
		0xbe, 0xde, 0x00, 0x02, // profile, length 2 words
		0x11, 'a', '1', 0x30, 0x7f, 0x00, 0x00, 0x00, // id1 len2, id3 len1, padding
		0xaa, 0xbb, 0xcc, // payload
		0x00, 0x02, // padding, last byte = count
	}
}

func TestParseHeader(t *testing.T) {
	pkt := samplePacket()
	var h Header
	if err := ParseHeader(pkt, &h); err != nil {
		t.Fatal(err)
	}
	want := Header{
		Marker: true, PayloadType: 96, Sequence: 0x1234, Timestamp: 0xdeadbeef, SSRC: 0x01020304,
		CSRCCount: 1, HeaderLen: 28, PaddingLen: 2, PayloadLen: 3,
	}
	got := h
	got.extProfile, got.extStart, got.extEnd = 0, 0, 0
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if mid := h.Extension(pkt, 1); !bytes.Equal(mid, []byte("a1")) {
		t.Errorf("mid = %q", mid)
	}
	if v := h.Extension(pkt, 3); !bytes.Equal(v, []byte{0x7f}) {
		t.Errorf("ext 3 = %x", v)
	}
	if v := h.Extension(pkt, 2); v != nil {
		t.Errorf("ext 2 = %x, want nil", v)
	}
}

func TestTwoByteExtension(t *testing.T) {
	pkt := []byte{
		0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9,
		0x10, 0x00, 0x00, 0x02, // two-byte profile, 2 words
		0x05, 0x03, 'x', 'y', 'z', 0x00, 0x00, 0x00,
		0x01,
	}
	var h Header
	if err := ParseHeader(pkt, &h); err != nil {
		t.Fatal(err)
	}
	if v := h.Extension(pkt, 5); string(v) != "xyz" {
		t.Errorf("ext 5 = %q", v)
	}
	if h.PayloadLen != 1 || h.HeaderLen != 24 {
		t.Errorf("lens %d %d", h.HeaderLen, h.PayloadLen)
	}
}

func TestParseHeaderRejectsMalformed(t *testing.T) {
	good := samplePacket()
	cases := map[string][]byte{
		"empty":           nil,
		"short":           good[:11],
		"version 1":       append([]byte{0x71}, good[1:]...),
		"csrc past end":   {0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4},
		"ext header cut":  good[:18],
		"ext words past":  append(append([]byte{}, good[:18]...), 0xff, 0xff),
		"padding zero":    append(append([]byte{}, good[:len(good)-1]...), 0),
		"padding too big": append(append([]byte{}, good[:len(good)-1]...), 200),
	}
	for name, pkt := range cases {
		var h Header
		if err := ParseHeader(pkt, &h); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestExtensionMalformedElements(t *testing.T) {
	// Element claims 16 bytes but the block holds 3: no panic, no match.
	pkt := []byte{0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xbe, 0xde, 0, 1, 0x1f, 1, 2, 3}
	var h Header
	if err := ParseHeader(pkt, &h); err != nil {
		t.Fatal(err)
	}
	if v := h.Extension(pkt, 1); v != nil {
		t.Errorf("got %x", v)
	}
}

func BenchmarkParseHeader(b *testing.B) {
	pkt := samplePacket()
	var h Header
	b.ReportAllocs()
	for b.Loop() {
		_ = ParseHeader(pkt, &h)
		_ = h.Extension(pkt, 1)
	}
}
