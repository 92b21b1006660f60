package dscp

import (
	"net"

	"github.com/pion/transport/v4"
)

// MarkTCP gives a TCP connection its one DSCP; Net does it for the
// connections it makes, and an application calls it for its own (for
// example under an ice.TCPMux). A TCP connection multiplexes
// every flow of its 5-tuple into one byte stream, so RFC 8837 §5 asks for a
// single value: that of the highest priority among the flows (see
// TCPCodePoint), set when the connection is made.
func (m *Marker) MarkTCP(c *net.TCPConn) {
	if m == nil || c == nil {
		return
	}
	s := m.cfg.Load()
	if !s.marking || !markingSupported {
		return
	}
	rc, err := c.SyscallConn()
	if err == nil {
		v6 := false
		if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
			ap := a.AddrPort()
			v6 = ap.Addr().Is6() && !ap.Addr().Is4In6()
		}
		err = setTOS(rc, s.tcpCP.TOS(0), !v6, v6)
	}
	if err != nil {
		m.log.Warnf("TCP connection %s: DSCP not set: %v", c.LocalAddr(), err)
	}
}

type tcpListener struct {
	transport.TCPListener
	m *Marker
}

func (l *tcpListener) Accept() (net.Conn, error) {
	c, err := l.TCPListener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		l.m.MarkTCP(tc)
	}
	return c, err
}

func (l *tcpListener) AcceptTCP() (transport.TCPConn, error) {
	c, err := l.TCPListener.AcceptTCP()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		l.m.MarkTCP(tc)
	}
	return c, err
}
