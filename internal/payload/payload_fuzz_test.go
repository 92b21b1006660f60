package payload

import (
	"testing"

	"github.com/pion/rtp/codecs"
)

// Fuzz targets per payload format. VP8, VP9 and AV1 are checked against
// pion's depacketizers (github.com/pion/rtp/codecs), which parse the same
// descriptors independently; H.264 against a model of RFC 6184 aggregation
// and fragmentation built from single NAL units; KeyFrames against a
// straightforward model of its documented decisions. FuzzParsers
// (keyframes_test.go) runs every parser on the same bytes.

// FuzzVP8 compares VP8KeyFrame with pion's VP8Packet: where pion finds a
// descriptor followed by VP8 data, start is S=1 with PID=0 and key is start
// with the frame tag's P bit clear; where pion fails or finds no data, the
// packet is neither.
func FuzzVP8(f *testing.F) {
	for _, tc := range vp8Cases {
		f.Add(tc.payload)
	}
	f.Add([]byte{0x90, 0x80, 0x80})       // 15-bit picture ID cut short
	f.Add([]byte{0x90, 0xf0, 0xff, 0x01}) // I L T/K, all bytes there but no data
	f.Fuzz(func(t *testing.T, p []byte) {
		start, key := VP8KeyFrame(p)
		if key && !start {
			t.Fatalf("key without start: % x", p)
		}
		var v codecs.VP8Packet
		data, err := v.Unmarshal(p)
		if err != nil || len(data) == 0 {
			if start || key {
				t.Fatalf("% x: start=%v key=%v, pion: %v, %d bytes of data", p, start, key, err, len(data))
			}
			return
		}
		wantStart := v.S == 1 && v.PID == 0
		wantKey := wantStart && data[0]&0x01 == 0
		if start != wantStart || key != wantKey {
			t.Fatalf("% x: start=%v key=%v, pion S=%d PID=%d data[0]=%#x", p, start, key, v.S, v.PID, data[0])
		}
		// Only the first byte after the descriptor is read.
		if s2, k2 := VP8KeyFrame(p[:len(p)-len(data)+1]); s2 != start || k2 != key {
			t.Fatalf("% x: trimmed to one data byte gives %v %v", p, s2, k2)
		}
	})
}

// FuzzVP9 compares VP9KeyFrame with pion's VP9Packet the same way: start is
// B=1 on spatial layer 0, key is start with P=0. pion rejects SID 5..7,
// which are never a start here either.
func FuzzVP9(f *testing.F) {
	for _, tc := range vp9Cases {
		f.Add(tc.payload)
	}
	f.Add(vp9KeySS)
	f.Add([]byte{0x1a, 0x00, 0x09, 0x08, 0x02, 0x01, 0xaa}) // F L B V with SS N_G
	f.Add([]byte{0x58, 0x03, 0x05, 0x03, 0xaa})             // F P B: three P_DIFFs, N on the last
	f.Fuzz(func(t *testing.T, p []byte) {
		start, key := VP9KeyFrame(p)
		if key && !start {
			t.Fatalf("key without start: % x", p)
		}
		var v codecs.VP9Packet
		data, err := v.Unmarshal(p)
		if err != nil || len(data) == 0 {
			if start || key {
				t.Fatalf("% x: start=%v key=%v, pion: %v, %d bytes of data", p, start, key, err, len(data))
			}
			return
		}
		wantStart := v.B && v.SID == 0
		wantKey := wantStart && !v.P
		if start != wantStart || key != wantKey {
			t.Fatalf("% x: start=%v key=%v, pion B=%v SID=%d P=%v", p, start, key, v.B, v.SID, v.P)
		}
		if s2, k2 := VP9KeyFrame(p[:len(p)-len(data)+1]); s2 != start || k2 != key {
			t.Fatalf("% x: trimmed to one data byte gives %v %v", p, s2, k2)
		}
	})
}

