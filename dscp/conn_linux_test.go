//go:build linux

package dscp

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

// rtpPacket builds a clear RTP header (the socket never sees more: SRTP
// keeps it in the clear) followed by junk standing in for the ciphertext.
func rtpDatagram(ssrc uint32, seq uint16) []byte {
	b := make([]byte, 40)
	b[0], b[1] = 0x80, 96
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[8:], ssrc)
	return b
}

func rtcpDatagram(sender uint32) []byte {
	b := make([]byte, 32)
	b[0], b[1] = 0x81, 201 // RR
	binary.BigEndian.PutUint16(b[2:], 7)
	binary.BigEndian.PutUint32(b[4:], sender)
	return b
}

// plainReceiver is a socket read with the standard library's own control
// message parser, independent of parseTOS.
type plainReceiver struct {
	t    *testing.T
	conn *net.UDPConn
}

func newPlainReceiver(t *testing.T) *plainReceiver {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	rc, _ := c.SyscallConn()
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVTOS, 1) }); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	return &plainReceiver{t: t, conn: c}
}

func (p *plainReceiver) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// next returns the TOS byte of the next datagram.
func (p *plainReceiver) next() uint8 {
	p.t.Helper()
	b, oob := make([]byte, 1500), make([]byte, 128)
	if err := p.conn.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		p.t.Fatal(err)
	}
	_, oobn, _, _, err := p.conn.ReadMsgUDP(b, oob) //nolint:dogsled // only the OOB length matters
	if err != nil {
		p.t.Fatal(err)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		p.t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.IPPROTO_IP && m.Header.Type == syscall.IP_TOS && len(m.Data) >= 1 {
			return m.Data[0]
		}
	}
	p.t.Fatal("no IP_TOS control message")
	return 0
}

