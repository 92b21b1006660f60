package collectors

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rtcstats/rtcstats/internal/payload"
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
	// A frame that has not completed when 16 newer ones have started
	// (about half a second at 30 fps) is dropped as incomplete: its
	// repairs must come within that, as a NACK retransmission does within
	// about one round trip on a usable path.
	frameSlots = 16
	// frameSeqWindow is how many sequence numbers back a packet is still
	// accepted and recognised as a duplicate: reordering and NACK/RTX
	// repairs within the tracked frames, about one round trip at video
	// packet rates (256 packets are 0.5 s at 500 packets/s).
	frameSeqWindow = 256
	// frameRestartGap is how far behind the newest a packet must be to
	// count towards a restart of the numbering (RFC 3550 A.1 probation).
	// Packets between frameSeqWindow and frameRestartGap behind are late
	// repairs (pion's NACK responder keeps 1024 packets), too old to tell
	// from duplicates and ignored; they do not restart the stream.
	frameRestartGap = 1024
	// frameMaxSpan is the most sequence numbers a tracked frame may span:
	// a frame of more than 32767 packets (some 38 MB) is never counted.
	// A frame whose lowest packet falls some 32768 behind the newest,
	// long out of the window, may be dropped (see slotOffset).
	frameMaxSpan = 1<<15 - 1
	// frameRecent is how many of the last accepted packets are remembered
	// with their timestamp: the predecessor of a frame's first packet
	// when it is padding or was received just before it.
	frameRecent = 4
	// fpsRing is how many frame completions are remembered, to the
	// millisecond, for framesPerSecond: more than WebRTC frame rates; with
	// more frames in the last second, framesPerSecond is left absent
	// rather than undercounted.
	fpsRing = 128
	// fpsLongGap marks a gap between completions of 255 ms or more in the
	// one-byte ring; the last fpsLongGaps of them are kept in full. More
	// than three such gaps cannot fit in a second, so a forgotten one is
	// always beyond it.
	fpsLongGap  = 255
	fpsLongGaps = 4
	// hugeFrameFactor is the spec's multiple of the average frame size
	// from which a sent frame is huge.
	hugeFrameFactor = 2.5
	bitsPerByte     = 8
)

// slotFlags are the yes/no facts about a frame.
type slotFlags uint8

const (
	slotDone        slotFlags = 1 << iota
	slotBroken                // two first or two marker packets, or too long: never complete
	slotKey                   // a packet showed a key frame
	slotHasStart              // startOff is set
	slotHasEnd                // endOff is set
	slotMinMayStart           // the lowest packet so far may begin a frame
	slotHasSize               // width and height are set
	slotPrevOther             // the packet before the lowest was received with another timestamp
	// A sent frame that began without a target: its bytes are not
	// counted and it is not judged huge. Shares slotBroken's bit, which
	// a sender does not use.
	slotUnjudged = slotBroken
)

// frameSlot is the state of one frame, the packets of one RTP timestamp:
// 40 bytes. Sequence numbers are kept as offsets: the lowest packet from
// the tracker's slotBase, the others from the lowest.
type frameSlot struct {
	first         int64  // µs after the tracker's base: the earliest arrival
	ts            uint32 // RTP timestamp
	span          uint32 // µs from the earliest to the latest arrival
	bytes         uint32 // payload media bytes (FrameInfo.MediaBytes), saturating; sender only
	width, height uint32
	lowOff        uint16 // lowest packet seen - slotBase
	maxOff        uint16 // highest packet seen - lowest
	startOff      uint16 // the packet marked as first - lowest
	endOff        uint16 // the marker packet - lowest
	packets       uint16 // distinct packets seen; 0 for a free slot
	flags         slotFlags
}

func (s *frameSlot) is(fl slotFlags) bool { return s.flags&fl != 0 }

func (s *frameSlot) set(fl slotFlags, on bool) {
	if on {
		s.flags |= fl
	} else {
		s.flags &^= fl
	}
}

