package collectors

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rtcstats/rtcstats/internal/payload"
	"github.com/rtcstats/rtcstats/internal/rtpx"
	"github.com/rtcstats/rtcstats/report"
)

// ErrInvalidFrameTarget is returned, wrapped, by FrameTracker.SetTarget
// for a negative, infinite or NaN bitrate or frame rate.
var ErrInvalidFrameTarget = errors.New("collectors: invalid frame target")

// FrameDirection says which side of an RTP video stream a FrameTracker
// watches.
type FrameDirection uint8

const (
	// FrameReceiver watches a received stream (inbound-rtp): a frame
	// counts once all its packets are in.
	FrameReceiver FrameDirection = iota + 1
	// FrameSender watches a sent stream (outbound-rtp, and the
	// media-source feeding it): a frame counts once its last packet is
	// sent.
	FrameSender
)

const (
	// frameSlots is how many frames (RTP timestamps) are tracked at once.
	// A frame that has not completed when 32 newer ones have started
	// (about a second at 30 fps) is dropped as incomplete.
	frameSlots = 32
	// frameSeqWindow is how many sequence numbers back a packet is still
	// recognised, as a duplicate or as the predecessor of a frame. pion's
	// NACK responder keeps 1024 packets too, so no retransmission it sends
	// can fall outside.
	frameSeqWindow = 1024
	// fpsRing holds the completion times of the frames of the last second:
	// 256 is more than any WebRTC frame rate; with more, framesPerSecond
	// is left absent rather than undercounted.
	fpsRing = 256
	// hugeFrameFactor is the spec's multiple of the average frame size
	// from which a sent frame is huge.
	hugeFrameFactor = 2.5
	bitsPerByte     = 8
)

// frameSlot is the state of one frame, the packets of one RTP timestamp.
// Sequence numbers are extended.
type frameSlot struct {
	ts                 uint32
	used, done, broken bool
	key                bool
	hasStart, hasEnd   bool
	minMayStart        bool // the lowest packet so far may begin a frame
	hasSize            bool
	width, height      uint32
	min, max           int64 // lowest and highest packet seen
	start, end         int64 // the packet marked as first, the marker packet
	packets            int64 // distinct packets seen
	bytes              int64 // payload media bytes (FrameInfo.MediaBytes)
	first, last        time.Duration
}

// FrameTracker derives the frame members of one RTP video stream from its
// packets' payloads: frame counts, key frames, frame size and rate. Which
// members it measures depends on the direction (see FrameStats).
//
// A frame is the set of packets sharing an RTP timestamp (RFC 3550 §5.1);
// its last packet carries the marker bit (RFC 7741 §4.1, RFC 9628 §4.1,
// RFC 6184 §5.1, AV1 RTP §4.1). What ends it is therefore always known;
// what begins it depends on the codec:
//
//   - VP8, VP9: the payload descriptor marks the first packet (VP8 S=1 with
//     PID=0, VP9 B=1 on spatial layer 0).
//   - H.264, AV1: nothing marks every first packet. The first packet of a
//     frame is known when the packet right before it in sequence was
//     received and belongs to another timestamp, or when the payload proves
//     it (an H.264 access unit delimiter, AV1 N=1), or when it is the
//     lowest sequence number received on the stream and its payload can
//     begin a frame (payload.FrameInfo.MayStart). The last rule lets the
//     stream's first frame count; had earlier packets of that frame been
//     lost, or overtaken at the very start of the stream, it would count a
//     frame that is not complete. Every later frame needs proof.
//
// A received frame is complete when every sequence number from its first
// to its marker packet has arrived with its timestamp, in any order and
// however late, as long as the frame is among the last 32 started and the
// packets within 1024 sequence numbers of the newest. Duplicates and
// retransmissions of packets already seen change nothing. Two consecutive
// packets from 1024 or more behind are taken as a restart of the sequence
// numbering (RFC 3550 A.1 probation): frames in progress are dropped and
// counting resumes from the second of them.
//
// Packet does not allocate; all state is in the struct (about 9 KiB). The
// tracker reads no clock: every method takes the time, which must come
// from a monotonic clock. A FrameTracker is not safe for concurrent use:
// the caller holds the stream's lock.
type FrameTracker struct {
	parser payload.Parser
	dir    FrameDirection
	base   time.Time // first packet; offsets below are from here

	seq      rtpx.SeqUnwrapper
	accepted bool  // a packet has been accepted
	lowest   int64 // lowest extended sequence number accepted since the last restart
	highest  int64
	badSeq   uint16 // a packet with this number would confirm a restart
	hasBad   bool
	seen     [frameSeqWindow / 64]uint64
	seqTS    [frameSeqWindow]uint32 // timestamp of each seen packet
	slots    [frameSlots]frameSlot
	next     int // slot to reuse next: the oldest
	recent   int // slot of the last packet, checked first

	frames, keyFrames, multiPacket uint32
	assembly                       time.Duration

	hasTarget, judged bool
	targetBytes       float64
	huge              uint32

	hasSize       bool
	width, height uint32
	sizeSeq       int64 // first packet of the frame that gave the size

	done     [fpsRing]time.Duration // completion offsets, a ring
	doneHead int                    // next write position
	doneN    int
}

