package bench

import (
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/rtcstats/rtcstats"
)

// The negotiated header extensions of the ext3 variant, with the ids a
// pion MediaEngine would give them.
const (
	uriMid         = "urn:ietf:params:rtp-hdrext:sdes:mid"
	uriAbsSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
	uriTWCC        = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
	idMid          = 4
	idAbsSendTime  = 2
	idTWCC         = 3
)

const (
	payloadSize  = 1200 // VP8-ish payload bytes per packet
	ringLen      = 256  // prepared packets per stream; divides 65536, so seq wraps cleanly
	pktsPerFrame = 4    // 30 fps at 3000 timestamp units per frame
	tsPerFrame   = 3000
	rtcpEvery    = 100 // packets between RTCP batches in the rtcp variant

	ssrcIn  uint32 = 0x1a2b3c4d // the stream we receive
	ssrcOut uint32 = 0x5e6f7081 // the stream we send
)

// impl is one implementation under test. build returns a fresh
// interceptor as pion's registry would (one per PeerConnection).
type impl struct {
	name  string
	build func(tb testing.TB) *subject
}

// subject is one interceptor instance and the means to read its stats.
type subject struct {
	ic interceptor.Interceptor
	// pion is the stats getter of pion's interceptor, nil otherwise.
	pion stats.Getter
	// rtcstats is the factory of an rtcstats interceptor, nil otherwise.
	rtcstats *rtcstats.Factory
}

// impls are in the order benchstat shows them as columns: the baseline
// (pion) first, so the delta column is rtcstats relative to pion.
var impls = []impl{
	{"pion", newPion},
	{"rtcstats", newRTCStats},
	{"none", func(testing.TB) *subject { return &subject{ic: &interceptor.NoOp{}} }},
}

// pionAndRTCStats are the two implementations without the floor.
var pionAndRTCStats = impls[:2]

// open builds a subject that is closed when the benchmark ends.
func open(tb testing.TB, im impl) *subject {
	tb.Helper()
	s := im.build(tb)
	tb.Cleanup(func() { _ = s.ic.Close() })
	return s
}

func newRTCStats(tb testing.TB) *subject {
	tb.Helper()
	f, err := rtcstats.NewFactory()
	if err != nil {
		tb.Fatal(err)
	}
	i, err := f.NewInterceptor("pc")
	if err != nil {
		tb.Fatal(err)
	}
	return &subject{ic: i, rtcstats: f}
}

// newPion builds pion's stats interceptor with its defaults (the default
// recorder, time.Now, pion's default logger), as webrtc.ConfigureStatsInterceptor does.
func newPion(tb testing.TB) *subject {
	tb.Helper()
	f, err := stats.NewInterceptor()
	if err != nil {
		tb.Fatal(err)
	}
	i, err := f.NewInterceptor("")
	if err != nil {
		tb.Fatal(err)
	}
	return &subject{ic: i, pion: i.(stats.Getter)}
}

// waitRunning drives packets until pion's recorder for ssrc has started:
// pion starts each recorder in a goroutine and drops the packets that come
// before it runs, which would make pion look cheaper than it is. A no-op for
// the other implementations.
func (s *subject) waitRunning(tb testing.TB, ssrc uint32, drive func()) { //nolint:thelper // runs per stream in BenchmarkMemory's timed loop: tb.Helper() would be measured
	if s.pion == nil {
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		drive()
		if st := s.pion.Get(ssrc); st != nil && (st.InboundRTPStreamStats.PacketsReceived > 0 || st.OutboundRTPStreamStats.PacketsSent > 0) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("pion recorder for ssrc %d never started", ssrc)
		}
		runtime.Gosched()
	}
}

// videoInfo is the StreamInfo pion gives a VP8 stream.
func videoInfo(ssrc uint32, exts bool) *interceptor.StreamInfo {
	info := &interceptor.StreamInfo{
		ID:          "stream",
		Attributes:  interceptor.Attributes{},
		SSRC:        ssrc,
		PayloadType: 96,
		MimeType:    "video/VP8",
		ClockRate:   90000,
		RTCPFeedback: []interceptor.RTCPFeedback{
			{Type: "goog-remb"},
			{Type: "ccm", Parameter: "fir"},
			{Type: "nack"},
			{Type: "nack", Parameter: "pli"},
			{Type: "transport-cc"},
		},
	}
	if exts {
		info.RTPHeaderExtensions = []interceptor.RTPHeaderExtension{
			{URI: uriMid, ID: idMid}, {URI: uriAbsSendTime, ID: idAbsSendTime}, {URI: uriTWCC, ID: idTWCC},
		}
	}
	return info
}