// lowestSeq is the extended sequence number of the lowest packet, given the
// tracker's slotBase.
func (s *frameSlot) lowestSeq(base int64) int64 { return base + int64(s.lowOff) }

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
//     The tracker keeps no timestamp per sequence number: the predecessor
//     is known to belong to another timestamp when it arrives after the
//     frame's first packet, or, when it came before, if it is still the
//     lowest or highest packet (or the first or marker packet) of a tracked
//     frame, or one of the 4 packets received just before it. So an H.264
//     or AV1 frame whose first packet arrives after its predecessor's
//     frame has left the tracker, or more than 4 packets after a padding
//     predecessor, is not counted.
//
// A received frame is complete when every sequence number from its first
// to its marker packet has arrived with its timestamp, in any order and
// however late, as long as the frame is among the last 16 started and the
// packets within 256 sequence numbers of the newest. Duplicates and
// retransmissions of packets already seen change nothing. Packets from
// 256 to 1023 behind are ignored as too old to tell from duplicates. Two
// consecutive packets from 1024 or more behind are taken as a restart of
// the sequence numbering (RFC 3550 A.1 probation): frames in progress are
// dropped and counting resumes from the second of them.
//
// A sent frame counts when its marker packet is sent. A sender's packets
// leave in sequence order, so one below the highest is a retransmission
// and changes nothing, and the sender keeps only the frame in progress
// (see sent); restarts are taken as for a receiver.
//
// Packet does not allocate; all state is in the struct (1152 bytes, an
// allocator size class, which TestTrackerSizes holds it to). Times are
// kept to the microsecond (assembly) and the millisecond (frame rate). The
// tracker reads no clock: every method takes the time, which must come
// from a monotonic clock. A FrameTracker is not safe for concurrent use:
// the caller holds the stream's lock.
type FrameTracker struct {
	parser payload.Parser
	base   Instant // first packet; offsets below are from here

	lowest   int64 // lowest extended sequence number accepted since the last restart
	highest  int64
	slotBase int64 // origin of the frames' lowOff
	seen     [frameSeqWindow / 64]uint64
	slots    [frameSlots]frameSlot // a sender uses the first only: its frame in progress

	recentSeq [frameRecent]int64 // the last accepted packets, a ring
	recentTS  [frameRecent]uint32

	// Every tracked frame's timestamp is within [tsLo, tsHi] in serial
	// order; while that span is under tsBoundSpan, a timestamp after tsHi
	// is no tracked frame's, found without a search (see tracks).
	tsLo, tsHi uint32

	frames, keyFrames, multiPacket uint32
	huge                           uint32
	assembly                       time.Duration
	targetBytes                    float64

	width, height uint32
	sizeSeq       int64 // first packet of the frame that gave the size

	// Frame completions for framesPerSecond: the newest in full, each
	// earlier one by its gap to the next, in ms.
	lastDone int64               // ms after base
	doneGap  [fpsRing]uint8      // gap before completion, a ring; fpsLongGap: see longGap
	longGap  [fpsLongGaps]uint16 // ms, saturating
	longAt   [fpsLongGaps]uint32 // the frames count of the completion after it

	badSeq              uint16 // a packet with this number would confirm a restart
	dir                 FrameDirection
	accepted, hasBad    bool // a packet has been accepted; badSeq is set
	hasTarget, judged   bool
	hasSize             bool
	generalOnly         bool  // tests: no fast paths, to compare with
	next, recentSlot    uint8 // slot to reuse next (the oldest); slot of the last packet
	recentHead, recentN uint8
	doneHead, doneN     uint8
	longHead            uint8
}

// NewFrameTracker returns a tracker for a stream of codec c seen from dir,
// or nil when c is payload.CodecUnknown or dir is not a FrameDirection:
// without a parser none of the frame members can be measured. A nil
// *FrameTracker is safe to use; its Snapshot reports nothing.
func NewFrameTracker(c payload.Codec, dir FrameDirection) *FrameTracker {
	if c == payload.CodecUnknown || (dir != FrameReceiver && dir != FrameSender) {
		return nil
	}
	f := &FrameTracker{dir: dir}
	f.setParser(c)
	return f
}

func (f *FrameTracker) setParser(c payload.Codec) {
	f.parser = payload.NewParser(c)
}

// explicit reports whether the codec's payload marks every frame's first
// packet (VP8, VP9).
func (f *FrameTracker) explicit() bool {
	c := f.parser.Codec()
	return c == payload.CodecVP8 || c == payload.CodecVP9
}

// firstOnly reports whether only a frame's first packet tells its key and
// size: the VP8 payload header, which holds the key frame flag and a key
// frame's size, is only in the packet that begins the frame (RFC 7741
// §4.3). The parser reads a VP9 size from a scalability structure in any
// packet, and H.264 and AV1 key frames from any packet.
func (f *FrameTracker) firstOnly() bool { return f.parser.Codec() == payload.CodecVP8 }