// FuzzAV1 compares AV1KeyFrame with pion's AV1Packet. Every payload called
// a start must parse in pion with Z=0 and N equal to key. A payload pion
// parses with Z=0 that is not called a start must break one of the rules
// checked here beyond pion: an empty OBU element, a leb128 length longer
// than the AV1 bitstream's 8 bytes, or fewer elements than W announces.
func FuzzAV1(f *testing.F) {
	for _, tc := range av1Cases {
		f.Add(tc.payload)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		start, key := AV1KeyFrame(p)
		if key && !start {
			t.Fatalf("key without start: % x", p)
		}
		// The deprecated AV1Packet, not AV1Depacketizer: it is the
		// reference that exposes W and each OBU element's position.
		var v codecs.AV1Packet //nolint:staticcheck // see above
		_, err := v.Unmarshal(p)
		if start {
			if err != nil || v.Z || v.N != key {
				t.Fatalf("% x: start, key=%v; pion: %v Z=%v N=%v", p, key, err, v.Z, v.N)
			}
			return
		}
		if err != nil || v.Z {
			return
		}
		// pion counts elements in a byte (parseBody: byte(i) == p.W), so with
		// W=0 it takes the 256th element as the unsized last one.
		if v.W == 0 && len(v.OBUElements) >= 256 {
			return
		}
		body := p[1:]
		prevEnd := 0
		for i, e := range v.OBUElements {
			if len(e) == 0 {
				return
			}
			off := cap(body) - cap(e)
			if i+1 != int(v.W) && off-prevEnd > av1MaxLEB128 {
				return
			}
			prevEnd = off + len(e)
		}
		if v.W != 0 && len(v.OBUElements) < int(v.W) {
			return
		}
		t.Fatalf("% x: pion parses W=%d with %d elements, not a start here", p, v.W, len(v.OBUElements))
	})
}

// splitUnits cuts data into NAL units for the H.264 model: each starts with
// a length byte (1..64 after folding) followed by that many bytes, the first
// of which becomes a NAL header with F=0 and a single-NAL-unit type 1..23.
func splitUnits(data []byte) [][]byte {
	var units [][]byte
	for len(data) > 1 {
		n := 2 + int(data[0])%63
		data = data[1:]
		if n > len(data) {
			n = len(data)
		}
		if n < 2 {
			break
		}
		u := append([]byte(nil), data[:n]...)
		u[0] = u[0]&0x60 | (1 + u[0]%23) // keep NRI, F=0, type 1..23
		units = append(units, u)
		data = data[n:]
	}
	return units
}

// FuzzH264 checks H264KeyFrame on raw bytes and on packets built from NAL
// units the fuzzer chooses: an FU-A start fragment answers like its NAL unit
// sent whole, later fragments answer nothing, and a STAP-A starts when its
// first unit would and is key when it carries an IDR slice, or parameter
// sets without a non-IDR slice (RFC 6184 §5.7.1, §5.8; H.264 Table 7-1).
func FuzzH264(f *testing.F) {
	for _, tc := range h264Cases {
		f.Add(tc.payload)
	}
	f.Add(cat([]byte{3}, h264SPS, []byte{3}, h264PPS, []byte{3}, h264IDR))
	f.Add(cat([]byte{3}, h264SPS, []byte{3}, h264PPS, []byte{3}, h264Slice))
	f.Add(cat([]byte{1}, h264AUD, []byte{3}, h264Slice))
	f.Fuzz(func(t *testing.T, p []byte) {
		H264KeyFrame(p) // raw bytes: must not panic

		units := splitUnits(p)
		if len(units) == 0 {
			return
		}
		// Each unit alone, then as an FU-A in three fragments.
		for _, u := range units {
			typ := u[0] & 0x1f
			start, key := H264KeyFrame(u)
			if key != (typ == 5 || typ == 7 || typ == 8) {
				t.Fatalf("single NAL % x: key=%v", u, key)
			}
			fu := []byte{u[0]&0x60 | 28, 0x80 | typ}
			s, k := H264KeyFrame(append(fu, u[1:]...))
			if s != start || k != key {
				t.Fatalf("FU-A start of % x: %v %v, whole NAL %v %v", u, s, k, start, key)
			}
			for _, hdr := range []byte{typ, 0x40 | typ} {
				if s, k := H264KeyFrame(append([]byte{fu[0], hdr}, u[1:]...)); s || k {
					t.Fatalf("FU-A non-start fragment (%#x) of % x: %v %v", hdr, u, s, k)
				}
			}
		}
		stap := []byte{0x78}
		var idr, params, nonIDR bool
		for _, u := range units {
			stap = append(stap, byte(len(u)>>8), byte(len(u)))
			stap = append(stap, u...)
			switch typ := u[0] & 0x1f; {
			case typ == 5:
				idr = true
			case typ == 7 || typ == 8:
				params = true
			case typ >= 1 && typ <= 4:
				nonIDR = true
			}
		}
		wantStart, _ := H264KeyFrame(units[0])
		start, key := H264KeyFrame(stap)
		if start != wantStart || key != (idr || params && !nonIDR) {
			t.Fatalf("STAP-A % x: start=%v key=%v, want %v %v", stap, start, key, wantStart, idr || params && !nonIDR)
		}
		// Cut by one byte, the last unit runs past the packet: malformed.
		if s, k := H264KeyFrame(stap[:len(stap)-1]); s || k {
			t.Fatalf("cut STAP-A % x: %v %v", stap[:len(stap)-1], s, k)
		}
	})
}