// packets is a prepared sequence of RTP packets: ringLen
// headers and VP8-ish payloads, four packets per frame, the marker on the
// last packet of a frame, and (with exts) the three header extensions.
type packets struct {
	headers  []rtp.Header
	payloads [][]byte
	wire     [][]byte // marshalled headers+payloads
}

func newPackets(tb testing.TB, ssrc uint32, exts bool) *packets {
	tb.Helper()
	rng := rand.New(rand.NewPCG(uint64(ssrc), 1))
	p := &packets{}
	for n := range ringLen {
		h := rtp.Header{
			Version:        2,
			Marker:         n%pktsPerFrame == pktsPerFrame-1,
			PayloadType:    96,
			SequenceNumber: uint16(n),
			Timestamp:      uint32(n/pktsPerFrame) * tsPerFrame,
			SSRC:           ssrc,
		}
		if exts {
			ast := uint32(n*1000) & 0xffffff // 6.18 fixed point seconds, 24 bits
			for _, e := range []struct {
				id uint8
				v  []byte
			}{
				{idMid, []byte("1")},
				{idAbsSendTime, []byte{byte(ast >> 16), byte(ast >> 8), byte(ast)}},
				{idTWCC, []byte{byte(n >> 8), byte(n)}},
			} {
				if err := h.SetExtension(e.id, e.v); err != nil {
					tb.Fatal(err)
				}
			}
		}
		pl := make([]byte, payloadSize)
		for i := range pl {
			pl[i] = byte(rng.Uint32())
		}
		// VP8 payload descriptor (RFC 7741): X=1, S on the first packet of
		// a frame, PID 0; I=1 with a 15-bit picture id.
		pl[0] = 0x80
		if n%pktsPerFrame == 0 {
			pl[0] |= 0x10
		}
		pl[1] = 0x80
		pl[2], pl[3] = 0x80|byte(n>>8)&0x7f, byte(n/pktsPerFrame)
		w, err := (&rtp.Packet{Header: h, Payload: pl}).Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		p.headers = append(p.headers, h)
		p.payloads = append(p.payloads, pl)
		p.wire = append(p.wire, w)
	}
	return p
}

// source is the transport end of an inbound stream: each Read returns the
// next packet, with its sequence number and timestamp advanced past the
// prepared ring. Like pion's SRTP reader it returns the attributes it got
// (pion's TrackRemote.Read passes nil).
type source struct {
	p    *packets
	n    uint32
	ssrc uint32
}

func (s *source) Read(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
	n := copy(b, s.p.wire[s.n%ringLen])
	binary.BigEndian.PutUint16(b[2:], uint16(s.n))
	binary.BigEndian.PutUint32(b[4:], s.n/pktsPerFrame*tsPerFrame)
	binary.BigEndian.PutUint32(b[8:], s.ssrc)
	s.n++
	return n, a, nil
}

// sender drives an outbound stream the way pion's track writer does: one
// *rtp.Header and payload per packet, nil attributes.
type sender struct {
	p    *packets
	w    interceptor.RTPWriter
	n    uint32
	ssrc uint32
}

func (s *sender) write() error {
	h := &s.p.headers[s.n%ringLen]
	h.SequenceNumber = uint16(s.n)
	h.Timestamp = s.n / pktsPerFrame * tsPerFrame
	h.SSRC = s.ssrc
	_, err := s.w.Write(h, s.p.payloads[s.n%ringLen], nil)
	s.n++
	return err
}

// sink is the transport end of an outbound stream.
var sink = interceptor.RTPWriterFunc(func(_ *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
	return len(payload), nil
})

var rtcpSink = interceptor.RTCPWriterFunc(func([]rtcp.Packet, interceptor.Attributes) (int, error) { return 0, nil })

// rtcpSource returns the peer's compound batch on every Read, as fresh as a
// peer would send it: each SR carries the current NTP time (a repeated SR
// is stale, which rtcstats discards), and every report block echoes lsr
// with a DLSR of one 1/65536 s unit, so that it yields an RTT sample for
// both implementations. The patching is the harness's cost, the same for
// every implementation.
type rtcpSource struct {
	batch []byte
	ntpAt []int  // offsets of the SRs' NTP timestamps
	lsrAt []int  // offsets of the report blocks' LSR (DLSR follows)
	lsr   uint32 // the compact NTP time of the SR of ours the blocks echo
}

