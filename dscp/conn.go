package dscp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrNotUDP is returned by NewConn for a connection that is not a UDP socket
// of the standard library.
var ErrNotUDP = errors.New("dscp: not a *net.UDPConn")

// Conn is a UDP socket that marks every outgoing datagram with the DSCP its
// class and stream call for (RFC 8837), by sendmsg ancillary data per packet
// (so streams sharing the socket never race on a socket option), and reads
// the DSCP of every incoming datagram. It counts both per DSCP.
//
// It is a net.PacketConn and a pion transport.UDPConn, and it implements
// ReadFromAddrPort and WriteToAddrPort, which pion's ICE uses to avoid an
// allocation per packet.
type Conn struct {
	m     *Marker
	udp   *net.UDPConn
	local netip.AddrPort

	// marking says per-packet control messages work on this socket.
	marking bool
	v4, v6  bool
	shared  bool // under a UDPMux: carries many PeerConnections
	ecn     uint8
	rc      syscall.RawConn
	// baseDSCP is what the socket sends a packet without a control
	// message with: its traffic class, once adopted (see adopt).
	baseDSCP atomic.Uint32
	// adopted is 0 until the first RTP packet, 1 while its DSCP becomes
	// the socket's own traffic class, 2 after: from then on packets with
	// that DSCP go out with a plain send (sendmsg with a control message
	// costs the kernel several percent more) and only others carry one.
	// The socket option is set once and never changed again, so no send
	// can race with it.
	adopted atomic.Uint32
	// origDSCP is the socket's traffic class before adoption: what
	// unmarked packets (WithoutMarking, SetMarking(false)) go out with.
	origDSCP CodePoint
	// oob[cp] is the control message that sets DSCP cp (and keeps ecn).
	oob  [64][oobSpace]byte
	oobN int

	sent, recv [NumClasses]Counts
	noTOS      atomic.Uint64 // received without a traffic-class message

	closeOnce sync.Once
}

// NewConn wraps a UDP socket for m. Use it for the socket of a UDPMux
// (webrtc.NewICEUDPMux, ice.NewUDPMuxDefault); SettingEngine.SetNet users
// get their sockets wrapped by Net. The Conn then owns pc: close the Conn.
func (m *Marker) NewConn(pc net.PacketConn) (*Conn, error) {
	if m == nil {
		return nil, ErrNoMarker
	}
	if pc == nil {
		return nil, fmt.Errorf("%w: nil PacketConn", ErrInvalidOption)
	}
	udp, ok := pc.(*net.UDPConn)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrNotUDP, pc)
	}
	c := m.wrapUDP(udp)
	c.shared = true
	return c, nil
}

func (m *Marker) wrapUDP(udp *net.UDPConn) *Conn {
	c := &Conn{m: m, udp: udp}
	if a, ok := udp.LocalAddr().(*net.UDPAddr); ok {
		ap := a.AddrPort()
		c.local = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if err := c.setup(); err != nil {
		m.log.Warnf("socket %s: DSCP marking and reading off: %v", c.local, err)
	}
	m.addConn(c)
	return c
}

// setup finds the socket's family and current traffic class, turns on
// receiving the traffic class and precomputes the control messages.
func (c *Conn) setup() error {
	if !markingSupported {
		return ErrUnsupported
	}
	rc, err := c.udp.SyscallConn()
	if err != nil {
		return err
	}
	inet6, dual, err := socketFamily(rc)
	if err != nil {
		return err
	}
	c.v4, c.v6 = !inet6 || dual, inet6
	if tos, err := getTOS(rc, c.v6 && !c.v4); err == nil {
		c.ecn, c.origDSCP = tos&3, CodePoint(tos>>2)
		c.baseDSCP.Store(uint32(tos >> 2))
	}
	c.rc = rc
	if err := enableRecvTOS(rc, c.v4, c.v6); err != nil {
		return err
	}
	for cp := range c.oob {
		c.oobN = len(appendTOS(c.oob[cp][:0], CodePoint(cp).TOS(c.ecn), c.v4, c.v6))
	}
	c.marking = true
	return nil
}

// codePointOut decides the DSCP of an outgoing datagram.
func (c *Conn) codePointOut(s *settings, d *Datagram) (CodePoint, *Stream) {
	switch d.Class {
	case ClassRTP:
		if st := c.m.sentStream(d.SSRC); st != nil {
			return st.codePoint(d.Seq), st
		}
		return DF, nil // not a stream of ours
	case ClassRTCP:
		if st := c.m.rtcpStream(d.SSRC); st != nil {
			return st.Cell().Important, nil
		}
		return DF, nil
	case ClassSCTP:
		return s.dataCP, nil
	default: // STUN, DTLS, ZRTP and unknown
		return s.handshake, nil
	}
}

// write sends b to addr (zero when connected), marked, and counts it.
func (c *Conn) write(b []byte, addr netip.AddrPort) (int, error) {
	s := c.m.cfg.Load()
	d := Parse(b)
	cp, st := c.codePointOut(s, &d)
	var n int
	var err error
	if c.marking && !s.marking {
		cp = c.origDSCP // unmarked: the socket's class from before adoption
	}
	switch {
	case c.marking && (c.adopted.Load() != 2 || uint32(cp) != c.baseDSCP.Load()):
		if s.marking && d.Class == ClassRTP && c.adopted.CompareAndSwap(0, 1) {
			c.adopt(cp)
		}
		n, _, err = c.udp.WriteMsgUDPAddrPort(b, c.oob[cp][:c.oobN], addr)
	default:
		// Marked by the socket's own traffic class, or no marking here.
		if !c.marking {
			cp = CodePoint(c.baseDSCP.Load())
		}
		if addr.IsValid() {
			n, err = c.udp.WriteToUDPAddrPort(b, addr)
		} else {
			n, err = c.udp.Write(b)
		}
	}
	if err != nil || !c.marking {
		return n, err // not sent, or the traffic class is not known
	}
	c.sent[d.Class].add(cp)
	if st != nil {
		st.counts.add(cp)
	}
	return n, nil
}

// adopt makes cp the socket's own traffic class, once.
func (c *Conn) adopt(cp CodePoint) {
	if err := setTOS(c.rc, cp.TOS(c.ecn), c.v4, c.v6); err != nil {
		c.m.log.Debugf("socket %s: keeping per-packet control messages for every packet: %v", c.local, err)
		return // stays 1: every packet keeps its control message
	}
	c.baseDSCP.Store(uint32(cp))
	c.adopted.Store(2)
}

// count records one received datagram with its control messages.
func (c *Conn) count(b, oob []byte) {
	if !c.marking {
		return
	}
	tos, ok := parseTOS(oob)
	if !ok {
		c.noTOS.Add(1)
		return
	}
	cp := CodePoint(tos >> 2)
	d := Parse(b)
	c.recv[d.Class].add(cp)
	if d.Class != ClassRTP {
		return
	}
	if st := c.m.receivedStream(d.SSRC); st != nil {
		st.counts.add(cp)
	} else {
		c.m.unattributed.Add(1)
	}
}

func (c *Conn) read(b []byte) (int, netip.AddrPort, error) {
	var oob [oobSpace]byte
	n, oobn, _, addr, err := c.udp.ReadMsgUDPAddrPort(b, oob[:])
	if err == nil {
		c.count(b[:n], oob[:oobn])
	}
	return n, addr, err
}

// ReadFromAddrPort reads a datagram and counts it by its DSCP.
func (c *Conn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) { return c.read(b) }

// WriteToAddrPort writes a marked datagram to addr.
func (c *Conn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if !addr.IsValid() {
		return 0, c.writeError(nil, errMissingAddress)
	}
	return c.write(b, addr)
}

var errMissingAddress = errors.New("missing address")

// writeError is the error of a write refused before reaching the socket,
// shaped like the *net.OpError of the *net.UDPConn it wraps.
func (c *Conn) writeError(addr net.Addr, err error) error {
	return &net.OpError{Op: "write", Net: "udp", Source: c.udp.LocalAddr(), Addr: addr, Err: err}
}

// ReadFromUDPAddrPort is ReadFromAddrPort, named as on *net.UDPConn.
func (c *Conn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) { return c.read(b) }

// WriteToUDPAddrPort is WriteToAddrPort, named as on *net.UDPConn.
func (c *Conn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.WriteToAddrPort(b, addr)
}

// ReadFrom implements net.PacketConn.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, ap, err := c.read(b)
	if !ap.IsValid() {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), err
}

