package collectors

import (
	"strconv"
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
	"github.com/rtcstats/rtcstats/report"
)

// MaxCSRCs is how many contributing sources one inbound stream keeps csrc
// objects for. A mixer names at most 15 per packet (RFC 3550 5.1), but the
// set changes as people join and leave; 64 covers a large conference while
// keeping the table a fixed size. Further contributors are refused and
// counted (CSRCTable.Refused), never tracked.
const MaxCSRCs = 64

// The open-addressing index has twice as many slots as MaxCSRCs, so a probe
// ends within a few slots even when the table is full.
const (
	csrcHashBits = 7
	csrcSlots    = 1 << csrcHashBits
)

// The index must stay at most half full, and entry numbers fit its bytes.
var _ [csrcSlots - 2*MaxCSRCs]struct{}

// CSRCConfig describes the inbound stream whose contributors a CSRCTable
// tracks.
type CSRCConfig struct {
	// InboundID is the id of the inbound-rtp object (inboundRtpStreamId).
	InboundID string
	// NewID returns the stats id for a contributor seen for the first
	// time. It is called once per contributor, under the caller's lock. If
	// nil, ids are InboundID + "-C" + a counter: unique and stable, and as
	// unguessable as InboundID.
	NewID func(csrc uint32) string
}

type csrcEntry struct {
	id       string
	csrc     uint32
	packets  uint32
	last     Instant
	level    uint8
	hasLevel bool // the newest packet counted had an RFC 6465 level for it
}

// CSRCTable keeps the contributing-source objects (stats type "csrc",
// RTCRtpContributingSourceStats, webrtc-provisional-stats; seed draft
// 7.11) of one inbound RTP stream: per contributor, packetsContributedTo
// (packets counted in packetsReceived whose CSRC list names it), audioLevel
// from the RFC 6465 mixer-to-client extension of the newest such packet,
// and a timestamp that is the time that packet was received.
//
// Entries stay for the life of the stream: the spec's counters are
// cumulative and it sets no expiry (the 10-second rule of webrtc-pc
// getContributingSources is not a stats rule). Storage is fixed; a packet
// allocates only when it brings a contributor seen for the first time (its
// id). No locking, no clock reads: the owner calls it under its own lock.
type CSRCTable struct {
	cfg     CSRCConfig
	n       int
	refused uint64
	entries [MaxCSRCs]csrcEntry
	index   [csrcSlots]uint8 // 1 + entry index; 0 is an empty slot
}

// NewCSRCTable creates the table for one inbound stream.
func NewCSRCTable(cfg CSRCConfig) *CSRCTable {
	return &CSRCTable{cfg: cfg}
}

// OnPacket counts one packet of the stream. pkt and h are the packet and
// its rtpx.ParseHeader result; levels is the payload of the RFC 6465
// extension element (Header.Extension), or nil when it is absent or not
// negotiated. Call it for each packet counted in packetsReceived.
func (t *CSRCTable) OnPacket(now Instant, pkt []byte, h *rtpx.Header, levels []byte) {
	n := int(h.CSRCCount)
outer:
	for i := range n {
		c, ok := h.CSRC(pkt, i)
		if !ok {
			return
		}
		// A malformed list may name a source twice; the packet counts once.
		for j := range i {
			if p, _ := h.CSRC(pkt, j); p == c {
				continue outer
			}
		}
		e := t.lookup(c)
		if e == nil {
			t.refused++
			continue
		}
		e.packets++
		e.last = now
		e.level, e.hasLevel = rtpx.CSRCAudioLevel(levels, i)
	}
}

// lookup finds or adds the entry of csrc; nil when the table is full.
func (t *CSRCTable) lookup(csrc uint32) *csrcEntry {
	slot := (csrc * 0x9e3779b1) >> (32 - csrcHashBits) // Fibonacci hashing
	for range csrcSlots {
		k := t.index[slot]
		if k == 0 {
			break
		}
		if e := &t.entries[k-1]; e.csrc == csrc {
			return e
		}
		slot = (slot + 1) % csrcSlots
	}
	if t.n == MaxCSRCs {
		return nil
	}
	e := &t.entries[t.n]
	t.n++
	t.index[slot] = uint8(t.n)
	e.csrc = csrc
	if t.cfg.NewID != nil {
		e.id = t.cfg.NewID(csrc)
	} else {
		e.id = t.cfg.InboundID + "-C" + strconv.Itoa(t.n)
	}
	return e
}

// Len is the number of contributors tracked.
func (t *CSRCTable) Len() int { return t.n }

// Refused counts CSRC-list entries of packets that were not counted because
// the table was full.
func (t *CSRCTable) Refused() uint64 { return t.refused }

// Snapshot returns a csrc object per contributor, in order of first
// appearance. now is the wall-clock time of the snapshot and at the same
// moment as an Instant: timestamps are wall-clock times derived from their
// monotonic distance to it, so a wall-clock step since the packet moves
// them with it.
func (t *CSRCTable) Snapshot(now time.Time, at Instant) []*report.ContributingSourceStats {
	if t.n == 0 {
		return nil
	}
	out := make([]*report.ContributingSourceStats, t.n)
	boxes := make([]csrcBox, t.n) // the objects with their members: one allocation
	for i := range t.n {
		e := &t.entries[i]
		b := &boxes[i]
		o := &b.o
		b.packets = e.packets
		o.Timestamp, o.Type, o.ID = wallMillis(now, at, e.last), report.TypeCSRC, e.id
		o.ContributorSSRC, o.InboundRTPStreamID = e.csrc, t.cfg.InboundID
		o.PacketsContributedTo = &b.packets
		if e.hasLevel {
			b.level = LinearAudioLevel(e.level)
			o.AudioLevel = &b.level
		}
		out[i] = o
	}
	return out
}

// csrcBox is a csrc object with the storage for its members.
type csrcBox struct {
	o       report.ContributingSourceStats
	packets uint32
	level   float64
}
