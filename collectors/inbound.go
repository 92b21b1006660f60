package collectors

import (
	"sync"
	"time"

	"github.com/rtcstats/rtcstats/internal/payload"
	"github.com/rtcstats/rtcstats/internal/rtpx"
	"github.com/rtcstats/rtcstats/report"
)

// InboundConfig describes a received RTP stream as known at bind time.
type InboundConfig struct {
	ID       string // id of the inbound-rtp object
	RemoteID string // id of its remote-outbound-rtp object
	SSRC     uint32
	Kind     string // "audio" or "video"
	// ClockRate of the stream's codec, needed for jitter.
	ClockRate uint32
	// Codec of a video stream, for the frame members; payload.CodecUnknown
	// (or an audio stream) leaves them absent.
	Codec payload.Codec
	// AudioLevelID is the negotiated id of the RFC 6464 client-to-mixer
	// audio level extension (audio), CSRCLevelID of RFC 6465's
	// mixer-to-client one; 0 when not negotiated.
	AudioLevelID, CSRCLevelID uint8
	// Opus says the payload is Opus at 48 kHz, whose packets tell their
	// duration (RFC 6716 TOC); other codecs are timed by RTP timestamps.
	Opus bool
	// Epoch is the time of Instant 0 for this stream's packet times (see
	// InstantOf); zero means the Unix epoch.
	Epoch time.Time
}

// Inbound is the state of one received RTP stream (inbound-rtp) and of the
// sender's view of it from its Sender Reports (remote-outbound-rtp).
type Inbound struct {
	cfg InboundConfig

	mu                  sync.Mutex
	seq                 seqTracker
	jitter              jitterEstimator
	burst               BurstLoss
	packetsReceived     uint64
	bytesReceived       uint64
	headerBytesReceived uint64
	packetsDuplicated   uint64
	lastPacket          Instant
	payloadType         uint8
	mid                 string
	nackCount           uint32
	firCount            uint32
	pliCount            uint32

	rtxSSRC    uint32
	rtxPackets uint64
	rtxBytes   uint64
	trackID    string
	remote     remoteOutbound
	xrStarted  bool          // an RRTR went out about this stream (see xr.go)
	reportsOut rtcpInterval  // our report blocks about this stream
	frames     *FrameTracker // video with a known codec, else nil
	level      *AudioLevel   // audio with AudioLevelID, else nil
	csrcs      *CSRCTable    // from the first packet with a CSRC list
}

// NewInbound creates the state for a received stream.
func NewInbound(cfg InboundConfig) *Inbound {
	s := &Inbound{cfg: cfg}
	if kindIsVideo(cfg.Kind) {
		s.frames = NewFrameTracker(cfg.Codec, FrameReceiver)
	}
	if cfg.Kind == "audio" && cfg.AudioLevelID != 0 {
		s.level = new(AudioLevel)
	}
	return s
}

// Config returns what the stream was created with.
func (s *Inbound) Config() InboundConfig { return s.cfg }

// OnPacket accounts one RTP packet of this SSRC. mid is the payload of the
// sdes:mid header extension, or nil.
func (s *Inbound) OnPacket(now Instant, h *rtpx.Header, mid []byte) {
	s.OnMediaPacket(now, h, mid, nil)
}

