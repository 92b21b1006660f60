package rtcstats

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/rtcstats/rtcstats/collectors"
	"github.com/rtcstats/rtcstats/dscp"
	"github.com/rtcstats/rtcstats/internal/payload"
	"github.com/rtcstats/rtcstats/internal/rtpx"
)

const (
	midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
	// RFC 6464 (client-to-mixer) and RFC 6465 (mixer-to-client) levels.
	audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
	csrcLevelURI  = "urn:ietf:params:rtp-hdrext:csrc-audio-level"
)

// isOpus48k reports whether a stream carries Opus at its RTP clock of 48 kHz.
func isOpus48k(info *interceptor.StreamInfo) bool {
	return strings.EqualFold(info.MimeType, "audio/opus") && info.ClockRate == 48000
}

// Interceptor observes every RTP and RTCP packet of one PeerConnection. It
// never modifies, delays or drops a packet. Create it through a Factory.
type Interceptor struct {
	factory *Factory
	pcID    string
	clock   Clock
	// epoch is the clock's reading at creation, the origin of packet
	// Instants. With the system clock it holds a monotonic reading, and a
	// packet's Instant is one monotonic clock read (time.Since), no wall
	// clock; collectors turn Instants into timestamps through their
	// distance from a fresh Now at Snapshot (see collectors.InstantOf).
	epoch    time.Time
	sysClock bool
	log      logging.LeveledLogger
	ids      *idGen

	// mu guards the maps below. It is taken at bind/unbind time, by the
	// RTCP paths (read lock) and by GetStats to copy the stream lists;
	// the RTP paths never take it: they hold their stream's pointer.
	//
	// Every map is bounded (see WithMaxStreams and maxObjectIDs): what the
	// remote peer sends must not grow memory without bound. What a full
	// table refuses passes through unmeasured and is counted in refusals.
	mu         sync.RWMutex
	outbound   map[uint32]*localStream  // by media SSRC, at most maxStreams
	inbound    map[uint32]*remoteStream // by media SSRC, at most maxStreams
	rtx        map[uint32]*rtxStream    // inbound RTX streams by RTX SSRC, at most maxStreams
	objIDs     map[string]string        // ids of objects keyed by what they describe, at most maxObjectIDs
	drained    map[any]bool             // senders and receivers DrainRTCP reads, at most 2*maxStreams
	maxStreams int
	closed     bool

	counters badInput
	refusals refusals
	// nextRefusalLog is when (clock, Unix ns) a refusal may be logged
	// again: at most one line a minute per PeerConnection.
	nextRefusalLog atomic.Int64

	senders senderCache // what GetStats learnt of pion's senders

	// WithRTCPXR: our RRTRs and the peer's, to answer (see xr.go).
	rrtrLog     collectors.RRTRLog
	rrtrAnswers collectors.RRTRAnswers
	rrtrMu      sync.Mutex
	lastRRTR    time.Time // guarded by rrtrMu

	gate   statsGate  // GetStats calls in flight, and ClosePeerConnection
	flight pionFlight // one call of pion's GetStats shared by concurrent callers
}

// maxObjectIDs bounds the ids kept for objects that are not streams (codecs
// per direction, payload type and format; remote certificates). Beyond it
// such objects are left out of reports and counted (Diagnostics.RefusedIDs).
const maxObjectIDs = 4096

// refusalLogInterval is the least time between two log lines about refused
// objects of one PeerConnection.
const refusalLogInterval = time.Minute

// badInput counts network input that could not be used. It is logged at
// debug level and never stops the packet flow.
type badInput struct {
	malformedRTP  atomic.Uint64
	unknownSSRC   atomic.Uint64
	malformedRTCP atomic.Uint64
	ignoredRTCP   atomic.Uint64
}

// refusals counts objects a full (or closed) table turned away.
type refusals struct {
	outbound, inbound, rtx, ids, drains atomic.Uint64
}

// Diagnostics is what one PeerConnection's interceptor measures now and
// what it refused or ignored since it was created. Counters only grow.
type Diagnostics struct {
	// Streams measured now, per table (each at most WithMaxStreams).
	OutboundStreams, InboundStreams, RTXStreams int
	// Binds refused because the table was full (or the PeerConnection
	// closed): their packets passed untouched and unmeasured.
	RefusedOutboundStreams, RefusedInboundStreams, RefusedRTXStreams uint64
	// Codec and certificate objects left out of reports because the id
	// table was full (4096 ids).
	RefusedIDs uint64
	// Senders and receivers DrainRTCP did not read because 2×WithMaxStreams
	// were already read.
	RefusedDrains uint64
	// RTCP items (Sender Reports, report blocks, NACK, PLI, FIR entries)
	// about SSRCs with no measured stream here, RTX SSRCs included: ignored.
	IgnoredRTCP uint64
	// RTP packets that could not be parsed, RTP packets with another SSRC
	// than their stream's, and RTCP batches that could not be parsed.
	MalformedRTP, ForeignSSRC, MalformedRTCP uint64
}

