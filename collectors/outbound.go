package collectors

import (
	"sync"
	"time"

	"github.com/rtcstats/rtcstats/internal/payload"
	"github.com/rtcstats/rtcstats/internal/rtpx"
	"github.com/rtcstats/rtcstats/report"
)

// OutboundConfig describes a sent RTP stream as known at bind time.
type OutboundConfig struct {
	ID       string // id of the outbound-rtp object
	RemoteID string // id of its remote-inbound-rtp object
	SSRC     uint32
	RTXSSRC  uint32 // RFC 4588 retransmission SSRC, 0 if not negotiated
	FECSSRC  uint32 // FlexFEC SSRC, 0 if not negotiated
	Kind     string
	// ClockRate of the stream's codec, to convert reported jitter to seconds.
	ClockRate uint32
	// Codec of a video stream, for the frame members; payload.CodecUnknown
	// (or an audio stream) leaves them absent.
	Codec payload.Codec
	// AudioLevel says the RFC 6464 audio level extension is negotiated
	// (audio): the levels of the packets sent feed the media source.
	AudioLevel bool
	// Opus: the payload is Opus at 48 kHz (see InboundConfig.Opus).
	Opus bool
	// Epoch is the time of Instant 0 for this stream's packet times (see
	// InstantOf); zero means the Unix epoch.
	Epoch time.Time
}

// srHistoryLen is how many of our own Sender Reports are remembered for
// matching the LSR field of incoming report blocks. A peer answers the latest
// SR it got; eight covers several seconds of reordering or loss of SRs.
const srHistoryLen = 8

// Outbound is the state of one sent RTP stream (outbound-rtp) and of the
// receiver's view of it from its report blocks (remote-inbound-rtp).
type Outbound struct {
	cfg OutboundConfig

	mu              sync.Mutex
	packetsSent     uint64
	bytesSent       uint64
	headerBytesSent uint64
	rtxPackets      uint64
	rtxBytes        uint64
	fecPackets      uint64
	foreign         uint64
	seq             rtpx.SeqUnwrapper
	maxSeq          int64
	firstSeq        int64
	started         bool
	lastPacket      Instant
	payloadType     uint8
	mid             string
	nackCount       uint32
	firCount        uint32
	pliCount        uint32

	srSent [srHistoryLen]sentSR
	srNext int
	srIv   rtcpInterval // our Sender Reports (averageRtcpInterval)
	remote remoteInbound
	frames *FrameTracker // video with a known codec, else nil
	level  *AudioLevel   // audio with the level extension, else nil
}

type sentSR struct {
	lsr uint32    // compact NTP of the SR, as the peer will echo it
	at  time.Time // when it passed us, monotonic
}

// NewOutbound creates the state for a sent stream.
func NewOutbound(cfg OutboundConfig) *Outbound {
	s := &Outbound{cfg: cfg}
	if kindIsVideo(cfg.Kind) {
		s.frames = NewFrameTracker(cfg.Codec, FrameSender)
	}
	if cfg.Kind == "audio" && cfg.AudioLevel {
		s.level = new(AudioLevel)
	}
	return s
}

// SentPacket is one RTP packet written for an outbound stream.
type SentPacket struct {
	SSRC      uint32
	Seq       uint16
	Timestamp uint32
	Marker    bool
	PT        uint8
	// HeaderLen includes CSRCs and extensions; PayloadLen excludes padding.
	HeaderLen, PayloadLen, PaddingLen int
	Mid                               []byte // sdes:mid extension payload, or nil
	Payload                           []byte // the payload, for a video stream's frames; or nil
	AudioLevel                        []byte // RFC 6464 extension payload, or nil
}

// Config returns what the stream was created with.
func (s *Outbound) Config() OutboundConfig { return s.cfg }

// OnPacket accounts one RTP packet written for this stream: on its own SSRC,
// on its RTX SSRC (then it is a retransmission whose payload starts with
// the two-byte original sequence number), or on its FlexFEC SSRC (counted
// as fecPacketsSent only). headerLen includes CSRCs and extensions. mid is
// the sdes:mid extension payload, or nil. It reports false for a packet on
// any other SSRC, which changes nothing but a counter.
func (s *Outbound) OnPacket(now Instant, ssrc uint32, seq uint16, pt uint8, headerLen, payloadLen, paddingLen int, mid []byte) bool {
	return s.OnSentPacket(now, &SentPacket{SSRC: ssrc, Seq: seq, PT: pt, HeaderLen: headerLen, PayloadLen: payloadLen, PaddingLen: paddingLen, Mid: mid})
}

