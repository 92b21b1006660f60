package rtcstats

import (
	"errors"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// fakeClock advances only when told to; it has no monotonic reading, so
// intervals come from its wall time.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func newTestInterceptor(tb testing.TB) (*Interceptor, *fakeClock) {
	tb.Helper()
	clk := &fakeClock{t: time.Unix(1700000000, 0)}
	f, err := NewFactory(WithClock(clk))
	if err != nil {
		tb.Fatal(err)
	}
	i, err := f.NewInterceptor("pc-1")
	if err != nil {
		tb.Fatal(err)
	}
	return i.(*Interceptor), clk
}

func marshalRTP(tb testing.TB, h rtp.Header, payload []byte) []byte {
	tb.Helper()
	b, err := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// queueReader returns the queued packets one per Read, like a transport.
type queueReader struct{ pkts [][]byte }

func (q *queueReader) Read(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
	if len(q.pkts) == 0 {
		return 0, nil, errors.New("eof")
	}
	n := copy(b, q.pkts[0])
	q.pkts = q.pkts[1:]
	return n, a, nil
}

func TestInterceptorObservesWithoutChanging(t *testing.T) {
	i, clk := newTestInterceptor(t)
	info := &interceptor.StreamInfo{
		SSRC: 1234, MimeType: "video/VP8", ClockRate: 90000,
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: midURI, ID: 3}},
	}
	h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 7, Timestamp: 9000, SSRC: 1234}
	if err := h.SetExtension(3, []byte("v0")); err != nil {
		t.Fatal(err)
	}
	pkt := marshalRTP(t, h, make([]byte, 100))
	q := &queueReader{pkts: [][]byte{pkt, {0x00, 0x01}, marshalRTP(t, rtp.Header{Version: 2, SSRC: 999, SequenceNumber: 8}, []byte{1})}}
	r := i.BindRemoteStream(info, q)

	buf := make([]byte, 1500)
	for range 3 {
		clk.t = clk.t.Add(20 * time.Millisecond)
		n, _, err := r.Read(buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n == len(pkt) && string(buf[:n]) != string(pkt) {
			t.Fatal("packet modified")
		}
	}
	// The malformed and the foreign-SSRC packets are counted, not accounted.
	if i.counters.malformedRTP.Load() != 1 || i.counters.unknownSSRC.Load() != 1 {
		t.Fatalf("bad input counters %d/%d", i.counters.malformedRTP.Load(), i.counters.unknownSSRC.Load())
	}
	snap := i.inbound[1234].col.Snapshot(clk.t)
	in := snap.Inbound
	// Header: 12 fixed + 4 extension header + 4 (one-byte element "v0" padded to a word).
	if *in.PacketsReceived != 1 || *in.BytesReceived != 100 || *in.HeaderBytesReceived != 20 {
		t.Fatalf("packets %d bytes %d header %d", *in.PacketsReceived, *in.BytesReceived, *in.HeaderBytesReceived)
	}
	if in.Mid == nil || *in.Mid != "v0" {
		t.Fatalf("mid %v", in.Mid)
	}
}