// Diagnostics returns the interceptor's table sizes and counters.
func (i *Interceptor) Diagnostics() Diagnostics {
	i.mu.RLock()
	d := Diagnostics{OutboundStreams: len(i.outbound), InboundStreams: len(i.inbound), RTXStreams: len(i.rtx)}
	i.mu.RUnlock()
	d.RefusedOutboundStreams = i.refusals.outbound.Load()
	d.RefusedInboundStreams = i.refusals.inbound.Load()
	d.RefusedRTXStreams = i.refusals.rtx.Load()
	d.RefusedIDs = i.refusals.ids.Load()
	d.RefusedDrains = i.refusals.drains.Load()
	d.IgnoredRTCP = i.counters.ignoredRTCP.Load()
	d.MalformedRTP = i.counters.malformedRTP.Load()
	d.ForeignSSRC = i.counters.unknownSSRC.Load()
	d.MalformedRTCP = i.counters.malformedRTCP.Load()
	return d
}

// refuse counts one refused object and logs it, at most once a minute per
// PeerConnection (the counters keep the rest). what names the object; ssrc
// is its SSRC, if it has one (hasSSRC).
func (i *Interceptor) refuse(c *atomic.Uint64, what string, ssrc uint32, hasSSRC bool) {
	c.Add(1)
	now := i.clock.Now().UnixNano()
	next := i.nextRefusalLog.Load()
	if now < next || !i.nextRefusalLog.CompareAndSwap(next, now+int64(refusalLogInterval)) {
		return
	}
	if hasSSRC {
		what = fmt.Sprintf("%s (SSRC %d)", what, ssrc)
	}
	i.mu.RLock()
	closed := i.closed
	i.mu.RUnlock()
	if closed {
		i.log.Debugf("PeerConnection %s is closed: %s not measured", i.pcID, what)
		return
	}
	i.log.Warnf("PeerConnection %s: %s not measured: its table is full (%d streams per table, WithMaxStreams; %d ids); "+
		"its packets pass unmeasured. Further refusals are counted (Diagnostics) and logged at most once a minute",
		i.pcID, what, i.maxStreams, maxObjectIDs)
}

type localStream struct {
	col     *collectors.Outbound
	info    streamCodec
	midID   uint8
	levelID uint8      // RFC 6464 audio level extension id, 0 if not negotiated
	marks   *sentMarks // nil without WithDSCP
	links   atomic.Pointer[streamLinks]
}

type remoteStream struct {
	col   *collectors.Inbound
	info  streamCodec
	midID uint8
	marks *dscp.Stream // nil without WithDSCP
	links atomic.Pointer[streamLinks]
}

// rtxStream is a received RFC 4588 stream. Its packets are folded into the
// primary stream once the primary is known (see linkRTX).
type rtxStream struct {
	ssrc    uint32
	info    streamCodec
	primary atomic.Pointer[collectors.Inbound]
	marks   *dscp.Stream
}

// streamCodec is what pion's StreamInfo says about a stream's codec.
type streamCodec struct {
	mimeType    string
	clockRate   uint32
	channels    uint16
	fmtp        string
	payloadType uint8
}

func newInterceptor(f *Factory, pcID string) *Interceptor {
	return &Interceptor{
		factory:    f,
		pcID:       pcID,
		clock:      f.cfg.clock,
		epoch:      f.cfg.clock.Now(),
		sysClock:   isSystemClock(f.cfg.clock),
		log:        f.cfg.loggerFactory.NewLogger("rtcstats"),
		ids:        newIDGen(),
		outbound:   map[uint32]*localStream{},
		inbound:    map[uint32]*remoteStream{},
		rtx:        map[uint32]*rtxStream{},
		objIDs:     map[string]string{},
		drained:    map[any]bool{},
		maxStreams: f.cfg.maxStreams,
	}
}

func isSystemClock(c Clock) bool {
	_, ok := c.(systemClock)
	return ok
}

