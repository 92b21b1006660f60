package rtpx

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
	"time"
	"unsafe"

	"github.com/pion/rtp"
)

// Fuzz targets for the RTP wire reader: ParseHeader and Header.Extension
// (checked against an independent RFC 8285 walker and against pion/rtp),
// the sequence and timestamp unwrappers (against a 64-bit model), and the
// NTP conversions (round trip across the 2036 era wrap).

// refExtension is RFC 8285 written out independently of header.go: the
// element with the given id in an extension block of the given profile,
// the first one if several, nil when absent or when the walk meets a
// malformed element (ID 15 or ID 0 with a length in the one-byte form, an
// element that runs past the block) before it.
func refExtension(profile uint16, block []byte, id uint8) []byte {
	oneByte := profile == 0xBEDE
	if id == 0 || (!oneByte && profile>>4 != 0x100) {
		return nil
	}
	pos := 0
	for pos < len(block) {
		b := block[pos]
		if b == 0 {
			pos++
			continue
		}
		var eid uint8
		var size, hdr int
		if oneByte {
			eid, size, hdr = b>>4, int(b&0xf)+1, 1
			if eid == 0 || eid == 15 {
				return nil
			}
		} else {
			if pos+1 >= len(block) {
				return nil
			}
			eid, size, hdr = b, int(block[pos+1]), 2
		}
		if pos+hdr+size > len(block) {
			return nil
		}
		if eid == id {
			return block[pos+hdr : pos+hdr+size]
		}
		pos += hdr + size
	}
	return nil
}

// within reports whether sub lies inside outer's memory.
func within(sub, outer []byte) bool {
	if len(sub) == 0 {
		return true
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(outer)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	return p >= lo && p+uintptr(len(sub)) <= lo+uintptr(len(outer))
}

// checkHeader asserts everything that must hold for pkt after ParseHeader,
// whatever the bytes.
func checkHeader(t *testing.T, pkt []byte) {
	t.Helper()
	// A Header left over from a valid packet must not leak into this one.
	var h Header
	if err := ParseHeader(samplePacket(), &h); err != nil {
		t.Fatal(err)
	}
	err := ParseHeader(pkt, &h)
	var fresh Header
	if err2 := ParseHeader(pkt, &fresh); (err == nil) != (err2 == nil) || h != fresh {
		t.Fatalf("reused Header differs from a fresh one: %+v / %+v", h, fresh)
	}
	if err != nil {
		if h != (Header{}) {
			t.Fatalf("error %v leaves %+v", err, h)
		}
		for id := range 256 {
			if v := h.Extension(pkt, uint8(id)); v != nil {
				t.Fatalf("error %v, yet extension %d = %x", err, id, v)
			}
		}
		return
	}
	if pkt[0]>>6 != 2 {
		t.Fatalf("version %d accepted", pkt[0]>>6)
	}
	if h.HeaderLen < 12+4*int(h.CSRCCount) || h.PaddingLen < 0 || h.PayloadLen < 0 ||
		h.HeaderLen+h.PaddingLen+h.PayloadLen != len(pkt) {
		t.Fatalf("lengths %d+%d+%d for %d bytes", h.HeaderLen, h.PayloadLen, h.PaddingLen, len(pkt))
	}
	if (pkt[0]&0x20 != 0) != (h.PaddingLen > 0) {
		t.Fatalf("padding bit %v, padding %d", pkt[0]&0x20 != 0, h.PaddingLen)
	}
	if h.Sequence != binary.BigEndian.Uint16(pkt[2:]) || h.Timestamp != binary.BigEndian.Uint32(pkt[4:]) ||
		h.SSRC != binary.BigEndian.Uint32(pkt[8:]) || h.PayloadType != pkt[1]&0x7f || h.Marker != (pkt[1]&0x80 != 0) {
		t.Fatalf("fixed header misread: %+v", h)
	}
	var block []byte
	var profile uint16
	if pkt[0]&0x10 != 0 {
		off := 12 + 4*int(h.CSRCCount)
		profile = binary.BigEndian.Uint16(pkt[off:])
		block = pkt[off+4 : h.HeaderLen]
		if len(block) != 4*int(binary.BigEndian.Uint16(pkt[off+2:])) {
			t.Fatalf("extension block of %d bytes", len(block))
		}
	}
	for id := range 256 {
		got := h.Extension(pkt, uint8(id))
		want := refExtension(profile, block, uint8(id))
		if !bytes.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("Extension(%d) = %x, reference %x (profile %#x block % x)", id, got, want, profile, block)
		}
		if !within(got, block) {
			t.Fatalf("Extension(%d) does not alias the extension block", id)
		}
	}
	comparePion(t, pkt, &h)
}