// OnMediaPacket is OnPacket with the whole packet pkt (h parsed from it),
// from which a video stream's frames, an audio stream's levels (RFC 6464)
// and the contributing sources (CSRC list, RFC 6465 levels) are measured.
//
//nolint:cyclop // the per-packet path keeps its branches inline (BenchmarkInbound)
func (s *Inbound) OnMediaPacket(now Instant, h *rtpx.Header, mid, pkt []byte) {
	s.mu.Lock()
	if pkt != nil && s.frames != nil {
		s.frames.Packet(now, h.Sequence, h.Timestamp, h.Marker, pkt[h.HeaderLen:h.HeaderLen+h.PayloadLen])
	}
	if pkt != nil && h.CSRCCount > 0 {
		if s.csrcs == nil {
			s.csrcs = NewCSRCTable(CSRCConfig{InboundID: s.cfg.ID})
		}
		s.csrcs.OnPacket(now, pkt, h, h.Extension(pkt, s.cfg.CSRCLevelID))
	}
	if now > s.lastPacket || s.packetsReceived == 0 { // RTX repairs and late packets may carry older times
		s.lastPacket = now
	}
	s.packetsReceived++
	s.bytesReceived += uint64(h.PayloadLen)
	s.headerBytesReceived += uint64(h.HeaderLen + h.PaddingLen)
	s.payloadType = h.PayloadType
	if len(mid) > 0 && string(mid) != s.mid {
		s.mid = string(mid)
	}
	// Jitter only from packets that advance the sequence: a late or
	// retransmitted packet's transit says nothing about network jitter,
	// and neither does a stray far from the sequence.
	res := seqInOrder
	if !s.seq.next(h.Sequence) {
		res = s.seq.receive(h.Sequence, true)
	}
	switch res {
	case seqInOrder:
		if !s.jitter.step(now, h.Timestamp, s.cfg.ClockRate) {
			s.jitter.update(now, h.Timestamp, s.cfg.ClockRate)
		}
		if !s.burst.receiveNext(h.Sequence) {
			s.burst.Receive(now, h.Sequence)
		}
	case seqRestart:
		s.jitter.rebase()
		s.jitter.update(now, h.Timestamp, s.cfg.ClockRate)
		s.burst.Restart()
		s.burst.Receive(now, h.Sequence)
		if s.level != nil {
			s.level.Restart()
		}
	case seqLate:
		s.burst.Receive(now, h.Sequence)
	case seqDuplicate:
		s.packetsDuplicated++
	case seqStray: // received, but far from the sequence: no jitter, no burst
	}
	if s.level != nil && pkt != nil && (res == seqInOrder || res == seqRestart || res == seqLate) {
		s.addLevelLocked(h, pkt, res == seqLate)
	}
	s.mu.Unlock()
}

// addLevelLocked accounts an audio packet's RFC 6464 level, if it has one.
// Duplicates and strays never get here: their audio is not new.
func (s *Inbound) addLevelLocked(h *rtpx.Header, pkt []byte, late bool) {
	lvl, voice, ok := rtpx.ParseAudioLevel(h.Extension(pkt, s.cfg.AudioLevelID))
	if !ok {
		return
	}
	if s.cfg.Opus {
		n, ok := rtpx.OpusSamples(pkt[h.HeaderLen : h.HeaderLen+h.PayloadLen])
		if !ok {
			return
		}
		if late {
			s.level.AddLate(lvl, n, 48000)
		} else {
			s.level.Add(lvl, voice, n, 48000)
		}
		return
	}
	s.level.AddRTP(lvl, voice, h.Sequence, h.Timestamp, s.cfg.ClockRate)
}

// LinkRTX declares that retransmissions of this stream arrive on rtxSSRC
// (RFC 4588). From then on the retransmitted* members exist.
func (s *Inbound) LinkRTX(rtxSSRC uint32) {
	s.mu.Lock()
	s.rtxSSRC = rtxSSRC
	s.mu.Unlock()
}

// RTXSSRC returns the linked retransmission SSRC, or 0.
func (s *Inbound) RTXSSRC() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rtxSSRC
}

// OnRTXPacket accounts an RFC 4588 retransmission received on the RTX SSRC.
// osn is the original sequence number carried in the first two payload bytes;
// h describes the RTX packet itself. The packet counts as received for this
// stream (it may repair a loss) but does not feed jitter.
func (s *Inbound) OnRTXPacket(now Instant, h *rtpx.Header, osn uint16) {
	s.OnRTXMediaPacket(now, h, osn, nil)
}

