package impairnet

import (
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/pion/transport/v4"
)

// udpConn wraps a *net.UDPConn: every write goes through send (drop rules,
// delay queue, counters); reads and everything else are delegated.
//
// It implements transport.UDPConn and pion/ice's AddrPortReaderWriter
// (ReadFromAddrPort/WriteToAddrPort), which ice prefers over
// ReadFrom/WriteTo. It deliberately is not a *net.UDPConn and has no
// SyscallConn, so nothing can write around it.
type udpConn struct {
	n  *Net
	uc *net.UDPConn
	q  delayQueue
}

var _ transport.UDPConn = (*udpConn)(nil)

func newUDPConn(n *Net, uc *net.UDPConn) *udpConn {
	c := &udpConn{n: n, uc: uc}
	c.q.init()

	return c
}

type destKind int

const (
	destConnected   destKind = iota // Write
	destAddr                        // WriteTo / WriteToUDP
	destAddrPort                    // WriteToUDPAddrPort / WriteToAddrPort
	destMsg                         // WriteMsgUDP
	destMsgAddrPort                 // WriteMsgUDPAddrPort
)

type dest struct {
	kind destKind
	addr net.Addr
	ap   netip.AddrPort
	oob  []byte
}

// clone makes dest safe to keep after the write call returns.
func (d dest) clone() dest {
	if ua, ok := d.addr.(*net.UDPAddr); ok && ua != nil {
		d.addr = &net.UDPAddr{IP: slices.Clone(ua.IP), Port: ua.Port, Zone: ua.Zone}
	}
	d.oob = slices.Clone(d.oob)

	return d
}

// emit writes b to the socket.
func (c *udpConn) emit(b []byte, d dest) (int, error) {
	switch d.kind {
	case destConnected:
		return c.uc.Write(b)
	case destAddr:
		return c.uc.WriteTo(b, d.addr)
	case destAddrPort:
		return c.uc.WriteToUDPAddrPort(b, d.ap)
	case destMsg:
		var ua *net.UDPAddr
		if d.addr != nil {
			ua, _ = d.addr.(*net.UDPAddr)
		}
		n, _, err := c.uc.WriteMsgUDP(b, d.oob, ua)

		return n, err
	default: // destMsgAddrPort
		n, _, err := c.uc.WriteMsgUDPAddrPort(b, d.oob, d.ap)

		return n, err
	}
}

// send is the single outgoing path of the wrapper.
func (c *udpConn) send(b []byte, d dest) (int, error) {
	info := Parse(b)
	drop, delayed, delay := c.n.decide(b, info)
	if drop {
		return len(b), nil
	}
	if delayed {
		queued, err := c.q.enqueue(c, b, d, info, delay)
		if err != nil {
			return 0, err
		}
		if queued {
			return len(b), nil
		}
	}
	// Count before writing so the counters are never behind what a receiver
	// has already seen; undone if the write fails.
	c.n.countPassed(info, len(b), 0)
	n, err := c.emit(b, d)
	if err != nil {
		c.n.uncountPassed(info, len(b), false)
	}

	return n, err
}

// Write implements net.Conn (connected sockets, e.g. from DialUDP).
func (c *udpConn) Write(b []byte) (int, error) {
	return c.send(b, dest{kind: destConnected})
}

// WriteTo implements net.PacketConn.
func (c *udpConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	return c.send(b, dest{kind: destAddr, addr: addr})
}

// WriteToUDP implements transport.UDPConn.
func (c *udpConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if addr == nil {
		return c.send(b, dest{kind: destAddr})
	}

	return c.send(b, dest{kind: destAddr, addr: addr})
}

// WriteToUDPAddrPort mirrors *net.UDPConn.
func (c *udpConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.send(b, dest{kind: destAddrPort, ap: addr})
}

// WriteToAddrPort implements ice.AddrPortReaderWriter; pion/ice uses it for
// every packet of a candidate when available.
func (c *udpConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.send(b, dest{kind: destAddrPort, ap: addr})
}

