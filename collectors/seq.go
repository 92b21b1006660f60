package collectors

// dupWindow is how far back (in packets) duplicates are recognised. Packets
// older than that are counted as received but cannot be told from late ones.
const dupWindow = 1024

// RFC 3550 A.1 limits. A packet up to maxDropout-1 ahead of the highest
// sequence number is in order (the gap is loss), one less than maxMisorder
// behind it is late or duplicated, and anything else is a "very large
// jump": a stray packet, unless the next packet follows it, in which case the
// source is taken to have restarted its sequence numbering (two sequential
// packets, MIN_SEQUENTIAL = 2).
const (
	maxDropout  = 3000
	maxMisorder = 100
	seqMod      = 1 << 16
)

// seqResult classifies a packet the way RFC 3550 A.1 update_seq does.
type seqResult uint8

const (
	seqInOrder   seqResult = iota // advanced the highest sequence number
	seqLate                       // behind the highest, first copy seen
	seqDuplicate                  // behind the highest, already seen
	seqStray                      // a very large jump, not (yet) confirmed as a restart
	seqRestart                    // confirmed a restart: the stream re-based on this packet
)

// seqTracker keeps RFC 3550 A.1/A.3 reception state on extended sequence
// numbers, including A.1's restart detection.
//
// Loss is counted per epoch: the first packet starts one, and every
// confirmed restart starts another (A.1 init_seq: base and highest sequence
// number are the confirming packet). Within an epoch, expected is
// highest-base+1 as in A.3. A restart closes the epoch: its expected count
// moves to expectedPrior, so the loss measured in it stays counted and the
// jump itself is not counted as loss. Packets outside any epoch (a stray, the
// first packet of the pair that confirms a restart, a straggler of the old
// numbering after a restart) are added to expectedPrior too: the caller
// counts them as received, and A.1 does not let them change the loss, so
// each is expected once and received once.
type seqTracker struct {
	started       bool
	base          int64 // lowest extended sequence number of the epoch
	max           int64 // highest extended sequence number of the epoch
	expectedPrior int64 // expected in closed epochs, plus packets outside any epoch
	badSeq        uint16
	hasBad        bool // badSeq is armed (A.1 sets it to RTP_SEQ_MOD+1 otherwise)
	restarts      uint64
	seen          [dupWindow / 64]uint64
}

// receive records seq. mayRestart is false for sequence numbers that are
// known to refer back to earlier packets (the original sequence number of
// an RFC 4588 retransmission): they can neither arm nor confirm a restart,
// and are accepted as late up to dupWindow behind instead of maxMisorder.
func (s *seqTracker) receive(seq uint16, mayRestart bool) seqResult {
	if !s.started {
		s.started = true
		s.start(int64(seq))
		return seqInOrder
	}
	udelta := seq - uint16(s.max)
	switch {
	case udelta == 1: // the common case: the slot cleared and marked is one
		s.max++
		s.mark(s.max)
		return seqInOrder
	case udelta != 0 && udelta < maxDropout:
		ext := s.max + int64(udelta)
		s.clear(s.max+1, ext)
		s.max = ext
		s.mark(ext)
		return seqInOrder
	case udelta == 0 || udelta > seqMod-maxMisorder,
		!mayRestart && udelta > seqMod-dupWindow:
		return s.behind(s.max - int64(-udelta))
	}
	// A very large jump.
	if mayRestart && s.hasBad && seq == s.badSeq {
		s.restarts++
		s.expectedPrior += s.max - s.base + 1
		s.start(s.max + seqMod + int64(seq-uint16(s.max))) // any value ahead of the old epoch
		s.hasBad = false
		return seqRestart
	}
	if mayRestart {
		s.badSeq, s.hasBad = seq+1, true
	}
	s.expectedPrior++
	return seqStray
}

// next is receive's common case, small enough to inline: when seq is the
// next number, it records it, as receive would, and reports true.
func (s *seqTracker) next(seq uint16) bool {
	if seq != uint16(s.max)+1 || !s.started {
		return false
	}
	s.max++
	s.mark(s.max)
	return true
}

// start begins an epoch at ext.
func (s *seqTracker) start(ext int64) {
	s.base, s.max = ext, ext
	s.seen = [dupWindow / 64]uint64{}
	s.mark(ext)
}

// behind accounts a packet at or behind the highest sequence number.
func (s *seqTracker) behind(ext int64) seqResult {
	if ext < s.base {
		s.base = ext // a packet older than the first one: it was expected too
	}
	if s.max-ext >= dupWindow {
		return seqLate
	}
	if s.isMarked(ext) {
		return seqDuplicate
	}
	s.mark(ext)
	return seqLate
}

// expected is the RFC 3550 A.3 number of packets expected, summed over
// epochs, plus the packets outside any epoch (see seqTracker).
func (s *seqTracker) expected() int64 {
	if !s.started {
		return 0
	}
	return s.expectedPrior + s.max - s.base + 1
}

func (s *seqTracker) mark(ext int64) {
	i := uint64(ext) % dupWindow
	s.seen[i/64] |= 1 << (i % 64)
}

func (s *seqTracker) isMarked(ext int64) bool {
	i := uint64(ext) % dupWindow
	return s.seen[i/64]&(1<<(i%64)) != 0
}

// clear forgets the window slots that the range [from, to] reuses.
func (s *seqTracker) clear(from, to int64) {
	if to-from >= dupWindow {
		s.seen = [dupWindow / 64]uint64{}
		return
	}
	for e := from; e <= to; e++ {
		i := uint64(e) % dupWindow
		s.seen[i/64] &^= 1 << (i % 64)
	}
}
