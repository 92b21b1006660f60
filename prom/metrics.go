package prom

// The metric table. Names follow the Prometheus conventions: base units
// (seconds, bytes), _total on counters, and the spec member each one comes
// from in its help text. A member absent from every object of a series
// gives no sample: absent is not zero.

type family uint8

const (
	famStream        family = iota // [call] kind [ssrc mid]
	famStreamDSCP                  // [call] kind [ssrc mid] dscp
	famCall                        // [call]
	famTransportDSCP               // [call] class dscp
)

type aggregation uint8

const (
	aggSum aggregation = iota
	aggMax
)

type metricDef struct {
	name    string // after the namespace
	help    string
	counter bool
	agg     aggregation
	fam     family
}

const (
	outPacketsSent = iota
	outBytesSent
	outHeaderBytesSent
	outRetransmittedPacketsSent
	outRetransmittedBytesSent
	outNACKsReceived
	outPLIsReceived
	outFIRsReceived
	outDSCPPacketsSent

	inPacketsReceived
	inBytesReceived
	inHeaderBytesReceived
	inPacketsLost
	inJitter
	inPacketsDuplicated
	inRetransmittedPacketsReceived
	inRetransmittedBytesReceived
	inNACKsSent
	inPLIsSent
	inFIRsSent
	inDSCPPacketsReceived

	riPacketsLost
	riFractionLost
	riJitter
	riRTT
	riTotalRTT
	riRTTMeasurements

	roPacketsSent
	roBytesSent
	roRTT
	roTotalRTT
	roRTTMeasurements

	trPacketsSent
	trPacketsReceived
	trBytesSent
	trBytesReceived
	trDSCPPacketsSent
	trDSCPPacketsReceived

	cpCurrentRTT
	cpTotalRTT
	cpResponsesReceived

	dcMessagesSent
	dcMessagesReceived
	dcBytesSent
	dcBytesReceived

	numMetrics
)

const maxNote = " With several objects in one series, the largest."

