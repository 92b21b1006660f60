package collectors

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
	"github.com/rtcstats/rtcstats/report"
)

// Property test: Inbound and Outbound driven directly with random packet
// sequences (reordering, duplication, loss bursts, RTX repairs, sequence
// and timestamp wraps, feedback, Sender Reports and report blocks that are
// reordered, repeated or garbage) on random clocks that only go forward
// (zero steps, sub-millisecond steps, coarse 1/512 s ticks, jumps of
// hours). After every step the snapshot is checked against the invariants
// below and against a model kept in true (never wrapping) sequence numbers.
//
// Inbound, with arrivals kept within RFC 3550 A.1's in-order window (less
// than MAX_MISORDER = 100 behind and MAX_DROPOUT = 3000 ahead of the
// highest sequence number, so that no packet is a stray or a restart):
//
//   - packetsReceived + packetsLost == highest - lowest extended sequence
//     number received + 1 (RFC 3550 A.3), in the model's true numbers;
//   - packetsReceived, bytes and header bytes, packetsDuplicated (copies
//     within the 1024-packet window) and retransmissions equal the model's;
//   - jitter is present once two in-order packets arrived (clock rate > 0),
//     and is finite and ≥ 0.
//
// Outbound: the counters equal the model's; the report blocks come from a
// simulated receiver (RFC 3550 A.3 cumulative loss in 24 bits, extended
// highest sequence number from its own first packet, LSR/DLSR of the
// newest SR it got), delivered over a path with random delay, so they can
// arrive out of order; a block echoing one of our SRs gives a round-trip
// time within [network RTT, network RTT + 1/65536 s].
//
// Both: no NaN or ±Inf in any float member of any snapshot (all float64 and
// *float64 fields, found by reflection); cumulative counters never
// decrease; roundTripTime, when present, is > 0 and finite.
//
// Failures of known, still open collector bugs are counted and logged
// instead of failing (see invKnownBug); each has a minimal regression test at
// the end of this file, skipped while the bug is open.

const (
	invSequences = 200  // random sequences per direction (divided by invScale under -race)
	invSteps     = 2000 // packets per sequence
)

// invKnownBug names the invariants that fail because of reported, unfixed
// collector behaviour, with the regression test that reproduces each.
// Fixed ones are checked strictly (and their regression tests run).
var invKnownBug = map[string]string{
	"remote-received-base": "TestKnownBugInvariantRemoteReceivedFromReceiverBase",
}

// invChecker reports invariant failures: unknown ones fail the test, known
// ones are counted, with the first occurrence kept for the log.
type invChecker struct {
	t     *testing.T
	where string // seed and step, for messages
	known map[string]int
	first map[string]string
	// peerLied is set once a garbage report block was accepted: the
	// remote-inbound counters then say what the peer claims, which need
	// not add up.
	peerLied bool
}

func newInvChecker(t *testing.T) *invChecker {
	t.Helper()
	return &invChecker{t: t, known: map[string]int{}, first: map[string]string{}}
}

func (c *invChecker) failf(bug, format string, args ...any) {
	c.t.Helper()
	msg := c.where + ": " + fmt.Sprintf(format, args...)
	if _, ok := invKnownBug[bug]; ok {
		if c.known[bug] == 0 {
			c.first[bug] = msg
		}
		c.known[bug]++
		return
	}
	c.t.Fatal(msg)
}

func (c *invChecker) report() {
	for _, bug := range slices.Sorted(func(yield func(string) bool) {
		for k := range c.known {
			if !yield(k) {
				return
			}
		}
	}) {
		c.t.Logf("known bug %s (%s): %d times; first: %s", bug, invKnownBug[bug], c.known[bug], c.first[bug])
	}
}

// invField is one member of a report struct: its index path (through the
// embedded Base), JSON name and kind.
type invField struct {
	index []int
	name  string
	kind  reflect.Kind
}

// invTypeInfo is the members of one report struct type, found once.
type invTypeInfo struct {
	floats, records []invField
	byName          map[string]invField
	mono            []invField // invNonDecreasing members of the type
}

var invTypeInfos = map[reflect.Type]*invTypeInfo{}

func invInfoOf(t reflect.Type) *invTypeInfo {
	if ti := invTypeInfos[t]; ti != nil {
		return ti
	}
	ti := &invTypeInfo{byName: map[string]invField{}}
	for _, sf := range reflect.VisibleFields(t) {
		if sf.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		f := invField{index: sf.Index, name: name, kind: ft.Kind()}
		ti.byName[name] = f
		switch {
		case f.kind == reflect.Float64:
			ti.floats = append(ti.floats, f)
		case f.kind == reflect.Map && ft.Elem().Kind() == reflect.Float64:
			ti.records = append(ti.records, f)
		}
	}
	invTypeInfos[t] = ti
	return ti
}

// invMonoFields returns the cumulative members of s's type.
func invMonoFields(s report.Stats) []invField {
	ti := invInfoOf(reflect.TypeOf(s).Elem())
	if ti.mono == nil {
		ti.mono = []invField{}
		for _, name := range invNonDecreasing[s.StatsType()] {
			if f, ok := ti.byName[name]; ok {
				ti.mono = append(ti.mono, f)
			}
		}
	}
	return ti.mono
}

// invValue returns a present numeric member of s as float64.
func invValue(s report.Stats, name string) (float64, bool) {
	v := reflect.ValueOf(s).Elem()
	f, ok := invInfoOf(v.Type()).byName[name]
	if !ok {
		return 0, false
	}
	return invFieldValue(v, f)
}

