//go:build linux

package netns

import (
	"context"
	"fmt"
	"net"

	"github.com/pion/transport/v4"
)

// Net returns a transport.Net whose sockets are created inside the
// namespace and whose interface list is the namespace's, so pion's ICE
// gathers the veth address as its host candidate. Use literal IP
// addresses (see [NS.Do]). Resolve* use the standard resolver.
func (ns *NS) Net() transport.Net { return nsNet{ns} }

type nsNet struct{ ns *NS }

var _ transport.Net = nsNet{}

// in creates something inside ns. On error it returns the zero T, not a
// typed nil pointer wrapped in a non-nil interface.
func in[T any](ns *NS, f func() (T, error)) (T, error) {
	var v T
	err := ns.Do(func() (err error) {
		v, err = f()
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

func (n nsNet) ListenPacket(network, address string) (net.PacketConn, error) {
	return in(n.ns, func() (net.PacketConn, error) {
		return (&net.ListenConfig{}).ListenPacket(context.Background(), network, address)
	})
}

func (n nsNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	return in(n.ns, func() (transport.UDPConn, error) { return net.ListenUDP(network, laddr) })
}

func (n nsNet) ListenTCP(network string, laddr *net.TCPAddr) (transport.TCPListener, error) {
	return in(n.ns, func() (transport.TCPListener, error) {
		l, err := net.ListenTCP(network, laddr)
		if err != nil {
			return nil, err
		}
		return tcpListener{l}, nil
	})
}

func (n nsNet) Dial(network, address string) (net.Conn, error) {
	return in(n.ns, func() (net.Conn, error) { return (&net.Dialer{}).DialContext(context.Background(), network, address) })
}

func (n nsNet) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	return in(n.ns, func() (transport.UDPConn, error) { return net.DialUDP(network, laddr, raddr) })
}

func (n nsNet) DialTCP(network string, laddr, raddr *net.TCPAddr) (transport.TCPConn, error) {
	return in(n.ns, func() (transport.TCPConn, error) { return net.DialTCP(network, laddr, raddr) })
}

func (nsNet) ResolveIPAddr(network, address string) (*net.IPAddr, error) {
	return net.ResolveIPAddr(network, address)
}

func (nsNet) ResolveUDPAddr(network, address string) (*net.UDPAddr, error) {
	return net.ResolveUDPAddr(network, address)
}

func (nsNet) ResolveTCPAddr(network, address string) (*net.TCPAddr, error) {
	return net.ResolveTCPAddr(network, address)
}

// Interfaces is read afresh on every call (netlink, inside the namespace)
// rather than cached like stdnet, so it reflects addresses added later.
func (n nsNet) Interfaces() ([]*transport.Interface, error) {
	return in(n.ns, func() ([]*transport.Interface, error) {
		ifs, err := net.Interfaces()
		if err != nil {
			return nil, err
		}
		out := make([]*transport.Interface, 0, len(ifs))
		for _, ifc := range ifs {
			addrs, err := ifc.Addrs()
			if err != nil {
				return nil, err
			}
			ti := transport.NewInterface(ifc)
			for _, a := range addrs {
				ti.AddAddress(a)
			}
			out = append(out, ti)
		}
		return out, nil
	})
}

func (n nsNet) InterfaceByIndex(index int) (*transport.Interface, error) {
	return n.find(func(ifc *transport.Interface) bool { return ifc.Index == index }, fmt.Sprint("index=", index))
}

func (n nsNet) InterfaceByName(name string) (*transport.Interface, error) {
	return n.find(func(ifc *transport.Interface) bool { return ifc.Name == name }, name)
}

func (n nsNet) find(match func(*transport.Interface) bool, what string) (*transport.Interface, error) {
	ifs, err := n.Interfaces()
	if err != nil {
		return nil, err
	}
	for _, ifc := range ifs {
		if match(ifc) {
			return ifc, nil
		}
	}
	return nil, fmt.Errorf("%w: %s in %s", transport.ErrInterfaceNotFound, what, n.ns.Name)
}

func (n nsNet) CreateDialer(d *net.Dialer) transport.Dialer { return dialer{n.ns, d} }

func (n nsNet) CreateListenConfig(lc *net.ListenConfig) transport.ListenConfig {
	return listenConfig{n.ns, lc}
}

type tcpListener struct{ *net.TCPListener }

func (l tcpListener) AcceptTCP() (transport.TCPConn, error) { return l.TCPListener.AcceptTCP() }

type dialer struct {
	ns *NS
	d  *net.Dialer
}

func (d dialer) Dial(network, address string) (net.Conn, error) {
	return in(d.ns, func() (net.Conn, error) { return d.d.Dial(network, address) })
}

type listenConfig struct {
	ns *NS
	lc *net.ListenConfig
}

func (l listenConfig) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	return in(l.ns, func() (net.Listener, error) { return l.lc.Listen(ctx, network, address) })
}

func (l listenConfig) ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error) {
	return in(l.ns, func() (net.PacketConn, error) { return l.lc.ListenPacket(ctx, network, address) })
}