// packetTime is the clock reading for one RTP packet. time.Now reads both
// the wall and the monotonic clock; a packet needs only the monotonic one.
func (i *Interceptor) packetTime() collectors.Instant {
	if i.sysClock {
		return collectors.Instant(time.Since(i.epoch))
	}
	return collectors.InstantOf(i.epoch, i.clock.Now())
}

// kindVideo and kindAudio are the spec's kinds of a video and an audio
// stream (the MIME type's top-level type, as kindOf returns it).
const (
	kindVideo = "video"
	kindAudio = "audio"
)

func kindOf(mimeType string) string {
	k, _, _ := strings.Cut(mimeType, "/")
	// The kinds as constants, not a lower-cased copy per stream: every
	// snapshot reads its stream's kind, and a copy is one more cache line
	// to load per stream.
	switch {
	case strings.EqualFold(k, kindVideo):
		return kindVideo
	case strings.EqualFold(k, kindAudio):
		return kindAudio
	}
	return strings.ToLower(k)
}

func isRTX(mimeType string) bool {
	return strings.HasSuffix(strings.ToLower(mimeType), "/rtx")
}

func extensionID(info *interceptor.StreamInfo, uri string) uint8 {
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == uri && e.ID > 0 && e.ID < 256 {
			return uint8(e.ID)
		}
	}
	return 0
}

func codecOf(info *interceptor.StreamInfo) streamCodec {
	return streamCodec{
		mimeType: info.MimeType, clockRate: info.ClockRate, channels: info.Channels,
		fmtp: info.SDPFmtpLine, payloadType: info.PayloadType,
	}
}

// BindLocalStream observes the packets written for an outgoing stream,
// including retransmissions written on its RTX SSRC. Beyond WithMaxStreams
// outgoing streams (or after Close) the stream is refused: writer is
// returned as it is.
func (i *Interceptor) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	if info == nil || writer == nil {
		return writer
	}
	i.mu.Lock()
	old, rebind := i.outbound[info.SSRC]
	if i.closed || (!rebind && len(i.outbound) >= i.maxStreams) {
		i.mu.Unlock()
		i.refuse(&i.refusals.outbound, "outgoing stream", info.SSRC, true)
		return writer
	}
	if rebind {
		i.endOutbound(old, i.clock.Now())
		i.unbindSentMarks(old.marks)
	}
	s := &localStream{
		col: collectors.NewOutbound(collectors.OutboundConfig{
			ID: i.ids.next("OT"), RemoteID: i.ids.next("RI"),
			SSRC: info.SSRC, RTXSSRC: info.SSRCRetransmission, FECSSRC: info.SSRCForwardErrorCorrection,
			Kind: kindOf(info.MimeType), ClockRate: info.ClockRate, Codec: payload.CodecFromMime(info.MimeType),
			AudioLevel: extensionID(info, audioLevelURI) != 0, Opus: isOpus48k(info), Epoch: i.epoch,
		}),
		info:    codecOf(info),
		midID:   extensionID(info, midURI),
		levelID: extensionID(info, audioLevelURI),
		marks:   i.bindSentMarks(info),
	}
	i.outbound[info.SSRC] = s
	i.mu.Unlock()

	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		body, pad := payloadAndPadding(h, payload)
		if s.marks != nil {
			s.marks.mark(h, payload[:body])
		}
		n, err := writer.Write(h, payload, a)
		if err != nil {
			return n, err // not sent: not counted
		}
		var mid []byte
		if s.midID != 0 {
			mid = h.GetExtension(s.midID)
		}
		// Field by field: a composite literal is built in a temporary and
		// copied, the copy's wide loads stalling on its narrow stores.
		var sent collectors.SentPacket
		sent.SSRC, sent.Seq, sent.Timestamp, sent.Marker, sent.PT = h.SSRC, h.SequenceNumber, h.Timestamp, h.Marker, h.PayloadType
		sent.HeaderLen, sent.PayloadLen, sent.PaddingLen = headerSize(h), body, pad
		sent.Mid, sent.Payload = mid, payload[:body]
		if s.levelID != 0 {
			sent.AudioLevel = h.GetExtension(s.levelID)
		}
		if !s.col.OnSentPacket(i.packetTime(), &sent) {
			i.badRTP(info.SSRC, nil)
		}
		return n, err
	})
}

