package report

// Interval holds metrics over the interval between two reports, per object
// id present in both with the same type. A nil pointer or map means the
// metric is not computable (a member absent in either report, no time
// elapsed, a counter that went backwards, no new measurement); it is never
// a stand-in 0.
type Interval struct {
	Outbound       map[string]OutboundRTPInterval       // outbound-rtp, by id
	Inbound        map[string]InboundRTPInterval        // inbound-rtp, by id
	RemoteInbound  map[string]RemoteInboundRTPInterval  // remote-inbound-rtp, by id
	RemoteOutbound map[string]RemoteOutboundRTPInterval // remote-outbound-rtp, by id
	CandidatePairs map[string]TransferInterval          // candidate-pair, by id
	Transports     map[string]TransportInterval         // transport, by id
	DataChannels   map[string]DataChannelInterval       // data-channel, by id
}

// OutboundRTPInterval is an outbound-rtp stream over an interval. Rates are
// per second; bitrates in bits per second.
type OutboundRTPInterval struct {
	Duration                float64  // seconds between the two timestamps
	Bitrate                 *float64 // from bytesSent (payload)
	HeaderBitrate           *float64 // from headerBytesSent
	PacketRate              *float64 // from packetsSent
	RetransmittedPacketRate *float64 // from retransmittedPacketsSent
	RetransmittedBitrate    *float64 // from retransmittedBytesSent
	// PerDSCPPacketRate is packets per second per DSCP, from perDscpPacketsSent.
	PerDSCPPacketRate map[string]float64
}

// InboundRTPInterval is an inbound-rtp stream over an interval.
type InboundRTPInterval struct {
	Duration      float64  // seconds between the two timestamps
	Bitrate       *float64 // from bytesReceived (payload)
	HeaderBitrate *float64 // from headerBytesReceived
	PacketRate    *float64 // from packetsReceived
	PacketsLost   *int64   // change of packetsLost; negative with duplicates
	// FractionLost is Δlost/(Δlost+ΔpacketsReceived), and 0 when no packet
	// was expected or none was lost (RFC 3550 A.3).
	FractionLost *float64
	Jitter       *float64 // current value, seconds
	MeanJitter   *float64 // mean of the two samples
	// PerDSCPPacketRate is packets per second per DSCP, from
	// perDscpPacketsReceived.
	PerDSCPPacketRate map[string]float64
}

// RemoteInboundRTPInterval is the remote receiver's view of an outbound
// stream over the interval between the two RTCP reports that fed it.
type RemoteInboundRTPInterval struct {
	Duration    float64 // seconds between the two timestamps
	PacketsLost *int64  // change of packetsLost
	// FractionLost is (Δsent−Δreceived)/Δsent with Δsent from the local
	// outbound-rtp (via localId) and Δreceived from this object, as in the
	// 2018 draft's example; clamped to [0, 1] because the two counters are
	// sampled at different times, and 0 when nothing was sent.
	FractionLost  *float64
	RoundTripTime *float64 // ΔtotalRoundTripTime/ΔroundTripTimeMeasurements
	Jitter        *float64 // current value, seconds
	MeanJitter    *float64 // mean of the two samples
}

// RemoteOutboundRTPInterval is the remote sender's view of an inbound stream.
type RemoteOutboundRTPInterval struct {
	Duration      float64  // seconds between the two timestamps
	Bitrate       *float64 // from bytesSent
	PacketRate    *float64 // from packetsSent
	RoundTripTime *float64 // ΔtotalRoundTripTime/ΔroundTripTimeMeasurements
}

// TransferInterval is a candidate pair or transport over an interval.
type TransferInterval struct {
	Duration          float64  // seconds between the two timestamps
	SendBitrate       *float64 // from bytesSent
	ReceiveBitrate    *float64 // from bytesReceived
	SendPacketRate    *float64 // from packetsSent
	ReceivePacketRate *float64 // from packetsReceived
}

