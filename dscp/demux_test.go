package dscp

import (
	"testing"
)

// rtpPacket is a 12-byte RTP header: V=2, PT 111, seq 0x1234, ts 1, SSRC
// 0xdeadbeef.
var rtpPacket = []byte{0x80, 111, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef}

// rtcpPacket is an RTCP receiver report header (PT 201) from SSRC 0x01020304.
var rtcpPacket = []byte{0x81, 201, 0x00, 0x07, 0x01, 0x02, 0x03, 0x04}

func channelData(length uint16, inner ...byte) []byte {
	return append([]byte{0x40, 0x00, byte(length >> 8), byte(length)}, inner...)
}

func TestParse(t *testing.T) {
	rtp := Datagram{Class: ClassRTP, SSRC: 0xdeadbeef, Seq: 0x1234, HasSSRC: true}
	rtcp := Datagram{Class: ClassRTCP, SSRC: 0x01020304, HasSSRC: true}
	stunBinding := []byte{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}

	for _, tc := range []struct {
		name string
		pkt  []byte
		want Datagram
	}{
		{"nil", nil, Datagram{}},
		{"empty", []byte{}, Datagram{}},
		{"stun binding", stunBinding, Datagram{Class: ClassSTUN}},
		{"first byte 3", []byte{3, 0}, Datagram{Class: ClassSTUN}},
		{"first byte 4", []byte{4, 0}, Datagram{}},
		{"first byte 15", []byte{15}, Datagram{}},
		{"first byte 16", []byte{16}, Datagram{Class: ClassZRTP}},
		{"first byte 19", []byte{19}, Datagram{Class: ClassZRTP}},
		{"first byte 20 change_cipher_spec", []byte{20, 0xfe, 0xfd}, Datagram{Class: ClassDTLS}},
		{"alert", []byte{21, 0xfe, 0xfd}, Datagram{Class: ClassDTLS}},
		{"handshake", []byte{22, 0xfe, 0xfd, 0, 0}, Datagram{Class: ClassDTLS}},
		{"application data", []byte{23, 0xfe, 0xfd, 0, 1}, Datagram{Class: ClassSCTP}},
		{"first byte 63", []byte{63}, Datagram{Class: ClassDTLS}},
		{"first byte 79 short", []byte{79, 0, 0}, Datagram{TURN: true}},
		{"first byte 80", []byte{80, 0, 0, 0, 0}, Datagram{}},
		{"first byte 127", append([]byte{127}, rtpPacket[1:]...), Datagram{}},
		{"rtp", rtpPacket, rtp},
		{"first byte 128", append([]byte{128}, rtpPacket[1:]...), rtp},
		{"first byte 191", append([]byte{191}, rtpPacket[1:]...), rtp},
		{"first byte 192", append([]byte{192}, rtpPacket[1:]...), Datagram{}},
		{"first byte 255", []byte{255, 200, 0, 0, 1, 2, 3, 4}, Datagram{}},
		{"rtp marker set pt 63", []byte{0x80, 191, 0, 9, 0, 0, 0, 0, 0, 0, 0, 5}, Datagram{Class: ClassRTP, SSRC: 5, Seq: 9, HasSSRC: true}},
		{"second byte 192", []byte{0x80, 192, 0, 1, 0, 0, 0, 7}, Datagram{Class: ClassRTCP, SSRC: 7, HasSSRC: true}},
		{"rtcp", rtcpPacket, rtcp},
		{"second byte 223", []byte{0x80, 223, 0, 1, 0, 0, 0, 7}, Datagram{Class: ClassRTCP, SSRC: 7, HasSSRC: true}},
		{"second byte 224 is rtp", []byte{0x80, 224, 0, 2, 0, 0, 0, 0, 0, 0, 0, 8}, Datagram{Class: ClassRTP, SSRC: 8, Seq: 2, HasSSRC: true}},
		{"rtp 11 bytes", rtpPacket[:11], Datagram{}},
		{"rtp 1 byte", rtpPacket[:1], Datagram{}},
		{"rtcp 7 bytes", rtcpPacket[:7], Datagram{}},
		{"rtcp 2 bytes", rtcpPacket[:2], Datagram{}},
		{"second byte 224 with 8 bytes", []byte{0x80, 224, 0, 1, 0, 0, 0, 7}, Datagram{}},
		{"channel data rtp", channelData(12, rtpPacket...), Datagram{Class: ClassRTP, TURN: true, SSRC: 0xdeadbeef, Seq: 0x1234, HasSSRC: true}},
		{"channel data padded rtcp", append(channelData(8, rtcpPacket...), 0, 0, 0, 0), Datagram{Class: ClassRTCP, TURN: true, SSRC: 0x01020304, HasSSRC: true}},
		{"channel data stun", channelData(20, stunBinding...), Datagram{Class: ClassSTUN, TURN: true}},
		{"channel data dtls app data", channelData(5, 23, 0xfe, 0xfd, 0, 1), Datagram{Class: ClassSCTP, TURN: true}},
		{"channel data length beyond buffer", channelData(1200, rtpPacket...), Datagram{Class: ClassRTP, TURN: true, SSRC: 0xdeadbeef, Seq: 0x1234, HasSSRC: true}},
		{"channel data length cuts rtp", channelData(11, rtpPacket...), Datagram{TURN: true}},
		{"channel data empty", channelData(0), Datagram{TURN: true}},
		{"channel data zero length", channelData(0, rtpPacket...), Datagram{TURN: true}},
		{"channel data 3 bytes", []byte{0x40, 0x00, 0x00}, Datagram{TURN: true}},
		{"channel data 1 byte", []byte{0x4f}, Datagram{TURN: true}},
		{"nested channel data", channelData(16, channelData(12, rtpPacket...)...), Datagram{TURN: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Parse(tc.pkt); got != tc.want {
				t.Errorf("Parse(% x) = %+v, want %+v", tc.pkt, got, tc.want)
			}
		})
	}
}

