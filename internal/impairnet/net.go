package impairnet

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/pion/transport/v4"
	"github.com/pion/transport/v4/stdnet"
)

// Net is a transport.Net that delegates to stdnet.Net and impairs the
// datagrams written to the UDP sockets it creates. Install it with
// webrtc.SettingEngine.SetNet on the sending peer. All methods are safe for
// concurrent use.
type Net struct {
	std *stdnet.Net

	mu         sync.Mutex
	rules      []dropRule
	delay      time.Duration
	delayClass [numClasses]bool
	byClass    [numClasses]Counters
	bySSRC     map[uint32]*Counters
	drops      map[uint32]*seqList
	writeErrs  uint64
	discarded  uint64
	conns      map[*udpConn]struct{}
}

// Compile-time assertion.
var _ transport.Net = (*Net)(nil)

type seqList struct {
	seqs []uint16
	seen map[uint16]struct{}
}

// Option configures a [Net] in [New].
type Option func(*Net)

// WithDrop adds a drop rule: an outgoing datagram for which pred returns true
// is discarded, and the write reports success to the caller. pred sees the
// raw datagram (SRTP/SRTCP with clear headers for media) and must not keep
// or modify it. Rules are evaluated in the order they were added and the
// first rule that drops a datagram wins, so later stateful rules do not see
// it. Rules run with the Net's lock held: they need no locking of their own
// but must not call methods of the Net.
func WithDrop(pred func(pkt []byte) bool) Option {
	return func(n *Net) { n.rules = append(n.rules, &predicateRule{pred: pred}) }
}

// WithDropRTP adds a drop rule for RTP packets of ssrc (0 = any SSRC) whose
// sequence number satisfies match (nil = every packet), dropping at most
// limit distinct packets (0 = no limit). A packet with the SSRC and sequence
// number of a packet this rule already dropped (a retransmission without
// RTX) is dropped as well and does not count against limit. For example,
// WithDropRTP(ssrc, SeqMod(10, 3), 20) drops the first 20 packets with
// seq%10 == 3. The sequence numbers dropped can be read with [Net.Dropped].
func WithDropRTP(ssrc uint32, match func(seq uint16) bool, limit int) Option {
	return func(n *Net) { n.rules = append(n.rules, newRTPRule(ssrc, match, limit)) }
}

// WithDropSeqs is WithDropRTP(ssrc, SeqIn(seqs...), 0).
func WithDropSeqs(ssrc uint32, seqs ...uint16) Option {
	return WithDropRTP(ssrc, SeqIn(seqs...), 0)
}

// WithDelay delays every outgoing datagram of the delayed classes (all
// classes unless [WithDelayClasses] is given) by d. Order is preserved.
func WithDelay(d time.Duration) Option {
	return func(n *Net) { n.delay = d }
}

// WithDelayClasses restricts the delay to datagrams of the given classes,
// e.g. WithDelayClasses(ClassRTP, ClassRTCP) leaves STUN and DTLS undelayed
// (so ICE and the handshake are not slowed down). Datagrams of other classes
// are sent at once and may overtake delayed ones. With no classes, nothing
// is delayed.
func WithDelayClasses(classes ...Class) Option {
	return func(n *Net) {
		n.delayClass = [numClasses]bool{}
		for _, c := range classes {
			if c >= 0 && c < numClasses {
				n.delayClass[c] = true
			}
		}
	}
}

// New returns a Net wrapping a fresh stdnet.Net.
func New(opts ...Option) (*Net, error) {
	std, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	n := &Net{
		std:    std,
		bySSRC: map[uint32]*Counters{},
		drops:  map[uint32]*seqList{},
		conns:  map[*udpConn]struct{}{},
	}
	for c := range n.delayClass {
		n.delayClass[c] = true
	}
	for _, o := range opts {
		o(n)
	}

	return n, nil
}

// SetDelay changes the delay applied to datagrams written from now on.
// Datagrams already queued keep their send time; order is still preserved,
// so after lowering the delay new datagrams wait behind queued ones.
func (n *Net) SetDelay(d time.Duration) {
	n.mu.Lock()
	n.delay = d
	n.mu.Unlock()
}

// Delay returns the current delay.
func (n *Net) Delay() time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()

	return n.delay
}

// AddDrop adds a rule like [WithDrop] at run time.
func (n *Net) AddDrop(pred func(pkt []byte) bool) {
	n.mu.Lock()
	WithDrop(pred)(n)
	n.mu.Unlock()
}

// AddDropRTP adds a rule like [WithDropRTP] at run time.
func (n *Net) AddDropRTP(ssrc uint32, match func(seq uint16) bool, limit int) {
	n.mu.Lock()
	WithDropRTP(ssrc, match, limit)(n)
	n.mu.Unlock()
}

