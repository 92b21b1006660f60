package prom

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rtcstats/rtcstats/report"
)

// seriesAcc is one series being built: the sum or maximum of the values of
// the objects that fall into it.
type seriesAcc struct {
	m      int
	labels []string
	value  float64
}

// contribution is one object's value in a counter series, kept from scrape
// to scrape so that a series summing several objects stays monotonic when
// one of them leaves.
type contribution struct {
	series string
	m      int
	labels []string
	call   string
	value  float64
}

type accumulator struct {
	series  map[string]*seriesAcc
	contrib map[string]contribution // counters only, by object
}

func newAccumulator() *accumulator {
	return &accumulator{series: map[string]*seriesAcc{}, contrib: map[string]contribution{}}
}

const sep = "\xff" // not in any UTF-8 label value

func seriesKey(m int, labels []string) string {
	return strconv.Itoa(m) + sep + strings.Join(labels, sep)
}

func (a *accumulator) add(m int, labels []string, call, object string, v float64) {
	key := seriesKey(m, labels)
	a.put(key, m, labels, v)
	if defs[m].counter {
		a.contrib[key+sep+call+sep+object] = contribution{series: key, m: m, labels: labels, call: call, value: v}
	}
}

func (a *accumulator) put(key string, m int, labels []string, v float64) {
	s := a.series[key]
	switch {
	case s == nil:
		a.series[key] = &seriesAcc{m: m, labels: labels, value: v}
	case defs[m].agg == aggMax:
		s.value = max(s.value, v)
	default:
		s.value += v
	}
}

// carry keeps an object's last counter value for a call whose report could
// not be taken this time.
func (a *accumulator) carry(key string, c contribution) {
	if _, ok := a.contrib[key]; ok {
		return
	}
	a.put(c.series, c.m, c.labels, c.value)
	a.contrib[key] = c
}

// extractor turns one call's report into samples.
type extractor struct {
	acc       *accumulator
	call      string
	r         report.Report
	callLabel bool
	perStream bool
}

func num[T uint32 | uint64 | int64 | float64](p *T) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return float64(*p), true
}

// value adds one member's value; absent members and the non-finite numbers
// a loaded report may hold give no sample.
func (x *extractor) value(m int, labels []string, object string, v float64, ok bool) {
	if ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
		x.acc.add(m, labels, x.call, object, v)
	}
}

func (x *extractor) base() []string {
	if x.callLabel {
		return []string{x.call}
	}
	return nil
}

// streamLabels returns the labels of an RTP stream's series, or false for
// a kind the spec does not define (the kind label stays bounded).
func (x *extractor) streamLabels(kind string, ssrc uint32, mid *string) ([]string, bool) {
	if kind != "audio" && kind != "video" {
		return nil, false
	}
	l := append(x.base(), kind)
	if x.perStream {
		m := ""
		if mid != nil {
			m = labelValue(*mid)
		}
		l = append(l, strconv.FormatUint(uint64(ssrc), 10), m)
	}
	return l, true
}

