//go:build linux

package wirecap_test

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/rtcstats/rtcstats/internal/netns"
	"github.com/rtcstats/rtcstats/internal/wirecap"
)

// TestVeth captures one flow at both ends of a veth pair, each capture
// opened inside its namespace: outgoing in the sender's, incoming in the
// receiver's.
func TestVeth(t *testing.T) {
	p := netns.New(t)
	listen := func(ns *netns.NS) *net.UDPConn {
		c, err := ns.Net().ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ns.Addr, 0)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c.(*net.UDPConn)
	}
	tx, rx := listen(p.A), listen(p.B)
	dst := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	flow := func(pk wirecap.Packet) bool { return pk.Dst == dst }

	sent, err := wirecap.Start(p.A.IfName, flow, wirecap.Within(p.A.Do))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _, _, _ = sent.Stop() }()
	recvd, err := wirecap.Start(p.B.IfName, flow, wirecap.Within(p.B.Do), wirecap.KeepIncoming())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _, _, _ = recvd.Stop() }()

	const total = 200
	tos := []uint8{0, 46 << 2, 34<<2 | 1, 8 << 2}
	got := receive(t, rx, total)
	for i := range total {
		setTOS(t, tx, int(tos[i%len(tos)]))
		if _, err := tx.WriteToUDPAddrPort(payload(i), dst); err != nil {
			t.Fatal(err)
		}
	}
	if n := <-got; n != total {
		t.Fatalf("receiver got %d of %d datagrams", n, total)
	}

	for _, c := range []struct {
		name     string
		cap      *wirecap.Capture
		outgoing bool
	}{{"A outgoing", sent, true}, {"B incoming", recvd, false}} {
		pkts, st, err := c.cap.Stop()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if st.Drops != 0 || len(pkts) != total {
			t.Fatalf("%s: captured %d of %d, kernel stats %+v", c.name, len(pkts), total, st)
		}
		for i, pk := range pkts {
			if pk.TOS != tos[i%len(tos)] || pk.Outgoing != c.outgoing || !bytes.Equal(pk.Payload, payload(i)) ||
				pk.Src.Addr() != p.A.Addr {
				t.Fatalf("%s: packet %d = %+v, want TOS %#x from %v", c.name, i, pk, tos[i%len(tos)], p.A.Addr)
			}
		}
	}
}