// NewFrameTracker returns a tracker for a stream of codec c seen from dir,
// or nil when c is payload.CodecUnknown or dir is not a FrameDirection:
// without a parser none of the frame members can be measured. A nil
// *FrameTracker is safe to use; its Snapshot reports nothing.
func NewFrameTracker(c payload.Codec, dir FrameDirection) *FrameTracker {
	if c == payload.CodecUnknown || (dir != FrameReceiver && dir != FrameSender) {
		return nil
	}
	return &FrameTracker{parser: payload.NewParser(c), dir: dir}
}

// SetCodec switches the tracker to codec c after a change of the stream's
// payload type. Frames in progress are dropped, counters and the last
// frame size are kept. While c is CodecUnknown packets only move the
// sequence window.
func (f *FrameTracker) SetCodec(c payload.Codec) {
	if f == nil || c == f.parser.Codec() {
		return
	}
	f.parser = payload.NewParser(c)
	f.slots = [frameSlots]frameSlot{}
}

// SetTarget declares the sender's target bitrate (bits per second, as
// targetBitrate) and frame rate, from which hugeFramesSent is judged:
// "frames that have an encoded size at least 2.5 times the average size of
// the frames", the average being "the target bitrate per second divided by
// the target FPS at the time the frame was encoded". A frame is judged
// against the target in force when its last packet is sent. A zero bitrate
// or frame rate withdraws the target: later frames are not judged, and the
// count so far stays. Only meaningful for FrameSender.
func (f *FrameTracker) SetTarget(bitrate, fps float64) error {
	if bitrate < 0 || fps < 0 || math.IsNaN(bitrate) || math.IsNaN(fps) || math.IsInf(bitrate, 0) || math.IsInf(fps, 0) {
		return fmt.Errorf("%w: bitrate %v, fps %v", ErrInvalidFrameTarget, bitrate, fps)
	}
	if f == nil {
		return nil
	}
	if bitrate == 0 || fps == 0 {
		f.hasTarget = false
		return nil
	}
	f.hasTarget, f.judged = true, true
	f.targetBytes = bitrate / bitsPerByte / fps
	return nil
}

