//go:build linux

package dscp

import (
	"encoding/binary"
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
	t.Cleanup(func() { c.Close() })
	rc, _ := c.SyscallConn()
	var serr error
	rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVTOS, 1) })
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
	p.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, oobn, _, _, err := p.conn.ReadMsgUDP(b, oob)
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
	t.Cleanup(func() { c.Close() })
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
	c.WriteToAddrPort(rtpDatagram(1111, 2), rcv.addr())
	if got := rcv.next(); got != 1<<2 {
		t.Errorf("audio very-low: TOS %#x, want LE (%#x)", got, 1<<2)
	}
	// Marking off: the socket's own traffic class, still counted.
	m.SetMarking(false)
	c.WriteToAddrPort(rtpDatagram(1111, 3), rcv.addr())
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
	rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS, 0x01) }) // ECT(1)
	if err != nil {
		t.Fatal(err)
	}
	m := newMarker(t, WithKindPriority(KindAudio, PriorityHigh))
	m.BindSent(7, KindAudio)
	c, err := m.NewConn(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rcv := newPlainReceiver(t)
	c.WriteToAddrPort(rtpDatagram(7, 1), rcv.addr())
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
	defer snd.Close()
	send := func(pkt []byte, tos uint8) {
		t.Helper()
		if _, _, err := snd.WriteMsgUDPAddrPort(pkt, appendTOS(nil, tos, true, false), c.LocalAddrPort()); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1500)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
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
	defer snd.Close()
	b := make([]byte, 1500)
	for ssrc := uint32(1); ssrc <= 5; ssrc++ {
		snd.WriteMsgUDPAddrPort(rtpDatagram(ssrc, 1), appendTOS(nil, 0, true, false), c.LocalAddrPort())
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
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
	defer dst.Close()
	go drain(dst)
	addr := dst.LocalAddr().(*net.UDPAddr).AddrPort()
	pkt := rtpDatagram(2222, 1)
	pkt = append(pkt, make([]byte, 1100)...)

	b.Run("plain", func(b *testing.B) {
		raw, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		defer raw.Close()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := raw.WriteToUDPAddrPort(pkt, addr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("marked", func(b *testing.B) {
		raw, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		c := m.wrapUDP(raw)
		defer c.Close()
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
		src, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		defer src.Close()
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
		defer raw.Close()
		run(b, func(buf []byte) error { _, _, err := raw.ReadFromUDPAddrPort(buf); return err },
			raw.LocalAddr().(*net.UDPAddr).AddrPort())
	})
	b.Run("counted", func(b *testing.B) {
		raw, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		c := m.wrapUDP(raw)
		defer c.Close()
		run(b, func(buf []byte) error { _, _, err := c.ReadFromAddrPort(buf); return err }, c.LocalAddrPort())
	})
}

func newMarkerB(b *testing.B, opts ...Option) *Marker {
	m, err := NewMarker(opts...)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func drain(c *net.UDPConn) {
	buf := make([]byte, 2048)
	for {
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			return
		}
	}
}