// newRTCPSource finds the SRs and report blocks in a marshalled batch
// (RFC 3550 6.4: SR sender info at 8, blocks at 28; RR blocks at 8; 24 bytes
// each, LSR at 16). Its blocks echo lsr until the caller changes it.
func newRTCPSource(tb testing.TB, batch []byte, lsr uint32) *rtcpSource {
	tb.Helper()
	s := &rtcpSource{batch: batch, lsr: lsr}
	for off := 0; off+4 <= len(batch); {
		rc, pt := int(batch[off]&0x1f), batch[off+1]
		size := 4 * (int(binary.BigEndian.Uint16(batch[off+2:])) + 1)
		blocks := -1
		switch pt {
		case 200: // SR
			s.ntpAt = append(s.ntpAt, off+8)
			blocks = off + 28
		case 201: // RR
			blocks = off + 8
		}
		if blocks >= 0 {
			for k := range rc {
				s.lsrAt = append(s.lsrAt, blocks+24*k+16)
			}
		}
		off += size
	}
	if len(s.ntpAt) == 0 || len(s.lsrAt) == 0 {
		tb.Fatalf("batch has %d SRs and %d report blocks", len(s.ntpAt), len(s.lsrAt))
	}
	return s
}

func (s *rtcpSource) Read(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
	ntp := ntpNow()
	for _, o := range s.ntpAt {
		binary.BigEndian.PutUint64(s.batch[o:], ntp)
	}
	for _, o := range s.lsrAt {
		binary.BigEndian.PutUint32(s.batch[o:], s.lsr)
		binary.BigEndian.PutUint32(s.batch[o+4:], 1) // DLSR: 1/65536 s
	}
	return copy(b, s.batch), a, nil
}