func invFieldValue(v reflect.Value, f invField) (float64, bool) {
	x := v.FieldByIndex(f.index)
	if x.Kind() == reflect.Pointer {
		if x.IsNil() {
			return 0, false
		}
		x = x.Elem()
	}
	switch x.Kind() {
	case reflect.Float64:
		return x.Float(), true
	case reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(x.Uint()), true
	case reflect.Int32, reflect.Int64:
		return float64(x.Int()), true
	default: // not a numeric member
	}
	return 0, false
}

// finite fails on a NaN or ±Inf in any float64 member of s (plain, pointer
// or record value).
func (c *invChecker) finite(s report.Stats) {
	v := reflect.ValueOf(s).Elem()
	ti := invInfoOf(v.Type())
	for _, f := range ti.floats {
		x := v.FieldByIndex(f.index)
		if x.Kind() == reflect.Pointer {
			if x.IsNil() {
				continue
			}
			x = x.Elem()
		}
		if y := x.Float(); math.IsNaN(y) || math.IsInf(y, 0) {
			c.failf("", "%s %s = %v", s.StatsType(), f.name, y)
		}
	}
	for _, f := range ti.records {
		for it := v.FieldByIndex(f.index).MapRange(); it.Next(); {
			if y := it.Value().Float(); math.IsNaN(y) || math.IsInf(y, 0) {
				c.failf("", "%s %s[%v] = %v", s.StatsType(), f.name, it.Key(), y)
			}
		}
	}
}

// invNonDecreasing lists the cumulative members of each type.
var invNonDecreasing = map[report.Type][]string{
	report.TypeInboundRTP: {
		"packetsReceived", "bytesReceived", "headerBytesReceived", "packetsDuplicated",
		"nackCount", "firCount", "pliCount", "retransmittedPacketsReceived", "retransmittedBytesReceived",
		"lastPacketReceivedTimestamp", "timestamp",
	},
	report.TypeRemoteOutboundRTP: {"packetsSent", "bytesSent", "reportsSent", "timestamp"},
	report.TypeOutboundRTP: {
		"packetsSent", "bytesSent", "headerBytesSent", "retransmittedPacketsSent",
		"retransmittedBytesSent", "fecPacketsSent", "nackCount", "firCount", "pliCount",
		"lastPacketSentTimestamp", "timestamp",
	},
	report.TypeRemoteInboundRTP: {
		"reportsReceived", "roundTripTimeMeasurements", "totalRoundTripTime",
		"packetsReceived", "timestamp",
	},
}

// common checks one object against its previous snapshot (nil at first):
// finite floats, cumulative members, jitter and round-trip time.
func (c *invChecker) common(prev, cur report.Stats) {
	if reflect.ValueOf(cur).IsNil() {
		return
	}
	c.finite(cur)
	if j, ok := invValue(cur, "jitter"); ok && j < 0 {
		c.failf("", "%s jitter %v", cur.StatsType(), j)
	}
	if f, ok := invValue(cur, "fractionLost"); ok && (f < 0 || f > 1) {
		c.failf("", "fractionLost %v", f)
	}
	if rtt, ok := invValue(cur, "roundTripTime"); ok {
		switch {
		case rtt < 0 || rtt > MaxPlausibleRTT.Seconds():
			c.failf("", "roundTripTime %v", rtt)
		case rtt == 0: // TestInvariantRegressionZeroRTT (fixed)
			c.failf("", "roundTripTime 0")
		}
	}
	if prev == nil || reflect.ValueOf(prev).IsNil() {
		return
	}
	pv, cv := reflect.ValueOf(prev).Elem(), reflect.ValueOf(cur).Elem()
	for _, f := range invMonoFields(cur) {
		before, ok := invFieldValue(pv, f)
		if !ok {
			continue
		}
		if after, ok := invFieldValue(cv, f); !ok || after < before {
			if c.peerLied && cur.StatsType() == report.TypeRemoteInboundRTP && f.name == "packetsReceived" {
				continue
			}
			// remote-inbound packetsReceived: TestInvariantRegressionStaleBlock (fixed)
			c.failf("", "%s %s went from %v to %v (present %v)", cur.StatsType(), f.name, before, after, ok)
		}
	}
}

// invClock is a random clock that only goes forward.
type invClock struct {
	rng    *rand.Rand
	now    time.Time
	coarse bool // ticks of 1/512 s (1953125 ns: a whole number of 1/65536 s)
}

const invCoarseTick = time.Second / 512

func (k *invClock) step(mean time.Duration) {
	var d time.Duration
	switch r := k.rng.Float64(); {
	case r < 0.05:
		d = 0
	case r < 0.06:
		d = time.Duration(k.rng.Int64N(int64(2 * time.Hour)))
	case r < 0.10:
		d = time.Duration(k.rng.Int64N(int64(time.Millisecond)))
	default:
		d = time.Duration(k.rng.ExpFloat64() * float64(mean))
	}
	k.advance(d)
}

func (k *invClock) advance(d time.Duration) {
	if k.coarse {
		d = d.Round(invCoarseTick)
	}
	k.now = k.now.Add(d)
}

// newInvClock starts somewhere between 2001 and 2222, on a coarse clock in a
// quarter of the runs. (The tests' collectors have the Unix epoch as their
// Epoch, and an Instant, an int64 of ns, reaches 2262.)
func newInvClock(rng *rand.Rand) *invClock {
	k := &invClock{rng: rng, now: time.Unix(1e9+rng.Int64N(7e9), rng.Int64N(1e9)), coarse: rng.IntN(4) == 0}
	if k.coarse {
		k.now = k.now.Truncate(invCoarseTick)
	}
	return k
}