// labelValue makes a string from a report safe as a label value.
func labelValue(s string) string {
	if !utf8.ValidString(s) {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// dscpKey accepts a per-DSCP record key only in its canonical decimal form
// 0..63, so the dscp label has at most 64 values.
func dscpKey(k string) bool {
	n, err := strconv.Atoi(k)
	return err == nil && n >= 0 && n <= 63 && strconv.Itoa(n) == k
}

func (x *extractor) dscp(m int, labels []string, object string, rec map[string]uint64) {
	for k, v := range rec {
		if dscpKey(k) {
			x.acc.add(m, append(slices.Clip(labels), k), x.call, object, float64(v))
		}
	}
}

func (x *extractor) run() {
	// A nil pointer in a report from a caller's source is skipped.
	for id, s := range x.r {
		switch o := s.(type) {
		case *report.OutboundRTPStreamStats:
			if o != nil {
				x.outbound(id, o)
			}
		case *report.InboundRTPStreamStats:
			if o != nil {
				x.inbound(id, o)
			}
		case *report.RemoteInboundRTPStreamStats:
			if o != nil {
				x.remoteInbound(id, o)
			}
		case *report.RemoteOutboundRTPStreamStats:
			if o != nil {
				x.remoteOutbound(id, o)
			}
		case *report.TransportStats:
			if o != nil {
				x.transport(id, o)
			}
		case *report.DataChannelStats:
			if o != nil {
				x.dataChannel(id, o)
			}
		}
	}
}

func (x *extractor) outbound(id string, o *report.OutboundRTPStreamStats) {
	l, ok := x.streamLabels(o.Kind, o.SSRC, o.Mid)
	if !ok {
		return
	}
	v, ok := num(o.PacketsSent)
	x.value(outPacketsSent, l, id, v, ok)
	v, ok = num(o.BytesSent)
	x.value(outBytesSent, l, id, v, ok)
	v, ok = num(o.HeaderBytesSent)
	x.value(outHeaderBytesSent, l, id, v, ok)
	v, ok = num(o.RetransmittedPacketsSent)
	x.value(outRetransmittedPacketsSent, l, id, v, ok)
	v, ok = num(o.RetransmittedBytesSent)
	x.value(outRetransmittedBytesSent, l, id, v, ok)
	v, ok = num(o.NACKCount)
	x.value(outNACKsReceived, l, id, v, ok)
	v, ok = num(o.PLICount)
	x.value(outPLIsReceived, l, id, v, ok)
	v, ok = num(o.FIRCount)
	x.value(outFIRsReceived, l, id, v, ok)
	x.dscp(outDSCPPacketsSent, l, id, o.PerDSCPPacketsSent)
}

func (x *extractor) inbound(id string, o *report.InboundRTPStreamStats) {
	l, ok := x.streamLabels(o.Kind, o.SSRC, o.Mid)
	if !ok {
		return
	}
	v, ok := num(o.PacketsReceived)
	x.value(inPacketsReceived, l, id, v, ok)
	v, ok = num(o.BytesReceived)
	x.value(inBytesReceived, l, id, v, ok)
	v, ok = num(o.HeaderBytesReceived)
	x.value(inHeaderBytesReceived, l, id, v, ok)
	v, ok = num(o.PacketsLost)
	x.value(inPacketsLost, l, id, v, ok)
	v, ok = num(o.Jitter)
	x.value(inJitter, l, id, v, ok)
	v, ok = num(o.PacketsDuplicated)
	x.value(inPacketsDuplicated, l, id, v, ok)
	v, ok = num(o.RetransmittedPacketsReceived)
	x.value(inRetransmittedPacketsReceived, l, id, v, ok)
	v, ok = num(o.RetransmittedBytesReceived)
	x.value(inRetransmittedBytesReceived, l, id, v, ok)
	v, ok = num(o.NACKCount)
	x.value(inNACKsSent, l, id, v, ok)
	v, ok = num(o.PLICount)
	x.value(inPLIsSent, l, id, v, ok)
	v, ok = num(o.FIRCount)
	x.value(inFIRsSent, l, id, v, ok)
	x.dscp(inDSCPPacketsReceived, l, id, o.PerDSCPPacketsReceived)
}

// localMid is the mid of the local stream a remote view refers to.
func localMid[T interface {
	*report.OutboundRTPStreamStats | *report.InboundRTPStreamStats
	report.Stats
}](r report.Report, localID *string, mid func(T) *string) *string {
	if localID == nil {
		return nil
	}
	if s, ok := report.Lookup[T](r, *localID); ok && s != nil {
		return mid(s)
	}
	return nil
}

func (x *extractor) remoteInbound(id string, o *report.RemoteInboundRTPStreamStats) {
	var mid *string
	if x.perStream {
		mid = localMid(x.r, o.LocalID, func(s *report.OutboundRTPStreamStats) *string { return s.Mid })
	}
	l, ok := x.streamLabels(o.Kind, o.SSRC, mid)
	if !ok {
		return
	}
	v, ok := num(o.PacketsLost)
	x.value(riPacketsLost, l, id, v, ok)
	v, ok = num(o.FractionLost)
	x.value(riFractionLost, l, id, v, ok)
	v, ok = num(o.Jitter)
	x.value(riJitter, l, id, v, ok)
	v, ok = num(o.RoundTripTime)
	x.value(riRTT, l, id, v, ok)
	v, ok = num(o.TotalRoundTripTime)
	x.value(riTotalRTT, l, id, v, ok)
	v, ok = num(o.RoundTripTimeMeasurements)
	x.value(riRTTMeasurements, l, id, v, ok)
}

func (x *extractor) remoteOutbound(id string, o *report.RemoteOutboundRTPStreamStats) {
	var mid *string
	if x.perStream {
		mid = localMid(x.r, o.LocalID, func(s *report.InboundRTPStreamStats) *string { return s.Mid })
	}
	l, ok := x.streamLabels(o.Kind, o.SSRC, mid)
	if !ok {
		return
	}
	v, ok := num(o.PacketsSent)
	x.value(roPacketsSent, l, id, v, ok)
	v, ok = num(o.BytesSent)
	x.value(roBytesSent, l, id, v, ok)
	v, ok = num(o.RoundTripTime)
	x.value(roRTT, l, id, v, ok)
	v, ok = num(o.TotalRoundTripTime)
	x.value(roTotalRTT, l, id, v, ok)
	v, ok = num(o.RoundTripTimeMeasurements)
	x.value(roRTTMeasurements, l, id, v, ok)
}

func (x *extractor) transport(id string, t *report.TransportStats) {
	l := x.base()
	v, ok := num(t.PacketsSent)
	x.value(trPacketsSent, l, id, v, ok)
	v, ok = num(t.PacketsReceived)
	x.value(trPacketsReceived, l, id, v, ok)
	v, ok = num(t.BytesSent)
	x.value(trBytesSent, l, id, v, ok)
	v, ok = num(t.BytesReceived)
	x.value(trBytesReceived, l, id, v, ok)
	for _, c := range []struct {
		class          string
		sent, received map[string]uint64
	}{
		{"rtcp", t.PerDSCPRTCPPacketsSent, t.PerDSCPRTCPPacketsReceived},
		{"sctp", t.PerDSCPSCTPPacketsSent, t.PerDSCPSCTPPacketsReceived},
		{"dtls", t.PerDSCPDTLSPacketsSent, t.PerDSCPDTLSPacketsReceived},
		{"stun", t.PerDSCPSTUNPacketsSent, t.PerDSCPSTUNPacketsReceived},
	} {
		x.dscp(trDSCPPacketsSent, append(x.base(), c.class), id, c.sent)
		x.dscp(trDSCPPacketsReceived, append(x.base(), c.class), id, c.received)
	}
	if t.SelectedCandidatePairID == nil {
		return
	}
	p, ok := report.Lookup[*report.ICECandidatePairStats](x.r, *t.SelectedCandidatePairID)
	if !ok || p == nil {
		return
	}
	pid := *t.SelectedCandidatePairID
	v, ok = num(p.CurrentRoundTripTime)
	x.value(cpCurrentRTT, l, pid, v, ok)
	v, ok = num(p.TotalRoundTripTime)
	x.value(cpTotalRTT, l, pid, v, ok)
	v, ok = num(p.ResponsesReceived)
	x.value(cpResponsesReceived, l, pid, v, ok)
}

func (x *extractor) dataChannel(id string, d *report.DataChannelStats) {
	l := x.base()
	v, ok := num(d.MessagesSent)
	x.value(dcMessagesSent, l, id, v, ok)
	v, ok = num(d.MessagesReceived)
	x.value(dcMessagesReceived, l, id, v, ok)
	v, ok = num(d.BytesSent)
	x.value(dcBytesSent, l, id, v, ok)
	v, ok = num(d.BytesReceived)
	x.value(dcBytesReceived, l, id, v, ok)
}
