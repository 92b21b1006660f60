package rtcstats

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats/collectors"
	"github.com/rtcstats/rtcstats/internal/rtpx"
	"github.com/rtcstats/rtcstats/report"
)

// GetStats returns the complete statistics of pc, keyed by id, in the shape
// of Object.fromEntries(await pc.getStats()) in a browser: the RTP objects
// measured by rtcstats plus the transport, ICE, certificate, data-channel and
// peer-connection objects converted from pion's own GetStats with their gaps
// filled. Ids are stable across calls, and every *Id member resolves in the
// same report.
//
// No lock is held across streams while the report is built: each stream is
// copied under its own lock, so packets never wait for GetStats.
//
// GetStats may be called from any number of goroutines; calls that overlap
// share one call of pion's GetStats. It returns ErrNilArgument for a nil
// pc, ErrUnknownPeerConnection for one this factory does not monitor, and
// ErrPeerConnectionClosed once pc's Close has begun. To close a
// PeerConnection while GetStats may run, use ClosePeerConnection.
func (f *Factory) GetStats(pc *webrtc.PeerConnection) (report.Report, error) {
	i, err := f.lookup(pc)
	if err != nil {
		return nil, err
	}
	if !i.gate.enter() {
		return nil, ErrPeerConnectionClosed
	}
	defer i.gate.exit()
	pionReport, ok := i.flight.do(pc)
	if !ok {
		return nil, ErrPeerConnectionClosed
	}
	now := i.clock.Now()
	i.mu.RLock()
	streams := len(i.outbound) + len(i.inbound)
	i.mu.RUnlock()
	r := make(report.Report, len(pionReport)+2*streams) // each stream and its remote view
	conv := newPionConverter(i, pc, pionReport, now)
	conv.convert(r)
	pruneDangling(r)

	i.syncWithReceivers(pc)
	mids, encs := i.syncTransceivers(pc)
	i.snapshotRTP(r, now, conv, mids, encs)
	return r, nil
}

// closing reports whether pc's Close has begun. Close sets the signaling
// state first and the connection state last.
func closing(pc *webrtc.PeerConnection) bool {
	return pc.SignalingState() == webrtc.SignalingStateClosed ||
		pc.ConnectionState() == webrtc.PeerConnectionStateClosed
}

// pionGetStats returns pion's own GetStats, or false when pc is closing.
//
// pion's PeerConnection.GetStats reads pc.statsGetter without a lock and
// Close sets it to nil at its very end (pion v4.2.20), whichever goroutine
// closes (the application, or pion itself on a DTLS close_notify). What
// keeps the two apart here:
//
//   - no call once Close has begun (the signaling state is "closed" from
//     Close's first steps on);
//   - right after the call, the ICE transport's lock (Role) and state:
//     Close stops the ICE transport under that lock before it writes
//     statsGetter, so if the state is not closed now, our unlock came before
//     Close's lock and pion's read came before the write. If it is closed,
//     Close overtook the call: the result is thrown away and the caller gets
//     ErrPeerConnectionClosed.
//
// That does not cover a call already inside pion when Close begins: pion's
// GetStats ends by waiting for its ICE agent, which during a Close may
// answer only once the agent is closed, and pion offers no hook to hold
// Close off until the call is out. Factory.ClosePeerConnection closes that
// window (it waits for the calls in flight before it calls Close); only pion
// can close it for a bare pc.Close.
func pionGetStats(pc *webrtc.PeerConnection) (webrtc.StatsReport, bool) {
	if closing(pc) {
		return nil, false
	}
	rep := pc.GetStats()
	ice := pc.SCTP().Transport().ICETransport()
	if ice == nil {
		return nil, false
	}
	_ = ice.Role()
	if ice.State() == webrtc.ICETransportStateClosed || closing(pc) {
		return nil, false
	}
	return rep, true
}

// statsGate counts the GetStats calls in flight for one PeerConnection, so
// that ClosePeerConnection can close it once they have returned and refuse
// the ones that come later.
type statsGate struct {
	mu       sync.Mutex
	inflight int
	closing  bool
	idle     chan struct{} // closed once closing and nothing is in flight
}

