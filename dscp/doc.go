// Package dscp marks outgoing WebRTC packets with the DiffServ code points
// recommended by RFC 8837 and counts packets per code point at the socket.
//
// Marking is done per packet with sendmsg ancillary data (IP_TOS for IPv4,
// IPV6_TCLASS for IPv6), because one UDP socket carries audio, video, data
// channels and STUN at once (RFC 7983 multiplexing) and each needs its own
// value. Received packets are counted by the traffic class byte the kernel
// reports with IP_RECVTOS / IPV6_RECVTCLASS, which shows whether the markings
// survive the path. Parse classifies one datagram as STUN, ZRTP, DTLS, SCTP
// (DTLS application data), RTP or RTCP, looking through TURN ChannelData.
//
// Marking and reading the traffic class are implemented on Linux only. On
// other operating systems the package compiles, sends packets unmarked and
// counts nothing; the socket helpers report ErrUnsupported.
package dscp
