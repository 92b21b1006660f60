package wirecap

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

func udpHdr(sport, dport uint16, payload []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(payload)))
	return append(append(b, 0, 0), payload...)
}

func ipv4(tos, proto uint8, frag uint16, l4 []byte) []byte {
	b := []byte{0x45, tos, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(l4)))
	binary.BigEndian.PutUint16(b[6:], frag)
	return append(b, l4...)
}

func ipv6(tc uint8, l4 []byte) []byte {
	b := make([]byte, 40+len(l4))
	b[0], b[1] = 0x60|tc>>4, tc<<4
	binary.BigEndian.PutUint16(b[4:], uint16(len(l4)))
	b[6], b[7] = protoUDP, 64
	copy(b[8:], netip.MustParseAddr("fd00::1").AsSlice())
	copy(b[24:], netip.MustParseAddr("fd00::2").AsSlice())
	copy(b[40:], l4)
	return b
}

func TestParse(t *testing.T) {
	pl := []byte("hello")
	v4 := ipv4(46<<2|1, protoUDP, 0x4000 /* DF */, udpHdr(1000, 2000, pl))
	p, ok := parse(append(v4, 0, 0, 0)) // trailing link padding is ignored
	if !ok || p.TOS != 46<<2|1 || p.Src != netip.MustParseAddrPort("10.0.0.1:1000") ||
		p.Dst != netip.MustParseAddrPort("10.0.0.2:2000") || !bytes.Equal(p.Payload, pl) {
		t.Errorf("IPv4: %+v, %v", p, ok)
	}
	p, ok = parse(ipv6(34<<2|2, udpHdr(1, 2, pl)))
	if !ok || p.TOS != 34<<2|2 || p.Src != netip.MustParseAddrPort("[fd00::1]:1") || !bytes.Equal(p.Payload, pl) {
		t.Errorf("IPv6: %+v, %v", p, ok)
	}
	for name, b := range map[string][]byte{
		"tcp":       ipv4(0, 6, 0, udpHdr(1, 2, pl)),
		"fragment":  ipv4(0, protoUDP, 0x2000 /* MF */, udpHdr(1, 2, pl)),
		"truncated": v4[:len(v4)-1],
		"empty":     nil,
		"short v6":  ipv6(0, udpHdr(1, 2, pl))[:39],
	} {
		if p, ok := parse(b); ok {
			t.Errorf("%s: parsed as %+v", name, p)
		}
	}
}
