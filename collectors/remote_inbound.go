package collectors

import (
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
	"github.com/rtcstats/rtcstats/report"
)

// remoteInbound is the remote receiver's view of a stream we send, from the
// report blocks of its RTCP RRs and SRs.
type remoteInbound struct {
	arrival         time.Time
	reports         uint64
	packetsLost     int64
	fractionLost    float64
	jitter          uint32
	packetsReceived uint64
	hasReceived     bool
	ext             int64 // last block's extended highest, in our numbering
	hasExt          bool
	rtt             time.Duration
	totalRTT        time.Duration
	rttCount        uint64
}

// snapshot fills b, a zeroed box.
func (r *remoteInbound) snapshot(cfg OutboundConfig, b *remoteInboundBox) *report.RemoteInboundRTPStreamStats {
	s := &b.s
	// Field by field into the fresh (zeroed) box: assigning a whole
	// struct value would copy every pointer slot of it through the write
	// barrier while the collector runs.
	s.Timestamp, s.Type, s.ID = rtpx.UnixMillis(r.arrival), report.TypeRemoteInboundRTP, cfg.RemoteID
	s.SSRC, s.Kind = cfg.SSRC, cfg.Kind
	b.packetsLost, s.PacketsLost = r.packetsLost, &b.packetsLost
	b.fractionLost, s.FractionLost = r.fractionLost, &b.fractionLost
	b.localID, s.LocalID = cfg.ID, &b.localID
	b.reports, s.ReportsReceived = r.reports, &b.reports
	// roundTripTimeMeasurements and totalRoundTripTime are cumulative
	// counters: 0 before the first sample. roundTripTime itself is absent
	// until measured, as the spec requires.
	b.rttCount, s.RoundTripTimeMeasurements = r.rttCount, &b.rttCount
	b.totalRTT, s.TotalRoundTripTime = r.totalRTT.Seconds(), &b.totalRTT
	if cfg.ClockRate > 0 {
		b.jitter, s.Jitter = float64(r.jitter)/float64(cfg.ClockRate), &b.jitter
	}
	if r.hasReceived {
		b.packetsReceived, s.PacketsReceived = r.packetsReceived, &b.packetsReceived
	}
	if r.rttCount > 0 {
		b.rtt, s.RoundTripTime = r.rtt.Seconds(), &b.rtt
	}
	return s
}

// remoteInboundBox is a remote-inbound-rtp object with the storage for its
// members, so that a snapshot allocates once (384 bytes).
type remoteInboundBox struct {
	s                                  report.RemoteInboundRTPStreamStats
	localID                            string
	packetsLost                        int64
	reports, rttCount, packetsReceived uint64
	fractionLost, totalRTT, jitter     float64
	rtt                                float64
}