// TransportInterval is a transport over an interval: its transfer rates,
// and the per-DSCP packet rates (packets per second, keyed by decimal DSCP)
// of its datagrams that are not RTP, from the rtcstats extension members
// perDscp{Rtcp,Sctp,Dtls,Stun}Packets{Sent,Received}, which are not in any
// W3C document. Each map is nil when the member is absent in either report.
type TransportInterval struct {
	TransferInterval
	PerDSCPRTCPSendPacketRate    map[string]float64 // from perDscpRtcpPacketsSent
	PerDSCPRTCPReceivePacketRate map[string]float64 // from perDscpRtcpPacketsReceived
	PerDSCPSCTPSendPacketRate    map[string]float64 // from perDscpSctpPacketsSent
	PerDSCPSCTPReceivePacketRate map[string]float64 // from perDscpSctpPacketsReceived
	PerDSCPDTLSSendPacketRate    map[string]float64 // from perDscpDtlsPacketsSent
	PerDSCPDTLSReceivePacketRate map[string]float64 // from perDscpDtlsPacketsReceived
	PerDSCPSTUNSendPacketRate    map[string]float64 // from perDscpStunPacketsSent
	PerDSCPSTUNReceivePacketRate map[string]float64 // from perDscpStunPacketsReceived
}

// DataChannelInterval is a data channel over an interval.
type DataChannelInterval struct {
	Duration             float64  // seconds between the two timestamps
	SendBitrate          *float64 // from bytesSent
	ReceiveBitrate       *float64 // from bytesReceived
	MessagesSentRate     *float64 // from messagesSent
	MessagesReceivedRate *float64 // from messagesReceived
}

// Delta computes interval metrics between prev and cur, two reports of the
// same PeerConnection taken in that order.
func Delta(prev, cur Report) Interval {
	iv := Interval{
		Outbound:       map[string]OutboundRTPInterval{},
		Inbound:        map[string]InboundRTPInterval{},
		RemoteInbound:  map[string]RemoteInboundRTPInterval{},
		RemoteOutbound: map[string]RemoteOutboundRTPInterval{},
		CandidatePairs: map[string]TransferInterval{},
		Transports:     map[string]TransportInterval{},
		DataChannels:   map[string]DataChannelInterval{},
	}
	for id, s := range cur {
		switch c := s.(type) {
		case *OutboundRTPStreamStats:
			if p, ok := Lookup[*OutboundRTPStreamStats](prev, id); ok {
				iv.Outbound[id] = outboundDelta(p, c)
			}
		case *InboundRTPStreamStats:
			if p, ok := Lookup[*InboundRTPStreamStats](prev, id); ok {
				iv.Inbound[id] = inboundDelta(p, c)
			}
		case *RemoteInboundRTPStreamStats:
			if p, ok := Lookup[*RemoteInboundRTPStreamStats](prev, id); ok {
				iv.RemoteInbound[id] = remoteInboundDelta(prev, cur, p, c)
			}
		case *RemoteOutboundRTPStreamStats:
			if p, ok := Lookup[*RemoteOutboundRTPStreamStats](prev, id); ok {
				d := seconds(p.Base, c.Base)
				iv.RemoteOutbound[id] = RemoteOutboundRTPInterval{
					Duration:      d,
					Bitrate:       rate(p.BytesSent, c.BytesSent, d, 8),
					PacketRate:    rate(p.PacketsSent, c.PacketsSent, d, 1),
					RoundTripTime: meanRTT(p.TotalRoundTripTime, c.TotalRoundTripTime, p.RoundTripTimeMeasurements, c.RoundTripTimeMeasurements),
				}
			}
		case *ICECandidatePairStats:
			if p, ok := Lookup[*ICECandidatePairStats](prev, id); ok {
				d := seconds(p.Base, c.Base)
				iv.CandidatePairs[id] = TransferInterval{
					Duration:          d,
					SendBitrate:       rate(p.BytesSent, c.BytesSent, d, 8),
					ReceiveBitrate:    rate(p.BytesReceived, c.BytesReceived, d, 8),
					SendPacketRate:    rate(p.PacketsSent, c.PacketsSent, d, 1),
					ReceivePacketRate: rate(p.PacketsReceived, c.PacketsReceived, d, 1),
				}
			}
		case *TransportStats:
			if p, ok := Lookup[*TransportStats](prev, id); ok {
				iv.Transports[id] = transportDelta(p, c)
			}
		case *DataChannelStats:
			if p, ok := Lookup[*DataChannelStats](prev, id); ok {
				d := seconds(p.Base, c.Base)
				iv.DataChannels[id] = DataChannelInterval{
					Duration:             d,
					SendBitrate:          rate(p.BytesSent, c.BytesSent, d, 8),
					ReceiveBitrate:       rate(p.BytesReceived, c.BytesReceived, d, 8),
					MessagesSentRate:     rate(p.MessagesSent, c.MessagesSent, d, 1),
					MessagesReceivedRate: rate(p.MessagesReceived, c.MessagesReceived, d, 1),
				}
			}
		}
	}
	return iv
}

