package dashboard

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/rtcstats/rtcstats/dscp"
	"github.com/rtcstats/rtcstats/report"
)

// Units of the series, for the page to format.
const (
	unitBitrate = "bps"
	unitPackets = "packets"
	unitRate    = "pkt/s"
	unitMsgRate = "msg/s"
	unitSeconds = "s"
	unitRatio   = "ratio"
)

// sample is one series' value over the newest interval; nil when Delta
// could not compute it (the page shows a gap, never a made-up 0).
type sample struct {
	chart, unit, label string
	v                  *float64
}

// samples returns the chart values of object s, stored under id, over the
// interval iv from report prev, in display order, and whether the object
// has an interval at all (it was in prev too).
func samples(prev report.Report, iv report.Interval, id string, s report.Stats) ([]sample, bool) {
	var out []sample
	add := func(chart, unit, label string, v *float64) {
		out = append(out, sample{chart, unit, label, v})
	}
	switch c := s.(type) {
	case *report.OutboundRTPStreamStats:
		o, ok := iv.Outbound[id]
		if !ok {
			return nil, false
		}
		add("bitrate", unitBitrate, "payload", o.Bitrate)
		add("bitrate", unitBitrate, "header", o.HeaderBitrate)
		add("bitrate", unitBitrate, "retransmitted", o.RetransmittedBitrate)
		add("packet rate", unitRate, "sent", o.PacketRate)
		add("packet rate", unitRate, "retransmitted", o.RetransmittedPacketRate)
		out = perDSCP(out, "per-DSCP packet rate", "", o.PerDSCPPacketRate)
	case *report.InboundRTPStreamStats:
		in, ok := iv.Inbound[id]
		if !ok {
			return nil, false
		}
		add("bitrate", unitBitrate, "payload", in.Bitrate)
		add("bitrate", unitBitrate, "header", in.HeaderBitrate)
		add("packet rate", unitRate, "received", in.PacketRate)
		add("packets lost", unitPackets, "lost in interval", float(in.PacketsLost))
		add("fraction lost", unitRatio, "lost/expected", in.FractionLost)
		add("jitter", unitSeconds, "jitter", in.Jitter)
		out = perDSCP(out, "per-DSCP packet rate", "", in.PerDSCPPacketRate)
	case *report.RemoteInboundRTPStreamStats:
		ri, ok := iv.RemoteInbound[id]
		if !ok {
			return nil, false
		}
		frac := ri.FractionLost
		if p, ok := report.Lookup[*report.RemoteInboundRTPStreamStats](prev, id); ok && !newReceiverReport(p, c) {
			// Δsent against an unchanged remote view is not loss: the
			// receiver has not reported since (at the start, 100 %).
			frac = nil
		}
		add("round-trip time", unitSeconds, "mean of new measurements", ri.RoundTripTime)
		add("packets lost", unitPackets, "lost in interval", float(ri.PacketsLost))
		add("fraction lost", unitRatio, "(sent-received)/sent", frac)
		add("fraction lost", unitRatio, "fractionLost of the last report", c.FractionLost)
		add("jitter", unitSeconds, "jitter", ri.Jitter)
	case *report.RemoteOutboundRTPStreamStats:
		ro, ok := iv.RemoteOutbound[id]
		if !ok {
			return nil, false
		}
		add("bitrate", unitBitrate, "sent", ro.Bitrate)
		add("packet rate", unitRate, "sent", ro.PacketRate)
		add("round-trip time", unitSeconds, "mean of new measurements", ro.RoundTripTime)
	case *report.ICECandidatePairStats:
		cp, ok := iv.CandidatePairs[id]
		if !ok {
			return nil, false
		}
		add("bitrate", unitBitrate, "sent", cp.SendBitrate)
		add("bitrate", unitBitrate, "received", cp.ReceiveBitrate)
		add("packet rate", unitRate, "sent", cp.SendPacketRate)
		add("packet rate", unitRate, "received", cp.ReceivePacketRate)
		// Not an interval metric: the pair's own latest STUN RTT.
		add("round-trip time", unitSeconds, "currentRoundTripTime", c.CurrentRoundTripTime)
	case *report.TransportStats:
		t, ok := iv.Transports[id]
		if !ok {
			return nil, false
		}
		add("bitrate", unitBitrate, "sent", t.SendBitrate)
		add("bitrate", unitBitrate, "received", t.ReceiveBitrate)
		add("packet rate", unitRate, "sent", t.SendPacketRate)
		add("packet rate", unitRate, "received", t.ReceivePacketRate)
		const chart = "per-DSCP packet rate, not RTP"
		out = perDSCP(out, chart, "RTCP sent ", t.PerDSCPRTCPSendPacketRate)
		out = perDSCP(out, chart, "RTCP received ", t.PerDSCPRTCPReceivePacketRate)
		out = perDSCP(out, chart, "SCTP sent ", t.PerDSCPSCTPSendPacketRate)
		out = perDSCP(out, chart, "SCTP received ", t.PerDSCPSCTPReceivePacketRate)
		out = perDSCP(out, chart, "DTLS sent ", t.PerDSCPDTLSSendPacketRate)
		out = perDSCP(out, chart, "DTLS received ", t.PerDSCPDTLSReceivePacketRate)
		out = perDSCP(out, chart, "STUN sent ", t.PerDSCPSTUNSendPacketRate)
		out = perDSCP(out, chart, "STUN received ", t.PerDSCPSTUNReceivePacketRate)
	case *report.DataChannelStats:
		dc, ok := iv.DataChannels[id]
		if !ok {
			return nil, false
		}
		add("bitrate", unitBitrate, "sent", dc.SendBitrate)
		add("bitrate", unitBitrate, "received", dc.ReceiveBitrate)
		add("message rate", unitMsgRate, "sent", dc.MessagesSentRate)
		add("message rate", unitMsgRate, "received", dc.MessagesReceivedRate)
	default:
		return nil, false
	}
	return out, true
}