// SetCodec switches the tracker to codec c after a change of the stream's
// payload type. Frames in progress are dropped, counters and the last
// frame size are kept. While c is CodecUnknown packets only move the
// sequence window.
func (f *FrameTracker) SetCodec(c payload.Codec) {
	if f == nil || c == f.parser.Codec() {
		return
	}
	f.setParser(c)
	f.slots = [frameSlots]frameSlot{}
}

// SetTarget declares the sender's target bitrate (bits per second, as
// targetBitrate) and frame rate, from which hugeFramesSent is judged:
// "frames that have an encoded size at least 2.5 times the average size of
// the frames", the average being "the target bitrate per second divided by
// the target FPS at the time the frame was encoded". A frame is judged
// against the target in force when its last packet is sent, if there was
// one when its first was sent (the bytes of a frame are only counted
// while there is a target: the first frame after SetTarget may be left
// unjudged). A zero bitrate
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
//
//nolint:cyclop,gocognit,gocyclo // the per-packet path keeps its branches inline (BenchmarkFrameTrackerPacket)
func (f *FrameTracker) Packet(now Instant, seq uint16, timestamp uint32, marker bool, pl []byte) {
	if f == nil {
		return
	}
	if !f.accepted {
		f.base = now
		f.accepted, f.lowest, f.highest = true, int64(seq), int64(seq)
		if f.dir == FrameSender {
			f.highest-- // the first packet is new
		}
	}
	ext := f.highest + int64(int16(seq-uint16(f.highest)))
	if f.dir == FrameSender {
		f.sent(now, ext, seq, timestamp, marker, pl)
		return
	}
	// The next packet of a VP8 stream: a fast path for each kind.
	if ext == f.highest+1 && f.firstOnly() && len(pl) > 0 && !f.generalOnly {
		if vp8MayStart(pl) {
			if f.startFrame(now, ext, timestamp, marker, pl) {
				return
			}
		} else if f.insideFrame(now, ext, timestamp, marker) {
			return
		}
	}
	next := false // the number after the highest: new, its window slot to be marked
	switch behind := f.highest - ext; {
	case behind == -1:
		f.highest, next = ext, true
	case behind < 0:
		f.forget(f.highest+1, ext)
		f.highest = ext
	case behind >= frameRestartGap:
		// The source restarted its numbering, or a stray: as in RFC 3550
		// A.1, the packet after it confirms a restart, and the window
		// starts again there.
		if !f.hasBad || seq != f.badSeq {
			f.badSeq, f.hasBad = seq+1, true
			return
		}
		f.restart(seq)
		ext = f.highest
	case behind >= frameSeqWindow:
		f.hasBad = false
		return // too old to tell from a duplicate
	}
	f.hasBad = false
	if !next && f.isSeen(ext) {
		return // a duplicate or a retransmission of a packet already counted
	}
	f.markSeen(ext)
	if ext < f.lowest {
		f.lowest = ext
	}
	if f.parser.Codec() == payload.CodecUnknown || len(pl) == 0 {
		// The window still follows the stream. A padding-only packet
		// belongs to no frame, but is the predecessor of the next one.
		if !f.explicit() {
			f.proveNext(ext, timestamp, now, f.micros(now))
			f.remember(ext, timestamp)
		}
		return
	}

	var info payload.FrameInfo
	if !f.firstOnly() || vp8MayStart(pl) {
		f.parser.ParseInto(pl, &info)
	}
	s := f.slot(timestamp)
	placed := f.place(s, ext, timestamp, info.MayStart)
	if !f.explicit() {
		f.remember(ext, timestamp)
	}
	if !placed {
		return
	}
	// Arrival times bound the assembly time. With explicit starts a frame
	// completes only on one of its own packets, the last to arrive, so
	// only its first and that one need the time (see tryComplete).
	us := noTime
	if s.packets == 0 || !f.explicit() {
		us = f.micros(now)
		f.arrived(s, us)
	}
	s.packets++
	// MediaBytes only serve a sender's huge frames.
	if info.Key {
		s.flags |= slotKey
	}
	if info.HasSize {
		s.flags |= slotHasSize
		s.width, s.height = info.Width, info.Height
	}
	off := uint16(ext - s.lowestSeq(f.slotBase))
	if info.Start {
		if s.is(slotHasStart) && s.startOff != off {
			s.flags |= slotBroken // two first packets: not one frame
		}
		s.flags |= slotHasStart
		s.startOff = off
	}
	if marker {
		if s.is(slotHasEnd) && s.endOff != off {
			s.flags |= slotBroken
		}
		s.flags |= slotHasEnd
		s.endOff = off
	}

	f.tryComplete(s, now, us)
	// This packet may be the predecessor that tells where the next frame
	// begins.
	if !f.explicit() {
		f.proveNext(ext, timestamp, now, us)
	}
}

