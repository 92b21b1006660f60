package coverage

import (
	"fmt"
	"strings"

	"github.com/rtcstats/rtcstats/report"
)

// Status says where a member's value comes from.
type Status int

// Statuses.
const (
	Measured Status = iota + 1 // computed by rtcstats from packets
	Pion                       // converted from pion's GetStats
	Filled                     // pion leaves it out or wrong; filled here from pion's transports
	Planned                    // measurable at this layer, tracked by an open issue
	No                         // not measurable at this layer
)

// String returns the status as README's table words it.
func (s Status) String() string {
	return [...]string{"", "measured here", "taken from pion", "pion, filled here", "planned", "not measurable here"}[s]
}

// Entry is one member's row.
type Entry struct {
	Status Status // where the value comes from
	// When is empty when the member is present in every object of the
	// type once traffic flows; otherwise it says when (e.g. "video only").
	When string
	// Why explains a Planned or No status, or how a value is obtained.
	Why string
}

// Type is one stats type (and kind, for media-source) with its members.
type Type struct {
	Type    report.Type      // the stats type
	Kind    string           // "audio" or "video" for media-source, else ""
	Members map[string]Entry // every member of the type's dictionary, by name
}

func set(m map[string]Entry, e Entry, names ...string) {
	for n := range strings.FieldsSeq(strings.Join(names, " ")) {
		m[n] = e
	}
}

const (
	decoder     = "decoder/renderer internals: an interceptor sees no decoded frames"
	encoder     = "encoder internals: an interceptor sees only what the encoder emitted"
	jb          = "no jitter buffer at this layer"
	playout     = "audio playout happens in the application, not in pion"
	ecn         = "ECN marks are not visible to pion's sockets"
	dscpWhen    = "with rtcstats.WithDSCP and sockets wrapped by its Marker (Linux)" //nolint:gosec // G101 reads "dscPWhen" as a password
	notPion     = "pion does not expose it"
	notSignal   = "not signalled to or by pion"
	videoFrames = "video, VP8/VP9/H.264/AV1"
)