// WriteMsgUDP implements transport.UDPConn. The out-of-band data is sent
// (or dropped, or delayed) with the payload.
func (c *udpConn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (int, int, error) {
	d := dest{kind: destMsg, oob: oob}
	if addr != nil {
		d.addr = addr
	}
	n, err := c.send(b, d)
	if err != nil {
		return n, 0, err
	}

	return n, len(oob), nil
}

// WriteMsgUDPAddrPort mirrors *net.UDPConn; see WriteMsgUDP.
func (c *udpConn) WriteMsgUDPAddrPort(b, oob []byte, addr netip.AddrPort) (int, int, error) {
	n, err := c.send(b, dest{kind: destMsgAddrPort, ap: addr, oob: oob})
	if err != nil {
		return n, 0, err
	}

	return n, len(oob), nil
}

// Close stops the delay scheduler (queued datagrams are discarded and
// counted in Stats.DiscardedOnClose), waits for it to exit and closes the
// socket.
func (c *udpConn) Close() error {
	first := c.q.shutdown()
	err := c.uc.Close()
	if first {
		if k := c.q.wait(); k > 0 {
			c.n.countDiscarded(k)
		}
		c.n.connClosed(c)
	}

	return err
}

// Reads and the rest are delegated.

func (c *udpConn) Read(b []byte) (int, error) { return c.uc.Read(b) }

func (c *udpConn) ReadFrom(b []byte) (int, net.Addr, error) { return c.uc.ReadFrom(b) }

func (c *udpConn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) { return c.uc.ReadFromUDP(b) }

func (c *udpConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.uc.ReadFromUDPAddrPort(b)
}

// ReadFromAddrPort implements ice.AddrPortReaderWriter.
func (c *udpConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.uc.ReadFromUDPAddrPort(b)
}

func (c *udpConn) ReadMsgUDP(b, oob []byte) (int, int, int, *net.UDPAddr, error) {
	return c.uc.ReadMsgUDP(b, oob)
}

func (c *udpConn) ReadMsgUDPAddrPort(b, oob []byte) (int, int, int, netip.AddrPort, error) {
	return c.uc.ReadMsgUDPAddrPort(b, oob)
}

func (c *udpConn) LocalAddr() net.Addr  { return c.uc.LocalAddr() }
func (c *udpConn) RemoteAddr() net.Addr { return c.uc.RemoteAddr() }

func (c *udpConn) SetDeadline(t time.Time) error      { return c.uc.SetDeadline(t) }
func (c *udpConn) SetReadDeadline(t time.Time) error  { return c.uc.SetReadDeadline(t) }
func (c *udpConn) SetWriteDeadline(t time.Time) error { return c.uc.SetWriteDeadline(t) }
func (c *udpConn) SetReadBuffer(bytes int) error      { return c.uc.SetReadBuffer(bytes) }
func (c *udpConn) SetWriteBuffer(bytes int) error     { return c.uc.SetWriteBuffer(bytes) }

// delayQueue is the FIFO of delayed datagrams of one socket, drained by one
// scheduler goroutine started on first use.
type delayQueue struct {
	mu      sync.Mutex
	items   []queued
	head    int
	pending int // queued items plus the one being written
	started bool
	closed  bool
	lost    int // items discarded by shutdown

	wake   chan struct{}
	done   chan struct{}
	exited chan struct{}
}

type queued struct {
	buf  []byte
	dest dest
	info Info
	due  time.Time
}

func (q *delayQueue) init() {
	q.wake = make(chan struct{}, 1)
	q.done = make(chan struct{})
	q.exited = make(chan struct{})
}

// enqueue queues a copy of b to be sent after delay. With no delay it only
// queues when older datagrams are still pending, so order is preserved;
// otherwise it returns false and the caller sends at once.
func (q *delayQueue) enqueue(c *udpConn, b []byte, d dest, info Info, delay time.Duration) (bool, error) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()

		return false, net.ErrClosed
	}
	if delay <= 0 && q.pending == 0 {
		q.mu.Unlock()

		return false, nil
	}
	q.items = append(q.items, queued{
		buf:  slices.Clone(b),
		dest: d.clone(),
		info: info,
		due:  time.Now().Add(delay),
	})
	q.pending++
	if !q.started {
		q.started = true
		go q.run(c)
	}
	// Counted under q.mu so Delayed is never behind Passed.
	c.n.countDelayed(info, len(b))
	q.mu.Unlock()

	select {
	case q.wake <- struct{}{}:
	default:
	}

	return true, nil
}

func (q *delayQueue) run(c *udpConn) {
	defer close(q.exited)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		q.mu.Lock()
		if q.head == len(q.items) {
			q.items, q.head = q.items[:0], 0
			q.mu.Unlock()
			select {
			case <-q.wake:
				continue
			case <-q.done:
				return
			}
		}
		it := q.items[q.head]
		if wait := time.Until(it.due); wait > 0 {
			q.mu.Unlock()
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-q.done:
				return
			}

			continue
		}
		q.items[q.head] = queued{}
		q.head++
		if q.head >= 64 && q.head*2 >= len(q.items) {
			// Under steady traffic the queue may never drain: compact it.
			k := copy(q.items, q.items[q.head:])
			clear(q.items[k:])
			q.items, q.head = q.items[:k], 0
		}
		q.mu.Unlock()

		c.n.countPassed(it.info, len(it.buf), time.Since(it.due))
		_, err := c.emit(it.buf, it.dest)

		q.mu.Lock()
		q.pending--
		closed := q.closed
		q.mu.Unlock()
		if err != nil {
			c.n.uncountPassed(it.info, len(it.buf), closed)
		}
	}
}

// shutdown marks the queue closed, discards what is queued and tells the
// scheduler to stop. It reports whether this was the first call.
func (q *delayQueue) shutdown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.closed = true
	q.lost = len(q.items) - q.head
	q.pending -= q.lost
	q.items, q.head = nil, 0
	close(q.done)

	return true
}

// wait waits for the scheduler to exit and returns how many queued items
// shutdown discarded.
func (q *delayQueue) wait() int {
	q.mu.Lock()
	started := q.started
	q.mu.Unlock()
	if started {
		<-q.exited
	}

	return q.lost
}