// insideFrame is Packet's common case for a receiver of VP8: the next
// packet, ext, not a frame's first (so its payload tells nothing a
// receiver uses), of the frame the last packet belonged to, whose marker
// has not been seen. It does what Packet would and reports whether it took
// the packet.
func (f *FrameTracker) insideFrame(now Instant, ext int64, ts uint32, marker bool) bool {
	s := &f.slots[f.recentSlot]
	if s.packets == 0 || s.ts != ts || s.flags&slotHasEnd != 0 {
		return false
	}
	off := ext - s.lowestSeq(f.slotBase)
	if off > frameMaxSpan {
		return false
	}
	f.highest, f.hasBad = ext, false
	f.markSeen(ext)
	s.maxOff = max(s.maxOff, uint16(off))
	s.packets++
	if marker {
		s.flags |= slotHasEnd
		s.endOff = uint16(off)
		f.tryComplete(s, now, noTime)
	}
	return true
}

// startFrame is Packet's other common case for a receiver of VP8: the
// next packet, ext, that may begin a frame (pl is not empty), of a
// timestamp no tracked frame has. It does what Packet would, writing the
// new slot whole, and reports whether it took the packet.
func (f *FrameTracker) startFrame(now Instant, ext int64, ts uint32, marker bool, pl []byte) bool {
	if f.tracks(ts) {
		return false
	}
	f.highest, f.hasBad = ext, false
	f.markSeen(ext)
	var info payload.FrameInfo
	f.parser.ParseInto(pl, &info)
	// The oldest slot is reused, in the general path's order: freed,
	// bounded, then the window base moved (see slot, place).
	i := f.next
	f.next = (i + 1) % frameSlots
	f.recentSlot = i
	s := &f.slots[i]
	s.packets = 0
	f.noteTS(ts)
	low := f.slotOffset(ext)
	us := f.micros(now)
	fl := slotFlags(0)
	if info.Key {
		fl |= slotKey
	}
	if info.HasSize {
		fl |= slotHasSize
	}
	if info.Start {
		fl |= slotHasStart
	}
	if marker {
		fl |= slotHasEnd
	}
	// Field by field: a composite literal is built aside and copied.
	s.first, s.ts, s.span, s.bytes = us, ts, 0, 0
	s.width, s.height = info.Width, info.Height
	s.lowOff, s.maxOff, s.startOff, s.endOff = low, 0, 0, 0
	s.packets, s.flags = 1, fl
	if marker {
		f.tryComplete(s, now, us)
	}
	return true
}

// tracks reports whether a tracked frame has timestamp ts. Frames come
// with ever later timestamps: one after every tracked frame's needs no
// search.
func (f *FrameTracker) tracks(ts uint32) bool {
	if f.tsHi-f.tsLo < tsBoundSpan && int32(ts-f.tsHi) > 0 {
		return false
	}
	for i := range f.slots {
		if s := &f.slots[i]; s.ts == ts && s.packets != 0 {
			return true
		}
	}
	return false
}

// vp8MayStart reports whether a VP8 payload's descriptor has S=1 and
// partition index 0 (RFC 7741 §4.2). Only such a packet begins a frame and
// carries the payload header with the key flag and size: for any other the
// parser, which checks the same bits, finds nothing a receiver uses (the
// media bytes serve a sender only). pl is not empty.
func vp8MayStart(pl []byte) bool { return pl[0]&0x17 == 0x10 }

// noTime marks a packet time not read yet.
const noTime int64 = math.MinInt64

// micros is now in µs after the first packet.
func (f *FrameTracker) micros(now Instant) int64 { return int64(now-f.base) / int64(time.Microsecond) }