// Table returns the coverage table, one entry per reported type.
func Table() []Type {
	common := func(m map[string]Entry) map[string]Entry {
		set(m, Entry{Status: Measured, Why: "time the object was generated (for remote objects: when the RTCP arrived)"}, "timestamp")
		set(m, Entry{Status: Measured}, "type id")
		return m
	}
	pionCommon := func(m map[string]Entry) map[string]Entry {
		set(m, Entry{Status: Pion, Why: "pion's id; timestamp is the time of the GetStats call"}, "timestamp type id")
		return m
	}

	codec := common(map[string]Entry{})
	set(codec, Entry{Status: Measured, Why: "payload type of the stream's packets"}, "payloadType")
	set(codec, Entry{Status: Filled, Why: "the transport pion reports"}, "transportId")
	set(codec, Entry{Status: Measured, Why: "negotiated codec from the stream's StreamInfo"}, "mimeType clockRate")
	set(codec, Entry{Status: Measured, When: "codecs with channels (audio)"}, "channels")
	set(codec, Entry{Status: Measured, When: "codecs with an fmtp line"}, "sdpFmtpLine")
	set(codec, Entry{Status: No, Why: "codec objects are per direction (id prefix CO/CI); the provisional codecType is redundant"}, "codecType")

	in := common(map[string]Entry{})
	set(in, Entry{Status: Measured}, "ssrc kind packetsReceived bytesReceived headerBytesReceived packetsLost nackCount packetsDuplicated lastPacketReceivedTimestamp")
	set(in, Entry{Status: Measured, Why: "RFC 3550 A.8, in-order packets only; needs two packets; kept as an integer in 10⁻⁹ timestamp units (within 8 of them of the exact recurrence)"}, "jitter")
	set(in, Entry{Status: Filled, Why: "pion's transport"}, "transportId")
	set(in, Entry{Status: Measured, Why: "codec object of the last packet's payload type"}, "codecId")
	set(in, Entry{Status: Filled, Why: "id of pion's TrackRemote for the SSRC"}, "trackIdentifier")
	set(in, Entry{Status: Measured, Why: "sdes:mid header extension, else the transceiver's mid"}, "mid")
	set(in, Entry{Status: Measured, When: "after the first Sender Report"}, "remoteId")
	set(in, Entry{Status: Measured, When: "video only"}, "firCount pliCount")
	set(in, Entry{Status: Measured, When: "when RTX is negotiated (video)"}, "retransmittedPacketsReceived retransmittedBytesReceived rtxSsrc")
	set(in, Entry{Status: No, Why: ecn}, "packetsReceivedWithEct1 packetsReceivedWithCe packetsReportedAsLost packetsReportedAsLostButRecovered")
	set(in, Entry{Status: No, Why: decoder},
		"framesDecoded framesRendered framesDropped qpSum totalDecodeTime",
		"totalInterFrameDelay totalSquaredInterFrameDelay pauseCount totalPausesDuration freezeCount",
		"totalFreezesDuration totalProcessingDelay decoderImplementation powerEfficientDecoder",
		"totalCorruptionProbability totalSquaredCorruptionProbability corruptionMeasurements contentType",
		"frameBitDepth totalSamplesDecoded samplesDecodedWithSilk samplesDecodedWithCelt sliCount",
		"partialFramesLost fullFramesLost",
	)
	set(in, Entry{Status: No, Why: jb},
		"packetsDiscarded estimatedPlayoutTimestamp jitterBufferDelay jitterBufferTargetDelay",
		"jitterBufferEmittedCount jitterBufferMinimumDelay totalSamplesReceived concealedSamples",
		"silentConcealedSamples concealmentEvents insertedSamplesForDeceleration",
		"removedSamplesForAcceleration burstPacketsDiscarded burstDiscardCount burstDiscardRate",
		"gapDiscardRate packetsRepaired",
	)
	set(in, Entry{Status: No, Why: playout}, "playoutId")
	set(in, Entry{Status: No, Why: "pion's receivers do not bind a FlexFEC stream, so its packets never reach an interceptor"}, "fecBytesReceived fecPacketsReceived fecPacketsDiscarded fecSsrc")
	set(in, Entry{Status: No, Why: "SRTP failures are dropped by pion's srtp session before any interceptor"}, "packetsFailedDecryption")
	set(in, Entry{Status: Measured, When: videoFrames, Why: "from the payload descriptors: a frame (RTP timestamp) counts once all its packets from start to marker are in"}, "framesReceived framesAssembledFromMultiplePackets totalAssemblyTime")
	set(in, Entry{Status: Measured, When: videoFrames, Why: "complete key frames received (nothing is decoded here: a complete key frame is what a decoder would decode)"}, "keyFramesDecoded")
	set(in, Entry{Status: Measured, When: "video, once a complete key frame (or H.264 SPS) gave the size", Why: "VP8 key-frame header, VP9 scalability structure or key-frame header, H.264 SPS, AV1 frame header"}, "frameWidth frameHeight")
	set(in, Entry{Status: Measured, When: "video, after the first complete frame", Why: "complete frames in the last second"}, "framesPerSecond")
	set(in, Entry{Status: Measured, When: "audio with the RFC 6464 audio level extension negotiated, once a packet carried it", Why: "from the packets' levels: energy per the spec's formula over each packet's duration (Opus: from its TOC; else RTP timestamps); lost and DTX audio adds nothing"}, "audioLevel totalAudioEnergy totalSamplesDuration")
	set(in, Entry{Status: Measured, When: "audio with the RFC 6464 audio level extension negotiated, once a packet carried it", Why: "the V bit of the newest packet"}, "voiceActivityFlag")
	set(in, Entry{Status: Measured, Why: "RFC 3611 4.7.2 bursts with Gmin 16 on the received sequence; a missing number is lost 1 s after a later one arrived (a late or RTX copy before that repairs it), so they lag by up to 1 s"}, "burstPacketsLost burstLossCount")
	set(in, Entry{Status: Measured, When: "once a sequence number has been decided (up to 1 s after the first packet)", Why: "lost / expected within bursts, and within gaps (RFC 7004 A (a), (b), as fractions)"}, "burstLossRate gapLossRate")
	set(in, Entry{Status: Measured, When: "after our second report about the stream", Why: "mean time between the RTCP reports (pion's RR or SR blocks) we send about it; pion's reports carry no SDES, see README"}, "averageRtcpInterval")
	set(in, Entry{Status: Measured, When: dscpWhen, Why: "counted at the socket per received datagram, RTX folded in"}, "perDscpPacketsReceived")

	out := common(map[string]Entry{})
	set(out, Entry{Status: Measured}, "ssrc kind packetsSent bytesSent headerBytesSent retransmittedPacketsSent retransmittedBytesSent nackCount lastPacketSentTimestamp")
	set(out, Entry{Status: Filled, Why: "pion's transport"}, "transportId")
	set(out, Entry{Status: Measured, Why: "codec object of the last packet's payload type"}, "codecId")
	set(out, Entry{Status: Measured, Why: "sdes:mid header extension, else the transceiver's mid"}, "mid")
	set(out, Entry{Status: Measured, When: "after the first report block"}, "remoteId")
	set(out, Entry{Status: Measured, When: "video only"}, "firCount pliCount")
	set(out, Entry{Status: Measured, When: "when RTX is negotiated (video)"}, "rtxSsrc")
	set(out, Entry{Status: Measured, When: "once GetStats has seen the sender's track", Why: "the media-source object of that track"}, "mediaSourceId")
	set(out, Entry{Status: Measured, When: "audio with the RFC 6464 audio level extension negotiated and written", Why: "the V bit of the newest packet sent"}, "voiceActivityFlag")
	set(out, Entry{Status: Pion, When: "video", Why: "the SSRC's position in the sender's encodings (RTPSender.GetParameters)"}, "encodingIndex")
	set(out, Entry{Status: Pion, When: "video sent with RIDs (simulcast)", Why: "the encoding's RID from the sender's parameters"}, "rid")
	set(out, Entry{Status: Measured, When: videoFrames, Why: "frames whose marker packet was sent, from the payload descriptors"}, "framesSent keyFramesEncoded")
	set(out, Entry{Status: Measured, When: "video, once a key frame gave the size", Why: "from the sent key frames' headers (VP8, VP9) or SPS (H.264), AV1 frame header"}, "frameWidth frameHeight")
	set(out, Entry{Status: Measured, When: "video, after the first frame sent", Why: "frames sent in the last second"}, "framesPerSecond")
	set(out, Entry{Status: No, Why: "needs the encoder's target bitrate and frame rate, which pion's sender parameters do not carry (collectors.FrameTracker.SetTarget is ready for them)"}, "hugeFramesSent")
	set(out, Entry{Status: Measured, When: "after our second Sender Report", Why: "mean time between the Sender Reports we send for it"}, "averageRtcpInterval")
	set(out, Entry{Status: Measured, When: dscpWhen, Why: "counted at the socket per datagram sent, RTX and FEC folded in"}, "perDscpPacketsSent")
	set(out, Entry{Status: No, Why: encoder},
		"targetBitrate totalEncodedBytesTarget framesEncoded qpSum psnrSum psnrMeasurements totalEncodeTime",
		"qualityLimitationReason qualityLimitationDurations qualityLimitationResolutionChanges",
		"encoderImplementation powerEfficientEncoder scalabilityMode contentType frameBitDepth",
		"framesDiscardedOnSend totalSamplesSent samplesEncodedWithSilk samplesEncodedWithCelt sliCount",
	)
	set(out, Entry{Status: No, Why: "packets are handed to the socket after the interceptors; pacing and send failures happen below them"}, "totalPacketSendDelay packetsDiscardedOnSend bytesDiscardedOnSend")
	set(out, Entry{Status: No, Why: "pion's RTPSender has no active flag per encoding"}, "active")
	set(out, Entry{Status: No, Why: ecn}, "packetsSentWithEct1")
	set(out, Entry{Status: Measured, When: "when FlexFEC is negotiated", Why: "FEC packets the encoder interceptor writes on the FEC SSRC"}, "fecPacketsSent")

	ri := common(map[string]Entry{})
	set(ri, Entry{Status: Measured, Why: "from report blocks (RR and SR) about our SSRC"}, "ssrc kind packetsLost fractionLost jitter localId reportsReceived totalRoundTripTime roundTripTimeMeasurements")
	set(ri, Entry{Status: Measured, Why: "extended highest sequence number − first sequence sent + 1 − lost; RR blocks do not carry the receiver's base, so it counts our first packets if the receiver never got them"}, "packetsReceived")
	set(ri, Entry{Status: Measured, When: "after a report block with LSR and DLSR", Why: "RFC 3550 6.4.1 on the monotonic clock, matched to the SR we saw leave"}, "roundTripTime")
	set(ri, Entry{Status: Filled, Why: "same as the local stream's"}, "transportId codecId")
	set(ri, Entry{Status: No, Why: ecn}, "packetsReceivedWithEct1 packetsReceivedWithCe packetsReportedAsLost packetsReportedAsLostButRecovered packetsWithBleachedEct1Marking")
	set(ri, Entry{Status: No, Why: "needs RFC 3611 VoIP-metrics XR blocks from the remote receiver, which neither pion nor browsers send"}, "burstPacketsLost burstLossCount burstLossRate gapLossRate")
	set(ri, Entry{Status: No, Why: "the remote's jitter buffer and decoder are not reported in RTCP RR"}, "packetsRepaired burstPacketsDiscarded burstDiscardCount burstDiscardRate gapDiscardRate partialFramesLost fullFramesLost packetsDiscarded")

	ro := common(map[string]Entry{})
	set(ro, Entry{Status: Measured, Why: "from the remote's Sender Reports, counters extended past 2^32"}, "ssrc kind packetsSent bytesSent localId remoteTimestamp reportsSent")
	set(ro, Entry{Status: Filled, Why: "same as the local stream's"}, "transportId codecId")
	set(ro, Entry{Status: Measured, When: "with WithRTCPXR, once an RRTR went out", Why: "RFC 3611 4.5 from the DLRR answering our RRTR, on the monotonic clock"}, "totalRoundTripTime roundTripTimeMeasurements")
	set(ro, Entry{Status: Measured, When: "with WithRTCPXR, while the latest SR came with a DLRR answering our RRTR", Why: "RFC 3611 4.5 on the monotonic clock"}, "roundTripTime")

	as := common(map[string]Entry{})
	set(as, Entry{Status: Filled, Why: "one object per track a sender sends: its id from pion's sender"}, "trackIdentifier kind")
	set(as, Entry{Status: Measured, When: "with the RFC 6464 audio level extension negotiated and written by the sender", Why: "from the levels of the packets sent (energy per the spec's formula over the packets' durations)"}, "audioLevel totalAudioEnergy totalSamplesDuration")
	set(as, Entry{Status: No, Why: "echo cancellation happens before the encoder"}, "echoReturnLoss echoReturnLossEnhancement")
	set(as, Entry{Status: No, Why: notSignal}, "relayedSource")
	vs := common(map[string]Entry{})
	set(vs, Entry{Status: Filled, Why: "one object per track a sender sends: its id from pion's sender"}, "trackIdentifier kind")
	set(vs, Entry{Status: Measured, When: "VP8/VP9/H.264/AV1, once frames were sent", Why: "frames as the sent bitstream shows them (the largest simulcast layer): what the encoder was given, as far as packets tell"}, "width height frames")
	set(vs, Entry{Status: Measured, When: "VP8/VP9/H.264/AV1, a second after the first frame", Why: "frames sent in the last second"}, "framesPerSecond")
	set(vs, Entry{Status: No, Why: notSignal}, "relayedSource bitDepth")

	mp := common(map[string]Entry{})
	set(mp, Entry{Status: No, Why: playout}, "kind synthesizedSamplesDuration synthesizedSamplesEvents totalSamplesDuration totalPlayoutDelay totalSamplesCount")

	pcs := pionCommon(map[string]Entry{})
	set(pcs, Entry{Status: Pion}, "dataChannelsOpened dataChannelsClosed dataChannelsRequested dataChannelsAccepted")

	dc := pionCommon(map[string]Entry{})
	set(dc, Entry{Status: Pion}, "state messagesSent bytesSent messagesReceived bytesReceived")
	set(dc, Entry{Status: Pion, When: "when not empty"}, "label protocol")
	set(dc, Entry{Status: Pion, When: "once the channel has left the connecting state (pion reports 0 before an id exists)"}, "dataChannelIdentifier")

	tr := pionCommon(map[string]Entry{})
	set(tr, Entry{Status: Pion}, "bytesSent bytesReceived")
	set(tr, Entry{Status: Filled, Why: "sum over the transport's candidate pairs (pion reports 0)"}, "packetsSent packetsReceived")
	set(tr, Entry{Status: Filled, Why: "from pion's ICE and DTLS transports (pion leaves them empty)"}, "iceRole dtlsState iceState selectedCandidatePairId localCertificateId remoteCertificateId")
	set(tr, Entry{Status: Planned, Why: "reachable through pion's DTLS connection state; not wired yet"}, "tlsVersion dtlsCipher dtlsRole srtpCipher iceLocalUsernameFragment selectedCandidatePairChanges")
	set(tr, Entry{Status: No, Why: "RFC 8888 feedback is not counted by pion"}, "ccfbMessagesSent ccfbMessagesReceived")
	set(tr, Entry{Status: No, Why: "pion always bundles RTCP with RTP (rtcp-mux)"}, "rtcpTransportStatsId")
	set(tr, Entry{Status: No, Why: notPion}, "tlsGroup")
	set(tr, Entry{Status: Measured, When: dscpWhen, Why: "counted at the socket by dscp.Conn; sockets under a UDPMux are shared and left out"},
		"perDscpRtcpPacketsSent perDscpRtcpPacketsReceived perDscpSctpPacketsSent perDscpSctpPacketsReceived",
		"perDscpDtlsPacketsSent perDscpDtlsPacketsReceived perDscpStunPacketsSent perDscpStunPacketsReceived")

	cp := pionCommon(map[string]Entry{})
	set(cp, Entry{Status: Filled, Why: "pion leaves it empty"}, "transportId")
	set(cp, Entry{Status: Pion}, "localCandidateId remoteCandidateId state nominated packetsSent packetsReceived bytesSent bytesReceived totalRoundTripTime requestsReceived requestsSent responsesReceived responsesSent consentRequestsSent")
	set(cp, Entry{Status: Pion, When: "once a STUN response arrived"}, "currentRoundTripTime")
	set(cp, Entry{Status: Pion, When: "once it happened (pion's zero times are dropped)"}, "lastPacketSentTimestamp lastPacketReceivedTimestamp firstRequestTimestamp lastRequestTimestamp lastResponseTimestamp consentExpiredTimestamp")
	set(cp, Entry{Status: No, Why: "pion's ICE agent does not estimate it (always 0)"}, "availableOutgoingBitrate availableIncomingBitrate")
	set(cp, Entry{Status: No, Why: notPion}, "packetsDiscardedOnSend bytesDiscardedOnSend circuitBreakerTriggerCount retransmissionsReceived retransmissionsSent requestBytesSent consentRequestBytesSent responseBytesSent")

	cand := pionCommon(map[string]Entry{})
	set(cand, Entry{Status: Filled, Why: "pion leaves it empty"}, "transportId")
	set(cand, Entry{Status: Pion}, "address port protocol candidateType priority")
	set(cand, Entry{Status: Pion, When: "server-reflexive and relay candidates"}, "url")
	set(cand, Entry{Status: Pion, When: "relay candidates"}, "relayProtocol")
	set(cand, Entry{Status: Planned, Why: "available from pion's ICECandidate, not yet joined"}, "foundation relatedAddress relatedPort usernameFragment tcpType")
	set(cand, Entry{Status: No, Why: notPion}, "networkType")

	cert := pionCommon(map[string]Entry{})
	set(cert, Entry{Status: Pion, Why: "local; the remote certificate is built here from the DTLS peer certificate"}, "fingerprint fingerprintAlgorithm base64Certificate")
	set(cert, Entry{Status: No, Why: "pion's certificates are self-signed; pion's value is the issuer's name, not an id"}, "issuerCertificateId")

	csrc := common(map[string]Entry{})
	set(csrc, Entry{Status: Measured, When: "for packets with a CSRC list (from a mixer)", Why: "from the CSRC list; timestamp = the last packet counted"}, "contributorSsrc inboundRtpStreamId packetsContributedTo")
	set(csrc, Entry{Status: Measured, When: "RFC 6465 mixer-to-client extension negotiated, in the newest packet naming the source", Why: "127 -> 0, else 10^(-level/20)"}, "audioLevel")

	return []Type{
		{report.TypeCodec, "", codec},
		{report.TypeInboundRTP, "", in},
		{report.TypeOutboundRTP, "", out},
		{report.TypeRemoteInboundRTP, "", ri},
		{report.TypeRemoteOutboundRTP, "", ro},
		{report.TypeMediaSource, "audio", as},
		{report.TypeMediaSource, "video", vs},
		{report.TypeMediaPlayout, "", mp},
		{report.TypePeerConnection, "", pcs},
		{report.TypeDataChannel, "", dc},
		{report.TypeTransport, "", tr},
		{report.TypeCandidatePair, "", cp},
		{report.TypeLocalCandidate, "", cand},
		{report.TypeRemoteCandidate, "", cand},
		{report.TypeCertificate, "", cert},
		{report.TypeCSRC, "", csrc},
	}
}

// Markdown renders the table for README.md: one section per type, members
// in spec order, grouped by status.
func Markdown() string {
	var b strings.Builder
	for _, t := range Table() {
		title := string(t.Type)
		if t.Kind != "" {
			title += " (" + t.Kind + ")"
		}
		fmt.Fprintf(&b, "\n#### %s\n\n| member | source | when / why |\n|---|---|---|\n", title)
		for _, m := range report.Members(t.Type, t.Kind) {
			e, ok := t.Members[m.Name]
			if !ok {
				fmt.Fprintf(&b, "| `%s` | **missing from the coverage table** | |\n", m.Name)
				continue
			}
			note := e.When
			if e.Why != "" {
				if note != "" {
					note += "; "
				}
				note += e.Why
			}
			name := "`" + m.Name + "`"
			if m.Provisional {
				name += " ᵖ"
			}
			if m.Extension {
				name += " (rtcstats extension)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", name, e.Status, note)
		}
	}
	return b.String()
}
