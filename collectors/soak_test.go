package collectors

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// soak simulates one audio stream (50 packets/s, 960 ticks at 48 kHz) from
// an Outbound to an Inbound, with the sender's SRs every 5 s answered by the
// receiver's RRs, on a clock the test constructs. Next to the collectors it
// keeps its own model of what they must report, computed in its own terms
// (packet indexes, not sequence numbers; RTP timestamps that never wrap;
// integer ticks), so the comparison is independent of the collectors'
// unwrapping and re-basing.
type soak struct {
	t   *testing.T
	rng *rand.Rand
	out *Outbound
	in  *Inbound

	seq0 uint16
	ts0  uint32
	n    int64     // next packet index to send
	base time.Time // send time of packet 0

	// sender model
	sent, sentBytes uint64

	// receiver model (RFC 3550 A.3 and A.8 on indexes)
	received, recvBytes, recvHeader uint64
	maxIdx                          int64 // highest index received (first is 0, never dropped)
	firstArrival                    time.Time
	lastArrival                     time.Time
	lastTransit                     int64 // ticks
	jitter                          float64
	jitterSamples                   int
	dropped, reordered              uint64
	held                            *heldPacket

	// RR model: A.3 interval values
	expectedPrior, receivedPrior int64
	rtts                         uint64
	totalRTT                     time.Duration
}

type heldPacket struct {
	idx int64
	at  time.Time
}

const (
	soakPPS      = 50
	soakInterval = time.Second / soakPPS
	soakTicks    = 48000 / soakPPS
	srEvery      = 5 * soakPPS // packets between Sender Reports: 5 s
	// Arrival offsets are multiples of 125 µs, 6 ticks at 48 kHz, so the
	// model's integer transit times are exact.
	soakGrain = 125 * time.Microsecond
)

func newSoak(t *testing.T) *soak {
	t.Helper()
	return &soak{
		t:   t,
		rng: rand.New(rand.NewPCG(1, 2)),
		out: NewOutbound(OutboundConfig{ID: "OT1", RemoteID: "RI1", SSRC: 7, Kind: "audio", ClockRate: 48000}),
		in:  NewInbound(InboundConfig{ID: "IT1", RemoteID: "RO1", SSRC: 7, Kind: "audio", ClockRate: 48000}),
		// The sequence wraps after 536 packets; the timestamp after one
		// hour, and again 24.85 h later, in the second day.
		seq0: 65000,
		ts0:  1<<32 - 3600*48000,
		base: time.Unix(1_700_000_000, 0),
	}
}

func (s *soak) payload(idx int64) int { return 60 + int(idx%97) }

// run simulates d of traffic.
func (s *soak) run(d time.Duration) {
	end := s.n + int64(d/soakInterval)
	for ; s.n < end; s.n++ {
		idx := s.n
		sendAt := s.base.Add(time.Duration(idx) * soakInterval)
		pl := s.payload(idx)
		s.out.OnPacket(inst(sendAt), 7, uint16(int64(s.seq0)+idx), 111, 12, pl, 0, nil)
		s.sent++
		s.sentBytes += uint64(pl)

		// Network: 30 ms plus 0-5 ms of jitter; 0.5 % loss (never the
		// first packet); 0.2 % held back behind the next packet.
		arrive := sendAt.Add(30*time.Millisecond + time.Duration(s.rng.IntN(41))*soakGrain)
		switch r := s.rng.IntN(1000); {
		case idx > 0 && r < 5:
			s.dropped++
		case idx > 0 && r < 7 && s.held == nil:
			s.held = &heldPacket{idx, arrive}
			s.reordered++
		default:
			s.deliver(idx, arrive)
			if h := s.held; h != nil {
				s.held = nil
				s.deliver(h.idx, arrive.Add(soakGrain))
			}
		}
		if idx%srEvery == srEvery-1 {
			s.exchangeReports(sendAt.Add(soakInterval / 2))
		}
	}
}

