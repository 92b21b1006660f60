package impairnet

import "encoding/binary"

// Class is the kind of a datagram as demultiplexed per RFC 7983.
type Class int

// Datagram classes. ClassUnknown covers everything else, including RTP and
// RTCP datagrams too short to hold their fixed header.
const (
	ClassUnknown Class = iota
	ClassSTUN          // first byte 0..3
	ClassZRTP          // first byte 16..19
	ClassDTLS          // first byte 20..63
	ClassTURN          // first byte 64..79 (TURN ChannelData)
	ClassRTP           // first byte 128..191, second byte not 192..223
	ClassRTCP          // first byte 128..191, second byte 192..223

	numClasses
)

// Minimum lengths of the fixed RTP and RTCP headers.
const (
	rtpHeaderLen  = 12
	rtcpHeaderLen = 8
)

var classNames = [numClasses]string{ //nolint:gochecknoglobals // read-only table
	ClassUnknown: "unknown",
	ClassSTUN:    "stun",
	ClassZRTP:    "zrtp",
	ClassDTLS:    "dtls",
	ClassTURN:    "turn",
	ClassRTP:     "rtp",
	ClassRTCP:    "rtcp",
}

// String returns the class's lower-case name ("rtp", "turn", ...).
func (c Class) String() string {
	if c < 0 || c >= numClasses {
		return "invalid"
	}

	return classNames[c]
}

// Classes returns all classes, for iterating over [Stats.ByClass].
func Classes() []Class {
	out := make([]Class, 0, numClasses)
	for c := range numClasses {
		out = append(out, c)
	}

	return out
}

// Classify returns the class of a datagram per RFC 7983 (and RFC 5761 for
// telling RTCP from RTP). RTP needs at least 12 bytes and RTCP at least 8,
// otherwise the datagram is ClassUnknown.
func Classify(pkt []byte) Class {
	if len(pkt) == 0 {
		return ClassUnknown
	}
	b := pkt[0]
	switch {
	case b <= 3:
		return ClassSTUN
	case b >= 16 && b <= 19:
		return ClassZRTP
	case b >= 20 && b <= 63:
		return ClassDTLS
	case b >= 64 && b <= 79:
		return ClassTURN
	case b >= 128 && b <= 191:
		if len(pkt) >= 2 && pkt[1] >= 192 && pkt[1] <= 223 {
			if len(pkt) >= rtcpHeaderLen {
				return ClassRTCP
			}

			return ClassUnknown
		}
		if len(pkt) >= rtpHeaderLen {
			return ClassRTP
		}

		return ClassUnknown
	default:
		return ClassUnknown
	}
}

// IsRTP reports whether pkt is an RTP (or SRTP) packet.
func IsRTP(pkt []byte) bool { return Classify(pkt) == ClassRTP }

// IsRTCP reports whether pkt is an RTCP (or SRTCP) packet.
func IsRTCP(pkt []byte) bool { return Classify(pkt) == ClassRTCP }

// Info is what can be read from the clear-text header of a datagram.
// SRTP and SRTCP do not encrypt these header fields.
type Info struct {
	Class Class // RFC 7983 class
	// SSRC is the RTP SSRC (bytes 8..11) or, for RTCP, the SSRC of the
	// sender of the first packet of the compound (bytes 4..7).
	SSRC uint32
	// Seq is the RTP sequence number (bytes 2..3). Zero for non-RTP.
	Seq uint16
	// Timestamp is the RTP timestamp (bytes 4..7). Zero for non-RTP.
	Timestamp uint32
	// PayloadType is the RTP payload type (7 bits) or the RTCP packet type
	// of the first packet of the compound (e.g. 200 for SR).
	PayloadType uint8
	// Marker is the RTP marker bit.
	Marker bool
}

// Parse classifies pkt and reads the clear-text RTP/RTCP header fields.
func Parse(pkt []byte) Info {
	info := Info{Class: Classify(pkt)}
	//nolint:gosec // G602: Classify returns RTP or RTCP only when pkt holds the fixed header
	switch info.Class {
	case ClassRTP:
		info.Marker = pkt[1]&0x80 != 0
		info.PayloadType = pkt[1] & 0x7f
		info.Seq = binary.BigEndian.Uint16(pkt[2:4])
		info.Timestamp = binary.BigEndian.Uint32(pkt[4:8])
		info.SSRC = binary.BigEndian.Uint32(pkt[8:12])
	case ClassRTCP:
		info.PayloadType = pkt[1]
		info.SSRC = binary.BigEndian.Uint32(pkt[4:8])
	default:
	}

	return info
}