// comparePion checks ParseHeader against pion/rtp wherever pion accepts the
// packet. pion does not check the version and knows only the two-byte
// profile 0x1000 (RFC 8285 also allows 0x1001..0x100f), so those cases are
// left out; pion rejects element lists that run past the block, which
// ParseHeader accepts and Extension stops at.
func comparePion(t *testing.T, pkt []byte, h *Header) {
	t.Helper()
	var p rtp.Packet
	if err := p.Unmarshal(pkt); err != nil {
		return
	}
	if p.SequenceNumber != h.Sequence || p.Timestamp != h.Timestamp || p.SSRC != h.SSRC ||
		p.PayloadType != h.PayloadType || p.Marker != h.Marker || len(p.CSRC) != int(h.CSRCCount) ||
		int(p.PaddingSize) != h.PaddingLen || len(p.Payload) != h.PayloadLen {
		t.Fatalf("pion reads %+v (payload %d), ParseHeader %+v", p.Header, len(p.Payload), *h)
	}
	if !p.Extension || (p.ExtensionProfile != 0xBEDE && p.ExtensionProfile != 0x1000) {
		return
	}
	for id := 1; id < 256; id++ {
		got, want := h.Extension(pkt, uint8(id)), p.GetExtension(uint8(id))
		if !bytes.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("Extension(%d) = %x, pion %x", id, got, want)
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	good := samplePacket()
	f.Add(good)
	f.Add(good[:11])
	f.Add(good[:18])
	f.Add(append(append([]byte{}, good[:len(good)-1]...), 0))
	f.Add(append(append([]byte{}, good[:len(good)-1]...), 200))
	f.Add([]byte{0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0x10, 0x00, 0x00, 0x02, 0x05, 0x03, 'x', 'y', 'z', 0, 0, 0, 0x01})
	f.Add([]byte{0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xbe, 0xde, 0, 1, 0x1f, 1, 2, 3})
	f.Add([]byte{0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})
	// One-byte mid "0" (id 1) and rid "hi" (id 2) after an ID-0 padding
	// byte; then an ID-0 header byte with a length, which is malformed.
	f.Add([]byte{0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xbe, 0xde, 0, 2, 0x00, 0x10, '0', 0x21, 'h', 'i', 0x05, 0x30, 0xaa})
	// Two-byte profile with appbits 0x1003, an empty element and padding.
	f.Add([]byte{0xb0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0x10, 0x03, 0, 2, 0x07, 0x00, 0x00, 0x03, 0x02, 'a', 'b', 0x00, 0xaa, 0x00, 0x02})
	// Extension words claim past the packet; padding eats the payload.
	f.Add([]byte{0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xbe, 0xde, 0xff, 0xff, 0x10})
	f.Add([]byte{0xa0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0x01, 0x02, 0x03, 0x04})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		checkHeader(t, pkt)
	})
}