func (s *soak) deliver(idx int64, at time.Time) {
	pl := s.payload(idx)
	ts := s.ts0 + uint32(idx*soakTicks) // wraps: the collectors' problem
	s.in.OnPacket(inst(at), &rtpx.Header{
		Sequence: uint16(int64(s.seq0) + idx), Timestamp: ts, SSRC: 7, PayloadType: 111,
		HeaderLen: 12, PayloadLen: pl,
	}, nil)
	s.received++
	s.recvBytes += uint64(pl)
	s.recvHeader += 12
	s.lastArrival = at
	if s.received == 1 {
		s.firstArrival = at
	}
	if idx < s.maxIdx && s.received > 1 {
		return // late: no jitter sample
	}
	s.maxIdx = idx
	// A.8 in integer ticks: arrival since the first packet minus the
	// unwrapped RTP timestamp (ts0 + 960·idx, never reduced mod 2^32).
	arr := int64(at.Sub(s.firstArrival)) * 48 / 1e6 // exact: 125 µs = 6 ticks
	transit := arr - (int64(s.ts0) + idx*soakTicks)
	if s.jitterSamples > 0 {
		d := transit - s.lastTransit
		if d < 0 {
			d = -d
		}
		s.jitter += (float64(d) - s.jitter) / 16
	}
	s.lastTransit = transit
	s.jitterSamples++
}

// exchangeReports sends an SR at now and the receiver's RR back, and
// checks both collectors against the model.
func (s *soak) exchangeReports(now time.Time) {
	t := s.t
	t.Helper()
	ntp := rtpx.TimeToNTP(now)
	s.out.OnSenderReportSent(now, ntp)
	fwd := 30*time.Millisecond + time.Duration(s.rng.IntN(41))*soakGrain
	srAt := now.Add(fwd)
	if !s.in.OnSenderReport(srAt, ntp, uint32(s.sent), uint32(s.sentBytes)) {
		t.Fatalf("SR at %v refused", now)
	}
	s.checkInbound(srAt, ntp)

	// The receiver holds the SR for k/64 s (DLSR = k·1024 exactly) and
	// its RR takes back to arrive. A.3 interval values from the model.
	k := 1 + s.rng.IntN(64)
	hold := time.Duration(k) * time.Second / 64
	back := 10*time.Millisecond + time.Duration(s.rng.IntN(81))*soakGrain
	expected := s.maxIdx + 1 // first index received is 0
	lost := expected - int64(s.received)
	expInt, recvInt := expected-s.expectedPrior, int64(s.received)-s.receivedPrior
	s.expectedPrior, s.receivedPrior = expected, int64(s.received)
	var fraction uint8
	if lostInt := expInt - recvInt; expInt > 0 && lostInt > 0 {
		fraction = uint8((lostInt << 8) / expInt)
	}
	rr := ReceptionReport{
		FractionLost: fraction, TotalLost: uint32(lost) & 0xffffff,
		ExtHighest: uint32(int64(s.seq0) + s.maxIdx), Jitter: uint32(s.jitter),
		LSR: rtpx.CompactNTP(ntp), DLSR: uint32(k) * 1024,
	}
	rrAt := srAt.Add(hold + back)
	if res := s.out.OnReceptionReport(rrAt, rr); res != RTTMeasured {
		t.Fatalf("RR at %v: %v", rrAt, res)
	}
	s.rtts++
	s.totalRTT += fwd + back
	snap := s.out.Snapshot(rrAt)
	o, r := snap.Outbound, snap.Remote
	if *o.PacketsSent != s.sent || *o.BytesSent != s.sentBytes || *o.HeaderBytesSent != 12*s.sent || *o.RetransmittedPacketsSent != 0 {
		t.Fatalf("%v: outbound sent %d bytes %d retransmitted %d, want %d %d 0", rrAt, *o.PacketsSent, *o.BytesSent,
			*o.RetransmittedPacketsSent, s.sent, s.sentBytes)
	}
	if *r.RoundTripTime != (fwd+back).Seconds() || *r.RoundTripTimeMeasurements != s.rtts ||
		*r.TotalRoundTripTime != s.totalRTT.Seconds() {
		t.Fatalf("%v: RTT %v (n %d, total %v), want %v (n %d, total %v)", rrAt, *r.RoundTripTime, *r.RoundTripTimeMeasurements,
			*r.TotalRoundTripTime, (fwd + back).Seconds(), s.rtts, s.totalRTT.Seconds())
	}
	if *r.PacketsReceived != s.received || *r.PacketsLost != lost || *r.FractionLost != float64(fraction)/256 ||
		*r.Jitter != float64(uint32(s.jitter))/48000 {
		t.Fatalf("%v: remote-inbound received %d lost %d fraction %v jitter %v, want %d %d %v %v", rrAt, *r.PacketsReceived,
			*r.PacketsLost, *r.FractionLost, *r.Jitter, s.received, lost, float64(fraction)/256, float64(uint32(s.jitter))/48000)
	}
}

