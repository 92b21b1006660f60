package wirecap

import (
	"encoding/binary"
	"net/netip"
)

// Packet is one captured UDP datagram.
type Packet struct {
	TOS      uint8          // IPv4 TOS or IPv6 traffic class: DSCP<<2 | ECN
	Src, Dst netip.AddrPort // source and destination address and UDP port
	Payload  []byte         // UDP payload, owned by the Packet
	Outgoing bool           // sent by the interface (PACKET_OUTGOING), else received
}

const protoUDP = 17

// parse decodes an IP packet (no link header: the socket is SOCK_DGRAM)
// carrying UDP. Payload aliases b.
func parse(b []byte) (Packet, bool) {
	if len(b) == 0 {
		return Packet{}, false
	}
	switch b[0] >> 4 {
	case 4:
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl || b[9] != protoUDP {
			return Packet{}, false
		}
		if binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 { // MF or offset: a fragment
			return Packet{}, false
		}
		total := int(binary.BigEndian.Uint16(b[2:4]))
		if total < ihl || total > len(b) {
			return Packet{}, false
		}
		return udp(b[ihl:total], b[1], netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20])))
	case 6:
		if len(b) < 40 || b[6] != protoUDP {
			return Packet{}, false
		}
		end := 40 + int(binary.BigEndian.Uint16(b[4:6]))
		if end > len(b) {
			return Packet{}, false
		}
		tc := b[0]<<4 | b[1]>>4
		return udp(b[40:end], tc, netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40])))
	}
	return Packet{}, false
}

func udp(b []byte, tos uint8, src, dst netip.Addr) (Packet, bool) {
	if len(b) < 8 {
		return Packet{}, false
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if n < 8 || n > len(b) {
		return Packet{}, false
	}
	return Packet{
		TOS:     tos,
		Src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(b[0:2])),
		Dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(b[2:4])),
		Payload: b[8:n],
	}, true
}