// sent is Packet for a sender, whose packets leave in sequence order: a
// number not above the highest is a retransmission (pion's NACK responder
// re-sends the original packet, number and all) and changes nothing, and
// the packets of a frame are consecutive, so it keeps the one frame in
// progress and no window. A frame counts when its marker packet is sent;
// one whose marker never went out before the next timestamp does not. The
// time is read once per frame, when it counts.
//
//nolint:cyclop // the per-packet path keeps its branches inline (BenchmarkOutbound)
func (f *FrameTracker) sent(now Instant, ext int64, seq uint16, ts uint32, marker bool, pl []byte) {
	if f.sentInsideFrame(ext, ts, marker, pl) {
		return
	}
	switch behind := f.highest - ext; {
	case behind < 0:
		f.highest = ext
	case behind >= frameRestartGap:
		// A restart of the numbering, confirmed by the next packet, as
		// for a receiver.
		if !f.hasBad || seq != f.badSeq {
			f.badSeq, f.hasBad = seq+1, true
			return
		}
		f.restart(seq)
		ext = f.highest
	default:
		f.hasBad = false
		return
	}
	f.hasBad = false
	if len(pl) == 0 || f.parser.Codec() == payload.CodecUnknown {
		return // padding belongs to no frame
	}
	s := &f.slots[0] // a sender's only frame
	first := s.packets == 0 || s.ts != ts
	if first {
		*s = frameSlot{ts: ts}
		if !f.hasTarget {
			s.flags |= slotUnjudged
		}
	}
	s.packets = min(s.packets, math.MaxUint16-1) + 1
	// Where only the first packet tells the key and size, a later one is
	// parsed for its bytes alone, and not at all without a judgement.
	if first || !f.firstOnly() || !s.is(slotUnjudged) { //nolint:nestif // per-packet path, inline on purpose
		var info payload.FrameInfo
		f.parser.ParseInto(pl, &info)
		s.bytes = uint32(min(uint64(s.bytes)+uint64(max(info.MediaBytes, 0)), math.MaxUint32))
		if first || !f.firstOnly() {
			if info.Key {
				s.flags |= slotKey
			}
			if info.HasSize {
				s.flags |= slotHasSize
				s.width, s.height = info.Width, info.Height
			}
		}
	}
	if marker && !s.is(slotDone) {
		f.complete(s, ext, f.micros(now))
	}
}

// sentInsideFrame is sent's common case: the next packet inside a VP8
// frame, with no target to judge it by, tells nothing but that it was
// sent. It reports whether it took the packet.
func (f *FrameTracker) sentInsideFrame(ext int64, ts uint32, marker bool, pl []byte) bool {
	s := &f.slots[0]
	if ext != f.highest+1 || marker || s.packets == 0 || s.ts != ts || len(pl) == 0 ||
		!f.firstOnly() || !s.is(slotUnjudged) || s.packets == math.MaxUint16 {
		return false
	}
	f.highest, f.hasBad = ext, false
	s.packets++
	return true
}

// place records packet ext as one of frame s's. It reports false, marking
// the frame broken, when the frame would span more than frameMaxSpan.
func (f *FrameTracker) place(s *frameSlot, ext int64, ts uint32, mayStart bool) bool {
	if s.packets == 0 {
		s.lowOff = f.slotOffset(ext)
		if !f.explicit() { // with explicit starts nothing else proves one
			s.set(slotMinMayStart, mayStart)
			s.set(slotPrevOther, f.knownOther(ext-1, ts))
		}
		return true
	}
	low := s.lowestSeq(f.slotBase)
	if ext >= low {
		if ext-low > frameMaxSpan {
			s.flags |= slotBroken
			return false
		}
		s.maxOff = max(s.maxOff, uint16(ext-low))
		return true
	}
	d := low - ext // > 0: a new lowest packet; the offsets move up
	if int64(s.maxOff)+d > frameMaxSpan {
		s.flags |= slotBroken
		return false
	}
	s.lowOff = f.slotOffset(ext)
	s.maxOff += uint16(d)
	s.startOff += uint16(d)
	s.endOff += uint16(d)
	if !f.explicit() {
		s.set(slotMinMayStart, mayStart)
		s.set(slotPrevOther, f.knownOther(ext-1, ts))
	}
	return true
}

// arrived records an arrival at us (µs after base) for frame s, and
// reports false when that breaks the frame.
func (f *FrameTracker) arrived(s *frameSlot, us int64) bool {
	if s.packets == 0 {
		s.first, s.span = us, 0
		return true
	}
	last := s.first + int64(s.span)
	first := min(s.first, us)
	last = max(last, us)
	if last-first > math.MaxUint32 {
		s.flags |= slotBroken // packets over 71 minutes apart are no frame
		return false
	}
	s.first, s.span = first, uint32(last-first)
	return true
}