// headerSize is h.MarshalSize(), whose value receiver copies the Header on
// every packet: only a header with extensions needs it.
func headerSize(h *rtp.Header) int {
	if !h.Extension {
		return 12 + 4*len(h.CSRC)
	}
	return h.MarshalSize()
}

// payloadAndPadding splits what follows the header. pion carries padding in
// Header.PaddingSize; older callers put it at the end of the payload, its
// count in the last byte.
func payloadAndPadding(h *rtp.Header, payload []byte) (body, padding int) {
	switch {
	case !h.Padding:
		return len(payload), 0
	case h.PaddingSize > 0:
		return len(payload), int(h.PaddingSize)
	case len(payload) > 0 && int(payload[len(payload)-1]) <= len(payload):
		p := int(payload[len(payload)-1])
		return len(payload) - p, p
	}
	return len(payload), 0
}

// UnbindLocalStream forgets an outgoing stream: it leaves later reports.
func (i *Interceptor) UnbindLocalStream(info *interceptor.StreamInfo) {
	if info == nil {
		return
	}
	i.mu.Lock()
	s := i.outbound[info.SSRC]
	delete(i.outbound, info.SSRC)
	i.mu.Unlock()
	if s != nil {
		i.endOutbound(s, i.clock.Now())
		i.unbindSentMarks(s.marks)
	}
}

// BindRemoteStream observes the packets read from an incoming stream. pion
// binds one for each signalled SSRC and for the unsignalled ones it
// accepts; beyond WithMaxStreams incoming streams (or after Close) the
// stream is refused: reader is returned as it is.
func (i *Interceptor) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	if info == nil || reader == nil {
		return reader
	}
	if isRTX(info.MimeType) {
		return i.bindRTX(info, reader)
	}
	i.mu.Lock()
	old, rebind := i.inbound[info.SSRC]
	if i.closed || (!rebind && len(i.inbound) >= i.maxStreams) {
		i.mu.Unlock()
		i.refuse(&i.refusals.inbound, "incoming stream", info.SSRC, true)
		return reader
	}
	if rebind {
		i.endInbound(old, i.clock.Now())
		i.unbindReceivedMarks(old.marks)
	}
	s := &remoteStream{
		col: collectors.NewInbound(collectors.InboundConfig{
			ID: i.ids.next("IT"), RemoteID: i.ids.next("RO"),
			SSRC: info.SSRC, Kind: kindOf(info.MimeType), ClockRate: info.ClockRate,
			Codec:        payload.CodecFromMime(info.MimeType),
			AudioLevelID: extensionID(info, audioLevelURI), CSRCLevelID: extensionID(info, csrcLevelURI),
			Opus: isOpus48k(info), Epoch: i.epoch,
		}),
		info:  codecOf(info),
		midID: extensionID(info, midURI),
		marks: i.bindReceivedMarks(info.SSRC, info.MimeType),
	}
	i.inbound[info.SSRC] = s
	i.mu.Unlock()

	ssrc := info.SSRC
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err != nil || n > len(b) {
			return n, attr, err
		}
		var h rtpx.Header
		if perr := rtpx.ParseHeader(b[:n], &h); perr != nil || h.SSRC != ssrc {
			i.badRTP(ssrc, perr)
			return n, attr, err
		}
		var mid []byte
		if s.midID != 0 {
			mid = h.Extension(b[:n], s.midID)
		}
		s.col.OnMediaPacket(i.packetTime(), &h, mid, b[:n])
		return n, attr, err
	})
}

func (i *Interceptor) bindRTX(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	i.mu.Lock()
	old, rebind := i.rtx[info.SSRC]
	if i.closed || (!rebind && len(i.rtx) >= i.maxStreams) {
		i.mu.Unlock()
		i.refuse(&i.refusals.rtx, "incoming RTX stream", info.SSRC, true)
		return reader
	}
	if rebind {
		i.unbindReceivedMarks(old.marks)
	}
	r := &rtxStream{ssrc: info.SSRC, info: codecOf(info), marks: i.bindReceivedMarks(info.SSRC, info.MimeType)}
	i.rtx[info.SSRC] = r
	i.linkRTXByBindOrderLocked(r)
	i.mu.Unlock()

	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err != nil || n > len(b) {
			return n, attr, err
		}
		primary := r.primary.Load()
		if primary == nil {
			return n, attr, err // not yet linked: nothing to fold into
		}
		var h rtpx.Header
		if perr := rtpx.ParseHeader(b[:n], &h); perr != nil || h.SSRC != r.ssrc {
			i.badRTP(r.ssrc, perr)
			return n, attr, err
		}
		if h.PayloadLen < 2 {
			return n, attr, err // padding-only probe: carries no original packet
		}
		osn := uint16(b[h.HeaderLen])<<8 | uint16(b[h.HeaderLen+1])
		primary.OnRTXMediaPacket(i.packetTime(), &h, osn, b[h.HeaderLen+2:h.HeaderLen+h.PayloadLen])
		return n, attr, err
	})
}