// FuzzExtension builds packets around an extension block, so that the
// element walk gets most of the fuzzer's attention, and writes mid/rid
// values with pion to read them back.
func FuzzExtension(f *testing.F) {
	f.Add([]byte{0x10, '0', 0x21, 'h', 'i'}, uint8(0), uint8(1), []byte("0"), uint8(2), []byte("hi"))
	f.Add([]byte{0x00, 0x00, 0x1f, 0x30, 0x7f}, uint8(0), uint8(3), []byte("audio"), uint8(10), []byte("q"))
	f.Add([]byte{0x05, 0x03, 'x', 'y', 'z', 0x00, 0x01, 0x00}, uint8(1), uint8(5), []byte("video-mid-longer-than-16"), uint8(6), []byte(""))
	f.Add([]byte{0xf0, 0x10, '1'}, uint8(2), uint8(15), []byte("f"), uint8(14), []byte("r0"))
	f.Add([]byte{0x01, 0xff, 0x02}, uint8(3), uint8(255), bytes.Repeat([]byte{'m'}, 255), uint8(1), []byte("x"))
	f.Fuzz(func(t *testing.T, block []byte, profileSel, id1 uint8, v1 []byte, id2 uint8, v2 []byte) {
		profiles := [...]uint16{0xBEDE, 0x1000, 0x100f, 0xABCD}
		profile := profiles[profileSel%4]
		words := (len(block) + 3) / 4
		if words > 0xffff {
			return
		}
		pkt := []byte{0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, byte(profile >> 8), byte(profile), byte(words >> 8), byte(words)}
		pkt = append(pkt, block...)
		pkt = append(pkt, make([]byte, 4*words-len(block))...)
		pkt = append(pkt, 0xaa, 0xbb)
		checkHeader(t, pkt)

		// Round trip: what pion writes as mid and rid, Extension reads.
		h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 1, SSRC: 9}
		if profileSel&1 == 1 {
			h.Extension, h.ExtensionProfile = true, 0x1000
		}
		if id1 == id2 || h.SetExtension(id1, v1) != nil || h.SetExtension(id2, v2) != nil {
			return
		}
		// pion checks the first element only against the profile it picks
		// for it; leave out what RFC 8285 does not allow.
		for _, e := range []struct {
			id uint8
			v  []byte
		}{{id1, v1}, {id2, v2}} {
			if h.ExtensionProfile == 0xBEDE && (e.id > 14 || len(e.v) == 0 || len(e.v) > 16) || e.id == 0 || len(e.v) > 255 {
				return
			}
		}
		raw, err := (&rtp.Packet{Header: h, Payload: []byte{1, 2, 3}}).Marshal()
		if err != nil {
			return
		}
		var rh Header
		if err := ParseHeader(raw, &rh); err != nil {
			t.Fatalf("pion's packet % x: %v", raw, err)
		}
		if got := rh.Extension(raw, id1); !bytes.Equal(got, v1) {
			t.Fatalf("extension %d = %q, pion wrote %q (% x)", id1, got, v1, raw)
		}
		if got := rh.Extension(raw, id2); !bytes.Equal(got, v2) {
			t.Fatalf("extension %d = %q, pion wrote %q (% x)", id2, got, v2, raw)
		}
		if rh.PayloadLen != 3 {
			t.Fatalf("payload %d", rh.PayloadLen)
		}
	})
}

