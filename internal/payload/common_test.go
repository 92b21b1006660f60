package payload

import "testing"

// cat joins byte slices into a fresh one, for building payloads from parts.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// prefix returns p[:n] in a slice of exactly that capacity, so a parser
// reading past the end panics instead of seeing the rest of p.
func prefix(p []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, p)
	return out
}

// checkPrefixes runs parse, and a fresh KeyFrames for c, on every prefix
// p[:0] .. p[:len(p)] and compares with want(n). A fresh tracker reports a
// packet key exactly when the parser does: the packet is a start (or the
// codec starts frames on new timestamps) and shows a key frame.
func checkPrefixes(t *testing.T, c Codec, parse func([]byte) (bool, bool), p []byte, want func(n int) (start, key bool)) {
	t.Helper()
	for n := 0; n <= len(p); n++ {
		q := prefix(p, n)
		start, key := parse(q)
		ws, wk := want(n)
		if start != ws || key != wk {
			t.Errorf("%s prefix %d (% x): got start=%v key=%v, want %v %v", c, n, q, start, key, ws, wk)
		}
		k := NewKeyFrames(c)
		if got := k.Packet(1, q); got != wk {
			t.Errorf("%s prefix %d: KeyFrames.Packet = %v, want %v", c, n, got, wk)
		}
	}
}

// descriptorPrefixes is the want function for VP8 and VP9: every prefix up
// to and including the d-byte descriptor is invalid, any longer one parses
// like the whole payload (only the first byte after the descriptor is read).
func descriptorPrefixes(d int, start, key bool) func(int) (bool, bool) {
	return func(n int) (bool, bool) {
		if n <= d {
			return false, false
		}
		return start, key
	}
}

// onlyAt is the want function for payloads whose prefixes are valid only at
// the listed lengths (aggregation or element boundaries).
func onlyAt(valid map[int][2]bool) func(int) (bool, bool) {
	return func(n int) (bool, bool) {
		r := valid[n]
		return r[0], r[1]
	}
}

func TestCodecFromMime(t *testing.T) {
	for _, tc := range []struct {
		mime string
		want Codec
	}{
		{"video/VP8", CodecVP8},
		{"video/vp8", CodecVP8},
		{"VIDEO/VP9", CodecVP9},
		{"video/H264", CodecH264},
		{"video/h264", CodecH264},
		{"video/AV1", CodecAV1},
		{"video/av1", CodecAV1},
		{"video/H265", CodecUnknown},
		{"audio/opus", CodecUnknown},
		{"audio/VP8", CodecUnknown},
		{"video/VP8 ", CodecUnknown},
		{"video/H264;profile-level-id=42e01f", CodecUnknown},
		{"", CodecUnknown},
	} {
		if got := CodecFromMime(tc.mime); got != tc.want {
			t.Errorf("CodecFromMime(%q) = %v, want %v", tc.mime, got, tc.want)
		}
	}
}

func TestCodecString(t *testing.T) {
	for c, want := range map[Codec]string{CodecUnknown: "unknown", CodecVP8: "VP8", CodecVP9: "VP9", CodecH264: "H264", CodecAV1: "AV1", 99: "unknown"} {
		if got := c.String(); got != want {
			t.Errorf("Codec(%d).String() = %q, want %q", c, got, want)
		}
	}
}

func TestUnknownCodecNeverKey(t *testing.T) {
	var k KeyFrames // zero value: CodecUnknown
	if k.Packet(0, []byte{0x10, 0x50, 0x02, 0x00}) {
		t.Error("zero KeyFrames reported a key packet")
	}
	k.Reset(CodecVP8)
	if k.Codec() != CodecVP8 || !k.Packet(0, []byte{0x10, 0x50, 0x02, 0x00}) {
		t.Error("KeyFrames after Reset(CodecVP8) missed a VP8 key frame start")
	}
}
