package rtcstats

import (
	"sync/atomic"
	"time"

	"github.com/rtcstats/rtcstats/report"
)

// EndedStats is the final state of an RTP stream that rtcstats stopped
// monitoring, in the spirit of the spec's statsended event: pion unbound
// it (its sender or receiver stopped, a renegotiation removed it, the
// PeerConnection closed) or a new stream took its SSRC. The objects leave
// later reports and their ids are never used again; a stream that reuses
// the SSRC gets new ids and counters from zero.
type EndedStats struct {
	// PeerConnectionID is the PeerConnection's ID().
	PeerConnectionID string
	// Report holds the stream's objects: an outbound-rtp with its
	// remote-inbound-rtp (once a report block came), or an inbound-rtp
	// with its remote-outbound-rtp (once an SR came) and csrc objects. transportId,
	// codecId and mid are those of the last GetStats that saw the stream
	// (absent if none did), so they may name objects not in Report.
	Report report.Report
}

// streamLinks are the members of a stream's objects that GetStats resolved
// last: kept for its EndedStats. They are values, not the report's
// pointers, so that a GetStats that finds them unchanged stores nothing.
type streamLinks struct {
	mid, transportID, codecID          string
	hasMid, hasTransportID, hasCodecID bool
}

// storeLinks records a stream's links in p unless p holds them already.
func storeLinks(p *atomic.Pointer[streamLinks], mid, transportID, codecID *string) {
	l := streamLinks{}
	l.mid, l.hasMid = deref(mid)
	l.transportID, l.hasTransportID = deref(transportID)
	l.codecID, l.hasCodecID = deref(codecID)
	if old := p.Load(); old != nil && *old == l {
		return
	}
	p.Store(new(l))
}

func deref(p *string) (string, bool) {
	if p == nil {
		return "", false
	}
	return *p, true
}

// pointers returns the links as report members, and whether any GetStats
// resolved them (l is not nil).
func (l *streamLinks) pointers() (mid, transportID, codecID *string, linked bool) {
	if l == nil {
		return nil, nil, nil, false
	}
	if l.hasMid {
		mid = new(l.mid)
	}
	if l.hasTransportID {
		transportID = new(l.transportID)
	}
	if l.hasCodecID {
		codecID = new(l.codecID)
	}
	return mid, transportID, codecID, true
}

// endOutbound reports an outgoing stream's final state to the WithStatsEnded
// callback. Call it before the stream's DSCP marks are unbound.
func (i *Interceptor) endOutbound(s *localStream, now time.Time) {
	cb := i.factory.cfg.statsEnded
	if cb == nil || s == nil {
		return
	}
	r := report.Report{}
	mid, tid, cid, linked := s.links.Load().pointers()
	addOutbound(r, s, s.col.Snapshot(now), mid, tid, cid, linked)
	cb(EndedStats{PeerConnectionID: i.pcID, Report: r})
}

// endInbound is endOutbound for an incoming stream. A stream pion never gave
// a track has no trackIdentifier and, as in GetStats, no object.
func (i *Interceptor) endInbound(s *remoteStream, now time.Time) {
	cb := i.factory.cfg.statsEnded
	if cb == nil || s == nil {
		return
	}
	snap := s.col.Snapshot(now)
	if snap.Inbound.TrackIdentifier == "" {
		return
	}
	r := report.Report{}
	mid, tid, cid, linked := s.links.Load().pointers()
	addInbound(r, s, snap, mid, tid, cid, linked)
	cb(EndedStats{PeerConnectionID: i.pcID, Report: r})
}