func outboundDelta(p, c *OutboundRTPStreamStats) OutboundRTPInterval {
	d := seconds(p.Base, c.Base)
	return OutboundRTPInterval{
		Duration:                d,
		Bitrate:                 rate(p.BytesSent, c.BytesSent, d, 8),
		HeaderBitrate:           rate(p.HeaderBytesSent, c.HeaderBytesSent, d, 8),
		PacketRate:              rate(p.PacketsSent, c.PacketsSent, d, 1),
		RetransmittedPacketRate: rate(p.RetransmittedPacketsSent, c.RetransmittedPacketsSent, d, 1),
		RetransmittedBitrate:    rate(p.RetransmittedBytesSent, c.RetransmittedBytesSent, d, 8),
		PerDSCPPacketRate:       perKeyRate(p.PerDSCPPacketsSent, c.PerDSCPPacketsSent, d),
	}
}

func inboundDelta(p, c *InboundRTPStreamStats) InboundRTPInterval {
	d := seconds(p.Base, c.Base)
	iv := InboundRTPInterval{
		Duration:          d,
		Bitrate:           rate(p.BytesReceived, c.BytesReceived, d, 8),
		HeaderBitrate:     rate(p.HeaderBytesReceived, c.HeaderBytesReceived, d, 8),
		PacketRate:        rate(p.PacketsReceived, c.PacketsReceived, d, 1),
		PacketsLost:       diff(p.PacketsLost, c.PacketsLost),
		PerDSCPPacketRate: perKeyRate(p.PerDSCPPacketsReceived, c.PerDSCPPacketsReceived, d),
	}
	iv.Jitter, iv.MeanJitter = jitter(p.Jitter, c.Jitter)
	if recv, ok := counterDelta(p.PacketsReceived, c.PacketsReceived); ok && iv.PacketsLost != nil {
		lost := float64(*iv.PacketsLost)
		frac := 0.0
		if expected := lost + recv; expected > 0 && lost > 0 {
			frac = lost / expected
		}
		iv.FractionLost = &frac
	}
	return iv
}

func transportDelta(p, c *TransportStats) TransportInterval {
	d := seconds(p.Base, c.Base)
	return TransportInterval{
		TransferInterval: TransferInterval{
			Duration:          d,
			SendBitrate:       rate(p.BytesSent, c.BytesSent, d, 8),
			ReceiveBitrate:    rate(p.BytesReceived, c.BytesReceived, d, 8),
			SendPacketRate:    rate(p.PacketsSent, c.PacketsSent, d, 1),
			ReceivePacketRate: rate(p.PacketsReceived, c.PacketsReceived, d, 1),
		},
		PerDSCPRTCPSendPacketRate:    perKeyRate(p.PerDSCPRTCPPacketsSent, c.PerDSCPRTCPPacketsSent, d),
		PerDSCPRTCPReceivePacketRate: perKeyRate(p.PerDSCPRTCPPacketsReceived, c.PerDSCPRTCPPacketsReceived, d),
		PerDSCPSCTPSendPacketRate:    perKeyRate(p.PerDSCPSCTPPacketsSent, c.PerDSCPSCTPPacketsSent, d),
		PerDSCPSCTPReceivePacketRate: perKeyRate(p.PerDSCPSCTPPacketsReceived, c.PerDSCPSCTPPacketsReceived, d),
		PerDSCPDTLSSendPacketRate:    perKeyRate(p.PerDSCPDTLSPacketsSent, c.PerDSCPDTLSPacketsSent, d),
		PerDSCPDTLSReceivePacketRate: perKeyRate(p.PerDSCPDTLSPacketsReceived, c.PerDSCPDTLSPacketsReceived, d),
		PerDSCPSTUNSendPacketRate:    perKeyRate(p.PerDSCPSTUNPacketsSent, c.PerDSCPSTUNPacketsSent, d),
		PerDSCPSTUNReceivePacketRate: perKeyRate(p.PerDSCPSTUNPacketsReceived, c.PerDSCPSTUNPacketsReceived, d),
	}
}