// enter admits a GetStats call, unless the PeerConnection is closing.
func (g *statsGate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.inflight++
	return true
}

func (g *statsGate) exit() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight--
	if g.closing && g.inflight == 0 {
		g.closeIdleLocked()
	}
}

// close refuses later calls and returns a channel closed once none is in
// flight.
func (g *statsGate) close() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closing {
		g.closing = true
		g.idle = make(chan struct{})
		if g.inflight == 0 {
			g.closeIdleLocked()
		}
	}
	return g.idle
}

func (g *statsGate) closeIdleLocked() {
	select {
	case <-g.idle:
	default:
		close(g.idle)
	}
}

// pionFlight shares one call of pion's GetStats among the GetStats calls
// that ask while it runs: pion's report is only read, and fewer calls in
// flight means fewer that a concurrent Close can overtake (see
// pionGetStats).
type pionFlight struct {
	mu  sync.Mutex
	cur *pionCall
}

type pionCall struct {
	done chan struct{}
	rep  webrtc.StatsReport
	ok   bool
}

func (f *pionFlight) do(pc *webrtc.PeerConnection) (webrtc.StatsReport, bool) {
	f.mu.Lock()
	if c := f.cur; c != nil {
		f.mu.Unlock()
		<-c.done
		return c.rep, c.ok
	}
	c := &pionCall{done: make(chan struct{})}
	f.cur = c
	f.mu.Unlock()
	c.rep, c.ok = pionGetStats(pc)
	f.mu.Lock()
	f.cur = nil
	f.mu.Unlock()
	close(c.done)
	return c.rep, c.ok
}

// pruneDangling removes what pion's objects would leave unresolved: pion
// lists candidate pairs and candidates from separate calls into its ICE
// agent, so a pair can name a candidate the report does not hold (seen
// during renegotiation). Such a pair is left out, and a transport member
// that names an object not in the report is left absent.
func pruneDangling(r report.Report) {
	delete(r, "")
	for id, s := range r {
		if p, ok := s.(*report.ICECandidatePairStats); ok {
			_, local := r[p.LocalCandidateID]
			_, remote := r[p.RemoteCandidateID]
			if !local || !remote {
				delete(r, id)
			}
		}
	}
	for _, t := range report.Filter[*report.TransportStats](r) {
		for _, ref := range []**string{&t.SelectedCandidatePairID, &t.LocalCertificateID, &t.RemoteCertificateID} {
			if *ref != nil {
				if _, ok := r[**ref]; !ok {
					*ref = nil
				}
			}
		}
	}
}

// syncWithReceivers learns what only pion's receivers know: which RTX SSRC
// repairs which stream, and the track each stream plays into.
func (i *Interceptor) syncWithReceivers(pc *webrtc.PeerConnection) {
	for _, rcv := range pc.GetReceivers() {
		for _, t := range rcv.Tracks() {
			if t == nil {
				continue
			}
			ssrc := uint32(t.SSRC())
			if rtx := uint32(t.RtxSSRC()); rtx != 0 {
				i.linkRTX(ssrc, rtx)
			}
			i.mu.RLock()
			s := i.inbound[ssrc]
			i.mu.RUnlock()
			if s != nil && t.ID() != "" {
				s.col.SetTrackIdentifier(t.ID())
				s.marks.SetTrack(t.ID())
			}
		}
	}
}