// Packet accounts one RTP packet of the stream at time now: its sequence
// number, timestamp, marker bit and payload (after the header and any
// header extensions, without padding, in the clear; empty for a
// padding-only packet). For an RFC 4588 retransmission pass the original
// sequence number and payload (after the OSN) with the RTX packet's
// timestamp, which §4 makes the original's, and its marker bit, which
// senders copy from the original (pion's NACK responder re-sends the
// original header).
func (f *FrameTracker) Packet(now time.Time, seq uint16, timestamp uint32, marker bool, pl []byte) {
	if f == nil {
		return
	}
	if !f.accepted {
		f.base = now
	}
	t := now.Sub(f.base)
	ext := f.seq.Unwrap(seq)
	switch {
	case !f.accepted:
		f.accepted, f.lowest, f.highest = true, ext, ext
	case ext > f.highest:
		f.forget(f.highest+1, ext)
		f.highest = ext
	case f.highest-ext >= frameSeqWindow:
		// Too old to tell from a duplicate, or the source restarted its
		// numbering: as in RFC 3550 A.1, the packet after it confirms a
		// restart, and the window starts again there.
		if !f.hasBad || seq != f.badSeq {
			f.badSeq, f.hasBad = seq+1, true
			return
		}
		f.restart(seq)
		ext = f.highest
	}
	f.hasBad = false
	if f.isSeen(ext) {
		return // a duplicate or a retransmission of a packet already counted
	}
	f.markSeen(ext, timestamp)
	if ext < f.lowest {
		f.lowest = ext
	}
	if f.parser.Codec() == payload.CodecUnknown || len(pl) == 0 {
		// The window still follows the stream. A padding-only packet
		// belongs to no frame, but is the predecessor of the next one.
		return
	}

	info := f.parser.Parse(pl)
	s := f.slot(timestamp)
	if s.packets == 0 {
		s.min, s.max, s.minMayStart = ext, ext, info.MayStart
		s.first = t
	} else {
		if ext < s.min {
			s.min, s.minMayStart = ext, info.MayStart
		}
		s.max = max(s.max, ext)
		s.first = min(s.first, t)
	}
	s.last = max(s.last, t)
	s.packets++
	s.bytes += int64(info.MediaBytes)
	s.key = s.key || info.Key
	if info.HasSize {
		s.hasSize, s.width, s.height = true, info.Width, info.Height
	}
	if info.Start {
		if s.hasStart && s.start != ext {
			s.broken = true // two first packets: not one frame
		}
		s.hasStart, s.start = true, ext
	}
	if marker {
		if s.hasEnd && s.end != ext {
			s.broken = true
		}
		s.hasEnd, s.end = true, ext
	}

	if f.dir == FrameSender {
		if s.hasEnd && !s.done {
			f.complete(s, t)
		}
		return
	}
	f.tryComplete(s, t)
	// This packet may be the predecessor that tells where the next frame
	// begins.
	if !f.explicitStart() {
		for i := range f.slots {
			if n := &f.slots[i]; n.used && !n.done && n.min == ext+1 {
				f.tryComplete(n, t)
			}
		}
	}
}

// restart forgets the old numbering and every frame in progress; the
// counters, the size and the frame rate stay.
func (f *FrameTracker) restart(seq uint16) {
	f.seq = rtpx.SeqUnwrapper{}
	ext := f.seq.Unwrap(seq)
	f.lowest, f.highest = ext, ext
	f.seen = [frameSeqWindow / 64]uint64{}
	f.slots = [frameSlots]frameSlot{}
}

// explicitStart reports whether the codec's payload marks every frame's
// first packet.
func (f *FrameTracker) explicitStart() bool {
	c := f.parser.Codec()
	return c == payload.CodecVP8 || c == payload.CodecVP9
}

// slot returns the frame of timestamp ts, starting one in the oldest slot
// if it is not tracked.
func (f *FrameTracker) slot(ts uint32) *frameSlot {
	if s := &f.slots[f.recent]; s.used && s.ts == ts {
		return s
	}
	for i := range f.slots {
		if s := &f.slots[i]; s.used && s.ts == ts {
			f.recent = i
			return s
		}
	}
	i := f.next
	f.next = (f.next + 1) % frameSlots
	f.recent = i
	f.slots[i] = frameSlot{ts: ts, used: true}
	return &f.slots[i]
}

// tryComplete counts a received frame once its first packet is known and
// every packet from it to the marker packet has arrived.
func (f *FrameTracker) tryComplete(s *frameSlot, t time.Duration) {
	if s.done || s.broken || !s.hasEnd {
		return
	}
	first := s.start
	if !s.hasStart {
		if f.explicitStart() {
			return
		}
		prev := s.min - 1
		switch {
		case f.isSeen(prev) && f.seqTS[seqIndex(prev)] != s.ts:
		case s.min == f.lowest && s.minMayStart:
		default:
			return
		}
		first = s.min
	}
	// Distinct packets within [first, end] with count end-first+1 are all
	// of them.
	if s.min != first || s.max != s.end || s.packets != s.end-first+1 {
		return
	}
	f.complete(s, t)
}

