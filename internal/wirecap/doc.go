// Package wirecap is a TEST-ONLY packet capture (AF_PACKET) that tests use
// as independent, on-the-wire proof of what a socket sent: the DSCP/ECN
// byte, addresses and UDP payload of every datagram crossing one
// interface, plus the kernel's drop counter so a test can fail loudly
// instead of trusting an incomplete capture.
//
//	c, err := wirecap.Start("lo", func(p wirecap.Packet) bool { return p.Dst.Port() == port })
//	... send ...
//	pkts, st, err := c.Stop() // st.Drops must be 0
//
// Direction: by default only packets the interface sends (PACKET_OUTGOING)
// are kept. On loopback every packet is seen twice, once sent and once
// received, so this counts each exactly once. [KeepIncoming] keeps the
// received copies instead, which is what a capture on the receiving end
// of a veth wants.
//
// To capture inside a network namespace, pass its Do function with
// [Within]; the socket keeps the namespace for its lifetime.
//
// Only unfragmented UDP over IPv4 or IPv6 (no extension headers) is
// reported. Needs CAP_NET_RAW; Linux only.
package wirecap
