package dscp

import (
	"fmt"
	"net"

	"github.com/pion/transport/v4"
	"github.com/pion/transport/v4/stdnet"
)

// Net is a pion transport.Net whose UDP sockets are Conns of its Marker and
// whose TCP connections carry one DSCP each. Give it to
// webrtc.SettingEngine.SetNet. Every other method is the base Net's.
type Net struct {
	transport.Net
	m *Marker
}

// NewNet wraps base (nil: the operating system's network, stdnet) for m.
func (m *Marker) NewNet(base transport.Net) (*Net, error) {
	if m == nil {
		return nil, ErrNoMarker
	}
	if base == nil {
		n, err := stdnet.NewNet()
		if err != nil {
			return nil, fmt.Errorf("dscp: %w", err)
		}
		base = n
	}
	return &Net{Net: base, m: m}, nil
}

// Marker returns the Marker the Net's sockets mark for.
func (n *Net) Marker() *Marker { return n.m }

func (n *Net) wrapPacket(pc net.PacketConn) net.PacketConn {
	if u, ok := pc.(*net.UDPConn); ok {
		return n.m.wrapUDP(u)
	}
	n.m.log.Warnf("%T is not a *net.UDPConn: its packets are neither marked nor counted", pc)
	return pc
}

func (n *Net) wrapUDP(uc transport.UDPConn) transport.UDPConn {
	if u, ok := uc.(*net.UDPConn); ok {
		return n.m.wrapUDP(u)
	}
	n.m.log.Warnf("%T is not a *net.UDPConn: its packets are neither marked nor counted", uc)
	return uc
}

// ListenPacket opens a socket; UDP sockets are wrapped.
func (n *Net) ListenPacket(network, address string) (net.PacketConn, error) {
	pc, err := n.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	if host, _, herr := net.SplitHostPort(address); herr == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsMulticast() {
			return pc, nil // see ListenUDP
		}
	}
	return n.wrapPacket(pc), nil
}

// ListenUDP opens a wrapped UDP socket. A socket bound to a multicast
// address (pion's mDNS, 224.0.0.251:5353) is returned as it is: it carries
// no media, and the multicast setup on it (golang.org/x/net/ipv4) needs
// the operating system's own socket type.
func (n *Net) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	uc, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	if laddr != nil && laddr.IP.IsMulticast() {
		return uc, nil
	}
	return n.wrapUDP(uc), nil
}

// DialUDP opens a wrapped, connected UDP socket.
func (n *Net) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	uc, err := n.Net.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	return n.wrapUDP(uc), nil
}

// Dial connects; TCP connections are marked, UDP ones wrapped.
func (n *Net) Dial(network, address string) (net.Conn, error) {
	c, err := n.Net.Dial(network, address)
	if err != nil {
		return nil, err
	}
	switch cc := c.(type) {
	case *net.UDPConn:
		return n.m.wrapUDP(cc), nil
	case *net.TCPConn:
		n.m.MarkTCP(cc)
	}
	return c, nil
}

// DialTCP connects and marks the connection.
func (n *Net) DialTCP(network string, laddr, raddr *net.TCPAddr) (transport.TCPConn, error) {
	c, err := n.Net.DialTCP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		n.m.MarkTCP(tc)
	}
	return c, nil
}

// ListenTCP listens; every accepted connection is marked.
func (n *Net) ListenTCP(network string, laddr *net.TCPAddr) (transport.TCPListener, error) {
	l, err := n.Net.ListenTCP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &tcpListener{TCPListener: l, m: n.m}, nil
}
