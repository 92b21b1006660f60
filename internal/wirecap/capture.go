//go:build linux

package wirecap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Stats are the kernel's counters for the capture socket (PACKET_STATISTICS).
// They cover every packet on the interface in both directions, not only
// those kept: on lo, one datagram counts twice.
type Stats struct {
	Packets uint32 // packets that reached the socket, dropped ones included
	Drops   uint32 // packets lost because the receive buffer was full
}

// Option configures [Start].
type Option func(*config)

type config struct {
	incoming bool
	do       func(func() error) error
}

// KeepIncoming keeps packets the interface receives instead of those it
// sends.
func KeepIncoming() Option { return func(c *config) { c.incoming = true } }

// Within opens the socket through do, e.g. a netns.NS's Do, so the
// interface is looked up and bound in that network namespace.
func Within(do func(func() error) error) Option { return func(c *config) { c.do = do } }

// rcvBuf is large so a burst is queued rather than dropped while the
// reader goroutine catches up.
const rcvBuf = 16 << 20

// Capture is a running capture; see [Start] and [Capture.Stop].
type Capture struct {
	f    *os.File
	rc   syscall.RawConn
	done chan result

	once sync.Once
	res  result
	st   Stats
}

type result struct {
	pkts []Packet
	err  error
}

// Start captures on ifName, keeping the UDP packets for which filter
// (called on the reader goroutine; nil keeps all) returns true.
func Start(ifName string, filter func(Packet) bool, opts ...Option) (*Capture, error) {
	cfg := config{do: func(f func() error) error { return f() }}
	for _, o := range opts {
		o(&cfg)
	}
	var fd int
	err := cfg.do(func() (err error) {
		fd, err = open(ifName)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("wirecap: %s: %w", ifName, err)
	}
	// A non-blocking fd makes the os.File use the poller, so Stop can
	// interrupt a blocked read with a deadline.
	f := os.NewFile(uintptr(fd), "wirecap:"+ifName)
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	c := &Capture{f: f, rc: rc, done: make(chan result, 1)}
	go c.read(filter, cfg.incoming)
	return c, nil
}

func open(ifName string) (int, error) {
	ifi, err := net.InterfaceByName(ifName)
	if err != nil {
		return -1, err
	}
	// Protocol 0 receives nothing until bind, so no packet from another
	// interface slips in between socket and bind.
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, rcvBuf); err != nil {
		// Not root: capped by net.core.rmem_max, the drop counter will tell.
		_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf)
	}
	sa := &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ALL), Ifindex: ifi.Index}
	if err := syscall.Bind(fd, sa); err != nil {
		_ = syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

func (c *Capture) read(filter func(Packet) bool, incoming bool) {
	var (
		pkts []Packet
		rerr error
		buf  = make([]byte, 1<<16)
	)
	// drain reads until the queue is empty (false: wait for more) or a
	// read fails (true).
	drain := func(fd uintptr) bool {
		for {
			n, from, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_TRUNC)
			switch {
			case err == syscall.EAGAIN:
				return false
			case err == syscall.EINTR:
				continue
			case err != nil:
				rerr = err
				return true
			case n > len(buf):
				rerr = errors.Join(rerr, fmt.Errorf("wirecap: %d-byte packet truncated", n))
				continue
			}
			ll, ok := from.(*syscall.SockaddrLinklayer)
			if !ok {
				continue
			}
			out := ll.Pkttype == syscall.PACKET_OUTGOING
			if out == incoming {
				continue
			}
			p, ok := parse(buf[:n])
			if !ok {
				continue
			}
			p.Outgoing = out
			if filter != nil && !filter(p) {
				continue
			}
			p.Payload = bytes.Clone(p.Payload)
			pkts = append(pkts, p)
		}
	}
	err := c.rc.Read(drain)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// Stop's deadline: take what is still queued, which Read would not.
		err = c.rc.Control(func(fd uintptr) { drain(fd) })
	}
	c.done <- result{pkts, errors.Join(err, rerr)}
}

// Stop ends the capture and returns the kept packets in arrival order.
// Packets queued when Stop is called are included; packets still in
// flight are not, so for received traffic wait until the receiving socket
// has seen it. Later calls return the same results.
func (c *Capture) Stop() ([]Packet, Stats, error) {
	c.once.Do(func() {
		derr := c.f.SetReadDeadline(time.Now())
		r := <-c.done
		var (
			ts   *unix.TpacketStats
			serr error
		)
		cerr := c.rc.Control(func(fd uintptr) {
			ts, serr = unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS)
		})
		if ts != nil {
			c.st = Stats{Packets: ts.Packets, Drops: ts.Drops}
		}
		c.res = result{r.pkts, errors.Join(derr, r.err, serr, cerr, c.f.Close())}
	})
	return c.res.pkts, c.st, c.res.err
}

func htons(v uint16) uint16 {
	return binary.NativeEndian.Uint16(binary.BigEndian.AppendUint16(nil, v))
}
