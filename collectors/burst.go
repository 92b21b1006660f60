package collectors

import "time"

// BurstGmin is the gap threshold of RFC 3611 4.7.2, the value the
// webrtc-stats burst members are defined with ("[RFC3611] recommends a Gmin
// (threshold) value of 16").
const BurstGmin = 16

// BurstHold is how long a missing sequence number waits for a late or
// retransmitted copy before it counts as lost: longer than any reordering
// and than a NACK round trip or two on a usable path.
const BurstHold = time.Second

// burstWindow is how many sequence numbers can be waiting at once. A
// stream that runs this far ahead of a missing packet within BurstHold
// (over 500 packets/s) decides it early.
const burstWindow = 512

// burstGaps is how many runs of missing sequence numbers, each with the
// time it became due, can be waiting at once. With more (more than 64
// separate losses within BurstHold) the oldest run is decided early.
const burstGaps = 64

// BurstLoss measures the burst/gap loss metrics of one received RTP stream
// (seed draft 7.4, now webrtc-provisional-stats RTCReceivedRtpStreamStats):
// burstPacketsLost and burstLossCount (RFC 6958 Appendix A (c), (e)),
// burstLossRate and gapLossRate (RFC 7004 Appendix A (a), (b), as
// fractions rather than multiplied by 32768).
//
// Bursts and gaps are those of RFC 3611 4.7.2 with Gmin = 16: "a burst is
// ... the longest sequence that (a) starts with a lost or discarded packet,
// (b) does not contain any occurrences of Gmin or more consecutively
// received (and not discarded) packets, and (c) ends with a lost or
// discarded packet", and "any lost or discarded packets within the gap
// must be preceded and followed by at least Gmin packets that were
// received". So losses fewer than Gmin received packets apart belong to
// one burst, from its first loss to its last; a loss with Gmin received on
// both sides is an isolated loss in a gap, as in RFC 3611 A.2's state 4
// (the A.2 algorithm, which estimates Markov transition counts, is not
// used: the burst members want exact counts). As 4.7.2 assumes, the
// stream is taken to be preceded and followed by Gmin received packets,
// and so is the time of a snapshot: a loss cluster still open then is
// judged as if it had ended.
//
// Loss is decided on the sequence numbers (extended across wraps), not on
// arrival order. A missing sequence number becomes final as lost BurstHold
// after a later one arrived, or early when it falls burstWindow behind the
// highest or when burstGaps newer runs of missing numbers are waiting; a
// copy arriving before that (late, or an RFC 4588 retransmission's
// original sequence number) makes it received, one arriving after is
// counted by TooLate and changes nothing. So the metrics lag the stream by
// up to BurstHold. Discards are not measured (no jitter buffer at this
// layer): the discard members stay absent.
//
// Fixed-size state (under 0.6 KiB, TestTrackerSizes), no allocation, no
// clock reads: times are passed in (monotonic) and the owner calls it
// under its own lock. Missing numbers become due in runs (all those a
// packet skips over, at its arrival), so a due time is kept per run, not
// per number.
type BurstLoss struct {
	base    Instant
	max     int64 // highest extended sequence number
	next    int64 // lowest sequence number not yet final
	tooLate uint64
	m       burstMachine
	recv    [burstWindow / 64]uint64
	// The runs of missing numbers not yet final, oldest first, a ring:
	// the low 16 bits of each run's last number (it lies within the
	// window, between next and max) and the ms after base when its
	// numbers became due.
	gapEnd        [burstGaps]uint16
	gapAt         [burstGaps]uint32
	gapHead, gapN uint8
	started       bool
}