// OnRTXMediaPacket is OnRTXPacket with the original payload (after the
// OSN), which completes a video frame the loss left open.
func (s *Inbound) OnRTXMediaPacket(now Instant, h *rtpx.Header, osn uint16, original []byte) {
	if h.PayloadLen < 2 {
		return // no OSN: a padding-only probe repairs nothing
	}
	payload := h.PayloadLen - 2
	s.mu.Lock()
	if s.frames != nil && original != nil {
		// RFC 4588: the RTX packet carries the original's timestamp
		// and, as pion's responder and libwebrtc send it, its marker.
		s.frames.Packet(now, osn, h.Timestamp, h.Marker, original)
	}
	if now > s.lastPacket || s.packetsReceived == 0 { // RTX repairs and late packets may carry older times
		s.lastPacket = now
	}
	s.packetsReceived++
	s.bytesReceived += uint64(payload)
	s.headerBytesReceived += uint64(h.HeaderLen + h.PaddingLen + 2)
	s.rtxPackets++
	s.rtxBytes += uint64(payload)
	switch s.seq.receive(osn, false) {
	case seqDuplicate:
		s.packetsDuplicated++
	case seqLate:
		s.burst.Receive(now, osn) // a repair: not lost after all
	case seqInOrder, seqStray, seqRestart: // ahead of the original stream: receive recorded it
	}
	s.mu.Unlock()
}

// OnNACKSent counts a Generic NACK feedback message sent about this SSRC.
func (s *Inbound) OnNACKSent() { s.mu.Lock(); s.nackCount++; s.mu.Unlock() }

// OnPLISent counts a Picture Loss Indication sent about this SSRC.
func (s *Inbound) OnPLISent() { s.mu.Lock(); s.pliCount++; s.mu.Unlock() }

// OnFIRSent counts a Full Intra Request entry sent about this SSRC.
func (s *Inbound) OnFIRSent() { s.mu.Lock(); s.firCount++; s.mu.Unlock() }

// SetTrackIdentifier records the MediaStreamTrack id the receiver delivers to.
func (s *Inbound) SetTrackIdentifier(id string) {
	s.mu.Lock()
	s.trackID = id
	s.mu.Unlock()
}

// OnReportSent notes that a report block about this stream left in an RTCP
// report packet at now (averageRtcpInterval).
func (s *Inbound) OnReportSent(now time.Time) {
	s.mu.Lock()
	s.reportsOut.sent(now)
	s.mu.Unlock()
}

// OnSenderReport accounts an RTCP Sender Report sent by this stream's source.
// It returns false, changing nothing, for a report older than the last one.
func (s *Inbound) OnSenderReport(now time.Time, ntp uint64, packetCount, octetCount uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote.onSenderReport(now, ntp, packetCount, octetCount)
}

// InboundSnapshot is a consistent copy of an Inbound's dictionaries.
type InboundSnapshot struct {
	Inbound *report.InboundRTPStreamStats
	// Remote is nil until a Sender Report has arrived.
	Remote *report.RemoteOutboundRTPStreamStats
	// PayloadType of the last packet; valid when HasPayloadType.
	PayloadType    uint8
	HasPayloadType bool
	// CSRCs are the stream's contributing sources (csrc objects).
	CSRCs []*report.ContributingSourceStats
}

// Snapshot returns the stream's stats as of now. References to objects this
// package does not own (codecId, transportId) are left for the caller.
//
// packetsLost is expected - packetsReceived (RFC 3550 A.3), where
// packetsReceived counts every packet of the SSRC (retransmissions and
// duplicates included) and expected is summed over the stream's sequence
// epochs. A source that jumps by MAX_DROPOUT (3000) or more ahead, or by
// MAX_MISORDER (100) or more back, is taken to have restarted only when the
// next packet follows the jump (RFC 3550 A.1 probation); the stream then
// re-bases there, like A.1 init_seq. Across a restart packetsLost is the
// loss of the old numbering (kept, so the counter never drops because of
// a restart) plus the loss of the new one counted from its new base; the
// jump itself is no loss. A stray packet far from the sequence, the first
// packet of a restarting pair and stragglers of an old numbering are
// received and also expected once each, so they leave packetsLost alone,
// as A.1 leaves them out of both counts. RFC 3550's own counters (the RR's
// cumulative lost) start again from zero at a restart instead.
func (s *Inbound) Snapshot(now time.Time) InboundSnapshot {
	return s.SnapshotIn(now, nil)
}

