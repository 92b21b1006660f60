package dscp

import (
	"encoding/binary"
	"strconv"
)

// Class is the protocol of a datagram on a WebRTC 5-tuple (RFC 7983).
type Class uint8

// Classes of RFC 7983 §7, with DTLS split by content type so that data
// channel traffic can be told apart from the handshake.
const (
	ClassUnknown Class = iota
	ClassSTUN
	ClassZRTP
	// ClassDTLS is DTLS other than application data: handshake, alert,
	// change_cipher_spec.
	ClassDTLS
	// ClassSCTP is DTLS application_data (content type 23), which in WebRTC
	// only carries SCTP, i.e. data channels.
	ClassSCTP
	ClassRTP
	ClassRTCP
	// NumClasses is the number of classes, for arrays indexed by Class.
	NumClasses
)

var classNames = [NumClasses]string{ //nolint:gochecknoglobals // read-only table
	ClassUnknown: "unknown",
	ClassSTUN:    "stun",
	ClassZRTP:    "zrtp",
	ClassDTLS:    "dtls",
	ClassSCTP:    "sctp",
	ClassRTP:     "rtp",
	ClassRTCP:    "rtcp",
}

// String returns the class's lower-case name ("rtp", "stun", ...).
func (c Class) String() string {
	if c >= NumClasses {
		return "invalid(" + strconv.Itoa(int(c)) + ")"
	}

	return classNames[c]
}

// Datagram is what Parse learns from one datagram.
type Datagram struct {
	// Class is the RFC 7983 class of the datagram.
	Class Class
	// TURN is set when the datagram was TURN ChannelData; Class and the
	// fields below then describe the datagram inside it.
	TURN bool
	// SSRC is the RTP SSRC (bytes 8..11) or the RTCP sender SSRC (bytes
	// 4..7); both are in the clear in SRTP and SRTCP.
	SSRC uint32
	// Seq is the RTP sequence number (bytes 2..3).
	Seq uint16
	// HasSSRC is set when SSRC (and, for RTP, Seq) was read.
	HasSSRC bool
}

const (
	dtlsApplicationData = 23
	channelDataHeader   = 4
	rtpHeaderMin        = 12
	rtcpHeaderMin       = 8
)

// Parse classifies one datagram by its first byte (RFC 7983 §7) and, for
// RTP and RTCP, the second byte (RFC 5761 §4). It looks through one level
// of TURN ChannelData. It does not allocate and accepts any input.
func Parse(pkt []byte) Datagram {
	if len(pkt) == 0 || pkt[0] < 64 || pkt[0] > 79 {
		return classify(pkt)
	}
	if len(pkt) < channelDataHeader {
		return Datagram{TURN: true}
	}
	inner := pkt[channelDataHeader:]
	// A length beyond the buffer means a truncated read: use what is there.
	if n := int(binary.BigEndian.Uint16(pkt[2:4])); n < len(inner) {
		inner = inner[:n]
	}
	// classify does not look into ChannelData, so nesting stops here.
	d := classify(inner)
	d.TURN = true

	return d
}

func classify(pkt []byte) Datagram {
	if len(pkt) == 0 {
		return Datagram{}
	}
	switch b := pkt[0]; {
	case b <= 3:
		return Datagram{Class: ClassSTUN}
	case b >= 16 && b <= 19:
		return Datagram{Class: ClassZRTP}
	case b >= 20 && b <= 63:
		if b == dtlsApplicationData {
			return Datagram{Class: ClassSCTP}
		}

		return Datagram{Class: ClassDTLS}
	case b >= 128 && b <= 191:
		return classifyRTP(pkt)
	default:
		return Datagram{}
	}
}

func classifyRTP(pkt []byte) Datagram {
	if len(pkt) < 2 {
		return Datagram{}
	}
	// RFC 5761: RTCP packet types 192..223 land here as marker+PT.
	if pkt[1] >= 192 && pkt[1] <= 223 {
		if len(pkt) < rtcpHeaderMin {
			return Datagram{}
		}

		return Datagram{Class: ClassRTCP, SSRC: binary.BigEndian.Uint32(pkt[4:8]), HasSSRC: true}
	}
	if len(pkt) < rtpHeaderMin {
		return Datagram{}
	}

	return Datagram{
		Class:   ClassRTP,
		SSRC:    binary.BigEndian.Uint32(pkt[8:12]),
		Seq:     binary.BigEndian.Uint16(pkt[2:4]),
		HasSSRC: true,
	}
}
