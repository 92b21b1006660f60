package dscp

import (
	"net"
	"testing"

	"golang.org/x/net/ipv4"
)

// pion's mDNS binds 224.0.0.251:5353 through the transport.Net and joins
// the group with golang.org/x/net/ipv4, which works only on the operating
// system's socket: a wrapped one fails every read ("invalid conn type")
// and pion's read loop spins. Multicast-bound sockets are left unwrapped.
func TestNetLeavesMulticastSocketsAlone(t *testing.T) {
	m := newMarker(t)
	n, err := m.NewNet(nil)
	if err != nil {
		t.Fatal(err)
	}
	group := &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251), Port: 0}
	uc, err := n.ListenUDP("udp4", group)
	if err != nil {
		t.Skipf("cannot bind a multicast address here: %v", err)
	}
	defer func() { _ = uc.Close() }()
	if _, ok := uc.(*Conn); ok {
		t.Fatal("a multicast-bound socket was wrapped")
	}
	pc, ok := uc.(net.PacketConn)
	if !ok {
		t.Fatalf("%T is no net.PacketConn", uc)
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip(err)
	}
	if err := ipv4.NewPacketConn(pc).SetMulticastInterface(lo); err != nil {
		t.Fatalf("x/net/ipv4 on the socket: %v", err)
	}
	pc2, err := n.ListenPacket("udp4", "224.0.0.251:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc2.Close() }()
	if _, ok := pc2.(*Conn); ok {
		t.Fatal("ListenPacket wrapped a multicast-bound socket")
	}
	// Unicast ones are still wrapped (listen checks that).
	_ = listen(t, m)
}