// linkRTXByBindOrderLocked links a new RTX stream to its primary when that is
// unambiguous. pion binds a receiver's primary stream just before its RTX
// stream but does not say which belong together; if exactly one bound
// primary of the same codec has no RTX yet, it is that one. Otherwise GetStats
// links it later from the receivers' track parameters.
func (i *Interceptor) linkRTXByBindOrderLocked(r *rtxStream) {
	var match *remoteStream
	for _, s := range i.inbound {
		if s.col.RTXSSRC() != 0 || kindOf(s.info.mimeType) != kindOf(r.info.mimeType) ||
			s.info.clockRate != r.info.clockRate || s.info.fmtp != r.info.fmtp {
			continue
		}
		if match != nil {
			return
		}
		match = s
	}
	if match != nil {
		match.col.LinkRTX(r.ssrc)
		r.primary.Store(match.col)
		match.marks.Link(r.marks)
	}
}

// linkRTX links an RTX SSRC to a primary SSRC, from what pion's receivers say.
func (i *Interceptor) linkRTX(primarySSRC, rtxSSRC uint32) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	p, r := i.inbound[primarySSRC], i.rtx[rtxSSRC]
	if p == nil || r == nil || r.primary.Load() == p.col {
		return
	}
	p.col.LinkRTX(rtxSSRC)
	r.primary.Store(p.col)
	p.marks.Link(r.marks)
}

// UnbindRemoteStream forgets an incoming stream: it leaves later reports.
func (i *Interceptor) UnbindRemoteStream(info *interceptor.StreamInfo) {
	if info == nil {
		return
	}
	i.mu.Lock()
	s, r := i.inbound[info.SSRC], i.rtx[info.SSRC]
	delete(i.inbound, info.SSRC)
	delete(i.rtx, info.SSRC)
	i.mu.Unlock()
	if s != nil {
		i.endInbound(s, i.clock.Now())
		i.unbindReceivedMarks(s.marks)
	}
	if r != nil {
		i.unbindReceivedMarks(r.marks)
	}
}

// Close is called by pion when the PeerConnection closes, last. It releases
// every stream and forgets the PeerConnection; GetStats and binds after it
// are refused.
func (i *Interceptor) Close() error {
	i.gate.close()
	i.mu.Lock()
	i.closed = true
	now := i.clock.Now()
	for _, s := range i.outbound {
		i.endOutbound(s, now)
		i.unbindSentMarks(s.marks)
	}
	for _, s := range i.inbound {
		i.endInbound(s, now)
		i.unbindReceivedMarks(s.marks)
	}
	for _, r := range i.rtx {
		i.unbindReceivedMarks(r.marks)
	}
	i.outbound = map[uint32]*localStream{}
	i.inbound = map[uint32]*remoteStream{}
	i.rtx = map[uint32]*rtxStream{}
	i.objIDs = map[string]string{}
	i.drained = map[any]bool{}
	i.mu.Unlock()
	i.factory.forget(i.pcID, i)
	return nil
}

// stableID returns the id of the object described by key, creating it with
// the given prefix on first use, so that it is the same in every report. It
// returns "" (leave the object out) when maxObjectIDs ids exist already.
func (i *Interceptor) stableID(prefix, key string) string {
	i.mu.Lock()
	id, ok := i.objIDs[key]
	if !ok && len(i.objIDs) < maxObjectIDs && !i.closed {
		id, ok = i.ids.next(prefix), true
		i.objIDs[key] = id
	}
	i.mu.Unlock()
	if !ok {
		i.refuse(&i.refusals.ids, "a report object (id prefix "+prefix+")", 0, false)
	}
	return id
}

func (i *Interceptor) badRTP(ssrc uint32, err error) {
	if err != nil {
		i.counters.malformedRTP.Add(1)
		i.log.Debugf("ssrc %d: malformed RTP packet ignored: %v", ssrc, err)
		return
	}
	i.counters.unknownSSRC.Add(1)
	i.log.Debugf("ssrc %d: packet with another SSRC on this stream ignored", ssrc)
}