// invInModel is what an Inbound must report, in true extended sequence numbers.
type invInModel struct {
	seen                 map[int64]bool
	lo, hi               int64
	packets, dups        uint64
	bytes, header        uint64
	rtxPackets, rtxBytes uint64
	inOrder              int
	lastPacket           time.Time
	nack, pli, fir       uint32
	srAccepted           bool
	srPackets, srReports uint64
	lastSRCount          uint32
}

// accept reports whether a packet with true number e can be delivered
// without being a stray for RFC 3550 A.1: every one, as the generator keeps
// them so; rtx packets refer back and may be up to the duplicate window
// behind.
func (m *invInModel) accept(e int64, rtx bool) bool {
	if len(m.seen) == 0 {
		return !rtx
	}
	behind := m.hi - e
	if rtx {
		return behind < dupWindow && e-m.hi < maxDropout
	}
	return behind < maxMisorder && e-m.hi < maxDropout
}

func (m *invInModel) receive(e int64) (inOrder bool) {
	switch {
	case len(m.seen) == 0:
		m.lo, m.hi = e, e
		inOrder = true
	case e > m.hi:
		m.hi = e
		inOrder = true
	default:
		if m.seen[e] && m.hi-e < dupWindow {
			m.dups++
		}
		m.lo = min(m.lo, e)
	}
	m.seen[e] = true
	m.packets++
	return inOrder
}

type invInPacket struct {
	e   int64 // true extended sequence number
	ts  int64 // true timestamp
	rtx bool
}

// runInbound drives one Inbound with one random sequence.
func runInbound(c *invChecker, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0xc0ffee))
	clockRates := []uint32{0, 8000, 48000, 90000, 1 << 31}
	cfg := InboundConfig{
		ID: "IT", RemoteID: "RO", SSRC: 1, Kind: []string{"audio", "video"}[rng.IntN(2)],
		ClockRate: clockRates[rng.IntN(len(clockRates))],
	}
	s := NewInbound(cfg)
	rtxLinked := rng.IntN(2) == 0
	if rtxLinked {
		s.LinkRTX(2)
	}
	k := newInvClock(rng)
	m := invInModel{seen: map[int64]bool{}}

	// The sender's numbering: sequence numbers start near the wrap in half
	// the runs, timestamps near 2^32.
	e := int64(rng.IntN(65536))
	if rng.IntN(2) == 0 {
		e = 65536 - int64(rng.IntN(300))
	}
	ts := int64(rng.Uint32())
	if rng.IntN(2) == 0 {
		ts = 1<<32 - int64(rng.IntN(1<<20))
	}
	pLoss := rng.Float64() * 0.3
	pDup := rng.Float64() * 0.1
	pLate := rng.Float64() * 0.2

	// Packets in flight: delivered when their slot comes.
	type flight struct {
		at int
		p  invInPacket
	}
	var queue []flight
	srPackets := rng.Uint32() // the sender's SR packet count starts anywhere
	senderWall := k.now.Add(time.Duration(rng.Int64N(int64(time.Hour))) - 30*time.Minute)
	var oldSRs [][3]uint64

	var prev InboundSnapshot
	for step := range invSteps {
		c.where = fmt.Sprintf("inbound seed %d step %d", seed, step)
		// The sender emits the next packet: a loss burst now and then,
		// frames of several packets sharing a timestamp, and odd jumps.
		switch r := rng.Float64(); {
		case r < 0.003:
			e += int64(rng.IntN(1500)) // stays within MAX_DROPOUT
		case r < 0.006:
			ts += int64(rng.Int32()) // anywhere, forward or back
		}
		switch r := rng.Float64(); {
		case r < 0.3: // same frame
		case r < 0.95:
			ts += 3000
		default:
			ts += int64(rng.IntN(1 << 20))
		}
		p := invInPacket{e: e, ts: ts}
		e++
		srPackets++
		if rng.Float64() >= pLoss {
			at := step
			if rng.Float64() < pLate {
				at += 1 + rng.IntN(60)
			}
			queue = append(queue, flight{at, p})
			if rng.Float64() < pDup {
				queue = append(queue, flight{at + rng.IntN(40), p})
			}
		} else if rtxLinked && rng.Float64() < 0.5 {
			p.rtx = true
			queue = append(queue, flight{step + 1 + rng.IntN(200), p})
		}

		// Deliver what is due, in slot order.
		slices.SortStableFunc(queue, func(a, b flight) int { return a.at - b.at })
		n := 0
		for n < len(queue) && queue[n].at <= step {
			n++
		}
		due := queue[:n]
		for _, f := range due {
			if !m.accept(f.p.e, f.p.rtx) {
				continue
			}
			k.step(15 * time.Millisecond)
			payload := rng.IntN(1200)
			h := &rtpx.Header{
				PayloadType: 96, Sequence: uint16(f.p.e), Timestamp: uint32(f.p.ts), SSRC: 1,
				HeaderLen: 12 + 4*rng.IntN(6), PaddingLen: rng.IntN(3) * 4,
			}
			if f.p.rtx {
				h.SSRC, h.PayloadLen = 2, payload+2
				s.OnRTXPacket(inst(k.now), h, uint16(f.p.e))
				m.receive(f.p.e)
				m.bytes += uint64(payload)
				m.header += uint64(h.HeaderLen + h.PaddingLen + 2)
				m.rtxPackets++
				m.rtxBytes += uint64(payload)
			} else {
				h.PayloadLen = payload
				var mid []byte
				if rng.IntN(50) == 0 {
					mid = []byte{byte('0' + rng.IntN(3))}
				}
				s.OnPacket(inst(k.now), h, mid)
				if m.receive(f.p.e) {
					m.inOrder++
				}
				m.bytes += uint64(payload)
				m.header += uint64(h.HeaderLen + h.PaddingLen)
			}
			m.lastPacket = k.now
			prev = c.inbound(s, k.now, &m, cfg, rtxLinked, prev)
		}
		queue = queue[n:]

		// Feedback we send, and the sender's SRs: mostly in order, some
		// repeated or reordered, some with an NTP time of 0 or garbage.
		r := rng.Float64()
		switch {
		case r < 0.01:
			s.OnNACKSent()
			m.nack++
		case r < 0.015:
			s.OnPLISent()
			m.pli++
		case r < 0.02:
			s.OnFIRSent()
			m.fir++
		case r < 0.045:
			senderWall = senderWall.Add(time.Duration(rng.Int64N(int64(3 * time.Second))))
			ntp := rtpx.TimeToNTP(senderWall)
			switch rng.IntN(20) {
			case 0:
				ntp = 0
			case 1:
				ntp = rng.Uint64()
			}
			sr := [3]uint64{ntp, uint64(srPackets), uint64(srPackets) * 100}
			if len(oldSRs) > 0 && rng.IntN(5) == 0 {
				sr = oldSRs[rng.IntN(len(oldSRs))] // a repeat or a reordered one
			}
			oldSRs = append(oldSRs, sr)
			k.step(10 * time.Millisecond)
			if s.OnSenderReport(k.now, sr[0], uint32(sr[1]), uint32(sr[2])) {
				if m.srAccepted {
					m.srPackets += uint64(uint32(sr[1]) - m.lastSRCount)
				} else {
					m.srPackets = uint64(uint32(sr[1]))
				}
				m.srAccepted = true
				m.srReports++
				m.lastSRCount = uint32(sr[1])
			}
		}
		if r < 0.045 {
			prev = c.inbound(s, k.now, &m, cfg, rtxLinked, prev)
		}
	}
}

