package impairnet

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v4"
)

// pion/ice type-asserts candidate conns for this interface and then uses it
// for every read and write: the wrapper must implement it.
var _ ice.AddrPortReaderWriter = (*udpConn)(nil)

var loopback = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}

func newNet(t *testing.T, opts ...Option) *Net {
	t.Helper()
	n, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}

	return n
}

// pair returns a wrapped sender socket and a plain receiver socket, both on
// 127.0.0.1.
func pair(t *testing.T, n *Net) (transport.UDPConn, *net.UDPConn) {
	t.Helper()
	s, err := n.ListenUDP("udp4", loopback)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, ok := s.(*udpConn); !ok {
		t.Fatalf("ListenUDP returned %T, want wrapped conn", s)
	}
	r, err := net.ListenUDP("udp4", loopback)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	_ = r.SetReadBuffer(4 << 20)

	return s, r
}

type arrival struct {
	pkt []byte
	at  time.Time
}

// receive reads datagrams until want have arrived or, after that, until
// nothing more arrives for quiet (to catch extra packets).
func receive(t *testing.T, r *net.UDPConn, want int, timeout, quiet time.Duration) []arrival {
	t.Helper()
	var out []arrival
	buf := make([]byte, 2048)
	deadline := time.Now().Add(timeout)
	for {
		dl := deadline
		if len(out) >= want {
			dl = time.Now().Add(quiet)
		}
		_ = r.SetReadDeadline(dl)
		k, _, err := r.ReadFromUDP(buf)
		if err != nil {
			if len(out) < want {
				t.Fatalf("received %d datagrams, want %d: %v", len(out), want, err)
			}

			return out
		}
		out = append(out, arrival{pkt: slices.Clone(buf[:k]), at: time.Now()})
	}
}

func seqsOf(as []arrival) []uint16 {
	out := make([]uint16, 0, len(as))
	for _, a := range as {
		out = append(out, Parse(a.pkt).Seq)
	}

	return out
}

func TestWrappedConnDropsOnEveryWritePath(t *testing.T) {
	const x = 0x1234
	n := newNet(t, WithDropRTP(x, SeqMod(10, 3), 5))
	s, r := pair(t, n)
	dst := r.LocalAddr().(*net.UDPAddr)
	ap := dst.AddrPort()
	w := s.(*udpConn)

	var want []uint16
	for i := range 100 {
		seq := uint16(i)
		p := rtpPkt(x, seq, 40)
		var (
			k   int
			err error
		)
		switch i % 5 {
		case 0:
			k, err = s.WriteTo(p, dst)
		case 1:
			k, err = s.WriteToUDP(p, dst)
		case 2:
			k, err = w.WriteToAddrPort(p, ap)
		case 3:
			k, err = w.WriteToUDPAddrPort(p, ap)
		case 4:
			k, _, err = s.WriteMsgUDP(p, nil, dst)
		}
		if err != nil || k != len(p) {
			t.Fatalf("write %d: n=%d err=%v", i, k, err)
		}
		if seq%10 != 3 || seq >= 50 {
			want = append(want, seq)
		}
	}

	// Connected socket from DialUDP: the Write path.
	c, err := n.DialUDP("udp4", loopback, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	for i := 100; i < 120; i++ {
		if _, err := c.Write(rtpPkt(x, uint16(i), 40)); err != nil {
			t.Fatal(err)
		}
		want = append(want, uint16(i))
	}

	got := seqsOf(receive(t, r, len(want), 3*time.Second, 50*time.Millisecond))
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("received %v\nwant %v", got, want)
	}
	if got := n.Dropped(x); !slices.Equal(got, []uint16{3, 13, 23, 33, 43}) {
		t.Fatalf("Dropped = %v", got)
	}
	st := n.Stats().BySSRC[x]
	if st.Passed.Packets != uint64(len(want)) || st.Dropped.Packets != 5 || st.Delayed.Packets != 0 {
		t.Fatalf("stats = %+v", st)
	}
}

// stamped returns an RTP packet carrying its send time in the payload.
func stamped(seq uint16) []byte {
	p := rtpPkt(1, seq, 8)
	binary.BigEndian.PutUint64(p[rtpHeaderLen:], uint64(time.Now().UnixNano()))

	return p
}

func latency(a arrival) time.Duration {
	sent := int64(binary.BigEndian.Uint64(a.pkt[rtpHeaderLen:]))

	return a.at.Sub(time.Unix(0, sent))
}