// complete counts frame s, finished at t.
func (f *FrameTracker) complete(s *frameSlot, t time.Duration) {
	s.done = true
	f.frames++
	if s.key {
		f.keyFrames++
	}
	if s.packets > 1 {
		f.multiPacket++
		f.assembly += s.last - s.first
	}
	// A late frame does not overwrite the size of a newer one.
	if s.hasSize && (!f.hasSize || s.min >= f.sizeSeq) {
		f.hasSize, f.width, f.height, f.sizeSeq = true, s.width, s.height, s.min
	}
	if f.hasTarget && float64(s.bytes) >= hugeFrameFactor*f.targetBytes {
		f.huge++
	}
	f.done[f.doneHead] = t
	f.doneHead = (f.doneHead + 1) % fpsRing
	f.doneN = min(f.doneN+1, fpsRing)
}

// The window of sequence numbers: bit seqIndex(ext) of seen is set when
// packet ext was accepted, and cleared when the window moves past it.

// seqIndex maps an extended sequence number, which may be negative, to its
// window position; the conversion keeps the residue modulo a power of two.
func seqIndex(ext int64) uint64 { return uint64(ext) % frameSeqWindow }

func (f *FrameTracker) isSeen(ext int64) bool {
	if !f.accepted || ext > f.highest || f.highest-ext >= frameSeqWindow {
		return false
	}
	i := seqIndex(ext)
	return f.seen[i/64]&(1<<(i%64)) != 0
}

func (f *FrameTracker) markSeen(ext int64, ts uint32) {
	i := seqIndex(ext)
	f.seen[i/64] |= 1 << (i % 64)
	f.seqTS[i] = ts
}

// forget clears the window positions that [from, to] reuse.
func (f *FrameTracker) forget(from, to int64) {
	if to-from >= frameSeqWindow {
		f.seen = [frameSeqWindow / 64]uint64{}
		return
	}
	for e := from; e <= to; e++ {
		i := seqIndex(e)
		f.seen[i/64] &^= 1 << (i % 64)
	}
}

// framesInLastSecond counts completions in (now-1s, now]; ok is false when
// the ring is too small to know.
func (f *FrameTracker) framesInLastSecond(now time.Duration) (n int, ok bool) {
	for k := range f.doneN {
		i := (f.doneHead - 1 - k + fpsRing) % fpsRing
		if now-f.done[i] >= time.Second {
			return n, true
		}
		n++
	}
	return n, f.doneN < fpsRing
}

// FrameStats is a FrameTracker's measurement. Has* flags mark members that
// exist; a member without a flag exists whenever Measured does.
type FrameStats struct {
	// Measured is false for a nil tracker (unknown codec): every frame
	// member is then absent.
	Measured bool
	// Frames is framesReceived for a receiver: "the total number of
	// complete frames received on this RTP stream", counted when the
	// frame completes. For a sender it is framesSent, "the total number of
	// frames sent on this RTP stream", and also the media-source's frames
	// ("the total number of frames originating from this source"): here,
	// the frames the sender handed to the packetizer, as seen in the
	// packets.
	Frames uint32
	// KeyFrames is, for a receiver, complete key frames received, reported
	// as keyFramesDecoded ("key frames ... successfully decoded"). We do not
	// decode: a complete key frame is the most that packets can show.
	// For a sender it is keyFramesEncoded, the key frames sent.
	KeyFrames uint32
	// FramesAssembledFromMultiplePackets (receiver): complete frames of
	// more than one packet. The spec counts frames "correctly decoded"
	// that consist of more than one RTP packet; as for KeyFrames, complete
	// is what we can see.
	FramesAssembledFromMultiplePackets uint32
	// TotalAssemblyTime (receiver, seconds): for those frames, the sum of
	// the time "from the time the first RTP packet is received ... to the
	// time the last RTP packet of a frame is received".
	TotalAssemblyTime float64
	// HugeFramesSent (sender): frames whose media bytes were at least 2.5
	// times the target frame size when sent; exists once SetTarget has
	// given a target.
	HugeFramesSent    uint32
	HasHugeFramesSent bool
	// FrameWidth and FrameHeight: the size coded in the last key frame
	// (VP8, VP9, AV1), scalability structure (VP9) or sequence parameter
	// set (H.264) of a counted frame. The spec's "last decoded frame" /
	// "last encoded frame" size; between key frames it is the size of the
	// last key frame, which is what these codecs keep until the next one
	// (VP9 and AV1 inter frames that change size are not read). Also the
	// media-source width and height for a sender.
	FrameWidth, FrameHeight uint32
	HasFrameSize            bool
	// FramesPerSecond: frames counted in the last second, (now-1s, now];
	// "the number of decoded frames in the last second" (receiver, where
	// complete stands in for decoded), "the number of encoded frames
	// during the last second" (sender). Exists once a frame was counted.
	FramesPerSecond    float64
	HasFramesPerSecond bool
	// SourceFramesPerSecond (sender) is the media-source framesPerSecond:
	// the same count, absent "for the first second of this object's
	// lifetime", taken to begin at the tracker's first packet.
	SourceFramesPerSecond    float64
	HasSourceFramesPerSecond bool
}