// newReceiverReport tells whether the remote receiver reported between the
// two samples: by reportsReceived when both have it, else by a change of
// its cumulative counts (an RTCP receiver report that counts nothing new
// cannot change the interval's loss either).
func newReceiverReport(p, c *report.RemoteInboundRTPStreamStats) bool {
	if p.ReportsReceived != nil && c.ReportsReceived != nil {
		return *c.ReportsReceived != *p.ReportsReceived
	}
	if p.PacketsReceived == nil || c.PacketsReceived == nil || p.PacketsLost == nil || c.PacketsLost == nil {
		return true // cannot tell: leave Delta's value
	}
	return *c.PacketsReceived != *p.PacketsReceived || *c.PacketsLost != *p.PacketsLost
}

func float(v *int64) *float64 {
	if v == nil {
		return nil
	}
	f := float64(*v)
	return &f
}

// perDSCP adds one series per DSCP key of m, in numeric order. A nil m (the
// member is absent) adds nothing, so existing series show a gap.
func perDSCP(out []sample, chart, prefix string, m map[string]float64) []sample {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		x, errX := strconv.Atoi(a)
		y, errY := strconv.Atoi(b)
		if errX == nil && errY == nil && x != y {
			return x - y
		}
		return cmp.Compare(a, b)
	})
	for _, k := range keys {
		v := m[k]
		out = append(out, sample{chart, unitRate, prefix + dscpLabel(k), &v})
	}
	return out
}

// dscpLabel names a decimal DSCP key: "EF (46)", or the key as is.
func dscpLabel(k string) string {
	n, err := strconv.Atoi(k)
	if err != nil || n < 0 || !dscp.CodePoint(n).Valid() {
		return k
	}
	name := dscp.CodePoint(n).String()
	if name == k {
		return k
	}
	return name + " (" + k + ")"
}

// window is one object's newest points: a time axis (report timestamps, ms
// since the epoch) and its series aligned to it.
type window struct {
	times  []float64
	series []*series // in order of first appearance
}

// series is one line of a chart. NaN marks an interval without a value.
type series struct {
	chart, unit, label string
	values             []float64
}

// add appends the point at time t, keeping the newest limit points. A time
// not after the last one (a report pushed twice, a clock step) is ignored.
func (w *window) add(t float64, ss []sample, limit int) {
	if n := len(w.times); n > 0 && t <= w.times[n-1] {
		return
	}
	w.times = append(w.times, t)
	n := len(w.times)
	for _, s := range ss {
		sr := w.find(s.chart, s.label)
		if sr == nil && s.v == nil {
			continue // never measured: no series at all, rather than an empty one
		}
		if sr == nil {
			sr = &series{chart: s.chart, unit: s.unit, label: s.label, values: make([]float64, n-1, n)}
			for i := range sr.values {
				sr.values[i] = math.NaN()
			}
			w.series = append(w.series, sr)
		}
		if len(sr.values) == n {
			continue // the same label twice in one report: keep the first
		}
		v := math.NaN()
		if s.v != nil && !math.IsInf(*s.v, 0) {
			v = *s.v
		}
		sr.values = append(sr.values, v)
	}
	for _, sr := range w.series {
		if len(sr.values) < n {
			sr.values = append(sr.values, math.NaN())
		}
	}
	if n > limit {
		drop := n - limit
		w.times = trim(w.times, drop)
		for _, sr := range w.series {
			sr.values = trim(sr.values, drop)
		}
		// A series with no value left in the window (a DSCP no longer
		// seen) goes away.
		w.series = slices.DeleteFunc(w.series, func(sr *series) bool {
			return !slices.ContainsFunc(sr.values, func(v float64) bool { return !math.IsNaN(v) })
		})
	}
}

func (w *window) find(chart, label string) *series {
	for _, sr := range w.series {
		if sr.chart == chart && sr.label == label {
			return sr
		}
	}
	return nil
}

// trim drops the first n values in place, so the backing array is reused
// rather than growing with every point.
func trim(s []float64, n int) []float64 {
	copy(s, s[n:])
	return s[:len(s)-n]
}
