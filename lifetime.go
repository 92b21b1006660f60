package rtcstats

import (
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
// last: kept for its EndedStats.
type streamLinks struct {
	mid, transportID, codecID *string
}

// endOutbound reports an outgoing stream's final state to the WithStatsEnded
// callback. Call it before the stream's DSCP marks are unbound.
func (i *Interceptor) endOutbound(s *localStream, now time.Time) {
	cb := i.factory.cfg.statsEnded
	if cb == nil || s == nil {
		return
	}
	snap := s.col.Snapshot(now)
	o := snap.Outbound
	if l := s.links.Load(); l != nil {
		if o.Mid == nil {
			o.Mid = l.mid
		}
		o.TransportID, o.CodecID = l.transportID, l.codecID
	}
	if s.marks != nil {
		o.PerDSCPPacketsSent = s.marks.primary.PerDSCP()
	}
	r := report.Report{o.ID: o}
	if ri := snap.Remote; ri != nil {
		ri.TransportID, ri.CodecID = o.TransportID, o.CodecID
		r[ri.ID] = ri
	}
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
	in := snap.Inbound
	if in.TrackIdentifier == "" {
		return
	}
	if l := s.links.Load(); l != nil {
		if in.Mid == nil {
			in.Mid = l.mid
		}
		in.TransportID, in.CodecID = l.transportID, l.codecID
	}
	if s.marks != nil {
		in.PerDSCPPacketsReceived = s.marks.PerDSCP()
	}
	r := report.Report{in.ID: in}
	for _, c := range snap.CSRCs {
		r[c.ID] = c
	}
	if ro := snap.Remote; ro != nil {
		ro.TransportID, ro.CodecID = in.TransportID, in.CodecID
		r[ro.ID] = ro
	}
	cb(EndedStats{PeerConnectionID: i.pcID, Report: r})
}
