//go:build linux

package nfqueue_test

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/netns"
	"github.com/rtcstats/rtcstats/internal/nfqueue"
)

// openDelayed binds queue 7 in A, queues A's outgoing UDP to it and starts
// a Delayer. It skips when the kernel cannot queue.
func openDelayed(t *testing.T, p *netns.Pair, delay nfqueue.DelayFunc) *nfqueue.Delayer {
	t.Helper()
	var q *nfqueue.Queue
	err := p.A.Do(func() (err error) {
		q, err = nfqueue.Open(7, 128)
		return err
	})
	if errors.Is(err, nfqueue.ErrUnavailable) {
		t.Skipf("the kernel cannot provide an NFQUEUE (nfnetlink_queue): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	d := nfqueue.StartDelayer(q, delay)
	t.Cleanup(func() { _, _ = d.Stop() })
	if out, err := p.A.Run(t.Context(), "iptables", "-t", "mangle", "-A", "POSTROUTING", "-o", p.A.IfName,
		"-p", "udp", "-j", "NFQUEUE", "--queue-num", "7"); err != nil {
		t.Skipf("cannot add an NFQUEUE rule with iptables: %v: %s", err, out)
	}
	return d
}

func udpIn(t *testing.T, ns *netns.NS) *net.UDPConn {
	t.Helper()
	c, err := ns.Net().ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ns.Addr, 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*net.UDPConn)
}

// send sends n datagrams 5 ms apart, each carrying its index and send time
// (monotonic, this process), and returns each one's one-way delay in
// arrival order, checking that none is missing or reordered.
func send(t *testing.T, p *netns.Pair, n int) []time.Duration {
	t.Helper()
	tx, rx := udpIn(t, p.A), udpIn(t, p.B)
	base := time.Now()
	go func() {
		for i := range n {
			b := binary.BigEndian.AppendUint32(nil, uint32(i))
			b = binary.BigEndian.AppendUint64(b, uint64(time.Since(base)))
			_, _ = tx.WriteTo(b, rx.LocalAddr())
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var lat []time.Duration
	buf := make([]byte, 64)
	_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := range n {
		k, err := rx.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if k != 12 || binary.BigEndian.Uint32(buf) != uint32(i) {
			t.Fatalf("datagram %d: got index %d (%d bytes): reordered or lost", i, binary.BigEndian.Uint32(buf), k)
		}
		lat = append(lat, time.Since(base)-time.Duration(binary.BigEndian.Uint64(buf[4:])))
	}
	return lat
}

// The delay is a lower bound (a packet never leaves early); how late it
// may leave depends on scheduling, which is loaded when other test
// binaries run in parallel, so the upper checks are on the median.
func TestFixedDelay(t *testing.T) {
	p := netns.New(t)
	netns.Require(t, "iptables")
	const d = 40 * time.Millisecond
	del := openDelayed(t, p, nfqueue.Fixed(d))
	lat := send(t, p, 60)
	lo, med, hi := quantiles(lat)
	t.Logf("one-way delay min %v, median %v, max %v", lo, med, hi)
	if lo < d || med > d+5*time.Millisecond {
		t.Errorf("one-way delay min %v, median %v: want ≥ %v, median within 5 ms of it", lo, med, d)
	}
	st, err := del.Stop()
	if err != nil || st.Packets < 60 {
		t.Errorf("delayer: %+v, %v", st, err)
	}
}

// Uniform 20-60 ms on packets 5 ms apart: the delays vary, the order does
// not (send fails on any reordering).
func TestUniformDelayKeepsOrder(t *testing.T) {
	p := netns.New(t)
	netns.Require(t, "iptables")
	del := openDelayed(t, p, nfqueue.Uniform(20*time.Millisecond, 60*time.Millisecond, 1))
	lat := send(t, p, 100)
	lo, med, hi := quantiles(lat)
	st := del.Stats()
	t.Logf("one-way delay min %v, median %v, max %v; held %v..%v, %d real-time threads", lo, med, hi, st.MinHeld, st.MaxHeld, st.Realtime)
	if lo < 20*time.Millisecond || med < 30*time.Millisecond || med > 60*time.Millisecond || hi-lo < 20*time.Millisecond {
		t.Errorf("one-way delay min %v, median %v, max %v: want ≥ 20 ms, spread over 20..60 ms", lo, med, hi)
	}
}

func quantiles(d []time.Duration) (lo, med, hi time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[0], s[len(s)/2], s[len(s)-1]
}
