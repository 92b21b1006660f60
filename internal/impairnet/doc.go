// Package impairnet is a TEST-ONLY network wrapper that impairs real UDP
// traffic of a pion PeerConnection so end-to-end tests can assert exact
// loss and delay figures in the statistics they collect.
//
// # What it is
//
// [Net] implements pion's transport.Net interface
// (github.com/pion/transport/v4) by delegating every method to
// stdnet.Net, the implementation pion uses by default. The only change is
// that the UDP sockets it hands out (ListenUDP, ListenPacket("udp*"),
// DialUDP, Dial("udp*") and the ListenConfig/Dialer it creates) are wrapped
// so that every datagram written to them first passes through the
// impairments configured on the Net. Install it on the peer whose outgoing
// traffic you want to impair:
//
//	inet, err := impairnet.New(impairnet.WithDelay(40 * time.Millisecond))
//	se := webrtc.SettingEngine{}
//	se.SetNet(inet)
//	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
//
// pion/ice writes every packet of a UDP host candidate (STUN checks, DTLS,
// SRTP and SRTCP) through the conn returned by Net.ListenUDP, using
// WriteToAddrPort (the ice.AddrPortReaderWriter fast path, which the wrapper
// implements) or WriteTo. Both go through the impairments.
//
// # What it impairs
//
//   - Drops: [WithDrop] takes an arbitrary predicate over the raw datagram;
//     [WithDropRTP] selects RTP packets by SSRC and sequence number (with an
//     optional limit), e.g. "SSRC X, seq%10 == 3, at most 20 packets". A
//     dropped packet is silently discarded: the caller sees a successful
//     write. The exact sequence numbers dropped per SSRC can be read back with
//     [Net.Dropped], so a test can compare them with the receiver's
//     packetsLost.
//   - Delay: [WithDelay] / [Net.SetDelay] send each datagram a fixed time
//     later, preserving order and never losing a packet, using one scheduler
//     goroutine per socket. [WithDelayClasses] restricts the delay to some
//     packet classes (e.g. only RTP and RTCP).
//   - Counters: [Net.Stats] reports packets and bytes passed, dropped and
//     delayed, per packet class and per RTP SSRC.
//
// Datagrams are classified per RFC 7983 ([Classify], [Parse]): STUN, DTLS,
// TURN channel data, RTP and RTCP (RTCP when the second byte is 192–223,
// RFC 5761). SRTP and SRTCP keep their RTP/RTCP header in the clear, so the
// SSRC and sequence number of encrypted media can be read on the wire.
//
// # Why send side
//
// Impairing on the send path means only the impaired peer needs the
// wrapper, and the receiving peer observes the impairment exactly as it would
// observe a lossy or slow network: losses show up as gaps in the sequence
// numbers it receives and delay shows up in RTCP round-trip times measured by
// the sender (its sender reports reach the receiver late, while the receiver
// reports come back on time). Dropping at the sender also means the test
// knows the exact set of lost packets without any timing assumption.
//
// # No root needed
//
// Everything happens in user space on ordinary sockets (e.g. on 127.0.0.1):
// no tc/netem, no iptables, no network namespaces, no privileges.
//
// # Caveats
//
//   - Only outgoing datagrams are impaired; reads are passed through.
//   - A retransmission that reuses the SSRC and sequence number of a packet
//     dropped by a [WithDropRTP] rule is dropped too (so NACK without RTX
//     cannot repair it). RTX retransmissions use another SSRC and an
//     encrypted original sequence number and are not recognised: disable
//     NACK/RTX when a test needs an exact loss count.
//   - Sockets bound to a multicast address (the mDNS listener of pion/ice)
//     are returned unwrapped, because golang.org/x/net/ipv4 needs a
//     *net.UDPConn. Tests usually disable mDNS anyway.
//   - The wrapped conns deliberately do not expose SyscallConn, so no one can
//     bypass the impairments through the raw socket.
//
// # Measuring what was injected with pion (v4.2.20, interceptor v0.1.51)
//
//   - The round-trip time the sender derives from receiver reports is only
//     available from the stats interceptor's Getter
//     (stats.NewInterceptor + OnNewPeerConnection); PeerConnection.GetStats
//     does not report remote-inbound RTT. The stats interceptor must be
//     registered before the report interceptors, otherwise it never sees the
//     sender reports and makes no RTT measurement (webrtc's
//     RegisterDefaultInterceptors registers it after them).
//   - The stats recorder of a new inbound SSRC is started in a goroutine and
//     ignores packets until then, so the very first packets of a stream may
//     be missing from the receiver's packetsReceived. Start dropping once the
//     receiver counts packets, or a drop among them will not be counted as
//     lost.
//
// See pc_test.go for both, with two PeerConnections on 127.0.0.1.
//
// This package is meant for tests only and is not tuned for production
// traffic (it takes a mutex and, when delaying, allocates per packet).
package impairnet
