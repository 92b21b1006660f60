package rtcstats

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/rtcstats/rtcstats/dscp"
)

// floodSSRCs is how many distinct SSRCs each flood uses.
const floodSSRCs = 100_000

// floodSSRC is the k-th SSRC of a flood: k times an odd constant is a
// bijection of uint32, so distinct k give distinct, scattered SSRCs.
func floodSSRC(k int) uint32 { return uint32(k)*2654435761 + 0x5eed }

// countingLogger counts warnings; everything else is dropped.
type countingLogger struct {
	mu    sync.Mutex
	warns []string
}

func (l *countingLogger) NewLogger(string) logging.LeveledLogger { return l }
func (l *countingLogger) Trace(string)                           {}
func (l *countingLogger) Tracef(string, ...any)                  {}
func (l *countingLogger) Debug(string)                           {}
func (l *countingLogger) Debugf(string, ...any)                  {}
func (l *countingLogger) Info(string)                            {}
func (l *countingLogger) Infof(string, ...any)                   {}
func (l *countingLogger) Warn(m string)                          { l.Warnf("%s", m) }
func (l *countingLogger) Error(string)                           {}
func (l *countingLogger) Errorf(string, ...any)                  {}
func (l *countingLogger) Warnf(f string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.warns = append(l.warns, fmt.Sprintf(f, a...))
}

func (l *countingLogger) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, w := range l.warns {
		if strings.Contains(w, substr) {
			n++
		}
	}
	return n
}