func newMarker(t *testing.T, opts ...Option) *Marker {
	t.Helper()
	m, err := NewMarker(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func listen(t *testing.T, m *Marker) *Conn {
	t.Helper()
	n, err := m.NewNet(nil)
	if err != nil {
		t.Fatal(err)
	}
	uc, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c, ok := uc.(*Conn)
	if !ok || !c.Marking() {
		t.Fatalf("ListenUDP gave %T, marking %v", uc, ok && c.Marking())
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestConnMarksPerPacket sends every class of datagram through one socket
// and checks each packet's TOS at an independent receiver against RFC 8837
// Table 1 values worked by hand.
func TestConnMarksPerPacket(t *testing.T) {
	m := newMarker(t,
		WithKindPriority(KindAudio, PriorityHigh),
		WithKindPriority(KindVideo, PriorityMedium),
		WithDataChannelPriority(PriorityHigh),
		WithHandshakeCodePoint(CS1))
	audio := m.BindSent(1111, KindAudio)
	video := m.BindSent(2222, KindVideo)
	rtx := m.BindSentAlias(3333, video)
	video.Mark(10, true)  // key frame packet
	video.Mark(11, false) // delta frame packet
	rtx.Mark(500, true)   // retransmission of a key-frame packet
	m.ReportsOn(0xabcdef, video)

	c := listen(t, m)
	rcv := newPlainReceiver(t)
	sends := []struct {
		name string
		pkt  []byte
		tos  uint8
	}{
		{"audio high: EF", rtpDatagram(1111, 1), 46 << 2},
		{"video medium key frame: AF42", rtpDatagram(2222, 10), 36 << 2},
		{"video medium delta: AF43", rtpDatagram(2222, 11), 38 << 2},
		{"video never marked: AF43", rtpDatagram(2222, 12), 38 << 2},
		{"RTX of key frame: AF42", rtpDatagram(3333, 500), 36 << 2},
		{"RTCP about video: AF42", rtcpDatagram(0xabcdef), 36 << 2},
		{"RTCP of unknown sender: DF", rtcpDatagram(1), 0},
		{"RTP of unknown SSRC: DF", rtpDatagram(9999, 1), 0},
		{"SCTP (DTLS app data), data high: AF21", append([]byte{23, 0xfe, 0xfd}, make([]byte, 30)...), 18 << 2},
		{"DTLS handshake: configured CS1", append([]byte{22, 0xfe, 0xfd}, make([]byte, 30)...), 8 << 2},
		{"STUN: configured CS1", make([]byte, 20), 8 << 2},
	}
	for _, s := range sends {
		if _, err := c.WriteToAddrPort(s.pkt, rcv.addr()); err != nil {
			t.Fatal(err)
		}
		if got := rcv.next(); got != s.tos {
			t.Errorf("%s: TOS %#x, want %#x", s.name, got, s.tos)
		}
	}

	want := map[string]uint64{"36": 2, "38": 2} // primary 10, 11, 12 + RTX 500
	if got := video.PerDSCP(); !equalCounts(got, want) {
		t.Errorf("video PerDSCP %v, want %v", got, want)
	}
	if got := audio.PerDSCP(); !equalCounts(got, map[string]uint64{"46": 1}) {
		t.Errorf("audio PerDSCP %v", got)
	}

	// A priority change applies from the next packet.
	if err := m.SetKindPriority(KindAudio, PriorityVeryLow); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteToAddrPort(rtpDatagram(1111, 2), rcv.addr()); err != nil {
		t.Fatal(err)
	}
	if got := rcv.next(); got != 1<<2 {
		t.Errorf("audio very-low: TOS %#x, want LE (%#x)", got, 1<<2)
	}
	// Marking off: the socket's own traffic class, still counted.
	m.SetMarking(false)
	if _, err := c.WriteToAddrPort(rtpDatagram(1111, 3), rcv.addr()); err != nil {
		t.Fatal(err)
	}
	if got := rcv.next(); got != 0 {
		t.Errorf("marking off: TOS %#x, want 0", got)
	}
	if got := audio.PerDSCP(); !equalCounts(got, map[string]uint64{"46": 1, "1": 1, "0": 1}) {
		t.Errorf("audio PerDSCP after changes %v", got)
	}
}

// TestConnKeepsECN checks that marking keeps the ECN bits the socket sends.
func TestConnKeepsECN(t *testing.T) {
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := raw.SyscallConn()
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS, 0x01) }); err != nil { // ECT(1)
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	m := newMarker(t, WithKindPriority(KindAudio, PriorityHigh))
	m.BindSent(7, KindAudio)
	c, err := m.NewConn(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	rcv := newPlainReceiver(t)
	if _, err := c.WriteToAddrPort(rtpDatagram(7, 1), rcv.addr()); err != nil {
		t.Fatal(err)
	}
	if got := rcv.next(); got != 46<<2|1 {
		t.Errorf("TOS %#x, want EF with ECT(1) %#x", got, 46<<2|1)
	}
}

// TestConnCountsReceived sends marked datagrams from a plain socket and
// checks what the Conn counts per class and per stream, including packets
// that arrive before their stream is bound.
func TestConnCountsReceived(t *testing.T) {
	m := newMarker(t)
	c := listen(t, m)
	snd, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = snd.Close() }()
	send := func(pkt []byte, tos uint8) {
		t.Helper()
		if _, _, err := snd.WriteMsgUDPAddrPort(pkt, appendTOS(nil, tos, true, false), c.LocalAddrPort()); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1500)
		if err := c.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadFromAddrPort(b); err != nil {
			t.Fatal(err)
		}
	}
	send(rtpDatagram(42, 1), 46<<2)   // before bind: pending
	send(rtpDatagram(42, 2), 46<<2|2) // ECN bits are not part of the DSCP
	s := m.BindReceived(42, KindAudio)
	send(rtpDatagram(42, 3), 0)
	send(rtpDatagram(43, 1), 34<<2)     // another stream, never bound
	send(rtcpDatagram(5), 46<<2)        // RTCP
	send([]byte{23, 0xfe, 0xfd}, 10<<2) // SCTP
	if got := s.PerDSCP(); !equalCounts(got, map[string]uint64{"46": 2, "0": 1}) {
		t.Errorf("stream 42: %v", got)
	}
	tr := m.Traffic(func(netip.AddrPort) bool { return true }, true)
	if got := tr.Received[ClassRTP]; !equalCounts(got, map[string]uint64{"46": 2, "0": 1, "34": 1}) {
		t.Errorf("RTP totals %v", got)
	}
	if got := tr.Received[ClassRTCP]; !equalCounts(got, map[string]uint64{"46": 1}) {
		t.Errorf("RTCP totals %v", got)
	}
	if got := tr.Received[ClassSCTP]; !equalCounts(got, map[string]uint64{"10": 1}) {
		t.Errorf("SCTP totals %v", got)
	}
	// Unbound and rebound: a fresh stream from zero.
	m.Unbind(s)
	if s2 := m.BindReceived(42, KindAudio); len(s2.PerDSCP()) != 0 {
		t.Errorf("rebound stream starts at %v", s2.PerDSCP())
	}
}

func TestPendingBound(t *testing.T) {
	m := newMarker(t, WithMaxPendingStreams(2))
	c := listen(t, m)
	snd, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer func() { _ = snd.Close() }()
	b := make([]byte, 1500)
	for ssrc := uint32(1); ssrc <= 5; ssrc++ {
		if _, _, err := snd.WriteMsgUDPAddrPort(rtpDatagram(ssrc, 1), appendTOS(nil, 0, true, false), c.LocalAddrPort()); err != nil {
			t.Fatal(err)
		}
		if err := c.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadFromAddrPort(b); err != nil {
			t.Fatal(err)
		}
	}
	if got := m.Unattributed(); got != 3 {
		t.Errorf("unattributed %d, want 3 (5 SSRCs, 2 pending allowed)", got)
	}
}

func equalCounts(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func BenchmarkSend(b *testing.B) {
	m := newMarkerB(b, WithKindPriority(KindVideo, PriorityMedium))
	v := m.BindSent(2222, KindVideo)
	dst, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = dst.Close() }()
	// Nobody reads dst: once its buffer is full the kernel drops at the
	// socket, the same cost for every variant, and no reader goroutine
	// competes for the two cores.
	if err := dst.SetReadBuffer(4096); err != nil {
		b.Fatal(err)
	}
	addr := dst.LocalAddr().(*net.UDPAddr).AddrPort()
	pkt := rtpDatagram(2222, 1)
	pkt = append(pkt, make([]byte, 1100)...)

	b.Run("plain", func(b *testing.B) {
		raw, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		defer func() { _ = raw.Close() }()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := raw.WriteToUDPAddrPort(pkt, addr); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The kernel's share: the same sendmsg with the same control message,
	// without our classification and counting.
	b.Run("sendmsg-no-oob", func(b *testing.B) {
		raw, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		defer func() { _ = raw.Close() }()
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := raw.WriteMsgUDPAddrPort(pkt, nil, addr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sendmsg", func(b *testing.B) {
		raw, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		defer func() { _ = raw.Close() }()
		oob := appendTOS(nil, 36<<2, true, false)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := raw.WriteMsgUDPAddrPort(pkt, oob, addr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("marked", func(b *testing.B) {
		raw, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		c := m.wrapUDP(raw)
		defer func() { _ = c.Close() }()
		b.ReportAllocs()
		seq := uint16(0)
		for b.Loop() {
			seq++
			binary.BigEndian.PutUint16(pkt[2:], seq)
			v.Mark(seq, seq%30 == 0)
			if _, err := c.WriteToAddrPort(pkt, addr); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkReceive(b *testing.B) {
	m := newMarkerB(b)
	m.BindReceived(2222, KindVideo)
	pkt := append(rtpDatagram(2222, 1), make([]byte, 1100)...)
	run := func(b *testing.B, read func([]byte) error, dst netip.AddrPort) {
		b.Helper()
		src, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		defer func() { _ = src.Close() }()
		oob := appendTOS(nil, 36<<2, true, false)
		buf := make([]byte, 1500)
		b.ReportAllocs()
		for b.Loop() {
			// one datagram in flight at a time: the read never waits on the network
			if _, _, err := src.WriteMsgUDPAddrPort(pkt, oob, dst); err != nil {
				b.Fatal(err)
			}
			if err := read(buf); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("plain", func(b *testing.B) {
		raw, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		defer func() { _ = raw.Close() }()
		run(b, func(buf []byte) error { _, _, err := raw.ReadFromUDPAddrPort(buf); return err },
			raw.LocalAddr().(*net.UDPAddr).AddrPort())
	})
	b.Run("counted", func(b *testing.B) {
		raw, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		c := m.wrapUDP(raw)
		defer func() { _ = c.Close() }()
		run(b, func(buf []byte) error { _, _, err := c.ReadFromAddrPort(buf); return err }, c.LocalAddrPort())
	})
}

func newMarkerB(b *testing.B, opts ...Option) *Marker {
	b.Helper()
	m, err := NewMarker(opts...)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// TestConnFamilies marks on an IPv6 socket (IPV6_TCLASS) and on a dual-stack
// socket sending to an IPv4 address (IP_TOS), checked by a receiver that
// reads the traffic class with the standard library's parser.
func TestConnFamilies(t *testing.T) {
	m := newMarker(t, WithKindPriority(KindAudio, PriorityHigh))
	m.BindSent(7, KindAudio)
	n, err := m.NewNet(nil)
	if err != nil {
		t.Fatal(err)
	}
	// IPv4 destination from a dual-stack socket.
	uc, err := n.ListenUDP("udp", &net.UDPAddr{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = uc.Close() }()
	c := uc.(*Conn)
	if !c.v4 || !c.v6 {
		t.Skipf("socket is not dual-stack (v4 %v, v6 %v)", c.v4, c.v6)
	}
	rcv := newPlainReceiver(t)
	if _, err := c.WriteToAddrPort(rtpDatagram(7, 1), rcv.addr()); err != nil {
		t.Fatal(err)
	}
	if got := rcv.next(); got != 46<<2 {
		t.Errorf("dual-stack to IPv4: TOS %#x, want %#x", got, 46<<2)
	}

	// IPv6 both ends.
	r6, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer func() { _ = r6.Close() }()
	rc, _ := r6.SyscallConn()
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_RECVTCLASS, 1)
	}); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	s6, err := n.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s6.Close() }()
	if _, err := s6.(*Conn).WriteToAddrPort(rtpDatagram(7, 2), r6.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
		t.Fatal(err)
	}
	b, oob := make([]byte, 1500), make([]byte, 128)
	if err := r6.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, oobn, _, _, err := r6.ReadMsgUDP(b, oob) //nolint:dogsled // only the OOB length matters
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := syscall.ParseSocketControlMessage(oob[:oobn])
	tclass := -1
	for _, msg := range msgs {
		if msg.Header.Level == syscall.IPPROTO_IPV6 && msg.Header.Type == syscall.IPV6_TCLASS && len(msg.Data) >= 4 {
			tclass = int(binary.NativeEndian.Uint32(msg.Data))
		}
	}
	if tclass != 46<<2 {
		t.Errorf("IPv6: traffic class %d, want %d", tclass, 46<<2)
	}
}

// TestTCPOneValue: a TCP connection carries every flow of its 5-tuple, so
// it gets one value, that of the highest priority requested (RFC 8837 §5):
// here video high beats audio medium, giving AF41.
func TestTCPOneValue(t *testing.T) {
	m := newMarker(t, WithKindPriority(KindAudio, PriorityMedium), WithKindPriority(KindVideo, PriorityHigh))
	if got := m.TCPCodePoint(); got != AF41 {
		t.Fatalf("TCPCodePoint %v, want AF41", got)
	}
	n, _ := m.NewNet(nil)
	l, err := n.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	d, err := n.DialTCP("tcp4", nil, l.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.Close() }()
	a := <-accepted
	defer func() { _ = a.Close() }()
	for name, c := range map[string]net.Conn{"dialed": d, "accepted": a} {
		rc, _ := c.(syscall.Conn).SyscallConn()
		var tos int
		if cerr := rc.Control(func(fd uintptr) { tos, err = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS) }); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil || tos != 34<<2 {
			t.Errorf("%s: IP_TOS %#x (%v), want %#x", name, tos, err, 34<<2)
		}
	}
}

func TestMarkerAPIErrors(t *testing.T) {
	if _, err := NewMarker(WithKindPriority(KindAudio, Priority(9))); !errors.Is(err, ErrInvalidOption) || !errors.Is(err, ErrInvalidPriority) {
		t.Errorf("bad priority: %v", err)
	}
	if _, err := NewMarker(WithTrackPriority("", PriorityHigh)); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("empty track: %v", err)
	}
	if _, err := NewMarker(WithHandshakeCodePoint(64)); !errors.Is(err, ErrInvalidCodePoint) {
		t.Errorf("bad code point: %v", err)
	}
	if _, err := NewMarker(nil); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("nil option: %v", err)
	}
	m := newMarker(t, WithKindPriority(KindVideo, PriorityMedium))
	s := m.BindSent(1, KindVideo)
	before := s.Cell()
	if err := m.SetKindPriority(KindVideo, Priority(7)); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("SetKindPriority(7): %v", err)
	}
	if err := m.SetTrackPriority("", PriorityHigh); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("SetTrackPriority(\"\"): %v", err)
	}
	if s.Cell() != before {
		t.Errorf("a rejected change changed the stream: %v → %v", before, s.Cell())
	}
	if _, err := m.NewConn(nil); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("NewConn(nil): %v", err)
	}
	if _, err := m.NewConn(&net.IPConn{}); !errors.Is(err, ErrNotUDP) {
		t.Errorf("NewConn(IPConn): %v", err)
	}
	// Per-track priority and the non-interactive flow apply once the track is known.
	if err := m.SetTrackPriority("screen", PriorityHigh); err != nil {
		t.Fatal(err)
	}
	if err := m.SetNonInteractive("screen", true); err != nil {
		t.Fatal(err)
	}
	s.SetTrack("screen")
	if got := s.Cell(); got != (Cell{Important: AF31, Other: AF32}) {
		t.Errorf("non-interactive high: %v, want AF31/AF32", got)
	}
	// Data association: the highest priority among its channels.
	if err := m.SetDataChannelPriority("chat", PriorityLow); err != nil {
		t.Fatal(err)
	}
	if err := m.SetDataChannelPriority("files", PriorityMedium); err != nil {
		t.Fatal(err)
	}
	if got := m.DataCodePoint(); got != AF11 {
		t.Errorf("data: %v, want AF11", got)
	}
	m.RemoveDataChannel("files")
	if got := m.DataCodePoint(); got != DF {
		t.Errorf("data after removal: %v, want DF", got)
	}
}