// Receive accounts a packet with sequence number seq that arrived at now.
// Call it for packets RFC 3550 A.1 accepts (in order, late, duplicate:
// seqTracker's seqInOrder, seqLate and seqDuplicate) and for the original
// sequence numbers of retransmissions, not for strays; call Restart before
// the packet that confirms a restart.
func (b *BurstLoss) Receive(now Instant, seq uint16) {
	if !b.started {
		b.started = true
		b.base = now
		b.max, b.next = int64(seq), int64(seq)
		b.recv = [burstWindow / 64]uint64{}
		b.gapN = 0
		b.mark(b.max)
		return
	}
	ext := b.max + int64(int16(seq-uint16(b.max)))
	if ext == b.max+1 && b.next == ext && b.gapN == 0 {
		// The common case, the next number with nothing waiting: it is
		// decided, received, at once.
		b.mark(ext)
		b.max, b.next = ext, ext+1
		b.m.received(1)
		return
	}
	t := b.ms(now)
	switch {
	case ext > b.max:
		if ext-b.next >= burstWindow {
			b.finalUpTo(ext - burstWindow)
		}
		from := max(b.max+1, b.next)
		for s := from; s < ext; s++ {
			b.unmark(s)
		}
		if from < ext {
			b.addGap(ext-1, b.msUp(now))
		}
		b.mark(ext)
		b.max = ext
	case ext < b.next:
		// Decided already: a duplicate of a received packet (its mark is
		// still in the window) changes nothing; a copy of a lost one comes
		// too late to change it.
		if b.max-ext >= burstWindow || !b.received(ext) {
			b.tooLate++
		}
	default:
		b.mark(ext)
	}
	b.expire(t)
}

// receiveNext is Receive's common case, small enough to inline: when seq is
// the next number with nothing waiting and no burst open, it is decided,
// received, at once; receiveNext does that and reports true.
func (b *BurstLoss) receiveNext(seq uint16) bool {
	ext := b.max + 1
	if seq != uint16(ext) || b.next != ext || b.gapN != 0 || b.m.open || !b.started {
		return false
	}
	b.mark(ext)
	b.max, b.next = ext, ext+1
	b.m.totalExpected++
	return true
}

// Restart ends the current sequence numbering (RFC 3550 A.1 restart): what
// is still undecided is decided now (missing = lost), the stream is taken
// to have ended there, and the next Receive starts afresh.
func (b *BurstLoss) Restart() {
	if b.started {
		b.finalUpTo(b.max)
		b.m.close()
	}
	b.started = false
}

// addGap records that the missing numbers up to last, above the current
// highest, became due at t. With the ring full the oldest run is decided
// now.
func (b *BurstLoss) addGap(last int64, t uint32) {
	if b.gapN == burstGaps {
		b.finalUpTo(b.gapLast(b.gapHead))
	}
	i := (b.gapHead + b.gapN) % burstGaps
	b.gapEnd[i], b.gapAt[i] = uint16(last), t
	b.gapN++
}

// gapLast returns the extended last number of run i: it is not below next
// and not above max (or just above it while being added), well within the
// 16-bit range.
func (b *BurstLoss) gapLast(i uint8) int64 {
	return b.max + int64(int16(b.gapEnd[i]-uint16(b.max)))
}

// dropDecided forgets the runs next has passed.
func (b *BurstLoss) dropDecided() {
	for b.gapN > 0 && b.gapLast(b.gapHead) < b.next {
		b.gapHead = (b.gapHead + 1) % burstGaps
		b.gapN--
	}
}

// finalUpTo decides every sequence number up to and including end, which
// may lie beyond the highest: those were never received.
func (b *BurstLoss) finalUpTo(end int64) {
	for ; b.next <= end && b.next <= b.max; b.next++ {
		b.decide(b.received(b.next))
	}
	if b.next <= end {
		b.m.lost(uint64(end - b.next + 1))
		b.next = end + 1
	}
	b.dropDecided()
}

// expire decides, in order, the received numbers and those missing for
// BurstHold, stopping at the first that must wait.
func (b *BurstLoss) expire(t uint32) {
	hold := int32(BurstHold / time.Millisecond)
	for ; b.next <= b.max; b.next++ {
		if !b.received(b.next) {
			b.dropDecided()
			// Every missing number is in a run; the oldest run left
			// holds next.
			if b.gapN > 0 && int32(t-b.gapAt[b.gapHead]) < hold {
				return
			}
		}
		b.decide(b.received(b.next))
	}
	b.dropDecided()
}

func (b *BurstLoss) decide(received bool) {
	if received {
		b.m.received(1)
	} else {
		b.m.lost(1)
	}
}

// ms is now in whole milliseconds after the first packet, modulo 2^32 (49
// days; only differences of less than 24 days are taken, as int32). Times
// may come out of order: packets of the RTX and the media stream are
// stamped on their own goroutines, and a snapshot's now is read before the
// stream's lock, so packets stamped after it may be accounted before it.
// The int32 differences keep such times in order: an earlier one only
// decides less. A time before the first packet counts as the first
// packet's.
func (b *BurstLoss) ms(now Instant) uint32 {
	return uint32(max(now-b.base, 0) / Instant(time.Millisecond))
}