func remoteInboundDelta(prev, cur Report, p, c *RemoteInboundRTPStreamStats) RemoteInboundRTPInterval {
	iv := RemoteInboundRTPInterval{
		Duration:      seconds(p.Base, c.Base),
		PacketsLost:   diff(p.PacketsLost, c.PacketsLost),
		RoundTripTime: meanRTT(p.TotalRoundTripTime, c.TotalRoundTripTime, p.RoundTripTimeMeasurements, c.RoundTripTimeMeasurements),
	}
	iv.Jitter, iv.MeanJitter = jitter(p.Jitter, c.Jitter)
	if p.LocalID == nil || c.LocalID == nil || *p.LocalID != *c.LocalID {
		return iv
	}
	lp, ok1 := Lookup[*OutboundRTPStreamStats](prev, *p.LocalID)
	lc, ok2 := Lookup[*OutboundRTPStreamStats](cur, *c.LocalID)
	if !ok1 || !ok2 {
		return iv
	}
	sent, ok1 := counterDelta(lp.PacketsSent, lc.PacketsSent)
	recv, ok2 := counterDelta(p.PacketsReceived, c.PacketsReceived)
	if !ok1 || !ok2 {
		return iv
	}
	frac := 0.0
	if sent > 0 {
		frac = min(max((sent-recv)/sent, 0), 1)
	}
	iv.FractionLost = &frac
	return iv
}

// seconds is the time between two samples of one object.
func seconds(p, c Base) float64 { return (c.Timestamp - p.Timestamp) / 1000 }

// counterDelta returns the increase of a cumulative counter, failing when
// either sample is absent or the counter went backwards.
func counterDelta[T uint32 | uint64](p, c *T) (float64, bool) {
	if p == nil || c == nil || *c < *p {
		return 0, false
	}
	return float64(*c - *p), true
}

// rate is the counter's increase per second, times scale (8 for bits).
func rate[T uint32 | uint64](p, c *T, seconds, scale float64) *float64 {
	d, ok := counterDelta(p, c)
	if !ok || seconds <= 0 {
		return nil
	}
	return new(d * scale / seconds)
}

func diff(p, c *int64) *int64 {
	if p == nil || c == nil {
		return nil
	}
	return new(*c - *p)
}

// meanRTT is the mean round-trip time of the measurements made in the
// interval, absent when there were none.
func meanRTT(pTotal, cTotal *float64, pCount, cCount *uint64) *float64 {
	n, ok := counterDelta(pCount, cCount)
	if !ok || n == 0 || pTotal == nil || cTotal == nil || *cTotal < *pTotal {
		return nil
	}
	return new((*cTotal - *pTotal) / n)
}

func jitter(p, c *float64) (cur, mean *float64) {
	if c == nil {
		return nil, nil
	}
	if p == nil {
		return new(*c), nil
	}
	return new(*c), new((*p + *c) / 2)
}

// perKeyRate is the per-key rate of a record of counters. A key missing from
// prev counted 0 then: a per-DSCP counter appears with its first packet.
func perKeyRate(p, c map[string]uint64, seconds float64) map[string]float64 {
	if p == nil || c == nil || seconds <= 0 {
		return nil
	}
	out := make(map[string]float64, len(c))
	for k, cv := range c {
		if pv := p[k]; cv >= pv {
			out[k] = float64(cv-pv) / seconds
		}
	}
	return out
}