// inbound checks an Inbound snapshot against the model and the previous
// snapshot, and returns it.
func (c *invChecker) inbound(s *Inbound, now time.Time, m *invInModel, cfg InboundConfig, rtx bool, prev InboundSnapshot) InboundSnapshot {
	snap := s.Snapshot(now)
	in := snap.Inbound
	c.common(prev.Inbound, in)
	c.common(prev.Remote, snap.Remote)
	if *in.PacketsReceived != m.packets || *in.BytesReceived != m.bytes || *in.HeaderBytesReceived != m.header {
		c.failf("", "received %d/%d/%d, model %d/%d/%d", *in.PacketsReceived, *in.BytesReceived,
			*in.HeaderBytesReceived, m.packets, m.bytes, m.header)
	}
	if m.packets > 0 {
		// RFC 3550 A.3: received + lost = extended highest - base + 1.
		if got, want := int64(*in.PacketsReceived)+*in.PacketsLost, m.hi-m.lo+1; got != want {
			c.failf("", "packetsReceived %d + packetsLost %d = %d, expected %d (true numbers %d..%d)",
				*in.PacketsReceived, *in.PacketsLost, got, want, m.lo, m.hi)
		}
	}
	if *in.PacketsDuplicated != m.dups {
		c.failf("", "packetsDuplicated %d, model %d", *in.PacketsDuplicated, m.dups)
	}
	if *in.NACKCount != m.nack || (in.PLICount != nil && *in.PLICount != m.pli) || (in.FIRCount != nil && *in.FIRCount != m.fir) {
		c.failf("", "feedback counts")
	}
	if wantJitter := cfg.ClockRate > 0 && m.inOrder >= 2; (in.Jitter != nil) != wantJitter {
		c.failf("", "jitter present %v after %d in-order packets at %d Hz", in.Jitter != nil, m.inOrder, cfg.ClockRate)
	}
	if rtx {
		if in.RetransmittedPacketsReceived == nil || *in.RetransmittedPacketsReceived != m.rtxPackets ||
			*in.RetransmittedBytesReceived != m.rtxBytes {
			c.failf("", "retransmissions %v, model %d", in.RetransmittedPacketsReceived, m.rtxPackets)
		}
	}
	if m.packets > 0 && (in.LastPacketReceivedTimestamp == nil || *in.LastPacketReceivedTimestamp != rtpx.UnixMillis(m.lastPacket)) {
		c.failf("", "lastPacketReceivedTimestamp %v", in.LastPacketReceivedTimestamp)
	}
	if r := snap.Remote; (r != nil) != m.srAccepted {
		c.failf("", "remote-outbound present %v, SR accepted %v", r != nil, m.srAccepted)
	} else if r != nil {
		if *r.PacketsSent != m.srPackets || *r.ReportsSent != m.srReports || *in.RemoteID != r.ID || *r.LocalID != in.ID {
			c.failf("", "remote-outbound %d packets %d reports, model %d %d", *r.PacketsSent, *r.ReportsSent, m.srPackets, m.srReports)
		}
	}
	return snap
}

// sentSR is one of our SRs as the simulated receiver sees it.
type invSentSR struct {
	ntp     uint64
	sentAt  time.Time
	arrives time.Time // at the receiver
}

// invRRBlock is a report block in flight back to us.
type invRRBlock struct {
	rr       ReceptionReport
	arrives  time.Time
	srSent   time.Time     // the SR it echoes, zero if none
	netRTT   time.Duration // path delay there and back
	received uint64        // receiver's count when it wrote the block (duplicates included)
	ownBase  bool          // the receiver's first packet was our first
}