// OnSentPacket is OnPacket with the whole description of the packet: with
// its payload, a video stream's frames are counted from the packets on its
// own SSRC (retransmissions included: a frame counts once).
func (s *Outbound) OnSentPacket(now Instant, p *SentPacket) bool {
	ssrc, seq, pt, headerLen, payloadLen, paddingLen, mid := p.SSRC, p.Seq, p.PT, p.HeaderLen, p.PayloadLen, p.PaddingLen, p.Mid
	s.mu.Lock()
	if ssrc == s.cfg.SSRC && s.frames != nil && p.Payload != nil {
		s.frames.Packet(now, seq, p.Timestamp, p.Marker, p.Payload)
	}
	switch {
	case ssrc == s.cfg.SSRC:
	case ssrc == s.cfg.RTXSSRC && ssrc != 0:
	case ssrc == s.cfg.FECSSRC && ssrc != 0:
		s.fecPackets++
		s.mu.Unlock()
		return true
	default:
		s.foreign++
		s.mu.Unlock()
		return false
	}
	s.lastPacket = now
	s.packetsSent++
	if ssrc == s.cfg.RTXSSRC && s.cfg.RTXSSRC != 0 {
		if payloadLen >= 2 {
			payloadLen -= 2
			headerLen += 2
		}
		s.bytesSent += uint64(payloadLen)
		s.headerBytesSent += uint64(headerLen + paddingLen)
		s.rtxPackets++
		s.rtxBytes += uint64(payloadLen)
		s.mu.Unlock()
		return true
	}
	s.bytesSent += uint64(payloadLen)
	s.headerBytesSent += uint64(headerLen + paddingLen)
	s.payloadType = pt
	if len(mid) > 0 && string(mid) != s.mid {
		s.mid = string(mid)
	}
	ext := s.seq.Unwrap(seq)
	switch {
	case !s.started:
		s.started, s.firstSeq, s.maxSeq = true, ext, ext
		if s.level != nil {
			s.addLevelLocked(p)
		}
	case ext > s.maxSeq:
		s.maxSeq = ext
		if s.level != nil {
			s.addLevelLocked(p)
		}
	default:
		// Without RTX a retransmission reuses its original sequence
		// number, so anything that does not advance the sequence is one.
		s.rtxPackets++
		s.rtxBytes += uint64(payloadLen)
	}
	s.mu.Unlock()
	return true
}

// addLevelLocked accounts the RFC 6464 level of a new (not resent) audio
// packet for the media source; s.level is not nil.
func (s *Outbound) addLevelLocked(p *SentPacket) {
	lvl, voice, ok := rtpx.ParseAudioLevel(p.AudioLevel)
	if !ok {
		return
	}
	if s.cfg.Opus {
		if n, ok := rtpx.OpusSamples(p.Payload); ok {
			s.level.Add(lvl, voice, n, 48000)
		}
		return
	}
	s.level.AddRTP(lvl, voice, p.Seq, p.Timestamp, s.cfg.ClockRate)
}

// OnNACK counts a Generic NACK message received about this stream.
func (s *Outbound) OnNACK() { s.mu.Lock(); s.nackCount++; s.mu.Unlock() }

// OnPLI counts a Picture Loss Indication received about this stream.
func (s *Outbound) OnPLI() { s.mu.Lock(); s.pliCount++; s.mu.Unlock() }

// OnFIR counts a Full Intra Request entry received about this stream.
func (s *Outbound) OnFIR() { s.mu.Lock(); s.firCount++; s.mu.Unlock() }

// OnSenderReportSent remembers when our Sender Report with NTP time ntp left,
// so that a report block echoing it can be turned into a round-trip time on
// the monotonic clock.
func (s *Outbound) OnSenderReportSent(now time.Time, ntp uint64) {
	s.mu.Lock()
	s.srSent[s.srNext] = sentSR{lsr: rtpx.CompactNTP(ntp), at: now}
	s.srNext = (s.srNext + 1) % srHistoryLen
	s.srIv.sent(now)
	s.mu.Unlock()
}

