package collectors

import "github.com/rtcstats/rtcstats/internal/rtpx"

// dupWindow is how far back (in packets) duplicates are recognised. Packets
// older than that are counted as received but cannot be told from late ones.
const dupWindow = 1024

// seqTracker keeps RFC 3550 A.3 reception state on extended sequence numbers.
type seqTracker struct {
	unwrap  rtpx.SeqUnwrapper
	started bool
	base    int64 // lowest extended sequence number received
	max     int64 // highest extended sequence number received
	seen    [dupWindow / 64]uint64
}

// receive records ext and reports whether it advanced the highest sequence
// number (an in-order packet) and whether it was a duplicate.
func (s *seqTracker) receive(seq uint16) (ext int64, inOrder, duplicate bool) {
	ext = s.unwrap.Unwrap(seq)
	if !s.started {
		s.started = true
		s.base, s.max = ext, ext
		s.mark(ext)
		return ext, true, false
	}
	if ext > s.max {
		s.clear(s.max+1, ext)
		s.max = ext
		s.mark(ext)
		return ext, true, false
	}
	if ext < s.base {
		s.base = ext // a packet older than the first one: it was expected too
	}
	if s.max-ext >= dupWindow {
		return ext, false, false
	}
	if s.isMarked(ext) {
		return ext, false, true
	}
	s.mark(ext)
	return ext, false, false
}

// expected is the RFC 3550 A.3 number of packets expected.
func (s *seqTracker) expected() int64 {
	if !s.started {
		return 0
	}
	return s.max - s.base + 1
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