// ntpNow is an NTP timestamp of "now", for Sender Reports.
func ntpNow() uint64 {
	t := time.Now()
	secs := uint64(t.Unix()) + 2208988800
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

func compactNTP(ntp uint64) uint32 { return uint32(ntp >> 16) }

// srCompactNTP is the compact NTP time of the first SR in pkts.
func srCompactNTP(pkts []rtcp.Packet) uint32 {
	for _, p := range pkts {
		if sr, ok := p.(*rtcp.SenderReport); ok {
			return compactNTP(sr.NTPTime)
		}
	}
	return 0
}

// rtcpBatches returns what a receiver of in and sender of out sees and
// sends: the incoming compound batch (the peer's SR with a report block about
// out, an RR with another, a NACK about out) marshalled, and the outgoing
// batch (our SR and RR with report blocks about in, a NACK about in). The
// incoming blocks echo our SR; an rtcpSource refreshes the SR's NTP time
// and the blocks' LSR and DLSR on every read.
func rtcpBatches(tb testing.TB, in, out []uint32) (incoming []byte, outgoing []rtcp.Packet) {
	tb.Helper()
	ntp := ntpNow()
	var inPkts []rtcp.Packet
	for k := range in {
		block := rtcp.ReceptionReport{
			SSRC: out[k], FractionLost: 3, TotalLost: 12, LastSequenceNumber: 1 << 16, Jitter: 90,
			LastSenderReport: compactNTP(ntp), Delay: 1,
		}
		inPkts = append(inPkts,
			&rtcp.SenderReport{
				SSRC: in[k], NTPTime: ntp, RTPTime: 123456, PacketCount: 1000, OctetCount: 1200000,
				Reports: []rtcp.ReceptionReport{block},
			},
			&rtcp.ReceiverReport{SSRC: in[k], Reports: []rtcp.ReceptionReport{block}},
			&rtcp.TransportLayerNack{SenderSSRC: in[k], MediaSSRC: out[k], Nacks: []rtcp.NackPair{{PacketID: 100, LostPackets: 0x5}}},
		)
		block.SSRC = in[k]
		outgoing = append(outgoing,
			&rtcp.SenderReport{
				SSRC: out[k], NTPTime: ntp, RTPTime: 123456, PacketCount: 1000, OctetCount: 1200000,
				Reports: []rtcp.ReceptionReport{block},
			},
			&rtcp.ReceiverReport{SSRC: out[k], Reports: []rtcp.ReceptionReport{block}},
			&rtcp.TransportLayerNack{SenderSSRC: out[k], MediaSSRC: in[k], Nacks: []rtcp.NackPair{{PacketID: 100, LostPackets: 0x5}}},
		)
	}
	incoming, err := rtcp.Marshal(inPkts)
	if err != nil {
		tb.Fatal(err)
	}
	return incoming, outgoing
}

// pair is one inbound and one outbound stream bound on a subject, with an
// RTCP reader and writer, as pion binds them for a PeerConnection that sends
// and receives one video track.
type pair struct {
	in       interceptor.RTPReader
	out      *sender
	rtcpIn   interceptor.RTCPReader
	rtcpOut  interceptor.RTCPWriter
	outBatch []rtcp.Packet
	buf      []byte

	peer *rtcpSource
	// srSent holds the compact NTP times of our last SRs; the peer's
	// blocks echo the one echoLag exchanges back.
	srSent [echoLag + 1]uint32
	nSent  int
}

// echoLag is how many exchanges back the SR is that the peer's report
// blocks echo. Exchanges come every rtcpEvery packets, ~8 µs apart for
// rtcstats here; the echoed SR must be older than the blocks' DLSR (one
// 1/65536 s unit, 15.3 µs) for an RTT sample, and within the SRs both
// implementations remember to match it (pion keeps 5, rtcstats 8). SRs
// closer together than 15.3 µs share a compact NTP time: 4 back, both
// neighbours of the echoed one are older than the DLSR too.
const echoLag = 4

func bindPair(tb testing.TB, s *subject, exts bool) *pair {
	tb.Helper()
	inPkts, outPkts := newPackets(tb, ssrcIn, exts), newPackets(tb, ssrcOut, exts)
	p := &pair{buf: make([]byte, 1500)}
	p.in = s.ic.BindRemoteStream(videoInfo(ssrcIn, exts), &source{p: inPkts, ssrc: ssrcIn})
	p.out = &sender{p: outPkts, w: s.ic.BindLocalStream(videoInfo(ssrcOut, exts), sink), ssrc: ssrcOut}
	batch, outBatch := rtcpBatches(tb, []uint32{ssrcIn}, []uint32{ssrcOut})
	p.peer = newRTCPSource(tb, batch, srCompactNTP(outBatch))
	p.rtcpIn = s.ic.BindRTCPReader(p.peer)
	p.rtcpOut = s.ic.BindRTCPWriter(rtcpSink)
	p.outBatch = outBatch
	s.waitRunning(tb, ssrcIn, func() { p.readRTP(tb) })
	s.waitRunning(tb, ssrcOut, func() { p.writeRTP(tb) })
	// Warm up: a full ring of each, and an RTCP exchange.
	for range ringLen {
		p.readRTP(tb)
		p.writeRTP(tb)
	}
	// The first RTCP exchange with time between our SR and the peer's
	// report (as in a real call, though its DLSR is shorter).
	if _, err := p.rtcpOut.Write(p.outBatch, nil); err != nil {
		tb.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	if _, _, err := p.rtcpIn.Read(p.buf, nil); err != nil {
		tb.Fatal(err)
	}
	return p
}

func (p *pair) readRTP(tb testing.TB) { //nolint:thelper // runs per packet in the timed loop: tb.Helper() would be measured
	if _, _, err := p.in.Read(p.buf, nil); err != nil {
		tb.Fatal(err)
	}
}

func (p *pair) writeRTP(tb testing.TB) { //nolint:thelper // runs per packet in the timed loop: tb.Helper() would be measured
	if err := p.out.write(); err != nil {
		tb.Fatal(err)
	}
}

// exchangeRTCP writes our batch (the SR goes first, as it would), with
// the current NTP time in its SR, and reads the peer's, whose report blocks
// echo our SR of echoLag exchanges back (the setup's SR until there is one).
func (p *pair) exchangeRTCP(tb testing.TB) { //nolint:thelper // runs per packet in the timed loop: tb.Helper() would be measured
	ntp := ntpNow()
	for _, pkt := range p.outBatch {
		if sr, ok := pkt.(*rtcp.SenderReport); ok {
			sr.NTPTime = ntp
		}
	}
	if _, err := p.rtcpOut.Write(p.outBatch, nil); err != nil {
		tb.Fatal(err)
	}
	p.srSent[p.nSent%len(p.srSent)] = compactNTP(ntp)
	p.nSent++
	if p.nSent > echoLag {
		p.peer.lsr = p.srSent[(p.nSent-1-echoLag)%len(p.srSent)]
	}
	if _, _, err := p.rtcpIn.Read(p.buf, nil); err != nil {
		tb.Fatal(err)
	}
}

// perOp adds exact-allocs/op, exact-B/op and cpu-ns/op. The testing
// package truncates allocs/op and B/op to integers, which hides allocations
// amortised over many packets (the rtcp variant). cpu-ns/op is the process
// CPU time per operation: sec/op is wall time on the benchmark's goroutine,
// while an implementation that allocates also has the garbage collector
// work on the other core (its background workers), which only CPU time
// shows. Call it just before b.Loop and the returned func after the loop.
func perOp(b *testing.B) func() {
	b.Helper()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0, cpuOK := processCPU()
	return func() {
		cpu1, ok := processCPU()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		n := float64(b.N)
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "exact-allocs/op")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "exact-B/op")
		if cpuOK && ok {
			b.ReportMetric(float64(cpu1-cpu0)/n, "cpu-ns/op")
		}
	}
}