// ReceptionReport is one RTCP report block (RFC 3550 6.4.1) about our SSRC.
type ReceptionReport struct {
	FractionLost uint8
	TotalLost    uint32 // 24-bit two's complement on the wire
	ExtHighest   uint32
	Jitter       uint32 // timestamp units
	LSR, DLSR    uint32
}

// RTTResult says what a report block did to the round-trip time estimate.
type RTTResult int

// RTTResult values.
const (
	RTTNone      RTTResult = iota // no LSR/DLSR: nothing to measure
	RTTMeasured                   // a sample was taken
	RTTUnmatched                  // LSR is not one of our recent SRs
	RTTRejected                   // the sample was negative or absurd
)

// MaxPlausibleRTT bounds accepted round-trip samples; anything longer comes
// from a corrupt or stale report block, not from a network.
const MaxPlausibleRTT = 30 * time.Second

// OnReceptionReport accounts a report block about this stream that arrived at now.
func (s *Outbound) OnReceptionReport(now time.Time, rr ReceptionReport) RTTResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &s.remote
	r.arrival = now
	r.reports++
	// The block's extended highest sequence number in our numbering: the
	// receiver's cycle count starts at its own first packet, which is not
	// ours when our first packets straddle a wrap, so only its low 16 bits
	// are trusted, against the highest sequence number we sent.
	var ext int64
	if s.started {
		ext = s.maxSeq - int64(uint16(s.maxSeq)-uint16(rr.ExtHighest))
		if r.hasExt && ext < r.ext {
			// A block older than the last one (RTCP reordered on the way):
			// its counters would move time backwards. Its RTT sample is
			// still good.
			return s.rttSampleLocked(now, rr)
		}
		r.ext, r.hasExt = ext, true
	}
	r.packetsLost = int64(rtpx.SignExtend24(rr.TotalLost))
	r.fractionLost = float64(rr.FractionLost) / 256
	r.jitter = rr.Jitter
	// RFC 3550 A.3: expected = extended highest - base + 1; received =
	// expected - lost. The receiver's base is its first packet, which RR
	// blocks do not carry: ours is used, exact unless our first packets
	// were lost before the receiver's first (then it counts them too).
	if s.started {
		if recv := ext - s.firstSeq + 1 - r.packetsLost; recv >= 0 {
			r.packetsReceived, r.hasReceived = uint64(recv), true
		}
	}
	return s.rttSampleLocked(now, rr)
}

// rttSampleLocked takes a round-trip sample from a block's LSR and DLSR.
func (s *Outbound) rttSampleLocked(now time.Time, rr ReceptionReport) RTTResult {
	r := &s.remote
	if rr.LSR == 0 || rr.DLSR == 0 {
		return RTTNone
	}
	for _, sr := range s.srSent {
		if sr.lsr != rr.LSR || sr.at.IsZero() {
			continue
		}
		rtt := now.Sub(sr.at) - rtpx.CompactToDuration(rr.DLSR)
		// A round trip takes time: 0 (or less, from DLSR's truncation or
		// a skewed peer) is not an estimate of one.
		if rtt <= 0 || rtt > MaxPlausibleRTT {
			return RTTRejected
		}
		r.rtt = rtt
		r.totalRTT += rtt
		r.rttCount++
		return RTTMeasured
	}
	return RTTUnmatched
}

// OutboundSnapshot is a consistent copy of an Outbound's dictionaries.
type OutboundSnapshot struct {
	Outbound *report.OutboundRTPStreamStats
	// Remote is nil until a report block has arrived.
	Remote         *report.RemoteInboundRTPStreamStats
	PayloadType    uint8
	HasPayloadType bool
	// VideoSource and AudioSource are what the stream's packets say of the
	// track it sends (media-source members only; nil when they say
	// nothing): frames and size for video, RFC 6464 levels for audio.
	VideoSource *report.VideoSourceStats
	AudioSource *report.AudioSourceStats
}

// Snapshot returns the stream's stats as of now. codecId and transportId are
// left for the caller.
func (s *Outbound) Snapshot(now time.Time) OutboundSnapshot {
	return s.SnapshotIn(now, nil)
}

