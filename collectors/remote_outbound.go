package collectors

import (
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
	"github.com/rtcstats/rtcstats/report"
)

// remoteOutbound is the remote sender's view of a stream we receive, from
// its RTCP Sender Reports (RFC 3550 6.4.1).
type remoteOutbound struct {
	arrival time.Time // wall-clock arrival of the last SR
	ntp     uint64    // NTP timestamp of the last SR
	// The SR's packet and octet counts are 32-bit and wrap; they are
	// extended here so that long calls do not report truncated counters.
	lastPackets, lastOctets uint32
	packets, octets         uint64
	reports                 uint64
	// Round trips from the DLRR blocks answering our RRTRs (see xr.go).
	rtt      time.Duration
	rttValid bool // the latest SR carried a usable DLRR
	totalRTT time.Duration
	rttCount uint64
}

func (r *remoteOutbound) onSenderReport(now time.Time, ntp uint64, packetCount, octetCount uint32) bool {
	if r.reports > 0 {
		// A reordered or repeated SR is recognised by its packet count,
		// which the sender only ever increases (modulo 2^32), not by its
		// NTP time: the sender's wall clock may be stepped back, and its
		// later SRs are then older by NTP but still newer. Only when no
		// packet was sent in between does the NTP time decide.
		d := int32(packetCount - r.lastPackets)
		if d < 0 || (d == 0 && ntp <= r.ntp) { // keep the newer state
			return false
		}
		r.packets += uint64(packetCount - r.lastPackets)
		r.octets += uint64(octetCount - r.lastOctets)
	} else {
		r.packets, r.octets = uint64(packetCount), uint64(octetCount)
	}
	r.lastPackets, r.lastOctets = packetCount, octetCount
	r.ntp = ntp
	r.arrival = now
	r.reports++
	r.rttValid = false // until a DLRR answers in this SR's compound packet
	return true
}

func (r *remoteOutbound) snapshot(cfg InboundConfig, xr bool) *report.RemoteOutboundRTPStreamStats {
	b := new(remoteOutboundBox)
	v := &b.v
	s := &b.s
	*s = report.RemoteOutboundRTPStreamStats{
		Base:        report.Base{Timestamp: rtpx.UnixMillis(r.arrival), Type: report.TypeRemoteOutboundRTP, ID: cfg.RemoteID},
		SSRC:        cfg.SSRC,
		Kind:        cfg.Kind,
		PacketsSent: v.uint64(r.packets),
		BytesSent:   v.uint64(r.octets),
		LocalID:     v.string(cfg.ID),
		ReportsSent: v.uint64(r.reports),
	}
	// RFC 3550 6.4.1 lets a sender without a wallclock send NTP 0 or the
	// time since it started: that is not a time of day to report.
	if ms := rtpx.NTPToUnixMillis(r.ntp); r.ntp>>32 != 0 && ms > 0 {
		s.RemoteTimestamp = v.float64(ms)
	}
	// The round-trip counters exist once we ask for round trips (our
	// RRTRs); roundTripTime only while the latest SR answered one.
	if xr {
		s.TotalRoundTripTime = v.float64(r.totalRTT.Seconds())
		s.RoundTripTimeMeasurements = v.uint64(r.rttCount)
	}
	if r.rttValid {
		s.RoundTripTime = v.float64(r.rtt.Seconds())
	}
	return s
}

// remoteOutboundBox is a RemoteOutboundRTPStreamStats object with the storage for its members, so that a
// snapshot allocates once.
type remoteOutboundBox struct {
	s report.RemoteOutboundRTPStreamStats
	v vals
}