// syncTransceivers maps SSRCs to the mid of their transceiver, for streams
// whose packets do not carry the sdes:mid extension, and tells the DSCP
// marker which track each outgoing SSRC carries (see WithDSCP).
//
// A sender's SSRCs come from pion's GetParameters, which rebuilds the codec
// list each call (most of GetStats' time with many senders). They are
// fixed once pion has started the sender (AddEncoding refuses after that),
// which it does before binding its streams, so a sender is asked once after
// all of its SSRCs are bound and remembered until it leaves pc.
func (i *Interceptor) syncTransceivers(pc *webrtc.PeerConnection) (map[uint32]string, map[uint32]encoding) {
	m := i.factory.marker
	trs := pc.GetTransceivers()
	mids := make(map[uint32]string, 2*len(trs))
	encs := make(map[uint32]encoding, len(trs))

	i.senders.Lock()
	defer i.senders.Unlock()
	i.senders.gen++
	for _, tr := range trs {
		mid := tr.Mid()
		if s := tr.Sender(); s != nil && (mid != "" || m != nil) {
			i.syncSenderLocked(s, mid, mids, encs)
		}
		if r := tr.Receiver(); r != nil && mid != "" {
			for _, t := range r.Tracks() {
				if t != nil {
					mids[uint32(t.SSRC())] = mid
				}
			}
		}
	}
	for s, c := range i.senders.byPtr {
		if c.gen != i.senders.gen {
			delete(i.senders.byPtr, s) // removed from pc
		}
	}
	return mids, encs
}

// syncSenderLocked is syncTransceivers' part for one sender of the
// transceiver with the given mid: it records the mid and encoding of each
// of the sender's SSRCs and tells the DSCP marker, if any, a changed track.
// The caller holds i.senders.
func (i *Interceptor) syncSenderLocked(s *webrtc.RTPSender, mid string, mids map[uint32]string, encs map[uint32]encoding) {
	m := i.factory.marker
	c := i.senderInfoLocked(s)
	var trackID string
	if t := s.Track(); t != nil {
		trackID = t.ID()
	}
	for k, ssrc := range c.ssrcs {
		if mid != "" {
			mids[ssrc] = mid
		}
		encs[ssrc] = encoding{rid: c.rids[k], index: uint32(k), trackID: trackID}
		if m != nil && trackID != "" && trackID != c.trackID {
			m.AssignTrack(ssrc, trackID) // RTX and FEC follow their primary
		}
	}
	if c.final {
		c.trackID = trackID
	}
}

// encoding is where an outgoing SSRC sits in its sender's encodings.
type encoding struct {
	rid     string // "" without simulcast
	index   uint32
	trackID string // the sender's track now, "" without one
}

// senderCache remembers what syncTransceivers learnt of pion's senders.
type senderCache struct {
	sync.Mutex
	byPtr map[*webrtc.RTPSender]*senderInfo
	gen   uint64 // syncTransceivers calls, to find senders that left pc
}

type senderInfo struct {
	ssrcs   []uint32 // primary SSRCs of the sender's encodings
	rids    []string // their RIDs, "" when none
	final   bool     // all bound: ssrcs cannot change any more
	trackID string   // last track given to the marker; only when final
	gen     uint64
}

// senderInfoLocked returns s's SSRCs, asking pion again until they are final.
func (i *Interceptor) senderInfoLocked(s *webrtc.RTPSender) *senderInfo {
	if i.senders.byPtr == nil {
		i.senders.byPtr = map[*webrtc.RTPSender]*senderInfo{}
	}
	c := i.senders.byPtr[s]
	if c == nil {
		c = &senderInfo{}
		i.senders.byPtr[s] = c
	}
	c.gen = i.senders.gen
	if c.final {
		return c
	}
	c.ssrcs, c.rids = c.ssrcs[:0], c.rids[:0]
	for _, e := range s.GetParameters().Encodings {
		c.ssrcs = append(c.ssrcs, uint32(e.SSRC))
		c.rids = append(c.rids, e.RID)
	}
	i.mu.RLock()
	bound := len(c.ssrcs) > 0
	for _, ssrc := range c.ssrcs {
		if _, ok := i.outbound[ssrc]; !ok {
			bound = false
		}
	}
	i.mu.RUnlock()
	c.final = bound
	return c
}