// FuzzUnwrap drives both unwrappers with a sequence the fuzzer chooses.
// Each 6-byte step is a signed 16-bit move of the true sequence number and
// a signed 32-bit move of the true timestamp, relative to the newest values;
// the true values are kept in int64. An unwrapped value is congruent to its
// input, within half the number space of the newest one, and, since every
// move here stays within that half, equal to the true value. A step of
// -32768 is the ambiguous half-way point: it must resolve backwards, as a
// late packet, never as a jump ahead that would count 32767 losses.
func FuzzUnwrap(f *testing.F) {
	f.Add(uint16(65533), uint32(math.MaxUint32-1799), []byte{0, 1, 0, 0, 7, 8, 0, 1, 0, 0, 7, 8, 0xff, 0xfe, 0xff, 0xff, 0xfc, 0x7c})
	f.Add(uint16(0), uint32(0), []byte{0x7f, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00})
	f.Add(uint16(1), uint32(1), []byte{0x80, 0x01, 0x80, 0x00, 0x00, 0x01, 0x7f, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, seq0 uint16, ts0 uint32, steps []byte) {
		var su SeqUnwrapper
		var tu TimestampUnwrapper
		maxSeq := int64(seq0)
		trueTS := int64(ts0)
		if got := su.Unwrap(seq0); got != int64(seq0) {
			t.Fatalf("first seq %d -> %d", seq0, got)
		}
		if got := tu.Unwrap(ts0); got != int64(ts0) {
			t.Fatalf("first ts %d -> %d", ts0, got)
		}
		ref, lastTS, lastExtTS := int64(seq0), ts0, int64(ts0)
		for len(steps) >= 6 {
			ds := int64(int16(binary.BigEndian.Uint16(steps)))
			dt := int64(int32(binary.BigEndian.Uint32(steps[2:])))
			steps = steps[6:]

			// Moves are relative to the newest true value.
			trueSeq := maxSeq + ds
			s := uint16(trueSeq)
			got := su.Unwrap(s)
			if uint16(got) != s {
				t.Fatalf("Unwrap(%d) = %d, not congruent", s, got)
			}
			if d := got - ref; d < -32768 || d > 32767 {
				t.Fatalf("Unwrap(%d) = %d, %d from the reference %d", s, got, d, ref)
			}
			if got != trueSeq {
				t.Fatalf("Unwrap(%d) = %d, true %d", s, got, trueSeq)
			}
			ref = max(ref, got)
			maxSeq = max(maxSeq, trueSeq)

			trueTS += dt
			ts := uint32(trueTS)
			ext := tu.Unwrap(ts)
			if uint32(ext) != ts || ext-lastExtTS != int64(int32(ts-lastTS)) {
				t.Fatalf("timestamp %d after %d: %d after %d", ts, lastTS, ext, lastExtTS)
			}
			if ext != trueTS {
				t.Fatalf("timestamp %d: %d, true %d", ts, ext, trueTS)
			}
			lastTS, lastExtTS = ts, ext
		}
	})
}

// FuzzNTP checks the NTP conversions: any 64-bit timestamp converts to a
// finite time between 1968 and 2104; any time in that span survives
// TimeToNTP and NTPToUnixMillis to within the 2^-32 s resolution (and the
// float64 rounding of milliseconds), across the 2036 era wrap; compact NTP
// and DLSR conversions are consistent; SignExtend24 is two's complement.
func FuzzNTP(f *testing.F) {
	f.Add(int64(1577836800), uint32(500_000_000), uint64(0), uint32(0))
	f.Add(int64(2085978495), uint32(999_999_999), uint64(0xffffffff_ffffffff), uint32(0xffffff)) // just before the era wrap
	f.Add(int64(2085978496), uint32(0), uint64(0x80000000_00000000), uint32(0x800000))           // the wrap
	f.Add(int64(-61505152), uint32(1), uint64(0x7fffffff_ffffffff), uint32(0x7fffff))            // 1968-01-20
	f.Add(int64(4294967295), uint32(123), uint64(1)<<32, uint32(1))
	f.Fuzz(func(t *testing.T, sec int64, nsec uint32, ntp uint64, v uint32) {
		const lo, hi = -61505152, 4233462144 // era 0 from 1968-01-20, era 1 to 2104-02-26
		ms := NTPToUnixMillis(ntp)
		if math.IsNaN(ms) || ms < lo*1e3 || ms > hi*1e3 {
			t.Fatalf("NTPToUnixMillis(%#x) = %v", ntp, ms)
		}

		if sec >= lo && sec < hi {
			tm := time.Unix(sec, int64(nsec%1e9))
			n := TimeToNTP(tm)
			want := float64(sec)*1e3 + float64(nsec%1e9)/1e6
			// 2^-32 s resolution, and float64 rounding of ~4e12 ms.
			if got := NTPToUnixMillis(n); math.Abs(got-want) > 5e-3 {
				t.Fatalf("%v -> NTP %#x -> %v ms, want %v", tm, n, got, want)
			}
			if c := CompactNTP(n); c != uint32(n>>16) {
				t.Fatalf("CompactNTP")
			}
		}

		d := CompactToDuration(v)
		if d < 0 || d > 65536*time.Second || math.Abs(d.Seconds()-float64(v)/65536) > 1e-9 {
			t.Fatalf("CompactToDuration(%#x) = %v", v, d)
		}
		s := SignExtend24(v)
		if s < -1<<23 || s >= 1<<23 || uint32(s)&0xffffff != v&0xffffff {
			t.Fatalf("SignExtend24(%#x) = %d", v, s)
		}
	})
}