// slotOffset returns ext's offset from slotBase, first moving slotBase to
// 32768 below ext if ext is not within 16 bits above it. Frames, other than
// the one about to take ext as its lowest, whose lowest packet is then
// below slotBase cannot complete any more (their packets are far out of
// the window) and are dropped. The others are within the window of ext,
// so all offsets stay within 16 bits. Rare: once per some 32768 packets.
func (f *FrameTracker) slotOffset(ext int64) uint16 {
	if d := ext - f.slotBase; d >= 0 && d <= math.MaxUint16 {
		return uint16(d)
	}
	base := ext - 1<<15
	for i := range f.slots {
		s := &f.slots[i]
		if s.packets == 0 {
			continue
		}
		low := s.lowestSeq(f.slotBase)
		if low < base {
			*s = frameSlot{}
			continue
		}
		s.lowOff = uint16(low - base)
	}
	f.slotBase = base
	return uint16(ext - base)
}

// restart forgets the old numbering and every frame in progress; the
// counters, the size and the frame rate stay.
func (f *FrameTracker) restart(seq uint16) {
	f.lowest, f.highest = int64(seq), int64(seq)
	f.seen = [frameSeqWindow / 64]uint64{}
	f.slots = [frameSlots]frameSlot{}
	f.recentHead, f.recentN = 0, 0
	// Any frame of the new numbering is newer than the size's frame.
	f.sizeSeq = math.MinInt64
}

// remember records that packet ext was accepted with timestamp ts.
func (f *FrameTracker) remember(ext int64, ts uint32) {
	f.recentSeq[f.recentHead], f.recentTS[f.recentHead] = ext, ts
	f.recentHead = (f.recentHead + 1) % frameRecent
	f.recentN = min(f.recentN+1, frameRecent)
}

// knownOther reports whether packet ext is known to have been accepted
// with a timestamp other than ts: it is one of the last packets accepted,
// or a packet whose position a tracked frame of another timestamp keeps.
// Every sequence number is accepted at most once per numbering, so what
// is known of it stays true.
func (f *FrameTracker) knownOther(ext int64, ts uint32) bool {
	for i := range int(f.recentN) {
		if f.recentSeq[i] == ext {
			return f.recentTS[i] != ts
		}
	}
	for i := range f.slots {
		n := &f.slots[i]
		if n.packets == 0 || n.ts == ts {
			continue
		}
		low := n.lowestSeq(f.slotBase)
		if ext == low || ext == low+int64(n.maxOff) ||
			(n.is(slotHasStart) && ext == low+int64(n.startOff)) || (n.is(slotHasEnd) && ext == low+int64(n.endOff)) {
			return true
		}
	}
	return false
}

// proveNext tells the frames whose lowest packet follows packet ext, of
// timestamp ts, that their predecessor belongs to another timestamp, and
// counts those that are now complete.
func (f *FrameTracker) proveNext(ext int64, ts uint32, now Instant, us int64) {
	if ext >= f.highest {
		return // every tracked frame's lowest packet was accepted: none is above
	}
	for i := range f.slots {
		n := &f.slots[i]
		if n.packets != 0 && n.ts != ts && !n.is(slotDone) && n.lowestSeq(f.slotBase) == ext+1 {
			n.flags |= slotPrevOther
			f.tryComplete(n, now, us)
		}
	}
}

// slot returns the frame of timestamp ts, starting one in the oldest slot
// if it is not tracked.
func (f *FrameTracker) slot(ts uint32) *frameSlot {
	if s := &f.slots[f.recentSlot]; s.ts == ts && s.packets != 0 {
		return s
	}
	for i := range f.slots {
		if s := &f.slots[i]; s.ts == ts && s.packets != 0 {
			f.recentSlot = uint8(i)
			return s
		}
	}
	i := f.next
	f.next = (f.next + 1) % frameSlots
	f.recentSlot = i
	f.slots[i] = frameSlot{ts: ts}
	f.noteTS(ts)
	return &f.slots[i]
}

// tsBoundSpan is the widest serial span of tracked timestamps that tracks
// can rule out a timestamp by: far enough from 2^31 that the serial order
// of any two of them is their true order.
const tsBoundSpan = 1 << 30

// noteTS widens [tsLo, tsHi] to a new frame's timestamp ts, or, when that
// would span tsBoundSpan or more, bounds the tracked frames afresh.
func (f *FrameTracker) noteTS(ts uint32) {
	if f.tsHi-f.tsLo >= tsBoundSpan {
		f.boundTS(ts)
		return
	}
	switch {
	case int32(ts-f.tsHi) > 0:
		f.tsHi = ts
	case int32(ts-f.tsLo) < 0:
		f.tsLo = ts
	default:
		return
	}
	if f.tsHi-f.tsLo >= tsBoundSpan {
		f.boundTS(ts)
	}
}