func (i *Interceptor) snapshotRTP(r report.Report, now time.Time, conv *pionConverter, mids map[uint32]string, encs map[uint32]encoding) {
	// Copy the stream lists, then snapshot each stream under its own lock.
	i.mu.RLock()
	outs := make([]*localStream, 0, len(i.outbound))
	for _, s := range i.outbound {
		outs = append(outs, s)
	}
	ins := make([]*remoteStream, 0, len(i.inbound))
	for _, s := range i.inbound {
		ins = append(ins, s)
	}
	i.mu.RUnlock()
	sort.Slice(outs, func(a, b int) bool { return outs[a].col.Config().SSRC < outs[b].col.Config().SSRC })
	sort.Slice(ins, func(a, b int) bool { return ins[a].col.Config().SSRC < ins[b].col.Config().SSRC })

	for _, s := range outs {
		snap := s.col.Snapshot(now)
		o := snap.Outbound
		mid, tid, cid := conv.links(r, dirSend, o.SSRC, snap.PayloadType, snap.HasPayloadType, s.info, mids)
		l := &streamLinks{mid: mid, transportID: tid, codecID: cid}
		s.links.Store(l)
		if e, ok := encs[o.SSRC]; ok {
			if o.Kind == kindVideo { // neither exists for audio
				if e.rid != "" {
					o.Rid = new(e.rid)
				}
				o.EncodingIndex = new(e.index)
			}
			if e.trackID != "" {
				o.MediaSourceID = i.mediaSource(r, conv, e.trackID, o.Kind, snap)
			}
		}
		addOutbound(r, s, snap, l)
	}
	for _, s := range ins {
		snap := s.col.Snapshot(now)
		in := snap.Inbound
		if in.TrackIdentifier == "" {
			// pion has no track for this SSRC (yet): the required
			// trackIdentifier cannot be given, so the object is left out
			// rather than reported with a made-up one.
			continue
		}
		mid, tid, cid := conv.links(r, dirRecv, in.SSRC, snap.PayloadType, snap.HasPayloadType, s.info, mids)
		l := &streamLinks{mid: mid, transportID: tid, codecID: cid}
		s.links.Store(l)
		addInbound(r, s, snap, l)
	}
}

// links returns the members of an RTP stream that point outside it: the
// transceiver's mid (used when the packets carry no sdes:mid), transportId
// and codecId (adding the codec object to r). Each is nil when unknown.
func (c *pionConverter) links(r report.Report, dir direction, ssrc uint32, pt uint8, hasPT bool,
	info streamCodec, mids map[uint32]string,
) (mid, transportID, codecID *string) {
	if m, ok := mids[ssrc]; ok {
		if mid = c.midPtrs[m]; mid == nil {
			mid = new(m)
			if c.midPtrs == nil {
				c.midPtrs = map[string]*string{}
			}
			c.midPtrs[m] = mid
		}
	}
	transportID = c.transportIDPtr
	if hasPT {
		codecID = c.codecID(r, dir, pt, info)
	}
	return mid, transportID, codecID
}

type direction byte

const (
	dirSend direction = 'O'
	dirRecv direction = 'I'
)

// codecID is codec's id as a pointer shared by the streams of one report,
// or nil.
func (c *pionConverter) codecID(r report.Report, dir direction, pt uint8, info streamCodec) *string {
	k := codecKey{dir: dir, pt: pt, info: info}
	if p, ok := c.codecIDs[k]; ok {
		return p
	}
	var p *string
	if id := c.codec(r, dir, pt, info); id != "" {
		p = new(id)
	}
	if c.codecIDs == nil {
		c.codecIDs = map[codecKey]*string{}
	}
	c.codecIDs[k] = p
	return p
}