// ClearDrops removes all drop rules. What was dropped so far stays recorded.
func (n *Net) ClearDrops() {
	n.mu.Lock()
	n.rules = nil
	n.mu.Unlock()
}

// Dropped returns the distinct sequence numbers of the RTP packets of ssrc
// dropped so far (by any rule), in the order they were first dropped.
func (n *Net) Dropped(ssrc uint32) []uint16 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if l := n.drops[ssrc]; l != nil {
		return slices.Clone(l.seqs)
	}

	return nil
}

// DroppedSSRCs returns the SSRCs for which RTP packets were dropped.
func (n *Net) DroppedSSRCs() []uint32 {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]uint32, 0, len(n.drops))
	for s := range n.drops {
		out = append(out, s)
	}
	slices.Sort(out)

	return out
}

// OpenConns returns the number of wrapped sockets not yet closed.
func (n *Net) OpenConns() int {
	n.mu.Lock()
	defer n.mu.Unlock()

	return len(n.conns)
}

// UpdateInterfaces refreshes the interface list of the underlying stdnet.Net.
// (pion/ice only does this itself for a *stdnet.Net.)
func (n *Net) UpdateInterfaces() error { return n.std.UpdateInterfaces() }

// decide applies the drop rules to an outgoing datagram and records a drop.
// It reports whether the datagram is dropped and, if not, whether it belongs
// to a delayed class and the current delay.
func (n *Net) decide(pkt []byte, info Info) (drop, delayed bool, delay time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, r := range n.rules {
		if r.drop(pkt, info) {
			n.countLocked(info, len(pkt), func(c *Counters) *Counter { return &c.Dropped })
			if info.Class == ClassRTP {
				n.recordDropLocked(info.SSRC, info.Seq)
			}

			return true, false, 0
		}
	}

	return false, n.delayClass[info.Class], n.delay
}

// recordDropLocked adds seq to the dropped sequence numbers of ssrc, once.
func (n *Net) recordDropLocked(ssrc uint32, seq uint16) {
	l := n.drops[ssrc]
	if l == nil {
		l = &seqList{seen: map[uint16]struct{}{}}
		n.drops[ssrc] = l
	}
	if _, ok := l.seen[seq]; !ok {
		l.seen[seq] = struct{}{}
		l.seqs = append(l.seqs, seq)
	}
}

func (n *Net) countLocked(info Info, size int, which func(*Counters) *Counter) {
	which(&n.byClass[info.Class]).add(size)
	if info.Class == ClassRTP {
		c := n.bySSRC[info.SSRC]
		if c == nil {
			c = &Counters{}
			n.bySSRC[info.SSRC] = c
		}
		which(c).add(size)
	}
}

// countPassed counts a datagram handed to the socket, late after its due
// time (0 for one sent at once).
func (n *Net) countPassed(info Info, size int, late time.Duration) {
	n.mu.Lock()
	n.countLocked(info, size, func(c *Counters) *Counter {
		c.MaxLate = max(c.MaxLate, late)
		return &c.Passed
	})
	n.mu.Unlock()
}

func (n *Net) countDelayed(info Info, size int) {
	n.mu.Lock()
	n.countLocked(info, size, func(c *Counters) *Counter { return &c.Delayed })
	n.mu.Unlock()
}

// uncountPassed undoes countPassed after a failed write, which is counted
// as discarded (socket closed under a delayed datagram) or as a write error.
func (n *Net) uncountPassed(info Info, size int, discarded bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	sub := func(c *Counter) {
		c.Packets--
		c.Bytes -= uint64(size)
	}
	sub(&n.byClass[info.Class].Passed)
	if info.Class == ClassRTP {
		sub(&n.bySSRC[info.SSRC].Passed)
	}
	if discarded {
		n.discarded++
	} else {
		n.writeErrs++
	}
}

func (n *Net) countDiscarded(k int) {
	n.mu.Lock()
	n.discarded += uint64(k)
	n.mu.Unlock()
}

func (n *Net) connClosed(c *udpConn) {
	n.mu.Lock()
	delete(n.conns, c)
	n.mu.Unlock()
}

// isMulticast reports whether a listen address ("host:port") is a literal
// multicast IP. (A socket bound to a multicast group reports the wildcard
// address as LocalAddr, so the request is what tells.)
func isMulticast(address string) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)

	return err == nil && ip.IsMulticast()
}

// wrap wraps a UDP socket; anything else is returned as is.
func (n *Net) wrap(pc net.PacketConn) net.PacketConn {
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return pc
	}
	c := newUDPConn(n, uc)
	n.mu.Lock()
	n.conns[c] = struct{}{}
	n.mu.Unlock()

	return c
}