// heapInUse is the live heap after two collections.
func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// waitGoroutines polls until at most n goroutines run, for up to d.
func waitGoroutines(n int, d time.Duration) int {
	deadline := time.Now().Add(d)
	for {
		g := runtime.NumGoroutine()
		if g <= n || time.Now().After(deadline) {
			return g
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Per-stream state, measured on linux/amd64 with Go 1.26 (collector, ids,
// map entry; with WithDSCP also the socket layer's stream and counters):
//
//	                    plain     WithDSCP adds
//	inbound video       2.8 KiB   0.75 KiB (frames and burst/gap tracking)
//	inbound RTX stream  0.1 KiB   0.75 KiB
//	outbound audio      0.8 KiB   0.9 KiB
//	outbound video+RTX  2.5 KiB   9.7 KiB (two 1024-packet importance rings)
//
// (plain: internal/bench BenchmarkMemory; the socket layer's share was
// measured before frame tracking existed and does not depend on it)
//
// The bounds below round those up: 4 KiB (the performance issue's budget
// per inbound stream), 1 KiB and 14 KiB. With the default WithMaxStreams
// of 1024 per table one PeerConnection's streams hold at most
// 1024 × (4 + 1 + 14) KiB = 19 MiB whatever the peer sends (the outbound
// table is the application's own; what the network can grow, inbound and
// RTX, is 5 MiB).
const (
	inboundStreamBound  = 4 << 10
	rtxStreamBound      = 1 << 10
	outboundStreamBound = 14 << 10
	floodHeapBound      = DefaultMaxStreams * (inboundStreamBound + rtxStreamBound + outboundStreamBound)
	// closedHeapSlack is what may stay allocated after Close: the factory,
	// the closed interceptor's empty maps and the runtime's own noise.
	closedHeapSlack = 1 << 20
)

// An SSRC flood through the interceptor API, the way pion would deliver it:
// RTCP report blocks, Sender Reports, NACK, PLI and FIR about 100 000
// unknown SSRCs, 100 000 incoming streams bound (unsignalled SSRCs) with a
// packet each, 100 000 incoming RTX streams and 2 048 outgoing video
// streams with RTX bound. The heap stays under floodHeapBound, the refused
// and ignored counters equal what was refused and ignored, one warning is
// logged, and Close gives the memory back. With and without WithDSCP (whose
// Marker holds a stream for each measured one).
func TestFloodIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("flood: skipped in -short")
	}
	t.Run("plain", func(t *testing.T) { floodInterceptor(t, false) })
	t.Run("dscp", func(t *testing.T) { floodInterceptor(t, true) })
}

func floodInterceptor(t *testing.T, withDSCP bool) {
	t.Helper()
	base := heapInUse()
	baseG := runtime.NumGoroutine()

	clk := &fakeClock{t: time.Unix(1700000000, 0)}
	logs := &countingLogger{}
	opts := []Option{WithClock(clk), WithLoggerFactory(logs)}
	if withDSCP {
		opts = append(opts, WithDSCP())
	}
	f, err := NewFactory(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ii, err := f.NewInterceptor("pc-flood")
	if err != nil {
		t.Fatal(err)
	}
	i := ii.(*Interceptor)

	// Streams we do measure, so that the flood has something to miss.
	nopW := interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil })
	const ours = 1 << 20 // indexes from here on are not flood SSRCs
	i.BindLocalStream(&interceptor.StreamInfo{SSRC: floodSSRC(ours), MimeType: "video/VP8", ClockRate: 90000}, nopW)

	// 1. RTCP: compound batches of an RR with 31 blocks, an SR with 31
	// blocks, a NACK, a PLI and a FIR with 4 entries, every SSRC new.
	var rtcpItems uint64
	var batches [][]byte
	for k := 0; k < floodSSRCs; {
		next := func() uint32 { s := floodSSRC(k); k++; return s }
		blocks := func() []rtcp.ReceptionReport {
			b := make([]rtcp.ReceptionReport, 31)
			for j := range b {
				b[j] = rtcp.ReceptionReport{SSRC: next(), LastSequenceNumber: 100, TotalLost: 3}
			}
			return b
		}
		pkts := []rtcp.Packet{
			&rtcp.ReceiverReport{SSRC: next(), Reports: blocks()},
			&rtcp.SenderReport{SSRC: next(), Reports: blocks()},
			&rtcp.TransportLayerNack{SenderSSRC: 1, MediaSSRC: next(), Nacks: []rtcp.NackPair{{PacketID: 1}}},
			&rtcp.PictureLossIndication{SenderSSRC: 1, MediaSSRC: next()},
			&rtcp.FullIntraRequest{SenderSSRC: 1, FIR: []rtcp.FIREntry{{SSRC: next()}, {SSRC: next()}, {SSRC: next()}, {SSRC: next()}}},
		}
		// Items: 31 blocks, the SR's own SSRC and its 31 blocks, NACK,
		// PLI, 4 FIR entries. The RR's own SSRC is the reporter's: no item.
		rtcpItems += 31 + 1 + 31 + 1 + 1 + 4
		b, err := rtcp.Marshal(pkts)
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	q := &queueReader{pkts: batches}
	rr := i.BindRTCPReader(q)
	buf := make([]byte, 8192)
	for range len(batches) {
		if _, _, err := rr.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The batches are read: drop them from the queue (its emptied slice
	// still holds their array), so the flooded heap does not count them.
	q.pkts = nil

	// 2. Incoming streams for 100 000 SSRCs (pion binds unsignalled SSRCs
	// it accepts), one RTP packet read through each, then as many RTX
	// streams; and twice the bound of outgoing streams.
	pkt := make([]byte, 12+100)
	pkt[0], pkt[1] = 0x80, 96
	var readers []interceptor.RTPReader
	passedUntouched := 0
	for k := range floodSSRCs {
		ssrc := floodSSRC(k)
		binary.BigEndian.PutUint32(pkt[8:], ssrc)
		src := &queueReader{pkts: [][]byte{pkt}}
		r := i.BindRemoteStream(&interceptor.StreamInfo{SSRC: ssrc, MimeType: "video/VP8", ClockRate: 90000}, src)
		n, _, err := r.Read(buf, nil)
		if err != nil || !bytes.Equal(buf[:n], pkt) {
			t.Fatalf("ssrc %d: packet changed or lost: %v", ssrc, err)
		}
		if r == interceptor.RTPReader(src) {
			passedUntouched++ // refused: the reader is pion's own
		} else {
			readers = append(readers, r)
		}
	}
	for k := range floodSSRCs {
		i.BindRemoteStream(&interceptor.StreamInfo{SSRC: floodSSRC(k) ^ 1, MimeType: "video/rtx", ClockRate: 90000}, &queueReader{})
	}
	var writers []interceptor.RTPWriter
	for k := range 2 * DefaultMaxStreams {
		ssrc := floodSSRC(ours + 1 + k)
		writers = append(writers, i.BindLocalStream(&interceptor.StreamInfo{
			SSRC: ssrc, SSRCRetransmission: ssrc ^ 1, MimeType: "video/VP8", ClockRate: 90000,
		}, nopW))
	}

	flooded := heapInUse()
	// pion holds the readers and writers it was given while their streams
	// are bound: the flooded heap counts what they hold. From here on they
	// are dead, so the heap after Close does not.
	runtime.KeepAlive(readers)
	runtime.KeepAlive(writers)
	runtime.KeepAlive(rr)
	d := i.Diagnostics()
	t.Logf("heap: baseline %.2f MiB, flooded %.2f MiB (+%.2f MiB; bound %.0f MiB)", mib(base), mib(flooded), mib(flooded-base), mib(floodHeapBound))
	t.Logf("diagnostics: %+v", d)
	if flooded > base && flooded-base > floodHeapBound {
		t.Errorf("heap grew by %.2f MiB under the flood, bound %.0f MiB", mib(flooded-base), mib(floodHeapBound))
	}
	want := Diagnostics{
		OutboundStreams: DefaultMaxStreams, InboundStreams: DefaultMaxStreams, RTXStreams: DefaultMaxStreams,
		RefusedOutboundStreams: DefaultMaxStreams + 1, // the one bound before the flood took a place
		RefusedInboundStreams:  floodSSRCs - DefaultMaxStreams,
		RefusedRTXStreams:      floodSSRCs - DefaultMaxStreams,
		IgnoredRTCP:            rtcpItems,
	}
	if d != want {
		t.Errorf("diagnostics\n got %+v\nwant %+v", d, want)
	}
	if passedUntouched != floodSSRCs-DefaultMaxStreams {
		t.Errorf("%d refused streams handed back pion's reader, want %d", passedUntouched, floodSSRCs-DefaultMaxStreams)
	}
	if n := logs.count("not measured"); n != 1 {
		t.Errorf("%d warnings about refused streams within one minute, want 1", n)
	}
	clk.t = clk.t.Add(61 * time.Second)
	i.BindRemoteStream(&interceptor.StreamInfo{SSRC: floodSSRC(0) ^ 2, MimeType: "audio/opus", ClockRate: 48000}, &queueReader{})
	if n := logs.count("not measured"); n != 2 {
		t.Errorf("%d warnings after a minute, want 2", n)
	}

	// 3. Close releases everything.
	if err := i.Close(); err != nil {
		t.Fatal(err)
	}
	if f.Monitored() != 0 {
		t.Errorf("factory still monitors %d PeerConnections after Close", f.Monitored())
	}
	if d := i.Diagnostics(); d.OutboundStreams+d.InboundStreams+d.RTXStreams != 0 {
		t.Errorf("streams left after Close: %+v", d)
	}
	// A bind after Close (pion does not, but a late one must not leak) is refused.
	i.BindRemoteStream(&interceptor.StreamInfo{SSRC: 7, MimeType: "audio/opus"}, &queueReader{})
	if i.Diagnostics().InboundStreams != 0 {
		t.Error("a bind after Close was accepted")
	}
	closed := heapInUse()
	t.Logf("heap after Close: %.2f MiB (+%.2f MiB over baseline)", mib(closed), mib(closed-min(closed, base)))
	if closed > base+closedHeapSlack {
		t.Errorf("heap after Close %.2f MiB, baseline %.2f MiB: more than %.0f MiB kept", mib(closed), mib(base), mib(closedHeapSlack))
	}
	if m := f.DSCP(); m != nil && m.Pending() != 0 {
		t.Errorf("marker keeps %d pending streams", m.Pending())
	}
	runtime.KeepAlive(i)
	runtime.KeepAlive(f)
	if g := waitGoroutines(baseG, 5*time.Second); g > baseG {
		t.Errorf("%d goroutines after Close, %d before", g, baseG)
	}
}

// The same flood at the socket: 100 000 RTP datagrams with distinct SSRCs
// sent over 127.0.0.1 to a socket wrapped by the factory's Marker. Only
// WithMaxPendingStreams (256) of them get a pending stream; the rest are
// counted as unattributed; closing the socket drops the pending streams.
func TestFloodAtTheSocketIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("flood: skipped in -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("DSCP reading is implemented on Linux only")
	}
	base := heapInUse()
	baseG := runtime.NumGoroutine()
	f, err := NewFactory(WithDSCP(), WithLoggerFactory(&countingLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	m := f.DSCP()
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = udp.SetReadBuffer(4 << 20)
	conn, err := m.NewConn(udp)
	if err != nil {
		t.Fatal(err)
	}
	if !conn.Marking() {
		_ = conn.Close()
		t.Skip("this kernel does not report the TOS of received datagrams")
	}
	snd, err := net.DialUDP("udp4", nil, udp.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = snd.Close() }()

	var received atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 1500)
		for {
			if _, _, err := conn.ReadFromAddrPort(b); err != nil {
				return
			}
			received.Add(1)
		}
	}()
	d := make([]byte, 12+160)
	d[0], d[1] = 0x80, 96
	for k := range floodSSRCs {
		binary.BigEndian.PutUint32(d[8:], floodSSRC(k))
		binary.BigEndian.PutUint16(d[2:], uint16(k))
		if _, err := snd.Write(d); err != nil {
			t.Fatal(err)
		}
		// Keep the socket's receive queue short: loopback drops what
		// does not fit, and every datagram should be counted.
		for k+1-int(received.Load()) > 512 {
			runtime.Gosched()
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for received.Load() < floodSSRCs && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := uint64(received.Load())
	flooded := heapInUse()
	r := m.Refusals()
	t.Logf("datagrams read %d; pending streams %d; refusals %+v", got, m.Pending(), r)
	t.Logf("heap: baseline %.2f MiB, flooded %.2f MiB (+%.2f MiB)", mib(base), mib(flooded), mib(flooded-min(flooded, base)))
	if got < floodSSRCs*99/100 {
		t.Fatalf("only %d of %d datagrams arrived", got, floodSSRCs)
	}
	const maxPending = 256 // dscp's default WithMaxPendingStreams
	if m.Pending() != maxPending || r.Unattributed != got-maxPending {
		t.Errorf("pending %d unattributed %d, want %d and %d", m.Pending(), r.Unattributed, maxPending, got-maxPending)
	}
	// 256 pending streams of about 600 B each: far below 1 MiB.
	if flooded > base && flooded-base > 1<<20 {
		t.Errorf("heap grew by %.2f MiB under the socket flood", mib(flooded-base))
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
	if m.Pending() != 0 {
		t.Errorf("%d pending streams left after the last socket closed", m.Pending())
	}
	if g := waitGoroutines(baseG, 5*time.Second); g > baseG {
		t.Errorf("%d goroutines after close, %d before", g, baseG)
	}
}

// Every option, argument and setter that is wrong is refused with a
// sentinel error, and the factory, interceptor and marker are as before.
func TestMisuseChangesNothing(t *testing.T) {
	for name, o := range map[string]Option{
		"WithMaxStreams(0)":      WithMaxStreams(0),
		"WithMaxStreams(-1)":     WithMaxStreams(-1),
		"WithMaxStreams(1<<17)":  WithMaxStreams(1 << 17),
		"WithDSCP(nil option)":   WithDSCP(nil),
		"WithDSCP(bad priority)": WithDSCP(dscp.WithKindPriority(dscp.KindAudio, dscp.Priority(9))),
	} {
		if f, err := NewFactory(o); !errors.Is(err, ErrInvalidOption) || f != nil {
			t.Errorf("%s: factory %v, err %v; want nil and ErrInvalidOption", name, f, err)
		}
	}
	if _, err := NewFactory(WithMaxStreams(1), WithMaxStreams(MaxStreamsLimit)); err != nil {
		t.Errorf("bounds of WithMaxStreams refused: %v", err)
	}

	// A nil Factory: errors, not panics.
	var nf *Factory
	if _, err := nf.GetStats(nil); !errors.Is(err, ErrNilArgument) {
		t.Errorf("nil factory GetStats: %v", err)
	}
	if _, err := nf.NewInterceptor("x"); !errors.Is(err, ErrNilArgument) {
		t.Errorf("nil factory NewInterceptor: %v", err)
	}
	if _, err := nf.DSCPNet(nil); !errors.Is(err, ErrNilArgument) {
		t.Errorf("nil factory DSCPNet: %v", err)
	}
	if nf.DSCP() != nil || nf.Monitored() != 0 {
		t.Error("nil factory has a marker or PeerConnections")
	}

	f, err := NewFactory(WithMaxStreams(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.DSCPNet(nil); !errors.Is(err, ErrDSCPDisabled) || !errors.Is(err, ErrInvalidOption) {
		t.Errorf("DSCPNet without WithDSCP: %v", err)
	}
	if err := f.DrainRTCP(nil); !errors.Is(err, ErrNilArgument) {
		t.Errorf("DrainRTCP(nil): %v", err)
	}
	if _, err := f.Diagnostics(nil); !errors.Is(err, ErrNilArgument) {
		t.Errorf("Diagnostics(nil): %v", err)
	}
	if err := f.ClosePeerConnection(nil); !errors.Is(err, ErrNilArgument) {
		t.Errorf("ClosePeerConnection(nil): %v", err)
	}
	if _, err := f.NewRegistry(nil); !errors.Is(err, ErrNilArgument) {
		t.Errorf("NewRegistry(nil): %v", err)
	}
	if err := f.RegisterDefaults(nil, &interceptor.Registry{}); !errors.Is(err, ErrNilArgument) {
		t.Errorf("RegisterDefaults(nil, r): %v", err)
	}

	// The interceptor ignores nil stream infos, readers and writers: it
	// binds nothing and hands back what it was given.
	ii, err := f.NewInterceptor("pc-misuse")
	if err != nil {
		t.Fatal(err)
	}
	i := ii.(*Interceptor)
	i.BindLocalStream(&interceptor.StreamInfo{SSRC: 1, MimeType: "audio/opus"},
		interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil }))
	before := i.Diagnostics()
	if w := i.BindLocalStream(nil, nil); w != nil {
		t.Error("BindLocalStream(nil, nil) returned a writer")
	}
	if w := i.BindLocalStream(&interceptor.StreamInfo{SSRC: 2}, nil); w != nil {
		t.Error("BindLocalStream(info, nil) returned a writer")
	}
	if r := i.BindRemoteStream(nil, nil); r != nil {
		t.Error("BindRemoteStream(nil, nil) returned a reader")
	}
	if i.BindRTCPReader(nil) != nil || i.BindRTCPWriter(nil) != nil {
		t.Error("nil RTCP reader or writer wrapped")
	}
	i.UnbindLocalStream(nil)
	i.UnbindRemoteStream(nil)
	i.UnbindLocalStream(&interceptor.StreamInfo{SSRC: 99}) // never bound
	if after := i.Diagnostics(); after != before {
		t.Errorf("misuse changed the interceptor: %+v → %+v", before, after)
	}

	// A nil Marker (DSCP() without WithDSCP): its setters say so.
	m := f.DSCP() // a nil *dscp.Marker
	if err := m.SetKindPriority(dscp.KindVideo, dscp.PriorityHigh); !errors.Is(err, dscp.ErrNoMarker) {
		t.Errorf("nil marker SetKindPriority: %v", err)
	}
	if err := m.SetTrackPriority("t", dscp.PriorityHigh); !errors.Is(err, dscp.ErrNoMarker) {
		t.Errorf("nil marker SetTrackPriority: %v", err)
	}
	if err := m.SetNonInteractive("t", true); !errors.Is(err, dscp.ErrNoMarker) {
		t.Errorf("nil marker SetNonInteractive: %v", err)
	}
	if err := m.SetDataChannelPriority("chat", dscp.PriorityHigh); !errors.Is(err, dscp.ErrNoMarker) {
		t.Errorf("nil marker SetDataChannelPriority: %v", err)
	}
	m.SetMarking(false)
	m.RemoveDataChannel("chat")
	m.AssignTrack(1, "t")
	m.ReportsOn(1, nil)
	m.Unbind(nil)
	if m.Marking() || m.BindSent(1, dscp.KindAudio) != nil || m.BindReceived(1, dscp.KindAudio) != nil ||
		m.BindSentAlias(2, nil) != nil || m.Refusals() != (dscp.Refusals{}) {
		t.Error("a nil marker did something")
	}

	// A real Marker: bad input is refused and changes no stream, no code point.
	fd, err := NewFactory(WithDSCP(dscp.WithKindPriority(dscp.KindVideo, dscp.PriorityMedium)))
	if err != nil {
		t.Fatal(err)
	}
	dm := fd.DSCP()
	s := dm.BindSent(1234, dscp.KindVideo)
	type state struct {
		cell                  dscp.Cell
		data, tcp, handshake  dscp.CodePoint
		marking               bool
		refusals              dscp.Refusals
		pending, unattributed int
	}
	snapshot := func() state {
		return state{s.Cell(), dm.DataCodePoint(), dm.TCPCodePoint(), dm.HandshakeCodePoint(), dm.Marking(), dm.Refusals(), dm.Pending(), int(dm.Unattributed())}
	}
	was := snapshot()
	for name, err := range map[string]error{
		"SetKindPriority(bad kind)":        dm.SetKindPriority(dscp.Kind(7), dscp.PriorityHigh),
		"SetKindPriority(bad priority)":    dm.SetKindPriority(dscp.KindVideo, dscp.Priority(200)),
		"SetTrackPriority(empty)":          dm.SetTrackPriority("", dscp.PriorityHigh),
		"SetTrackPriority(bad priority)":   dm.SetTrackPriority("cam", dscp.Priority(4)),
		"SetNonInteractive(empty)":         dm.SetNonInteractive("", true),
		"SetDataChannelPriority(bad prio)": dm.SetDataChannelPriority("chat", dscp.Priority(5)),
	} {
		if !errors.Is(err, dscp.ErrInvalidOption) {
			t.Errorf("%s: %v, want dscp.ErrInvalidOption", name, err)
		}
	}
	dm.BindSentAlias(5, nil)
	dm.ReportsOn(9, nil)
	dm.Unbind(nil)
	if now := snapshot(); now != was {
		t.Errorf("rejected changes changed the marker: %+v → %+v", was, now)
	}
}