// codec returns the id of the codec object for payload type pt in direction
// dir, adding the object to r, or "" when nothing honest can be said.
func (c *pionConverter) codec(r report.Report, dir direction, pt uint8, info streamCodec) string {
	if c.transportID == "" {
		return "" // codec.transportId is required: no transport, no codec object
	}
	// The StreamInfo describes the codec pion negotiated for the stream.
	// A packet with another payload type (outbound only: pion does not
	// give receivers theirs) is described by pion's codec list, if at all.
	mime, clock, channels, fmtp := info.mimeType, info.clockRate, uint32(info.channels), info.fmtp
	if dir == dirSend && pt != info.payloadType {
		pc, ok := c.codecs[pt]
		if !ok {
			return ""
		}
		mime, clock, channels, fmtp = pc.MimeType, pc.ClockRate, uint32(pc.Channels), pc.SDPFmtpLine
	}
	if mime == "" {
		return ""
	}
	id := c.i.stableID("C"+string(dir), fmt.Sprintf("codec/%c/%d/%s/%s", dir, pt, mime, fmtp))
	if id == "" {
		return "" // the id table is full (maxObjectIDs)
	}
	if _, done := r[id]; done {
		return id
	}
	cs := &report.CodecStats{
		Base:        report.Base{Timestamp: rtpx.UnixMillis(c.now), Type: report.TypeCodec, ID: id},
		PayloadType: uint32(pt),
		TransportID: c.transportID,
		MimeType:    mime,
	}
	if clock > 0 {
		cs.ClockRate = new(clock)
	}
	if channels > 0 {
		cs.Channels = new(channels)
	}
	if fmtp != "" {
		cs.SdpFmtpLine = new(fmtp)
	}
	r[id] = cs
	return id
}

// mediaSource returns the id of the media-source object of the track a
// stream sends, adding the object to r or merging into it what this stream
// measured (nil when the id table is full). For simulcast, several streams
// send one track: the video source is described by the stream with the
// largest frames, the closest to what the encoder was given.
func (i *Interceptor) mediaSource(r report.Report, conv *pionConverter, trackID, kind string, snap collectors.OutboundSnapshot) *string {
	prefix := "SA"
	if kind == kindVideo {
		prefix = "SV"
	}
	id := i.stableID(prefix, "source/"+kind+"/"+trackID)
	if id == "" {
		return nil
	}
	base := conv.base(report.TypeMediaSource, id)
	switch kind {
	case kindVideo:
		src := snap.VideoSource
		if src == nil {
			src = &report.VideoSourceStats{}
		}
		if old, ok := r[id].(*report.VideoSourceStats); ok && area(old) >= area(src) {
			return &old.ID
		}
		src.Base, src.TrackIdentifier, src.Kind = base, trackID, kind
		r[id] = src
	default:
		if _, ok := r[id]; ok {
			return new(id)
		}
		src := snap.AudioSource
		if src == nil {
			src = &report.AudioSourceStats{}
		}
		src.Base, src.TrackIdentifier, src.Kind = base, trackID, kind
		r[id] = src
	}
	return new(id)
}

func area(s *report.VideoSourceStats) uint64 {
	if s.Width == nil || s.Height == nil {
		return 0
	}
	return uint64(*s.Width) * uint64(*s.Height)
}

// addOutbound puts an outgoing stream's objects into r, with the members
// that point outside them from l (nil: none known) and the socket layer's
// per-DSCP counts. GetStats and EndedStats share it.
func addOutbound(r report.Report, s *localStream, snap collectors.OutboundSnapshot, l *streamLinks) {
	o := snap.Outbound
	if l != nil {
		if o.Mid == nil { // the packets carry no sdes:mid: the transceiver's
			o.Mid = l.mid
		}
		o.TransportID, o.CodecID = l.transportID, l.codecID
	}
	if s.marks != nil {
		o.PerDSCPPacketsSent = s.marks.primary.PerDSCP()
	}
	r[o.ID] = o
	if ri := snap.Remote; ri != nil {
		ri.TransportID, ri.CodecID = o.TransportID, o.CodecID
		r[ri.ID] = ri
	}
}

// addInbound is addOutbound for an incoming stream, with its csrc objects.
func addInbound(r report.Report, s *remoteStream, snap collectors.InboundSnapshot, l *streamLinks) {
	in := snap.Inbound
	if l != nil {
		if in.Mid == nil {
			in.Mid = l.mid
		}
		in.TransportID, in.CodecID = l.transportID, l.codecID
	}
	if s.marks != nil {
		in.PerDSCPPacketsReceived = s.marks.PerDSCP()
	}
	r[in.ID] = in
	for _, c := range snap.CSRCs {
		r[c.ID] = c
	}
	if ro := snap.Remote; ro != nil {
		ro.TransportID, ro.CodecID = in.TransportID, in.CodecID
		r[ro.ID] = ro
	}
}