func (s *soak) checkInbound(now time.Time, ntp uint64) {
	t := s.t
	t.Helper()
	snap := s.in.Snapshot(now)
	in, ro := snap.Inbound, snap.Remote
	lost := s.maxIdx + 1 - int64(s.received)
	if *in.PacketsReceived != s.received || *in.PacketsLost != lost || *in.BytesReceived != s.recvBytes ||
		*in.HeaderBytesReceived != s.recvHeader || *in.PacketsDuplicated != 0 {
		t.Fatalf("%v: inbound received %d lost %d bytes %d header %d dups %d, want %d %d %d %d 0", now, *in.PacketsReceived,
			*in.PacketsLost, *in.BytesReceived, *in.HeaderBytesReceived, *in.PacketsDuplicated, s.received, lost, s.recvBytes, s.recvHeader)
	}
	if math.Abs(*in.Jitter*48000-s.jitter) > jitterTolerance {
		t.Fatalf("%v: jitter %.15f s, model %.15f s", now, *in.Jitter, s.jitter/48000)
	}
	if *in.LastPacketReceivedTimestamp != rtpx.UnixMillis(s.lastArrival) {
		t.Fatalf("%v: lastPacketReceivedTimestamp %v, want %v", now, *in.LastPacketReceivedTimestamp, rtpx.UnixMillis(s.lastArrival))
	}
	if *ro.PacketsSent != s.sent || *ro.BytesSent != s.sentBytes || *ro.RemoteTimestamp != rtpx.NTPToUnixMillis(ntp) {
		t.Fatalf("%v: remote-outbound sent %d bytes %d, want %d %d", now, *ro.PacketsSent, *ro.BytesSent, s.sent, s.sentBytes)
	}
	if s.in.seq.restarts != 0 {
		t.Fatalf("%v: %d restarts on a continuous stream", now, s.in.seq.restarts)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSoak24Hours runs two simulated days of 50 packets/s audio (8.6 M
// packets, 131 sequence wraps, two timestamp wraps, 0.5 % loss, 0.2 %
// reordered, an SR/RR exchange every 5 s) and compares every counter, the loss, the jitter and each RTT sample
// with the model exactly at every exchange. The heap after the second day
// is what it was after the first: per-stream state does not grow.
func TestSoak24Hours(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: two simulated days take a few seconds")
	}
	day := 24 * time.Hour
	if raceEnabled {
		// The race detector makes each packet ~10x dearer (2 x 24 h would
		// take ~50 s). The arithmetic is the same, and 2 x 4 h still
		// crosses 22 sequence wraps and a timestamp wrap; plain `go test`
		// runs the full two days in under a second.
		day = 4 * time.Hour
	}
	s := newSoak(t)
	start := time.Now()
	s.run(day)
	before := heapInUse()
	s.run(day)
	after := heapInUse()
	t.Logf("%v simulated in %v: %d packets sent, %d dropped, %d reordered, %d RTT samples, jitter %.3f ms, heap %d -> %d bytes",
		2*day, time.Since(start).Round(time.Millisecond), s.sent, s.dropped, s.reordered, s.rtts, s.jitter/48,
		before, after)
	if s.sent/65536 < 2 || s.dropped == 0 || s.reordered == 0 {
		t.Fatalf("the soak did not exercise wraps, loss and reordering: %d sent, %d dropped, %d reordered", s.sent, s.dropped, s.reordered)
	}
	if after > before+16<<10 {
		t.Errorf("heap grew from %d to %d bytes over the second simulated period", before, after)
	}
}