// msUp is ms rounded up, for due times: with now rounded down, a number is
// decided no earlier than BurstHold after it became due.
func (b *BurstLoss) msUp(now Instant) uint32 {
	return uint32((max(now-b.base, 0) + Instant(time.Millisecond) - 1) / Instant(time.Millisecond))
}

func (b *BurstLoss) mark(ext int64) {
	i := uint64(ext) % burstWindow
	b.recv[i/64] |= 1 << (i % 64)
}

func (b *BurstLoss) unmark(ext int64) {
	i := uint64(ext) % burstWindow
	b.recv[i/64] &^= 1 << (i % 64)
}

func (b *BurstLoss) received(ext int64) bool {
	i := uint64(ext) % burstWindow
	return b.recv[i/64]&(1<<(i%64)) != 0
}

// BurstSnapshot holds the burst/gap values of a BurstLoss as of a time.
// While Expected is 0 nothing has been decided and the rates must stay
// absent; the counters are then 0, which is true.
type BurstSnapshot struct {
	Expected         uint64  // sequence numbers decided
	Lost             uint64  // of those, lost
	BurstPacketsLost uint64  // burstPacketsLost
	BurstLossCount   uint32  // burstLossCount
	BurstLossRate    float64 // burstLossRate: lost / expected within bursts, 0 without bursts
	GapLossRate      float64 // gapLossRate: lost / expected within gaps, 0 without gaps
	Pending          int     // sequence numbers not yet decided
	TooLate          uint64  // copies that arrived after their number was decided lost (or out of memory)
}

// Snapshot decides what BurstHold allows as of now and returns the
// metrics, an open loss cluster judged as if it ended here. A number that
// became due less than BurstHold before now is still pending, so a
// snapshot taken right after a stream's last loss lacks that loss (and
// counts its burst without it) until BurstHold has passed.
func (b *BurstLoss) Snapshot(now Instant) BurstSnapshot {
	if b.started {
		b.expire(b.ms(now))
	}
	m := b.m
	m.close()
	s := BurstSnapshot{
		Expected:         m.totalExpected,
		Lost:             m.totalLost,
		BurstPacketsLost: m.burstLost,
		BurstLossCount:   m.bursts,
		TooLate:          b.tooLate,
	}
	if b.started {
		s.Pending = int(b.max - b.next + 1)
	}
	if m.burstExpected > 0 {
		s.BurstLossRate = float64(m.burstLost) / float64(m.burstExpected)
	}
	if gap := m.totalExpected - m.burstExpected; gap > 0 {
		s.GapLossRate = float64(m.totalLost-m.burstLost) / float64(gap)
	}
	return s
}

// burstMachine classifies decided sequence numbers, in order, into bursts
// and gaps. A loss cluster is open from a loss until Gmin packets in a row
// are received; losses meeting an open cluster join it. A closed cluster
// with two or more losses was a burst, from its first loss to its last; a
// single loss was an isolated loss in a gap.
type burstMachine struct {
	open          bool
	sinceLoss     uint64 // received since the cluster's last loss
	clusterLost   uint64
	clusterLen    uint64 // first loss to last loss, inclusive
	bursts        uint32
	burstLost     uint64
	burstExpected uint64
	totalLost     uint64
	totalExpected uint64
}

func (m *burstMachine) received(n uint64) {
	m.totalExpected += n
	if !m.open {
		return
	}
	m.sinceLoss += n
	if m.sinceLoss >= BurstGmin {
		m.close()
	}
}

// lost accounts n consecutive losses.
func (m *burstMachine) lost(n uint64) {
	m.totalExpected += n
	m.totalLost += n
	if m.open {
		m.clusterLen += m.sinceLoss + n
		m.clusterLost += n
	} else {
		m.open, m.clusterLost, m.clusterLen = true, n, n
	}
	m.sinceLoss = 0
}

func (m *burstMachine) close() {
	if m.open && m.clusterLost >= 2 {
		m.bursts++
		m.burstLost += m.clusterLost
		m.burstExpected += m.clusterLen
	}
	m.open = false
}