func (n *Net) wrapConn(c net.Conn) net.Conn {
	if uc, ok := c.(*net.UDPConn); ok {
		if w, ok := n.wrap(uc).(net.Conn); ok {
			return w
		}
	}

	return c
}

func (n *Net) wrapUDP(uc transport.UDPConn) transport.UDPConn {
	if pc, ok := uc.(net.PacketConn); ok {
		if w, ok := n.wrap(pc).(transport.UDPConn); ok {
			return w
		}
	}

	return uc
}

// ListenPacket is stdnet's ListenPacket; UDP sockets are wrapped.
func (n *Net) ListenPacket(network string, address string) (net.PacketConn, error) {
	pc, err := n.std.ListenPacket(network, address)
	if err != nil || isMulticast(address) {
		return pc, err
	}

	return n.wrap(pc), nil
}

// ListenUDP is stdnet's ListenUDP; the socket is wrapped unless locAddr is
// a multicast address: pion/ice's mDNS listener is handed to
// golang.org/x/net/ipv4, which needs a *net.UDPConn.
func (n *Net) ListenUDP(network string, locAddr *net.UDPAddr) (transport.UDPConn, error) {
	uc, err := n.std.ListenUDP(network, locAddr)
	if err != nil || (locAddr != nil && locAddr.IP.IsMulticast()) {
		return uc, err
	}

	return n.wrapUDP(uc), nil
}

// ListenTCP delegates to stdnet.
func (n *Net) ListenTCP(network string, laddr *net.TCPAddr) (transport.TCPListener, error) {
	return n.std.ListenTCP(network, laddr)
}

// Dial is stdnet's Dial; UDP sockets are wrapped.
func (n *Net) Dial(network, address string) (net.Conn, error) {
	c, err := n.std.Dial(network, address)
	if err != nil {
		return nil, err
	}

	return n.wrapConn(c), nil
}

// DialUDP is stdnet's DialUDP; the socket is wrapped.
func (n *Net) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	uc, err := n.std.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}

	return n.wrapUDP(uc), nil
}

// DialTCP delegates to stdnet.
func (n *Net) DialTCP(network string, laddr, raddr *net.TCPAddr) (transport.TCPConn, error) {
	return n.std.DialTCP(network, laddr, raddr)
}

// ResolveIPAddr delegates to stdnet.
func (n *Net) ResolveIPAddr(network, address string) (*net.IPAddr, error) {
	return n.std.ResolveIPAddr(network, address)
}

// ResolveUDPAddr delegates to stdnet.
func (n *Net) ResolveUDPAddr(network, address string) (*net.UDPAddr, error) {
	return n.std.ResolveUDPAddr(network, address)
}

// ResolveTCPAddr delegates to stdnet.
func (n *Net) ResolveTCPAddr(network, address string) (*net.TCPAddr, error) {
	return n.std.ResolveTCPAddr(network, address)
}

// Interfaces delegates to stdnet.
func (n *Net) Interfaces() ([]*transport.Interface, error) { return n.std.Interfaces() }

// InterfaceByIndex delegates to stdnet.
func (n *Net) InterfaceByIndex(index int) (*transport.Interface, error) {
	return n.std.InterfaceByIndex(index)
}

// InterfaceByName delegates to stdnet.
func (n *Net) InterfaceByName(name string) (*transport.Interface, error) {
	return n.std.InterfaceByName(name)
}

// CreateDialer returns stdnet's Dialer whose UDP conns are wrapped.
func (n *Net) CreateDialer(d *net.Dialer) transport.Dialer {
	return dialer{n: n, d: n.std.CreateDialer(d)}
}

// CreateListenConfig returns stdnet's ListenConfig whose UDP sockets are
// wrapped.
func (n *Net) CreateListenConfig(lc *net.ListenConfig) transport.ListenConfig {
	return listenConfig{n: n, lc: n.std.CreateListenConfig(lc)}
}

type dialer struct {
	n *Net
	d transport.Dialer
}

func (d dialer) Dial(network, address string) (net.Conn, error) {
	c, err := d.d.Dial(network, address)
	if err != nil {
		return nil, err
	}

	return d.n.wrapConn(c), nil
}

type listenConfig struct {
	n  *Net
	lc transport.ListenConfig
}

func (l listenConfig) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	return l.lc.Listen(ctx, network, address)
}

func (l listenConfig) ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error) {
	pc, err := l.lc.ListenPacket(ctx, network, address)
	if err != nil || isMulticast(address) {
		return pc, err
	}

	return l.n.wrap(pc), nil
}