// SnapshotIn is Snapshot with the objects' storage taken from a (see Arena).
func (s *Outbound) SnapshotIn(now time.Time, a *Arena) OutboundSnapshot {
	// Before the lock: packets need not wait for the allocator. The media
	// source (frames and level are fixed at creation) shares the box.
	if a == nil {
		a = new(Arena) // does not escape: a block of one box each, as new would
	}
	var (
		b    *outboundBox
		vsrc *outboundVideoBox
		asrc *outboundAudioBox
	)
	switch {
	case s.frames != nil:
		vsrc = a.outV.get()
		b = &vsrc.outboundBox
	case s.level != nil:
		asrc = a.outA.get()
		b = &asrc.outboundBox
	default:
		b = a.out.get()
	}
	v := &b.v
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &b.s
	// Field by field into the fresh (zeroed) box, as in Inbound.Snapshot.
	out.Timestamp, out.Type, out.ID = rtpx.UnixMillis(now), report.TypeOutboundRTP, s.cfg.ID
	out.SSRC, out.Kind = s.cfg.SSRC, s.cfg.Kind
	out.PacketsSent = v.uint64(s.packetsSent)
	out.BytesSent = v.uint64(s.bytesSent)
	out.HeaderBytesSent = v.uint64(s.headerBytesSent)
	out.RetransmittedPacketsSent = v.uint64(s.rtxPackets)
	out.RetransmittedBytesSent = v.uint64(s.rtxBytes)
	out.NACKCount = v.uint32(s.nackCount)
	if kindIsVideo(s.cfg.Kind) {
		out.FIRCount = v.uint32(s.firCount)
		out.PLICount = v.uint32(s.pliCount)
	}
	if s.cfg.RTXSSRC != 0 {
		out.RTXSSRC = v.uint32(s.cfg.RTXSSRC)
	}
	if s.cfg.FECSSRC != 0 {
		out.FECPacketsSent = v.uint32(uint32(s.fecPackets))
	}
	at := InstantOf(s.cfg.Epoch, now)
	if s.packetsSent > 0 {
		out.LastPacketSentTimestamp = v.float64(wallMillis(now, at, s.lastPacket))
	}
	if s.mid != "" {
		out.Mid = v.string(s.mid)
	}
	var fs FrameStats
	if s.frames != nil {
		fs = s.frames.Snapshot(at)
		fs.fillOutbound(out, v)
	}
	if avg, ok := s.srIv.average(); ok {
		out.AverageRTCPInterval = v.float64(avg)
	}
	snap := OutboundSnapshot{Outbound: out, PayloadType: s.payloadType, HasPayloadType: s.started}
	switch {
	case vsrc != nil:
		snap.VideoSource = &vsrc.src
		fs.fillVideoSource(snap.VideoSource, v)
	case asrc != nil:
		snap.AudioSource = &asrc.src
		if l := s.level.Snapshot(); l.Packets > 0 {
			lv := &asrc.levels
			lv[0], lv[1], lv[2] = l.AudioLevel, l.TotalAudioEnergy, l.TotalSamplesDuration
			snap.AudioSource.AudioLevel = &lv[0]
			snap.AudioSource.TotalAudioEnergy = &lv[1]
			snap.AudioSource.TotalSamplesDuration = &lv[2]
			asrc.vad, out.VoiceActivityFlag = l.VoiceActivityFlag, &asrc.vad
		}
	}
	if s.remote.reports > 0 {
		out.RemoteID = v.string(s.cfg.RemoteID)
		snap.Remote = s.remote.snapshot(s.cfg, a.rin.get())
	}
	return snap
}

// outboundBox is an outbound-rtp object with the storage for its members,
// so that a snapshot allocates once.
type outboundBox struct {
	s report.OutboundRTPStreamStats
	v outVals
}

// outboundVideoBox is an outboundBox with the media-source object of a video
// stream, whose members come from the outboundBox's outVals (760 bytes: with
// the allocator's header, the 768-byte size class).
type outboundVideoBox struct {
	outboundBox
	src report.VideoSourceStats
}

// outboundAudioBox is an outboundBox with the media-source object of an
// audio stream and its level members.
type outboundAudioBox struct {
	outboundBox
	src    report.AudioSourceStats
	levels [3]float64
	vad    bool // the outbound-rtp's voiceActivityFlag
}
