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

func (r *remoteInbound) snapshot(cfg OutboundConfig) *report.RemoteInboundRTPStreamStats {
	s := &report.RemoteInboundRTPStreamStats{
		Base:            report.Base{Timestamp: rtpx.UnixMillis(r.arrival), Type: report.TypeRemoteInboundRTP, ID: cfg.RemoteID},
		SSRC:            cfg.SSRC,
		Kind:            cfg.Kind,
		PacketsLost:     new(r.packetsLost),
		FractionLost:    new(r.fractionLost),
		LocalID:         new(cfg.ID),
		ReportsReceived: new(r.reports),
		// roundTripTimeMeasurements and totalRoundTripTime are cumulative
		// counters: 0 before the first sample. roundTripTime itself is
		// absent until measured, as the spec requires.
		RoundTripTimeMeasurements: new(r.rttCount),
		TotalRoundTripTime:        new(r.totalRTT.Seconds()),
	}
	if cfg.ClockRate > 0 {
		s.Jitter = new(float64(r.jitter) / float64(cfg.ClockRate))
	}
	if r.hasReceived {
		s.PacketsReceived = new(r.packetsReceived)
	}
	if r.rttCount > 0 {
		s.RoundTripTime = new(r.rtt.Seconds())
	}
	return s
}