// The RTT path through the interceptor: our SR leaves through the RTCP
// writer at t, the peer's RR with LSR = that SR and DLSR = 0.25 s arrives
// through the RTCP reader at t + 0.3 s: RTT = 50 ms.
func TestInterceptorRTTFromRTCP(t *testing.T) {
	i, clk := newTestInterceptor(t)
	info := &interceptor.StreamInfo{SSRC: 42, MimeType: "audio/opus", ClockRate: 48000}
	w := i.BindLocalStream(info, interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) {
		return 0, nil
	}))
	for s := range uint16(10) {
		if _, err := w.Write(&rtp.Header{SSRC: 42, SequenceNumber: 100 + s, PayloadType: 111}, make([]byte, 50), nil); err != nil {
			t.Fatal(err)
		}
	}
	ntp := rtpx.TimeToNTP(time.Unix(1700000100, 0))
	rw := i.BindRTCPWriter(interceptor.RTCPWriterFunc(func([]rtcp.Packet, interceptor.Attributes) (int, error) { return 0, nil }))
	if _, err := rw.Write([]rtcp.Packet{&rtcp.SenderReport{SSRC: 42, NTPTime: ntp}}, nil); err != nil {
		t.Fatal(err)
	}
	sentAt := clk.t

	rr, err := rtcp.Marshal([]rtcp.Packet{
		&rtcp.ReceiverReport{SSRC: 7, Reports: []rtcp.ReceptionReport{{
			SSRC: 42, FractionLost: 26, TotalLost: 1, LastSequenceNumber: 109, Jitter: 480,
			LastSenderReport: rtpx.CompactNTP(ntp), Delay: 1 << 14, // 0.25 s
		}}},
		&rtcp.TransportLayerNack{MediaSSRC: 42, Nacks: []rtcp.NackPair{{PacketID: 105}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.t = sentAt.Add(300 * time.Millisecond)
	rr2 := i.BindRTCPReader(&queueReader{pkts: [][]byte{rr, {0x80, 0xc9, 0xff}}})
	buf := make([]byte, 1500)
	for range 2 {
		if _, _, err := rr2.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
	if i.counters.malformedRTCP.Load() != 1 {
		t.Fatalf("malformed RTCP not counted")
	}
	snap := i.outbound[42].col.Snapshot(clk.t)
	ri := snap.Remote
	if ri == nil || ri.RoundTripTime == nil || *ri.RoundTripTime != 0.05 {
		t.Fatalf("remote-inbound %+v", ri)
	}
	// expected 109-100+1 = 10, lost 1, received 9; jitter 480/48000 = 10 ms.
	if *ri.PacketsReceived != 9 || *ri.PacketsLost != 1 || *ri.Jitter != 0.01 || *ri.FractionLost != 26.0/256 {
		t.Fatalf("received %d lost %d jitter %v fraction %v", *ri.PacketsReceived, *ri.PacketsLost, *ri.Jitter, *ri.FractionLost)
	}
	if *snap.Outbound.NACKCount != 1 {
		t.Fatalf("nackCount %d: the NACK after the RR in the same compound packet was dropped", *snap.Outbound.NACKCount)
	}
}

func TestNewFactoryRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]Option{"nil option": nil, "nil clock": WithClock(nil), "nil logger": WithLoggerFactory(nil)} {
		if _, err := NewFactory(o); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%s: err = %v, want ErrInvalidOption", name, err)
		}
	}
}

func TestGetStatsRejectsNil(t *testing.T) {
	f, err := NewFactory()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetStats(nil); !errors.Is(err, ErrNilArgument) {
		t.Fatalf("err = %v", err)
	}
}

// The per-packet paths through the interceptor, as pion calls them.
func BenchmarkInboundRTP(b *testing.B) {
	i, _ := newTestInterceptor(b)
	i.clock = systemClock{}
	info := &interceptor.StreamInfo{
		SSRC: 1, MimeType: "video/VP8", ClockRate: 90000,
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: midURI, ID: 3}},
	}
	h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 1}
	_ = h.SetExtension(3, []byte("0"))
	pkt := marshalRTP(b, h, make([]byte, 1100))
	var seq uint16
	src := interceptor.RTPReaderFunc(func(buf []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		seq++
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		return copy(buf, pkt), a, nil
	})
	r := i.BindRemoteStream(info, src)
	buf := make([]byte, 1500)
	b.ReportAllocs()
	for b.Loop() {
		_, _, _ = r.Read(buf, nil)
	}
}

func BenchmarkOutboundRTP(b *testing.B) {
	i, _ := newTestInterceptor(b)
	i.clock = systemClock{}
	info := &interceptor.StreamInfo{
		SSRC: 1, MimeType: "video/VP8", ClockRate: 90000,
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: midURI, ID: 3}},
	}
	w := i.BindLocalStream(info, interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) {
		return 0, nil
	}))
	h := &rtp.Header{Version: 2, PayloadType: 96, SSRC: 1}
	_ = h.SetExtension(3, []byte("0"))
	payload := make([]byte, 1100)
	b.ReportAllocs()
	for b.Loop() {
		h.SequenceNumber++
		_, _ = w.Write(h, payload, nil)
	}
}