func TestDelayAddsLatency(t *testing.T) {
	const d = 30 * time.Millisecond
	n := newNet(t, WithDelay(d))
	s, r := pair(t, n)
	dst := r.LocalAddr()

	// Baseline without delay, then with.
	n.SetDelay(0)
	for i := range 20 {
		if _, err := s.WriteTo(stamped(uint16(i)), dst); err != nil {
			t.Fatal(err)
		}
	}
	base := receive(t, r, 20, 2*time.Second, 0)
	n.SetDelay(d)
	const count = 40
	go func() {
		for i := range count {
			_, _ = s.WriteTo(stamped(uint16(100+i)), dst)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	got := receive(t, r, count, 3*time.Second, 20*time.Millisecond)
	if len(got) != count {
		t.Fatalf("received %d, want %d", len(got), count)
	}

	lat := func(as []arrival) []time.Duration {
		out := make([]time.Duration, 0, len(as))
		for _, a := range as {
			out = append(out, latency(a))
		}
		slices.Sort(out)

		return out
	}
	bl, dl := lat(base), lat(got)
	added := dl[len(dl)/2] - bl[len(bl)/2]
	t.Logf("baseline median %v; delayed min %v median %v max %v; added %v", bl[len(bl)/2], dl[0], dl[len(dl)/2], dl[len(dl)-1], added)
	if dl[0] < d {
		t.Errorf("a datagram arrived after %v, before the %v delay", dl[0], d)
	}
	if added < d || added > d+2*time.Millisecond {
		t.Errorf("median added latency %v, want %v (+2ms)", added, d)
	}
	if dl[len(dl)*9/10] > d+5*time.Millisecond {
		t.Errorf("90th percentile latency %v, want within 5ms of %v", dl[len(dl)*9/10], d)
	}
	st := n.Stats().ByClass[ClassRTP]
	if st.Delayed.Packets != count || st.Passed.Packets != count+20 {
		t.Errorf("stats = %+v", st)
	}
	// A datagram's latency (from its stamp, taken before the write) is at
	// least the delay plus how late the scheduler sent it.
	if st.MaxLate <= 0 || st.MaxLate > dl[len(dl)-1]-d {
		t.Errorf("MaxLate %v, want in (0, %v]: the largest latency less the delay", st.MaxLate, dl[len(dl)-1]-d)
	}
}

func TestDelayPreservesOrderAcrossSetDelay(t *testing.T) {
	n := newNet(t, WithDelay(20*time.Millisecond))
	s, r := pair(t, n)
	dst := r.LocalAddr()
	var seq uint16
	send := func(k int) {
		for range k {
			if _, err := s.WriteTo(rtpPkt(9, seq, 100), dst); err != nil {
				t.Fatal(err)
			}
			seq++
		}
	}
	send(300)
	n.SetDelay(0) // must queue behind the 300 still waiting
	send(100)
	n.SetDelay(5 * time.Millisecond)
	send(100)

	got := seqsOf(receive(t, r, 500, 3*time.Second, 30*time.Millisecond))
	for i, s := range got {
		if s != uint16(i) {
			t.Fatalf("datagram %d has seq %d: order not preserved (%v)", i, s, got)
		}
	}
	if len(got) != 500 {
		t.Fatalf("received %d, want 500", len(got))
	}
	st := n.Stats().ByClass[ClassRTP]
	if st.Passed.Packets != 500 || st.Delayed.Packets < 400 {
		t.Errorf("stats = %+v", st)
	}
}

func TestDelayOnlySelectedClasses(t *testing.T) {
	n := newNet(t, WithDelay(50*time.Millisecond), WithDelayClasses(ClassRTP, ClassRTCP))
	s, r := pair(t, n)
	dst := r.LocalAddr()
	stun := []byte{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	for _, p := range [][]byte{rtpPkt(1, 1, 10), rtcpPkt(200, 1), stun} {
		if _, err := s.WriteTo(p, dst); err != nil {
			t.Fatal(err)
		}
	}
	got := receive(t, r, 3, 2*time.Second, 0)
	var classes []Class
	for _, a := range got {
		classes = append(classes, Classify(a.pkt))
	}
	if !slices.Equal(classes, []Class{ClassSTUN, ClassRTP, ClassRTCP}) {
		t.Fatalf("arrival order %v, want stun first", classes)
	}
	st := n.Stats()
	if st.ByClass[ClassSTUN].Delayed.Packets != 0 || st.ByClass[ClassRTP].Delayed.Packets != 1 ||
		st.ByClass[ClassRTCP].Delayed.Packets != 1 || st.Total.Passed.Packets != 3 {
		t.Errorf("stats = %+v", st)
	}
}

func TestCloseStopsSchedulers(t *testing.T) {
	// An earlier test's peer may still be closing its sockets (pion closes
	// some in the background): wait for that.
	if k := waitSchedulers(0, 5*time.Second); k != 0 {
		t.Fatalf("%d scheduler goroutines of earlier tests still run", k)
	}
	n := newNet(t, WithDelay(time.Hour))
	r, err := net.ListenUDP("udp4", loopback)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	var conns []transport.UDPConn
	for range 5 {
		c, err := n.ListenUDP("udp4", loopback)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := c.WriteTo(rtpPkt(1, uint16(i), 10), r.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
		conns = append(conns, c)
		t.Cleanup(func() { _ = c.Close() }) // on failure too: later tests count schedulers
	}
	if got := n.OpenConns(); got != 5 {
		t.Fatalf("OpenConns = %d", got)
	}
	// A goroutine that has not run yet shows in a stack dump as its go
	// statement's wrapper, not as run: on a loaded machine wait for them.
	if k := waitSchedulers(5, 5*time.Second); k != 5 {
		t.Fatalf("%d scheduler goroutines, want 5", k)
	}
	for _, c := range conns {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err == nil {
			t.Error("second Close returned nil")
		}
		if _, err := c.WriteTo(rtpPkt(1, 99, 10), r.LocalAddr()); !errors.Is(err, net.ErrClosed) {
			t.Errorf("write after close: %v", err)
		}
	}
	st := n.Stats()
	if st.DiscardedOnClose != 15 || st.Total.Delayed.Packets != 15 || st.Total.Passed.Packets != 0 {
		t.Errorf("stats = %+v", st)
	}
	if got := n.OpenConns(); got != 0 {
		t.Errorf("OpenConns after close = %d", got)
	}
	// Close waits for the scheduler to exit.
	if k := schedulers(); k != 0 {
		t.Errorf("%d scheduler goroutines left after Close", k)
	}
}

// waitSchedulers waits up to d for the number of schedulers to be want and
// returns the last count.
func waitSchedulers(want int, d time.Duration) int {
	k := schedulers()
	for deadline := time.Now().Add(d); k != want && time.Now().Before(deadline); k = schedulers() {
		time.Sleep(10 * time.Millisecond)
	}
	return k
}

// schedulers counts the running delay scheduler goroutines.
func schedulers() int {
	buf := make([]byte, 1<<20)
	for {
		k := runtime.Stack(buf, true)
		if k < len(buf) {
			return strings.Count(string(buf[:k]), "impairnet.(*delayQueue).run(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

func TestNetWrapsOnlyUDP(t *testing.T) {
	n := newNet(t)
	r, err := net.ListenUDP("udp4", loopback)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()

	pc, err := n.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.Close() }()
	if _, ok := pc.(*udpConn); !ok {
		t.Errorf("ListenPacket(udp4) = %T", pc)
	}

	lpc, err := n.CreateListenConfig(&net.ListenConfig{}).ListenPacket(context.Background(), "udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lpc.Close() }()
	if _, ok := lpc.(*udpConn); !ok {
		t.Errorf("ListenConfig.ListenPacket(udp4) = %T", lpc)
	}

	dc, err := n.Dial("udp4", r.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = dc.Close() }()
	if _, ok := dc.(*udpConn); !ok {
		t.Errorf("Dial(udp4) = %T", dc)
	}
	ddc, err := n.CreateDialer(&net.Dialer{}).Dial("udp4", r.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ddc.Close() }()
	if _, ok := ddc.(*udpConn); !ok {
		t.Errorf("Dialer.Dial(udp4) = %T", ddc)
	}
	if _, err := dc.Write(rtpPkt(5, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := ddc.Write(rtpPkt(5, 2, 1)); err != nil {
		t.Fatal(err)
	}
	receive(t, r, 2, 2*time.Second, 0)
	if got := n.Stats().BySSRC[5].Passed.Packets; got != 2 {
		t.Errorf("passed via Dial conns = %d", got)
	}

	ln, err := n.ListenTCP("tcp4", &net.TCPAddr{IP: loopback.IP})
	if err != nil {
		t.Fatal(err)
	}
	_ = ln.Close()
	if n.OpenConns() != 4 {
		t.Errorf("OpenConns = %d, want 4", n.OpenConns())
	}

	// A socket bound to a multicast group (pion/ice's mDNS listener) stays a
	// plain *net.UDPConn for golang.org/x/net/ipv4. Binding sends nothing.
	mc, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251)})
	if err != nil {
		t.Logf("cannot bind a multicast address here: %v", err)
	} else {
		defer func() { _ = mc.Close() }()
		if _, ok := mc.(*net.UDPConn); !ok {
			t.Errorf("multicast ListenUDP = %T, want *net.UDPConn", mc)
		}
	}

	ifs, err := n.Interfaces()
	if err != nil || len(ifs) == 0 {
		t.Fatalf("Interfaces = %v, %v", ifs, err)
	}
	if _, err := n.InterfaceByName(ifs[0].Name); err != nil {
		t.Error(err)
	}
	if _, err := n.InterfaceByIndex(ifs[0].Index); err != nil {
		t.Error(err)
	}
	if err := n.UpdateInterfaces(); err != nil {
		t.Error(err)
	}
	if a, err := n.ResolveUDPAddr("udp4", "127.0.0.1:5"); err != nil || a.Port != 5 {
		t.Errorf("ResolveUDPAddr = %v, %v", a, err)
	}
}