// runOutbound drives one Outbound with one random sequence and a simulated
// receiver answering with report blocks.
func runOutbound(c *invChecker, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0xbeef))
	clockRates := []uint32{0, 8000, 48000, 90000}
	cfg := OutboundConfig{
		ID: "OT", RemoteID: "RI", SSRC: 10, Kind: []string{"audio", "video"}[rng.IntN(2)],
		ClockRate: clockRates[rng.IntN(len(clockRates))],
	}
	if rng.IntN(2) == 0 {
		cfg.RTXSSRC = 11
	}
	if rng.IntN(3) == 0 {
		cfg.FECSSRC = 12
	}
	s := NewOutbound(cfg)
	k := newInvClock(rng)
	senderWall := k.now.Add(time.Duration(rng.Int64N(int64(24*time.Hour))) - 12*time.Hour)

	first := int64(rng.IntN(65536))
	if rng.IntN(2) == 0 {
		first = 65536 - int64(rng.IntN(300))
	}
	next := first
	var packets, bytes, header, rtxPackets, rtxBytes, fec uint64
	var nack, pli, fir uint32

	// The receiver: what it got of our primary stream.
	pLoss := rng.Float64() * 0.2
	var rFirst, rMax int64
	var rReceived uint64
	rStarted := false
	var srs []invSentSR  // the SRs the receiver gets
	var ours []time.Time // when each of our SRs left
	var inFlight []invRRBlock
	var lastDelivered *invRRBlock // the last block counted
	var lastExt int64
	c.peerLied = false
	delivered := uint64(0)
	var rtts uint64
	owd := func() time.Duration {
		switch r := rng.Float64(); {
		case r < 0.2:
			return 0 // a LAN on a coarse clock
		case r < 0.22:
			return time.Duration(rng.Int64N(int64(5 * time.Second)))
		default:
			return time.Duration(rng.Int64N(int64(150 * time.Millisecond)))
		}
	}

	var prev OutboundSnapshot
	for step := range invSteps {
		c.where = fmt.Sprintf("outbound seed %d step %d", seed, step)
		// Deliver the report blocks due before the next event, each at
		// its exact arrival time.
		nextAt := k.now
		k.step(20 * time.Millisecond)
		target := k.now
		k.now = nextAt
		slices.SortStableFunc(inFlight, func(a, b invRRBlock) int { return a.arrives.Compare(b.arrives) })
		for len(inFlight) > 0 && !inFlight[0].arrives.After(target) {
			b := inFlight[0]
			inFlight = inFlight[1:]
			if b.arrives.After(k.now) {
				k.now = b.arrives
			}
			res := s.OnReceptionReport(k.now, b.rr)
			delivered++
			// A block counts unless it is older than the last one counted:
			// its extended highest sequence number, read in our numbering
			// from its low 16 bits, is lower (RTCP reordered on the way).
			maxSent := next - 1
			ext := maxSent - int64(uint16(maxSent)-uint16(b.rr.ExtHighest))
			if lastDelivered == nil || ext >= lastExt {
				lastDelivered, lastExt = &b, ext
				c.peerLied = c.peerLied || b.netRTT < 0
			}
			if res == RTTMeasured {
				rtts++
				snap := s.Snapshot(k.now)
				rtt := time.Duration(*snap.Remote.RoundTripTime * float64(time.Second))
				if b.srSent.IsZero() || rtt < b.netRTT-time.Microsecond || rtt > b.netRTT+16*time.Microsecond {
					c.failf("", "roundTripTime %v for a path of %v (echoing the SR of %v)", rtt, b.netRTT, b.srSent)
				}
			} else if !b.srSent.IsZero() && b.netRTT > 0 && b.netRTT <= MaxPlausibleRTT-time.Second {
				// Only an SR that fell out of the history may go unmatched.
				i := slices.IndexFunc(ours, func(at time.Time) bool { return at.Equal(b.srSent) })
				if res != RTTUnmatched || len(ours)-i <= srHistoryLen {
					c.failf("", "block echoing our SR %d of %d (path %v) gave %v", i, len(ours), b.netRTT, res)
				}
			}
			prev = c.outbound(s, k.now, cfg, prev, delivered, rtts, lastDelivered)
		}
		k.now = target

		// Send: mostly the next packet, sometimes a retransmission (on
		// the RTX SSRC when there is one), FEC, or a foreign SSRC.
		payload := rng.IntN(1200)
		hdr := 12 + 4*rng.IntN(5)
		pad := rng.IntN(2) * 4
		switch r := rng.Float64(); {
		case r < 0.06 && next > first:
			osn := next - 1 - int64(rng.IntN(int(min(next-first, 500))))
			if cfg.RTXSSRC != 0 {
				s.OnPacket(inst(k.now), 11, uint16(rng.Uint32()), 97, hdr, payload+2, pad, nil)
				header += uint64(hdr + pad + 2)
			} else {
				s.OnPacket(inst(k.now), 10, uint16(osn), 96, hdr, payload, pad, nil)
				header += uint64(hdr + pad)
			}
			packets++
			bytes += uint64(payload)
			rtxPackets++
			rtxBytes += uint64(payload)
		case r < 0.08:
			if s.OnPacket(inst(k.now), 12, uint16(step), 98, hdr, payload, pad, nil) != (cfg.FECSSRC != 0) {
				c.failf("", "FEC packet accepted %v", cfg.FECSSRC != 0)
			}
			if cfg.FECSSRC != 0 {
				fec++
			}
		case r < 0.09:
			if s.OnPacket(inst(k.now), 99, 1, 96, hdr, payload, pad, nil) {
				c.failf("", "foreign SSRC accepted")
			}
		default:
			if rng.Float64() < 0.003 {
				next += int64(rng.IntN(2000)) // the sender skips numbers
			}
			e := next
			next++
			s.OnPacket(inst(k.now), 10, uint16(e), 96, hdr, payload, pad, nil)
			packets++
			bytes += uint64(payload)
			header += uint64(hdr + pad)
			if rng.Float64() >= pLoss {
				if !rStarted {
					rStarted, rFirst, rMax = true, e, e
				}
				rMax = max(rMax, e)
				rReceived++
			}
		}

		// Feedback about our stream.
		switch r := rng.Float64(); {
		case r < 0.01:
			s.OnNACK()
			nack++
		case r < 0.015:
			s.OnPLI()
			pli++
		case r < 0.02:
			s.OnFIR()
			fir++
		case r < 0.05:
			// Our SR: the sender's wall clock moves forward too.
			senderWall = senderWall.Add(time.Millisecond + time.Duration(rng.Int64N(int64(2*time.Second))))
			ntp := rtpx.TimeToNTP(senderWall)
			s.OnSenderReportSent(k.now, ntp)
			ours = append(ours, k.now)
			if rng.Float64() >= pLoss {
				srs = append(srs, invSentSR{ntp: ntp, sentAt: k.now, arrives: k.now.Add(owd())})
			}
		case r < 0.08 && rStarted:
			// The receiver reports at some time ahead of now.
			at := k.now.Add(time.Duration(rng.Int64N(int64(100 * time.Millisecond))))
			if k.coarse {
				at = at.Round(invCoarseTick)
			}
			b := invRRBlock{received: rReceived, ownBase: rFirst == first}
			// Its extended highest sequence number counts cycles from its
			// own first packet (RFC 3550 A.1).
			cycles := rFirst &^ 0xffff
			expected := rMax - rFirst + 1
			lost := max(min(expected-int64(rReceived), 0x7fffff), -0x800000)
			b.rr = ReceptionReport{
				FractionLost: uint8(rng.IntN(256)), TotalLost: uint32(lost) & 0xffffff,
				ExtHighest: uint32(rMax - cycles), Jitter: rng.Uint32N(100000),
			}
			// The newest SR it has by then.
			for _, sr := range slices.Backward(srs) {
				if !sr.arrives.After(at) {
					hold := at.Sub(sr.arrives)
					b.rr.LSR = rtpx.CompactNTP(sr.ntp)
					b.rr.DLSR = uint32(hold * 65536 / time.Second)
					back := owd()
					b.srSent = sr.sentAt
					b.netRTT = sr.arrives.Sub(sr.sentAt) + back
					b.arrives = at.Add(back)
					if b.rr.DLSR == 0 { // RFC 3550: DLSR 0 means no SR; nothing to measure
						b.srSent = time.Time{}
					}
					break
				}
			}
			if b.arrives.IsZero() {
				b.arrives = at.Add(owd())
			}
			if rng.IntN(30) == 0 { // garbage block
				b.rr = ReceptionReport{
					FractionLost: uint8(rng.Uint32()), TotalLost: rng.Uint32(), ExtHighest: rng.Uint32(),
					Jitter: rng.Uint32(), LSR: rng.Uint32(), DLSR: rng.Uint32(),
				}
				b.srSent, b.ownBase, b.received = time.Time{}, false, 0
				b.netRTT = -1
			}
			inFlight = append(inFlight, b)
		}

		prev = c.outbound(s, k.now, cfg, prev, delivered, rtts, lastDelivered)
		o := prev.Outbound
		if *o.PacketsSent != packets || *o.BytesSent != bytes || *o.HeaderBytesSent != header ||
			*o.RetransmittedPacketsSent != rtxPackets || *o.RetransmittedBytesSent != rtxBytes {
			c.failf("", "sent %d/%d/%d rtx %d/%d, model %d/%d/%d rtx %d/%d", *o.PacketsSent, *o.BytesSent, *o.HeaderBytesSent,
				*o.RetransmittedPacketsSent, *o.RetransmittedBytesSent, packets, bytes, header, rtxPackets, rtxBytes)
		}
		if *o.NACKCount != nack || (o.PLICount != nil && (*o.PLICount != pli || *o.FIRCount != fir)) {
			c.failf("", "feedback counts")
		}
		if (o.FECPacketsSent != nil) != (cfg.FECSSRC != 0) || (o.FECPacketsSent != nil && uint64(*o.FECPacketsSent) != fec) {
			c.failf("", "fecPacketsSent %v, model %d", o.FECPacketsSent, fec)
		}
	}
}