// Feedback counts: PLI/FIR/NACK received about our stream go to the
// outbound stream; those we send about a received stream go to the inbound.
func TestInterceptorFeedbackCounts(t *testing.T) {
	i, _ := newTestInterceptor(t)
	nop := interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil })
	i.BindLocalStream(&interceptor.StreamInfo{SSRC: 5, MimeType: "video/VP8", ClockRate: 90000}, nop)
	i.BindRemoteStream(&interceptor.StreamInfo{SSRC: 6, MimeType: "video/VP8", ClockRate: 90000}, &queueReader{})

	in, err := rtcp.Marshal([]rtcp.Packet{
		&rtcp.PictureLossIndication{MediaSSRC: 5},
		&rtcp.FullIntraRequest{FIR: []rtcp.FIREntry{{SSRC: 5, SequenceNumber: 1}, {SSRC: 77}}},
		&rtcp.PictureLossIndication{MediaSSRC: 5},
		&rtcp.PictureLossIndication{MediaSSRC: 6}, // about a stream we receive: not ours
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := i.BindRTCPReader(&queueReader{pkts: [][]byte{in}}).Read(make([]byte, 1500), nil); err != nil {
		t.Fatal(err)
	}
	w := i.BindRTCPWriter(interceptor.RTCPWriterFunc(func([]rtcp.Packet, interceptor.Attributes) (int, error) { return 0, nil }))
	if _, err := w.Write([]rtcp.Packet{
		&rtcp.TransportLayerNack{MediaSSRC: 6}, &rtcp.TransportLayerNack{MediaSSRC: 6},
		&rtcp.PictureLossIndication{MediaSSRC: 6}, &rtcp.FullIntraRequest{FIR: []rtcp.FIREntry{{SSRC: 6}}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	// A batch the transport failed to write was not sent: not counted.
	failing := i.BindRTCPWriter(interceptor.RTCPWriterFunc(func([]rtcp.Packet, interceptor.Attributes) (int, error) {
		return 0, errors.New("closed")
	}))
	_, _ = failing.Write([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: 6}}, nil)

	o := i.outbound[5].col.Snapshot(time.Now()).Outbound
	if *o.PLICount != 2 || *o.FIRCount != 1 || *o.NACKCount != 0 {
		t.Errorf("outbound pli %d fir %d nack %d, want 2 1 0", *o.PLICount, *o.FIRCount, *o.NACKCount)
	}
	r := i.inbound[6].col.Snapshot(time.Now()).Inbound
	if *r.NACKCount != 2 || *r.PLICount != 1 || *r.FIRCount != 1 {
		t.Errorf("inbound nack %d pli %d fir %d, want 2 1 1", *r.NACKCount, *r.PLICount, *r.FIRCount)
	}
}

func TestPayloadAndPadding(t *testing.T) {
	cases := []struct {
		name          string
		h             rtp.Header
		payload       []byte
		body, padding int
	}{
		{"no padding", rtp.Header{}, make([]byte, 10), 10, 0},
		{"Header.PaddingSize", rtp.Header{Padding: true, PaddingSize: 4}, make([]byte, 10), 10, 4},
		{"legacy: count in the payload's last byte", rtp.Header{Padding: true}, []byte{1, 2, 3, 0, 0, 3}, 3, 3},
		{"legacy count larger than the payload", rtp.Header{Padding: true}, []byte{1, 9}, 2, 0},
		{"padding bit, empty payload", rtp.Header{Padding: true}, nil, 0, 0},
	}
	for _, c := range cases {
		if body, pad := payloadAndPadding(&c.h, c.payload); body != c.body || pad != c.padding {
			t.Errorf("%s: got %d/%d, want %d/%d", c.name, body, pad, c.body, c.padding)
		}
	}
}
