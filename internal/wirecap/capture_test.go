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

// TestLoopback sends 1000 datagrams over lo, switching the TOS halfway,
// and checks that the capture holds each exactly once with its TOS.
func TestLoopback(t *testing.T) {
	netns.RequireRoot(t)
	const total, ef, af41ect1 = 1000, 46 << 2, 34<<2 | 1
	lo := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0)
	tx, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(lo))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Close() }()
	rx, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(lo))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rx.Close() }()
	dst := rx.LocalAddr().(*net.UDPAddr).AddrPort()

	c, err := wirecap.Start("lo", func(p wirecap.Packet) bool { return p.Dst.Port() == dst.Port() })
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _, _, _ = c.Stop() }()
	td, skip := startTcpdump(t, dst.Port())
	got := receive(t, rx, total)

	want := make([]uint8, total)
	for i := range total {
		switch i {
		case 0:
			setTOS(t, tx, ef)
		case total / 2:
			setTOS(t, tx, af41ect1)
		}
		want[i] = map[bool]uint8{true: ef, false: af41ect1}[i < total/2]
		if _, err := tx.WriteToUDPAddrPort(payload(i), dst); err != nil {
			t.Fatal(err)
		}
	}
	if n := <-got; n != total {
		t.Errorf("receiver got %d of %d datagrams", n, total)
	}

	pkts, st, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kernel stats: %+v (both directions, all lo traffic)", st)
	if st.Drops != 0 {
		t.Fatalf("kernel dropped %d packets: capture incomplete", st.Drops)
	}
	if len(pkts) != total {
		t.Fatalf("captured %d packets, want %d (each once)", len(pkts), total)
	}
	src := tx.LocalAddr().(*net.UDPAddr).AddrPort()
	for i, p := range pkts {
		if p.TOS != want[i] || !bytes.Equal(p.Payload, payload(i)) || p.Src != src || p.Dst != dst || !p.Outgoing {
			t.Fatalf("packet %d = {TOS %#x %v->%v out=%v %q}, want TOS %#x %v->%v out=true %q",
				i, p.TOS, p.Src, p.Dst, p.Outgoing, p.Payload, want[i], src, dst, payload(i))
		}
	}

	t.Run("tcpdump", func(t *testing.T) {
		if td == nil {
			t.Skip(skip)
		}
		const pcapHdr, recHdr, linkHdr, ipUDP = 24, 16, 14, 28
		fields := td.stop(t, pcapHdr+total*(recHdr+linkHdr+ipUDP+len(payload(0))))
		if len(fields) != total {
			t.Fatalf("tcpdump captured %d packets, want %d", len(fields), total)
		}
		perDSCP := map[uint8]int{}
		for _, p := range pkts {
			perDSCP[p.TOS>>2]++
		}
		tsharkPerDSCP := map[uint8]int{}
		for i, f := range fields {
			tsharkPerDSCP[f.dscp]++
			if f.dscp != want[i]>>2 || f.ecn != want[i]&3 {
				t.Errorf("tshark packet %d: DSCP %d ECN %d, want %d %d", i, f.dscp, f.ecn, want[i]>>2, want[i]&3)
			}
		}
		if len(perDSCP) != len(tsharkPerDSCP) || perDSCP[46] != tsharkPerDSCP[46] || perDSCP[34] != tsharkPerDSCP[34] {
			t.Errorf("packets per DSCP: wirecap %v, tcpdump/tshark %v", perDSCP, tsharkPerDSCP)
		}
	})
}