// boundTS computes [tsLo, tsHi] from a new frame's timestamp ts and the
// tracked frames'. When they span tsBoundSpan or more (a pause of hours
// between frames still tracked) it stops there: tracks then searches.
func (f *FrameTracker) boundTS(ts uint32) {
	f.tsLo, f.tsHi = ts, ts
	for i := range f.slots {
		s := &f.slots[i]
		switch {
		case s.packets == 0:
			continue
		case int32(s.ts-f.tsHi) > 0:
			f.tsHi = s.ts
		case int32(s.ts-f.tsLo) < 0:
			f.tsLo = s.ts
		}
		if f.tsHi-f.tsLo >= tsBoundSpan {
			return
		}
	}
}

// tryComplete counts a received frame once its first packet is known and
// every packet from it to the marker packet has arrived.
// The time is us, µs after base, or noTime: then it is read from now if
// the frame completes.
func (f *FrameTracker) tryComplete(s *frameSlot, now Instant, us int64) {
	if s.flags&(slotDone|slotBroken) != 0 || !s.is(slotHasEnd) {
		return
	}
	first := s.startOff
	if !s.is(slotHasStart) {
		if f.explicit() {
			return
		}
		if !s.is(slotPrevOther) && (s.lowestSeq(f.slotBase) != f.lowest || !s.is(slotMinMayStart)) {
			return
		}
		first = 0
	}
	// Distinct packets within [first, end] with count end-first+1 are all
	// of them.
	if first != 0 || s.maxOff != s.endOff || int(s.packets) != int(s.endOff)+1 {
		return
	}
	if us == noTime {
		// Explicit starts: this packet, the frame's last, was not timed.
		us = f.micros(now)
		if !f.arrived(s, us) {
			return
		}
	}
	f.complete(s, s.lowestSeq(f.slotBase), us)
}

// complete counts frame s, whose lowest packet is low, finished at us (µs
// after base).
func (f *FrameTracker) complete(s *frameSlot, low int64, us int64) {
	s.flags |= slotDone
	f.frames++
	if s.is(slotKey) {
		f.keyFrames++
	}
	if s.packets > 1 {
		f.multiPacket++
		f.assembly += time.Duration(s.span) * time.Microsecond
	}
	// A late frame does not overwrite the size of a newer one.
	if s.is(slotHasSize) && (!f.hasSize || low >= f.sizeSeq) {
		f.hasSize, f.width, f.height, f.sizeSeq = true, s.width, s.height, low
	}
	if f.hasTarget && !s.is(slotUnjudged) && float64(s.bytes) >= hugeFrameFactor*f.targetBytes {
		f.huge++
	}
	f.recordDone(us / 1000)
}

// recordDone notes the completion of frame number f.frames at ms.
func (f *FrameTracker) recordDone(ms int64) {
	if f.frames > 1 {
		gap := max(ms-f.lastDone, 0)
		b := uint8(fpsLongGap)
		if gap < fpsLongGap {
			b = uint8(gap)
		} else {
			f.longGap[f.longHead] = uint16(min(gap, math.MaxUint16))
			f.longAt[f.longHead] = f.frames
			f.longHead = (f.longHead + 1) % fpsLongGaps
		}
		f.doneGap[f.doneHead] = b
		f.doneHead = (f.doneHead + 1) % fpsRing
		f.doneN = min(f.doneN+1, fpsRing)
		// A completion stamped before the newest (packets read
		// concurrently take their time before the stream's lock) counts
		// at the newest: the ring keeps only gaps back from lastDone, and
		// moving lastDone back would move every earlier completion too.
		f.lastDone = max(f.lastDone, ms)
		return
	}
	f.lastDone = ms
}

// gapBefore returns the ms between completion number frame, whose ring
// entry is b, and the one before.
func (f *FrameTracker) gapBefore(frame uint32, b uint8) int64 {
	if b != fpsLongGap {
		return int64(b)
	}
	for i := range f.longAt {
		if f.longAt[i] == frame {
			return int64(f.longGap[i])
		}
	}
	// Forgotten: fpsLongGaps later gaps of 255 ms or more lie between it
	// and the newest completion, so it is more than a second back.
	return math.MaxUint16
}

