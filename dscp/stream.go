package dscp

import (
	"strconv"
	"sync/atomic"
)

// ringSize is how many recent packets of an outgoing video stream keep
// their importance: enough to mark a retransmission like its original
// within pion's default NACK responder history (1024 packets).
const ringSize = 1024

const (
	markValid     = 1 << 16
	markImportant = 1 << 17
)

// Counts is the number of packets per DSCP (the index).
type Counts [64]atomic.Uint64

// add counts one packet with code point cp.
func (c *Counts) add(cp CodePoint) { c[cp&63].Add(1) }

// addTo adds the non-zero counters to m, keyed by decimal DSCP.
func (c *Counts) addTo(m map[string]uint64) {
	for i := range c {
		if v := c[i].Load(); v > 0 {
			m[strconv.Itoa(i)] += v
		}
	}
}

// Stream is one RTP stream as the socket layer sees it: the Table 1 cell
// its packets are marked from and its packets per DSCP in one direction.
// RTX and FEC streams are aliases of their primary: marked from its cell and
// counted into its totals (see PerDSCP).
type Stream struct {
	m    *Marker
	ssrc uint32
	dir  direction
	kind Kind

	// cell packs Cell{Important, Other} as important<<8 | other. It is
	// rewritten when the policy or the stream's track changes, so a change
	// takes effect on the next packet.
	cell    atomic.Uint32
	trackID atomic.Pointer[string]

	primary atomic.Pointer[Stream]
	aliases atomic.Pointer[[]*Stream] // copy on write

	// marks holds the importance of recent packets by sequence number
	// (seq | markValid | markImportant), written by the interceptor just
	// before the packet goes down to SRTP and the socket. nil unless video.
	marks *[ringSize]atomic.Uint32

	bound  atomic.Bool // false while only the socket has seen it (pending)
	counts Counts
}

type direction uint8

const (
	dirSent direction = iota
	dirReceived
)

func packCell(c Cell) uint32   { return uint32(c.Important)<<8 | uint32(c.Other) }
func unpackCell(v uint32) Cell { return Cell{Important: CodePoint(v >> 8), Other: CodePoint(v)} }

// SSRC returns the stream's SSRC (0 for a nil Stream).
func (s *Stream) SSRC() uint32 {
	if s == nil {
		return 0
	}
	return s.ssrc
}

// Cell returns the Table 1 cell the stream is marked from now (its primary's
// for an alias).
func (s *Stream) Cell() Cell {
	if s == nil {
		return Cell{}
	}
	if p := s.primary.Load(); p != nil {
		return unpackCell(p.cell.Load())
	}
	return unpackCell(s.cell.Load())
}

// Mark records whether the outgoing packet with this sequence number is
// important (part of a frame encoded without dependency on earlier frames,
// RFC 8837 §5). Call it before the packet is written. Streams other than
// video ignore it: their cells have one value.
func (s *Stream) Mark(seq uint16, important bool) {
	if s == nil || s.marks == nil {
		return
	}
	v := uint32(seq) | markValid
	if important {
		v |= markImportant
	}
	s.marks[seq%ringSize].Store(v)
}

// Important reports what Mark recorded for seq, if it is still known.
func (s *Stream) Important(seq uint16) (important, known bool) {
	if s == nil || s.marks == nil {
		return false, false
	}
	v := s.marks[seq%ringSize].Load()
	if v&markValid == 0 || uint16(v) != seq {
		return false, false
	}
	return v&markImportant != 0, true
}

// codePoint is the value of the packet with this sequence number.
func (s *Stream) codePoint(seq uint16) CodePoint {
	c := s.Cell()
	imp, _ := s.Important(seq)
	return c.For(imp)
}

// SetTrack tells which track the stream carries, for per-track priorities.
func (s *Stream) SetTrack(trackID string) {
	if s == nil {
		return
	}
	if old := s.trackID.Load(); old != nil && *old == trackID {
		return
	}
	s.trackID.Store(new(trackID)) // &trackID would allocate on every call
	s.m.recell(s)
}

func (s *Stream) track() string {
	if p := s.trackID.Load(); p != nil {
		return *p
	}
	return ""
}

// Link makes alias (an RTX or FEC stream) part of s: marked from s's cell
// and counted in s's PerDSCP.
func (s *Stream) Link(alias *Stream) {
	if s == nil || alias == nil || alias == s || alias.primary.Load() == s {
		return
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	alias.primary.Store(s)
	var next []*Stream
	if cur := s.aliases.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, alias)
	s.aliases.Store(&next)
}

// PerDSCP returns the packets of the stream and its aliases per DSCP, keyed
// by the DSCP as a decimal string, as perDscpPacketsSent and
// perDscpPacketsReceived are. Only DSCPs seen are present.
func (s *Stream) PerDSCP() map[string]uint64 {
	m := map[string]uint64{}
	if s == nil {
		return m
	}
	s.counts.addTo(m)
	if a := s.aliases.Load(); a != nil {
		for _, x := range *a {
			x.counts.addTo(m)
		}
	}
	return m
}
