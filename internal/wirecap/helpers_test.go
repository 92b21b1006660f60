//go:build linux

package wirecap_test

import (
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

func setTOS(t *testing.T, c *net.UDPConn, tos int) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS, tos)
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
}

func payload(i int) []byte { return fmt.Appendf(nil, "pkt-%04d", i) }

// receive reads n datagrams in the background and reports how many came,
// so a test can wait until the traffic has arrived before stopping a
// capture. The big buffer keeps a burst from overflowing the socket.
func receive(t *testing.T, c *net.UDPConn, n int) <-chan int {
	t.Helper()
	if err := c.SetReadBuffer(4 << 20); err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() {
		buf := make([]byte, 1500)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		i := 0
		for ; i < n; i++ {
			if _, err := c.Read(buf); err != nil {
				break
			}
		}
		got <- i
	}()
	return got
}