// ReadFromUDP is ReadFrom returning a *net.UDPAddr.
func (c *Conn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	n, ap, err := c.read(b)
	if !ap.IsValid() {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), err
}

// Read reads from a connected socket.
func (c *Conn) Read(b []byte) (int, error) {
	n, _, err := c.read(b)
	return n, err
}

// ReadMsgUDP reads a datagram with the caller's control-message buffer; the
// traffic class is counted when oob has room for it.
func (c *Conn) ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	n, oobn, flags, addr, err = c.udp.ReadMsgUDP(b, oob)
	if err == nil {
		c.count(b[:n], oob[:oobn])
	}
	return n, oobn, flags, addr, err
}

// WriteTo implements net.PacketConn.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok || ua == nil {
		return 0, c.writeError(addr, syscall.EINVAL)
	}
	return c.write(b, ua.AddrPort())
}

// WriteToUDP is WriteTo with a *net.UDPAddr.
func (c *Conn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if addr == nil {
		return 0, c.writeError(nil, errMissingAddress)
	}
	return c.write(b, addr.AddrPort())
}

// Write writes to a connected socket.
func (c *Conn) Write(b []byte) (int, error) { return c.write(b, netip.AddrPort{}) }

// WriteMsgUDP writes with the caller's control messages, unmarked: the
// caller decides the traffic class. It is counted at the socket's own DSCP.
func (c *Conn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	return c.udp.WriteMsgUDP(b, oob, addr)
}

// Close closes the socket and forgets it.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() { c.m.removeConn(c) })
	return c.udp.Close()
}

// LocalAddr returns the socket's local address.
func (c *Conn) LocalAddr() net.Addr { return c.udp.LocalAddr() }

// RemoteAddr returns the peer of a connected socket, or nil.
func (c *Conn) RemoteAddr() net.Addr { return c.udp.RemoteAddr() }

// SetDeadline implements net.Conn.
func (c *Conn) SetDeadline(t time.Time) error { return c.udp.SetDeadline(t) }

// SetReadDeadline implements net.Conn.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.udp.SetReadDeadline(t) }

// SetWriteDeadline implements net.Conn.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.udp.SetWriteDeadline(t) }

// SetReadBuffer sets the socket's receive buffer size.
func (c *Conn) SetReadBuffer(n int) error { return c.udp.SetReadBuffer(n) }

// SetWriteBuffer sets the socket's send buffer size.
func (c *Conn) SetWriteBuffer(n int) error { return c.udp.SetWriteBuffer(n) }

// SyscallConn gives access to the socket.
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return c.udp.SyscallConn() }

// Marking reports whether this socket marks and reads DSCP per packet.
func (c *Conn) Marking() bool { return c.marking }

// LocalAddrPort returns the local address (IPv4-mapped addresses unmapped).
func (c *Conn) LocalAddrPort() netip.AddrPort { return c.local }