// Snapshot returns the measurement as of now.
func (f *FrameTracker) Snapshot(now time.Time) FrameStats {
	if f == nil {
		return FrameStats{}
	}
	st := FrameStats{
		Measured:     true,
		Frames:       f.frames,
		KeyFrames:    f.keyFrames,
		FrameWidth:   f.width,
		FrameHeight:  f.height,
		HasFrameSize: f.hasSize,
	}
	if f.dir == FrameReceiver {
		st.FramesAssembledFromMultiplePackets = f.multiPacket
		st.TotalAssemblyTime = f.assembly.Seconds()
	} else {
		st.HugeFramesSent, st.HasHugeFramesSent = f.huge, f.judged
	}
	if f.frames > 0 {
		t := now.Sub(f.base)
		if n, ok := f.framesInLastSecond(t); ok {
			st.FramesPerSecond, st.HasFramesPerSecond = float64(n), true
			if f.dir == FrameSender && t >= time.Second {
				st.SourceFramesPerSecond, st.HasSourceFramesPerSecond = float64(n), true
			}
		}
	}
	return st
}

// FillInbound sets the inbound-rtp frame members a receiver measures:
// framesReceived, keyFramesDecoded, framesAssembledFromMultiplePackets,
// totalAssemblyTime, frameWidth, frameHeight, framesPerSecond. framesDecoded
// stays absent: nothing is decoded.
func (s FrameStats) FillInbound(in *report.InboundRTPStreamStats) {
	if !s.Measured {
		return
	}
	in.FramesReceived = new(s.Frames)
	in.KeyFramesDecoded = new(s.KeyFrames)
	in.FramesAssembledFromMultiplePackets = new(s.FramesAssembledFromMultiplePackets)
	in.TotalAssemblyTime = new(s.TotalAssemblyTime)
	if s.HasFrameSize {
		in.FrameWidth, in.FrameHeight = new(s.FrameWidth), new(s.FrameHeight)
	}
	if s.HasFramesPerSecond {
		in.FramesPerSecond = new(s.FramesPerSecond)
	}
}

// FillOutbound sets the outbound-rtp frame members a sender measures:
// framesSent, keyFramesEncoded, hugeFramesSent (with a target),
// frameWidth, frameHeight, framesPerSecond. framesEncoded stays absent.
func (s FrameStats) FillOutbound(out *report.OutboundRTPStreamStats) {
	if !s.Measured {
		return
	}
	out.FramesSent = new(s.Frames)
	out.KeyFramesEncoded = new(s.KeyFrames)
	if s.HasHugeFramesSent {
		out.HugeFramesSent = new(s.HugeFramesSent)
	}
	if s.HasFrameSize {
		out.FrameWidth, out.FrameHeight = new(s.FrameWidth), new(s.FrameHeight)
	}
	if s.HasFramesPerSecond {
		out.FramesPerSecond = new(s.FramesPerSecond)
	}
}

// FillVideoSource sets the media-source members of a video source from a
// sender's measurement: frames, width, height and framesPerSecond.
func (s FrameStats) FillVideoSource(src *report.VideoSourceStats) {
	if !s.Measured {
		return
	}
	src.Frames = new(s.Frames)
	if s.HasFrameSize {
		src.Width, src.Height = new(s.FrameWidth), new(s.FrameHeight)
	}
	if s.HasSourceFramesPerSecond {
		src.FramesPerSecond = new(s.SourceFramesPerSecond)
	}
}