// SnapshotIn is Snapshot with the objects' storage taken from a (see Arena).
func (s *Inbound) SnapshotIn(now time.Time, a *Arena) InboundSnapshot {
	if a == nil {
		a = new(Arena) // does not escape: a block of one box each, as new would
	}
	b := a.in.get() // before the lock: packets need not wait for the allocator
	v := &b.v
	s.mu.Lock()
	defer s.mu.Unlock()

	video := kindIsVideo(s.cfg.Kind)
	at := InstantOf(s.cfg.Epoch, now)
	in := &b.s
	// Field by field into the fresh (zeroed) box: assigning a whole
	// struct value would copy every pointer slot through the write
	// barrier while the garbage collector runs.
	in.Timestamp, in.Type, in.ID = rtpx.UnixMillis(now), report.TypeInboundRTP, s.cfg.ID
	in.SSRC, in.Kind = s.cfg.SSRC, s.cfg.Kind
	in.PacketsReceived = v.uint64(s.packetsReceived)
	in.BytesReceived = v.uint64(s.bytesReceived)
	in.HeaderBytesReceived = v.uint64(s.headerBytesReceived)
	in.PacketsLost = v.int64(s.seq.expected() - int64(s.packetsReceived))
	in.PacketsDuplicated = v.uint64(s.packetsDuplicated)
	in.NACKCount = v.uint32(s.nackCount)
	in.TrackIdentifier = s.trackID
	if video {
		in.FIRCount = v.uint32(s.firCount)
		in.PLICount = v.uint32(s.pliCount)
	}
	if j, ok := s.jitter.seconds(s.cfg.ClockRate); ok {
		in.Jitter = v.float64(j)
	}
	if s.packetsReceived > 0 {
		in.LastPacketReceivedTimestamp = v.float64(wallMillis(now, at, s.lastPacket))
	}
	if s.mid != "" {
		in.Mid = v.string(s.mid)
	}
	if s.packetsReceived > 0 {
		// RFC 3611 bursts with Gmin 16 (see BurstLoss); the rates once a
		// sequence number has been decided.
		b := s.burst.Snapshot(at)
		in.BurstPacketsLost = v.uint64(b.BurstPacketsLost)
		in.BurstLossCount = v.uint32(b.BurstLossCount)
		if b.Expected > 0 {
			in.BurstLossRate = v.float64(b.BurstLossRate)
			in.GapLossRate = v.float64(b.GapLossRate)
		}
	}
	if s.frames != nil {
		s.frames.Snapshot(at).fillInbound(in, v)
	}
	if s.level != nil {
		if l := s.level.Snapshot(); l.Packets > 0 {
			in.AudioLevel = v.float64(l.AudioLevel)
			in.TotalAudioEnergy = v.float64(l.TotalAudioEnergy)
			in.TotalSamplesDuration = v.float64(l.TotalSamplesDuration)
			in.VoiceActivityFlag = v.bool(l.VoiceActivityFlag)
		}
	}
	if avg, ok := s.reportsOut.average(); ok {
		in.AverageRTCPInterval = v.float64(avg)
	}
	if s.rtxSSRC != 0 {
		in.RTXSSRC = v.uint32(s.rtxSSRC)
		in.RetransmittedPacketsReceived = v.uint64(s.rtxPackets)
		in.RetransmittedBytesReceived = v.uint64(s.rtxBytes)
	}
	snap := InboundSnapshot{Inbound: in, PayloadType: s.payloadType, HasPayloadType: s.packetsReceived > 0}
	if s.csrcs != nil {
		snap.CSRCs = s.csrcs.Snapshot(now, at)
	}
	if s.remote.reports > 0 {
		in.RemoteID = v.string(s.cfg.RemoteID)
		snap.Remote = s.remote.snapshot(s.cfg, s.xrStarted, a.rout.get())
	}
	return snap
}

// inboundBox is an inbound-rtp object with the storage for its members, so
// that a snapshot allocates once.
type inboundBox struct {
	s report.InboundRTPStreamStats
	v vals
}