// outbound checks an Outbound snapshot against the previous one and the
// report blocks delivered so far, and returns it.
func (c *invChecker) outbound(s *Outbound, now time.Time, cfg OutboundConfig, prev OutboundSnapshot, delivered, rtts uint64, last *invRRBlock) OutboundSnapshot {
	snap := s.Snapshot(now)
	c.common(prev.Outbound, snap.Outbound)
	c.common(prev.Remote, snap.Remote)
	r := snap.Remote
	if (r != nil) != (delivered > 0) {
		c.failf("", "remote-inbound present %v after %d blocks", r != nil, delivered)
		return snap
	}
	if r == nil {
		return snap
	}
	if *r.ReportsReceived != delivered || *r.RoundTripTimeMeasurements != rtts || (r.RoundTripTime != nil) != (rtts > 0) {
		c.failf("", "reportsReceived %d rtts %d, model %d %d", *r.ReportsReceived, *r.RoundTripTimeMeasurements, delivered, rtts)
	}
	if *snap.Outbound.RemoteID != r.ID || *r.LocalID != snap.Outbound.ID {
		c.failf("", "ids do not pair")
	}
	if want := int64(rtpx.SignExtend24(last.rr.TotalLost)); *r.PacketsLost != want {
		c.failf("", "packetsLost %d, block says %d", *r.PacketsLost, want)
	}
	if cfg.ClockRate > 0 && *r.Jitter != float64(last.rr.Jitter)/float64(cfg.ClockRate) {
		c.failf("", "jitter %v", *r.Jitter)
	}
	// The receiver's own count, exact when its numbering starts at our
	// first packet; otherwise the block cannot say what its base was.
	switch {
	case last.netRTT < 0: // garbage
	case r.PacketsReceived == nil:
		c.failf("", "packetsReceived absent, receiver has %d", last.received)
	case *r.PacketsReceived == last.received:
	case last.ownBase:
		c.failf("", "packetsReceived %d, receiver has %d", *r.PacketsReceived, last.received)
	default:
		c.failf("remote-received-base", "packetsReceived %d, receiver has %d (its first packet was not our first)",
			*r.PacketsReceived, last.received)
	}
	return snap
}