func TestParseEveryFirstByte(t *testing.T) {
	// One byte per RFC 7983 range, padded to be long enough for RTP.
	for b := range 256 {
		pkt := make([]byte, 16)
		pkt[0] = byte(b)
		pkt[1] = 96 // RTP payload type, not RTCP
		pkt[3] = 12 // ChannelData length 12
		pkt[4] = 0x80
		var want Class
		switch {
		case b <= 3:
			want = ClassSTUN
		case b >= 16 && b <= 19:
			want = ClassZRTP
		case b == 23:
			want = ClassSCTP
		case b >= 20 && b <= 63:
			want = ClassDTLS
		case b >= 64 && b <= 79:
			want = ClassRTP // inner datagram starts 0x80, 12 bytes
		case b >= 128 && b <= 191:
			want = ClassRTP
		}
		if got := Parse(pkt); got.Class != want || got.TURN != (b >= 64 && b <= 79) {
			t.Errorf("first byte %d: %+v, want class %s", b, got, want)
		}
	}
}

func TestClassString(t *testing.T) {
	want := []string{"unknown", "stun", "zrtp", "dtls", "sctp", "rtp", "rtcp"}
	if int(NumClasses) != len(want) {
		t.Fatalf("NumClasses = %d", NumClasses)
	}
	for i, w := range want {
		if got := Class(i).String(); got != w {
			t.Errorf("Class(%d) = %q, want %q", i, got, w)
		}
	}
}

func TestParseAllocs(t *testing.T) {
	pkts := [][]byte{rtpPacket, rtcpPacket, channelData(12, rtpPacket...), {22, 0xfe, 0xfd}, nil}
	allocs := testing.AllocsPerRun(100, func() {
		for _, p := range pkts {
			_ = Parse(p)
		}
	})
	if allocs != 0 {
		t.Fatalf("Parse allocates %v times", allocs)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(rtpPacket)
	f.Add(rtcpPacket)
	f.Add(channelData(1200, rtpPacket...))
	f.Add([]byte{0x40})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		d := Parse(pkt)
		if d.Class >= NumClasses {
			t.Fatalf("class %d", d.Class)
		}
		if d.HasSSRC != (d.Class == ClassRTP || d.Class == ClassRTCP) {
			t.Fatalf("HasSSRC %v for %s", d.HasSSRC, d.Class)
		}
	})
}
