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
	b := new(remoteInboundBox)
	v := &b.v
	s := &b.s
	*s = report.RemoteInboundRTPStreamStats{
		Base:            report.Base{Timestamp: rtpx.UnixMillis(r.arrival), Type: report.TypeRemoteInboundRTP, ID: cfg.RemoteID},
		SSRC:            cfg.SSRC,
		Kind:            cfg.Kind,
		PacketsLost:     v.int64(r.packetsLost),
		FractionLost:    v.float64(r.fractionLost),
		LocalID:         v.string(cfg.ID),
		ReportsReceived: v.uint64(r.reports),
		// roundTripTimeMeasurements and totalRoundTripTime are cumulative
		// counters: 0 before the first sample. roundTripTime itself is
		// absent until measured, as the spec requires.
		RoundTripTimeMeasurements: v.uint64(r.rttCount),
		TotalRoundTripTime:        v.float64(r.totalRTT.Seconds()),
	}
	if cfg.ClockRate > 0 {
		s.Jitter = v.float64(float64(r.jitter) / float64(cfg.ClockRate))
	}
	if r.hasReceived {
		s.PacketsReceived = v.uint64(r.packetsReceived)
	}
	if r.rttCount > 0 {
		s.RoundTripTime = v.float64(r.rtt.Seconds())
	}
	return s
}

// remoteInboundBox is a RemoteInboundRTPStreamStats object with the storage for its members, so that a
// snapshot allocates once.
type remoteInboundBox struct {
	s report.RemoteInboundRTPStreamStats
	v vals
}