var defs = [numMetrics]metricDef{ //nolint:gochecknoglobals // read-only table
	outPacketsSent:              {"outbound_rtp_packets_sent_total", "RTP packets sent, retransmissions included (outbound-rtp packetsSent).", true, aggSum, famStream},
	outBytesSent:                {"outbound_rtp_bytes_sent_total", "RTP payload bytes sent, retransmissions included (outbound-rtp bytesSent).", true, aggSum, famStream},
	outHeaderBytesSent:          {"outbound_rtp_header_bytes_sent_total", "RTP header and padding bytes sent (outbound-rtp headerBytesSent).", true, aggSum, famStream},
	outRetransmittedPacketsSent: {"outbound_rtp_retransmitted_packets_sent_total", "RTP packets retransmitted (outbound-rtp retransmittedPacketsSent).", true, aggSum, famStream},
	outRetransmittedBytesSent:   {"outbound_rtp_retransmitted_bytes_sent_total", "RTP payload bytes retransmitted (outbound-rtp retransmittedBytesSent).", true, aggSum, famStream},
	outNACKsReceived:            {"outbound_rtp_nacks_received_total", "RTCP NACK packets received by the sender (outbound-rtp nackCount).", true, aggSum, famStream},
	outPLIsReceived:             {"outbound_rtp_plis_received_total", "RTCP PLI packets received by the sender (outbound-rtp pliCount).", true, aggSum, famStream},
	outFIRsReceived:             {"outbound_rtp_firs_received_total", "RTCP FIR packets received by the sender (outbound-rtp firCount).", true, aggSum, famStream},
	outDSCPPacketsSent:          {"outbound_rtp_dscp_packets_sent_total", "RTP packets sent per DSCP as counted at the socket, RTX folded into its stream (outbound-rtp perDscpPacketsSent).", true, aggSum, famStreamDSCP},

	inPacketsReceived:              {"inbound_rtp_packets_received_total", "RTP packets received (inbound-rtp packetsReceived).", true, aggSum, famStream},
	inBytesReceived:                {"inbound_rtp_bytes_received_total", "RTP payload bytes received, retransmissions included (inbound-rtp bytesReceived).", true, aggSum, famStream},
	inHeaderBytesReceived:          {"inbound_rtp_header_bytes_received_total", "RTP header and padding bytes received (inbound-rtp headerBytesReceived).", true, aggSum, famStream},
	inPacketsLost:                  {"inbound_rtp_packets_lost", "RTP packets lost per RFC 3550 6.4.1 (inbound-rtp packetsLost); a gauge because duplicates make it go down and below zero.", false, aggSum, famStream},
	inJitter:                       {"inbound_rtp_jitter_seconds", "Interarrival jitter per RFC 3550 A.8 (inbound-rtp jitter)." + maxNote, false, aggMax, famStream},
	inPacketsDuplicated:            {"inbound_rtp_packets_duplicated_total", "RTP packets discarded as duplicates (inbound-rtp packetsDuplicated).", true, aggSum, famStream},
	inRetransmittedPacketsReceived: {"inbound_rtp_retransmitted_packets_received_total", "RTP retransmissions received (inbound-rtp retransmittedPacketsReceived).", true, aggSum, famStream},
	inRetransmittedBytesReceived:   {"inbound_rtp_retransmitted_bytes_received_total", "RTP payload bytes of retransmissions received (inbound-rtp retransmittedBytesReceived).", true, aggSum, famStream},
	inNACKsSent:                    {"inbound_rtp_nacks_sent_total", "RTCP NACK packets sent by the receiver (inbound-rtp nackCount).", true, aggSum, famStream},
	inPLIsSent:                     {"inbound_rtp_plis_sent_total", "RTCP PLI packets sent by the receiver (inbound-rtp pliCount).", true, aggSum, famStream},
	inFIRsSent:                     {"inbound_rtp_firs_sent_total", "RTCP FIR packets sent by the receiver (inbound-rtp firCount).", true, aggSum, famStream},
	inDSCPPacketsReceived:          {"inbound_rtp_dscp_packets_received_total", "RTP packets received per DSCP as read at the socket, RTX folded into its stream (inbound-rtp perDscpPacketsReceived).", true, aggSum, famStreamDSCP},

	riPacketsLost:     {"remote_inbound_rtp_packets_lost", "RTP packets the remote receiver reports lost in its last Receiver Report (remote-inbound-rtp packetsLost); a gauge, it can go down.", false, aggSum, famStream},
	riFractionLost:    {"remote_inbound_rtp_fraction_lost_ratio", "Fraction lost in the remote receiver's last Receiver Report, 0..1 (remote-inbound-rtp fractionLost)." + maxNote, false, aggMax, famStream},
	riJitter:          {"remote_inbound_rtp_jitter_seconds", "Jitter in the remote receiver's last Receiver Report (remote-inbound-rtp jitter)." + maxNote, false, aggMax, famStream},
	riRTT:             {"remote_inbound_rtp_round_trip_time_seconds", "Latest round-trip time from a Receiver Report (remote-inbound-rtp roundTripTime)." + maxNote, false, aggMax, famStream},
	riTotalRTT:        {"remote_inbound_rtp_round_trip_time_seconds_total", "Sum of the round-trip times measured from Receiver Reports (remote-inbound-rtp totalRoundTripTime); divide its rate by that of round_trip_time_measurements_total for the mean.", true, aggSum, famStream},
	riRTTMeasurements: {"remote_inbound_rtp_round_trip_time_measurements_total", "Receiver Report blocks that gave a round-trip time (remote-inbound-rtp roundTripTimeMeasurements).", true, aggSum, famStream},

	roPacketsSent:     {"remote_outbound_rtp_packets_sent_total", "RTP packets the remote sender reports sent in its last Sender Report (remote-outbound-rtp packetsSent).", true, aggSum, famStream},
	roBytesSent:       {"remote_outbound_rtp_bytes_sent_total", "RTP payload bytes the remote sender reports sent in its last Sender Report (remote-outbound-rtp bytesSent).", true, aggSum, famStream},
	roRTT:             {"remote_outbound_rtp_round_trip_time_seconds", "Latest round-trip time from a Sender Report's DLRR (remote-outbound-rtp roundTripTime)." + maxNote, false, aggMax, famStream},
	roTotalRTT:        {"remote_outbound_rtp_round_trip_time_seconds_total", "Sum of the round-trip times measured from DLRR blocks (remote-outbound-rtp totalRoundTripTime).", true, aggSum, famStream},
	roRTTMeasurements: {"remote_outbound_rtp_round_trip_time_measurements_total", "DLRR blocks that gave a round-trip time (remote-outbound-rtp roundTripTimeMeasurements).", true, aggSum, famStream},

	trPacketsSent:         {"transport_packets_sent_total", "Packets sent over the ICE transports (transport packetsSent).", true, aggSum, famCall},
	trPacketsReceived:     {"transport_packets_received_total", "Packets received over the ICE transports (transport packetsReceived).", true, aggSum, famCall},
	trBytesSent:           {"transport_bytes_sent_total", "Payload bytes sent over the ICE transports (transport bytesSent).", true, aggSum, famCall},
	trBytesReceived:       {"transport_bytes_received_total", "Payload bytes received over the ICE transports (transport bytesReceived).", true, aggSum, famCall},
	trDSCPPacketsSent:     {"transport_dscp_packets_sent_total", "Datagrams other than RTP sent per class and DSCP, counted at the socket (transport perDscp{Rtcp,Sctp,Dtls,Stun}PacketsSent, rtcstats extensions).", true, aggSum, famTransportDSCP},
	trDSCPPacketsReceived: {"transport_dscp_packets_received_total", "Datagrams other than RTP received per class and DSCP, read at the socket (transport perDscp{Rtcp,Sctp,Dtls,Stun}PacketsReceived, rtcstats extensions).", true, aggSum, famTransportDSCP},

	cpCurrentRTT:        {"candidate_pair_current_round_trip_time_seconds", "Latest STUN round-trip time of the selected candidate pair (candidate-pair currentRoundTripTime)." + maxNote, false, aggMax, famCall},
	cpTotalRTT:          {"candidate_pair_round_trip_time_seconds_total", "Sum of the STUN round-trip times of the selected candidate pair (candidate-pair totalRoundTripTime).", true, aggSum, famCall},
	cpResponsesReceived: {"candidate_pair_responses_received_total", "STUN responses received on the selected candidate pair (candidate-pair responsesReceived).", true, aggSum, famCall},

	dcMessagesSent:     {"data_channel_messages_sent_total", "Data channel messages sent (data-channel messagesSent).", true, aggSum, famCall},
	dcMessagesReceived: {"data_channel_messages_received_total", "Data channel messages received (data-channel messagesReceived).", true, aggSum, famCall},
	dcBytesSent:        {"data_channel_bytes_sent_total", "Data channel payload bytes sent (data-channel bytesSent).", true, aggSum, famCall},
	dcBytesReceived:    {"data_channel_bytes_received_total", "Data channel payload bytes received (data-channel bytesReceived).", true, aggSum, famCall},
}

// Label names the collector sets itself.
const (
	labelCall  = "call"
	labelKind  = "kind"
	labelSSRC  = "ssrc"
	labelMid   = "mid"
	labelDSCP  = "dscp"
	labelClass = "class"
)

var ownLabels = []string{labelCall, labelKind, labelSSRC, labelMid, labelDSCP, labelClass} //nolint:gochecknoglobals // read-only

// labelNames returns the variable labels of a family, in the order the
// extractor fills them.
func labelNames(f family, callLabel, perStream bool) []string {
	var names []string
	if callLabel {
		names = append(names, labelCall)
	}
	switch f {
	case famStream, famStreamDSCP:
		names = append(names, labelKind)
		if perStream {
			names = append(names, labelSSRC, labelMid)
		}
		if f == famStreamDSCP {
			names = append(names, labelDSCP)
		}
	case famTransportDSCP:
		names = append(names, labelClass, labelDSCP)
	case famCall: // the call label only
	}
	return names
}