// runInboundArbitrary drives an Inbound with numbering the model cannot
// follow: sources that restart at random numbers, strays, runs backwards,
// bursts of duplicates, retransmissions of any number, timestamps anywhere.
// Only the model-free invariants are checked, plus the packet count and
// RFC 3550 A.3's expected count being positive once a packet arrived.
func runInboundArbitrary(c *invChecker, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0xa5b1))
	cfg := InboundConfig{ID: "IT", RemoteID: "RO", SSRC: 1, Kind: "video", ClockRate: []uint32{0, 90000, 1}[rng.IntN(3)]}
	s := NewInbound(cfg)
	s.LinkRTX(2)
	k := newInvClock(rng)
	seq, ts := uint16(rng.Uint32()), rng.Uint32()
	var packets, dups uint64
	var prev InboundSnapshot
	for step := range invSteps {
		c.where = fmt.Sprintf("arbitrary inbound seed %d step %d", seed, step)
		switch r := rng.Float64(); {
		case r < 0.02:
			seq = uint16(rng.Uint32()) // restart, or a stray
		case r < 0.04:
			seq -= uint16(rng.IntN(3000))
		case r < 0.06:
			seq += uint16(rng.IntN(6000))
		case r < 0.10: // the same again
		default:
			seq++
		}
		if rng.IntN(10) == 0 {
			ts = rng.Uint32()
		} else {
			ts += uint32(rng.IntN(6000))
		}
		k.step(10 * time.Millisecond)
		h := &rtpx.Header{Sequence: seq, Timestamp: ts, SSRC: 1, HeaderLen: 12, PayloadLen: 2 + rng.IntN(100)}
		if rng.IntN(8) == 0 {
			h.SSRC = 2
			s.OnRTXPacket(inst(k.now), h, uint16(rng.Uint32()))
		} else {
			s.OnPacket(inst(k.now), h, nil)
		}
		packets++
		if rng.IntN(50) == 0 {
			k.step(time.Second)
			s.OnSenderReport(k.now, rng.Uint64(), rng.Uint32(), rng.Uint32())
		}
		snap := s.Snapshot(k.now)
		c.common(prev.Inbound, snap.Inbound)
		c.common(prev.Remote, snap.Remote)
		in := snap.Inbound
		if *in.PacketsReceived != packets || *in.PacketsDuplicated < dups || *in.PacketsDuplicated > packets {
			c.failf("", "received %d duplicated %d after %d packets", *in.PacketsReceived, *in.PacketsDuplicated, packets)
		}
		if int64(*in.PacketsReceived)+*in.PacketsLost < 1 {
			c.failf("", "expected count %d + %d < 1", *in.PacketsReceived, *in.PacketsLost)
		}
		dups = *in.PacketsDuplicated
		prev = snap
	}
}

func TestInvariantsInboundArbitrary(t *testing.T) {
	c := newInvChecker(t)
	for seed := range uint64(invSequences / 4 / invScale) {
		runInboundArbitrary(c, seed)
	}
	c.report()
}

func TestInvariantsInbound(t *testing.T) {
	c := newInvChecker(t)
	for seed := range uint64(invSequences / invScale) {
		runInbound(c, seed)
	}
	c.report()
}

func TestInvariantsOutbound(t *testing.T) {
	c := newInvChecker(t)
	for seed := range uint64(invSequences / invScale) {
		runOutbound(c, seed)
	}
	c.report()
}

// Regression tests for the collector bugs the property test found. The
// fixed ones run; the one still open is skipped until it is fixed (remove
// the t.Skip to reproduce it).

var invT0 = time.Unix(1700000000, 0)

// A round trip shorter than the clock's resolution (a LAN, or loopback, on
// a coarse clock) gave a sample of exactly 0: the SR left at t, the RR
// arrives at t+250 ms with DLSR = 0x4000 (250 ms). libwebrtc clamps RTT to
// 1 ms; the spec's roundTripTime estimates a positive time. Fixed: such a
// sample is rejected.
func TestInvariantRegressionZeroRTT(t *testing.T) {
	s := NewOutbound(OutboundConfig{ID: "OT", RemoteID: "RI", SSRC: 10, Kind: "audio", ClockRate: 48000})
	s.OnPacket(inst(invT0), 10, 1000, 111, 12, 100, 0, nil)
	ntp := rtpx.TimeToNTP(invT0)
	s.OnSenderReportSent(invT0, ntp)
	s.OnReceptionReport(invT0.Add(250*time.Millisecond), ReceptionReport{ExtHighest: 1000, LSR: rtpx.CompactNTP(ntp), DLSR: 0x4000})
	if r := s.Snapshot(invT0).Remote; r.RoundTripTime != nil && *r.RoundTripTime <= 0 {
		t.Fatalf("roundTripTime %v", *r.RoundTripTime)
	}
}

