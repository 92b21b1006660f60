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

// snapshot fills b, a zeroed box.
func (r *remoteOutbound) snapshot(cfg InboundConfig, xr bool, b *remoteOutboundBox) *report.RemoteOutboundRTPStreamStats {
	s := &b.s
	// Field by field into the fresh box, as remoteInbound.snapshot does.
	s.Timestamp, s.Type, s.ID = rtpx.UnixMillis(r.arrival), report.TypeRemoteOutboundRTP, cfg.RemoteID
	s.SSRC, s.Kind = cfg.SSRC, cfg.Kind
	b.packets, s.PacketsSent = r.packets, &b.packets
	b.octets, s.BytesSent = r.octets, &b.octets
	b.localID, s.LocalID = cfg.ID, &b.localID
	b.reports, s.ReportsSent = r.reports, &b.reports
	// RFC 3550 6.4.1 lets a sender without a wallclock send NTP 0 or the
	// time since it started: that is not a time of day to report.
	if ms := rtpx.NTPToUnixMillis(r.ntp); r.ntp>>32 != 0 && ms > 0 {
		b.remoteTS, s.RemoteTimestamp = ms, &b.remoteTS
	}
	// The round-trip counters exist once we ask for round trips (our
	// RRTRs); roundTripTime only while the latest SR answered one.
	if xr {
		b.totalRTT, s.TotalRoundTripTime = r.totalRTT.Seconds(), &b.totalRTT
		b.rttCount, s.RoundTripTimeMeasurements = r.rttCount, &b.rttCount
	}
	if r.rttValid {
		b.rtt, s.RoundTripTime = r.rtt.Seconds(), &b.rtt
	}
	return s
}

// remoteOutboundBox is a remote-outbound-rtp object with the storage for
// its members, so that a snapshot allocates once (224 bytes).
type remoteOutboundBox struct {
	s                                  report.RemoteOutboundRTPStreamStats
	localID                            string
	packets, octets, reports, rttCount uint64
	remoteTS, totalRTT, rtt            float64
}
