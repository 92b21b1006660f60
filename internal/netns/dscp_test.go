//go:build linux

package netns_test

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/netns"
)

// remarkCS1 rewrites the DSCP of every UDP/IPv4 packet leaving A to CS1,
// like a network that bleaches or re-marks traffic.
const remarkCS1 = `
table inet rtcs_dscp {
	chain postrouting {
		type filter hook postrouting priority 0; policy accept;
		meta l4proto udp ip dscp set cs1
	}
}
`

// TestDSCPRemark proves, without project code, that an nftables rule in A
// changes the DSCP that B's socket observes (via IP_RECVTOS).
func TestDSCPRemark(t *testing.T) {
	netns.Require(t, "nft")
	p := netns.New(t)
	tx := listenUDP(t, p.A)
	rx := listenUDP(t, p.B)
	setsockopt(t, tx, syscall.IP_TOS, 46<<2)
	setsockopt(t, rx, syscall.IP_RECVTOS, 1)

	if got := sendTOS(t, tx, rx); got != 46<<2 {
		t.Errorf("without rule: B saw TOS %#x, want %#x (EF)", got, 46<<2)
	}
	if err := p.A.NFT(t.Context(), remarkCS1); err != nil {
		t.Fatal(err)
	}
	if got := sendTOS(t, tx, rx); got != 8<<2 {
		t.Errorf("with rule: B saw TOS %#x, want %#x (CS1)", got, 8<<2)
	}
}

func setsockopt(t *testing.T, c *net.UDPConn, opt, v int) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, opt, v)
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
}

// sendTOS sends one datagram and returns the TOS byte of the received
// packet, from the IP_TOS control message.
func sendTOS(t *testing.T, tx, rx *net.UDPConn) uint8 {
	t.Helper()
	if _, err := tx.WriteTo([]byte("dscp"), rx.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf, oob := make([]byte, 64), make([]byte, 64)
	_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, oobn, _, _, err := rx.ReadMsgUDP(buf, oob) //nolint:dogsled // only the OOB length matters
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.IPPROTO_IP && m.Header.Type == syscall.IP_TOS && len(m.Data) > 0 {
			return m.Data[0]
		}
	}
	t.Fatalf("no IP_TOS control message in %d bytes", oobn)
	return 0
}