// Report blocks travel over UDP and can arrive out of order. A block older
// than the last one (lower extended highest sequence number) moved the
// cumulative remote-inbound packetsReceived back, from 100 to 51 here.
// Fixed: an older block changes no counter (its RTT sample still counts).
func TestInvariantRegressionStaleBlock(t *testing.T) {
	s := NewOutbound(OutboundConfig{ID: "OT", RemoteID: "RI", SSRC: 10, Kind: "audio", ClockRate: 48000})
	for i := range 100 {
		s.OnPacket(inst(invT0), 10, uint16(1000+i), 111, 12, 100, 0, nil)
	}
	s.OnReceptionReport(invT0.Add(time.Second), ReceptionReport{ExtHighest: 1099, Jitter: 48})
	before := *s.Snapshot(invT0).Remote
	s.OnReceptionReport(invT0.Add(time.Second+time.Millisecond), ReceptionReport{ExtHighest: 1050, TotalLost: 2, Jitter: 480}) // sent earlier
	after := *s.Snapshot(invT0).Remote
	if *after.PacketsReceived < *before.PacketsReceived || *after.PacketsLost != *before.PacketsLost || *after.Jitter != *before.Jitter {
		t.Fatalf("after an older block: packetsReceived %d -> %d, packetsLost %d -> %d, jitter %v -> %v",
			*before.PacketsReceived, *after.PacketsReceived, *before.PacketsLost, *after.PacketsLost, *before.Jitter, *after.Jitter)
	}
	if *after.ReportsReceived != 2 {
		t.Fatalf("reportsReceived %d", *after.ReportsReceived)
	}
}

// The receiver counts from its own first packet (RFC 3550 A.1: base_seq,
// cycles 0), which is not ours when our first packets are lost, e.g. before
// the receiver's SRTP context is ready. remote-inbound packetsReceived is
// computed as if the receiver's base were our first packet: with 1000 and
// 1001 lost, the receiver got 98 packets and reports ExtHighest 1099, lost
// 0, and we say 100. Across a wrap (our first packet 65535 lost, the
// receiver's cycles start after it) the value used to go absent; it is now
// present but over-counts the same way.
func TestKnownBugInvariantRemoteReceivedFromReceiverBase(t *testing.T) {
	t.Skip("known bug: remote-inbound packetsReceived = extended highest - our first sequence number + 1 - lost " +
		"assumes the receiver's base is our first packet, which report blocks do not carry; it over-counts by " +
		"the number of our first packets the receiver never got (reproducer: send 1000..1099, block " +
		"{ExtHighest: 1099, TotalLost: 0} from a receiver that got 1002..1099 gives 100, not 98); fix: leave " +
		"packetsReceived absent, as libwebrtc does for remote-inbound-rtp, or document it as an upper bound")
	s := NewOutbound(OutboundConfig{ID: "OT", RemoteID: "RI", SSRC: 10, Kind: "audio", ClockRate: 48000})
	for i := range 100 {
		s.OnPacket(inst(invT0), 10, uint16(1000+i), 111, 12, 100, 0, nil)
	}
	s.OnReceptionReport(invT0, ReceptionReport{ExtHighest: 1099}) // the receiver got 1002..1099
	if got := s.Snapshot(invT0).Remote.PacketsReceived; got != nil && *got != 98 {
		t.Errorf("packetsReceived %d, the receiver got 98", *got)
	}

	w := NewOutbound(OutboundConfig{ID: "OT", RemoteID: "RI", SSRC: 10, Kind: "audio", ClockRate: 48000})
	for i := range 100 {
		w.OnPacket(inst(invT0), 10, uint16(65535+i), 111, 12, 100, 0, nil)
	}
	w.OnReceptionReport(invT0, ReceptionReport{ExtHighest: 98}) // the receiver got 0..98, from cycle 0
	if got := w.Snapshot(invT0).Remote.PacketsReceived; got != nil && *got != 99 {
		t.Errorf("packetsReceived %d, the receiver got 99", *got)
	}
}

// OnRTXPacket took the original payload as PayloadLen-2 without checking
// that the RTX packet carries the 2-byte OSN: a padding-only RTX probe
// (PayloadLen 0) added uint64(-2) to the byte counters, which went back by
// 2 (100 to 98 here), or wrapped to about 1.8e19 from 0. Fixed: such a
// packet is ignored, as the interceptor already did.
func TestInvariantRegressionRTXShortPayload(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT", SSRC: 1, Kind: "video", ClockRate: 90000})
	s.LinkRTX(2)
	s.OnPacket(inst(invT0), &rtpx.Header{Sequence: 10, HeaderLen: 12, PayloadLen: 100}, nil)
	s.OnRTXPacket(inst(invT0), &rtpx.Header{SSRC: 2, Sequence: 1, HeaderLen: 12, PaddingLen: 200, PayloadLen: 0}, 9)
	if in := s.Snapshot(invT0).Inbound; *in.BytesReceived < 100 || *in.BytesReceived > 1<<40 {
		t.Fatalf("bytesReceived %d", *in.BytesReceived)
	}
}