// keyModel is KeyFrames as its documentation states it: a list of the 16
// most recently started frames, newest first.
type keyModel struct {
	codec  Codec
	frames []frame
}

func (m *keyModel) packet(ts uint32, p []byte) bool {
	var start, key bool
	switch m.codec {
	case CodecVP8:
		start, key = VP8KeyFrame(p)
	case CodecVP9:
		start, key = VP9KeyFrame(p)
	case CodecH264:
		_, key = H264KeyFrame(p)
		start = true
	case CodecAV1:
		_, key = AV1KeyFrame(p)
		start = true
	default:
		return false
	}
	for i := range m.frames {
		if m.frames[i].ts == ts {
			if key && (m.codec == CodecH264 || m.codec == CodecAV1) {
				m.frames[i].key = true
			}
			return m.frames[i].key
		}
	}
	if !start {
		return false
	}
	m.frames = append([]frame{{ts, key}}, m.frames...)
	if len(m.frames) > recentFrames {
		m.frames = m.frames[:recentFrames]
	}
	return key
}

// FuzzKeyFrames runs a packet sequence through KeyFrames and the model.
// Each record is |op|len|payload...|: op's low 3 bits move the timestamp
// (0: same frame, 1..5: a frame ahead, 6: back to an older frame, 7: a far
// jump), and op 0xff with len < 5 resets to that codec.
func FuzzKeyFrames(f *testing.F) {
	f.Add(uint8(CodecVP8), cat([]byte{1, 4}, []byte{0x10, 0x50, 0x02, 0x00}, []byte{0, 2, 0x00, 0x50}, []byte{1, 4}, []byte{0x10, 0x51, 0x02, 0x00}, []byte{6, 2, 0x00, 0x50}))
	f.Add(uint8(CodecVP9), cat([]byte{1, byte(len(vp9KeySS))}, vp9KeySS, []byte{0, 3, 0x84, 0x01, 0xaa}, []byte{2, 3, 0xc8, 0x02, 0xaa}))
	f.Add(uint8(CodecH264), cat([]byte{1, byte(len(h264AUD))}, h264AUD, []byte{0, byte(len(h264SPS))}, h264SPS, []byte{0, 3}, fuA(0x45, 0x22), []byte{0xff, 4}))
	f.Add(uint8(CodecAV1), cat([]byte{1, 3, 0xd0, 0x11, 0x12}, []byte{0, 4, 0x58, 0x08, 0x00, 0x30}, []byte{7, 2, 0x10, 0x30}))
	f.Fuzz(func(t *testing.T, codec uint8, data []byte) {
		c := Codec(codec % 6) // includes an unknown value
		k := NewKeyFrames(c)
		m := keyModel{codec: c}
		var ts uint32 = 90000
		var history []uint32
		for step := 0; len(data) >= 2; step++ {
			op, n := data[0], int(data[1])
			data = data[2:]
			if op == 0xff && n < 5 {
				k.Reset(Codec(n))
				m = keyModel{codec: Codec(n)}
				continue
			}
			n = min(n, len(data))
			p := data[:n]
			data = data[n:]
			switch d := op & 7; {
			case d >= 1 && d <= 5:
				ts += uint32(d) * 3000
			case d == 6 && len(history) > 0:
				ts = history[int(op>>3)%len(history)]
			case d == 7:
				ts += uint32(op) << 24
			}
			history = append(history, ts)
			if got, want := k.Packet(ts, p), m.packet(ts, p); got != want {
				t.Fatalf("step %d (%v, ts %d, % x): Packet = %v, model %v", step, k.Codec(), ts, p, got, want)
			}
		}
	})
}