// framesInLastSecond counts completions in (now-1s, now], to the
// millisecond; ok is false when the ring is too small to know. A snapshot's
// now may come before the newest completions: GetStats reads the clock,
// then waits for the stream's lock while packets stamped later are
// accounted. Those are counted in Frames but lie after the window.
func (f *FrameTracker) framesInLastSecond(nowMs int64) (n int, ok bool) {
	const second = int64(time.Second / time.Millisecond)
	age := nowMs - f.lastDone
	frame := f.frames
	pos := int(f.doneHead)
	for k := 0; ; k++ {
		if age >= second {
			return n, true
		}
		if age >= 0 {
			n++
		}
		if frame <= 1 {
			return n, true // the stream's first frame
		}
		if k == int(f.doneN) {
			return n, false // earlier completions are forgotten
		}
		pos = (pos - 1 + fpsRing) % fpsRing
		age += f.gapBefore(frame, f.doneGap[pos])
		frame--
	}
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

func (f *FrameTracker) markSeen(ext int64) {
	i := seqIndex(ext)
	f.seen[i/64] |= 1 << (i % 64)
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
func (f *FrameTracker) Snapshot(now Instant) FrameStats {
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
		t := time.Duration(now - f.base)
		if n, ok := f.framesInLastSecond(t.Milliseconds()); ok {
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
	if s.Measured {
		s.fillInbound(in, new(frameNums))
	}
}

// fillInbound is FillInbound with the members taken from v, a snapshot's
// storage (one allocation per object, not one per member).
func (s FrameStats) fillInbound(in *report.InboundRTPStreamStats, v memberStore) {
	if !s.Measured {
		return
	}
	in.FramesReceived = v.uint32(s.Frames)
	in.KeyFramesDecoded = v.uint32(s.KeyFrames)
	in.FramesAssembledFromMultiplePackets = v.uint32(s.FramesAssembledFromMultiplePackets)
	in.TotalAssemblyTime = v.float64(s.TotalAssemblyTime)
	if s.HasFrameSize {
		in.FrameWidth, in.FrameHeight = v.uint32(s.FrameWidth), v.uint32(s.FrameHeight)
	}
	if s.HasFramesPerSecond {
		in.FramesPerSecond = v.float64(s.FramesPerSecond)
	}
}

// FillOutbound sets the outbound-rtp frame members a sender measures:
// framesSent, keyFramesEncoded, hugeFramesSent (with a target),
// frameWidth, frameHeight, framesPerSecond. framesEncoded stays absent.
func (s FrameStats) FillOutbound(out *report.OutboundRTPStreamStats) {
	if s.Measured {
		s.fillOutbound(out, new(frameNums))
	}
}

// fillOutbound is FillOutbound with the members taken from v.
func (s FrameStats) fillOutbound(out *report.OutboundRTPStreamStats, v memberStore) {
	if !s.Measured {
		return
	}
	out.FramesSent = v.uint32(s.Frames)
	out.KeyFramesEncoded = v.uint32(s.KeyFrames)
	if s.HasHugeFramesSent {
		out.HugeFramesSent = v.uint32(s.HugeFramesSent)
	}
	if s.HasFrameSize {
		out.FrameWidth, out.FrameHeight = v.uint32(s.FrameWidth), v.uint32(s.FrameHeight)
	}
	if s.HasFramesPerSecond {
		out.FramesPerSecond = v.float64(s.FramesPerSecond)
	}
}

// FillVideoSource sets the media-source members of a video source from a
// sender's measurement: frames, width, height and framesPerSecond.
func (s FrameStats) FillVideoSource(src *report.VideoSourceStats) {
	if s.Measured {
		s.fillVideoSource(src, new(frameNums))
	}
}

// fillVideoSource is FillVideoSource with the members taken from v.
func (s FrameStats) fillVideoSource(src *report.VideoSourceStats, v memberStore) {
	if !s.Measured {
		return
	}
	src.Frames = v.uint32(s.Frames)
	if s.HasFrameSize {
		src.Width, src.Height = v.uint32(s.FrameWidth), v.uint32(s.FrameHeight)
	}
	if s.HasSourceFramesPerSecond {
		src.FramesPerSecond = v.float64(s.SourceFramesPerSecond)
	}
}

// frameNums is the storage of the frame members Fill* set for a caller
// without vals: at most five uint32 and two float64 (inbound-rtp's).
type frameNums struct {
	u32      [5]uint32
	f64      [2]float64
	nu32, nf uint8
}

func (v *frameNums) uint32(x uint32) *uint32    { return take(v.u32[:], &v.nu32, x) }
func (v *frameNums) float64(x float64) *float64 { return take(v.f64[:], &v.nf, x) }
