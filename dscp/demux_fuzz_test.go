package dscp

import (
	"encoding/binary"
	"testing"
)

// refClassify is RFC 7983 §7 (with RFC 5761 §4 for RTP/RTCP and RFC 8656
// §12 for ChannelData) written as the RFC's table, independently of
// demux.go: the class of a datagram by its first byte.
func refClassify(pkt []byte) Datagram {
	if len(pkt) == 0 {
		return Datagram{}
	}
	b := pkt[0]
	switch {
	case b <= 3:
		return Datagram{Class: ClassSTUN}
	case b >= 16 && b <= 19:
		return Datagram{Class: ClassZRTP}
	case b == 23:
		return Datagram{Class: ClassSCTP}
	case b >= 20 && b <= 63:
		return Datagram{Class: ClassDTLS}
	case b >= 128 && b <= 191:
		if len(pkt) >= 2 && pkt[1] >= 192 && pkt[1] <= 223 {
			if len(pkt) < 8 {
				return Datagram{}
			}
			return Datagram{Class: ClassRTCP, SSRC: binary.BigEndian.Uint32(pkt[4:]), HasSSRC: true}
		}
		if len(pkt) < 12 {
			return Datagram{}
		}
		return Datagram{Class: ClassRTP, SSRC: binary.BigEndian.Uint32(pkt[8:]), Seq: binary.BigEndian.Uint16(pkt[2:]), HasSSRC: true}
	}
	return Datagram{}
}

// FuzzDemux compares Parse with the RFC table on any datagram, and on the
// same bytes wrapped in TURN ChannelData with a length that fits, is short
// (a truncated read) or is cut below the inner datagram.
func FuzzDemux(f *testing.F) {
	f.Add(rtpPacket, uint16(0))
	f.Add(rtcpPacket, uint16(8))
	f.Add([]byte{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42}, uint16(3))
	f.Add([]byte{23, 0xfe, 0xfd, 0, 1}, uint16(5))
	f.Add(channelData(12, rtpPacket...), uint16(16))
	f.Add([]byte{0x80, 0xc8, 0, 6, 1, 2, 3}, uint16(1200))
	f.Fuzz(func(t *testing.T, pkt []byte, length uint16) {
		got := Parse(pkt)
		if got.Class >= NumClasses || got.HasSSRC != (got.Class == ClassRTP || got.Class == ClassRTCP) {
			t.Fatalf("Parse(% x) = %+v", pkt, got)
		}
		if len(pkt) > 0 && pkt[0] >= 64 && pkt[0] <= 79 {
			if !got.TURN {
				t.Fatalf("ChannelData % x not TURN: %+v", pkt, got)
			}
			var want Datagram
			if len(pkt) >= 4 {
				inner := pkt[4:]
				if n := int(binary.BigEndian.Uint16(pkt[2:])); n < len(inner) {
					inner = inner[:n]
				}
				if len(inner) == 0 || inner[0] < 64 || inner[0] > 79 {
					want = refClassify(inner)
				}
			}
			want.TURN = true
			if got != want {
				t.Fatalf("Parse(% x) = %+v, want %+v", pkt, got, want)
			}
		} else if want := refClassify(pkt); got != want {
			t.Fatalf("Parse(% x) = %+v, want %+v", pkt, got, want)
		}

		// The same bytes inside ChannelData.
		cd := append([]byte{0x40, 0x01, byte(length >> 8), byte(length)}, pkt...)
		inner := pkt[:min(int(length), len(pkt))]
		want := Datagram{}
		if len(inner) == 0 || inner[0] < 64 || inner[0] > 79 {
			want = refClassify(inner)
		}
		want.TURN = true
		if got := Parse(cd); got != want {
			t.Fatalf("Parse(% x) = %+v, want %+v", cd, got, want)
		}
	})
}
