package rtcstats

import (
	"fmt"
	"slices"
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
	xs, tracks := i.syncTransceivers(pc)
	tracked := i.applyReceivedTracks(tracks)
	outs, ins := i.streamsBySSRC()
	// Room for pion's objects, each stream and its remote view (an
	// inbound stream only with a track, as a rule), a media source per
	// sent track and a few codecs: a map sized for many more objects than
	// it gets costs as much as the objects.
	r := make(report.Report, len(pionReport)+2*len(outs)+xs.sources+2*min(tracked, len(ins))+4)
	conv := newPionConverter(i, pc, pionReport, now)
	conv.convert(r)
	pruneDangling(r)
	i.snapshotRTP(r, now, conv, xs, outs, ins)
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

// receivedTrack is what one of pion's remote tracks says of its stream.
type receivedTrack struct {
	ssrc, rtx uint32
	id        string
}

// applyReceivedTracks learns what only pion's receivers know: which RTX
// SSRC repairs which stream, and the track each stream plays into. The
// streams are looked up under one read lock, outside which pion is called.
// It returns how many streams have a track.
func (i *Interceptor) applyReceivedTracks(tracks []receivedTrack) int {
	streams := make([]*remoteStream, len(tracks))
	relink, n := false, 0
	i.mu.RLock()
	for k, t := range tracks {
		p := i.inbound[t.ssrc]
		streams[k] = p
		if t.rtx != 0 && p != nil {
			if r := i.rtx[t.rtx]; r != nil && r.primary.Load() != p.col {
				relink = true // linkRTX takes the lock itself
			}
		}
	}
	i.mu.RUnlock()
	for k, t := range tracks {
		if relink && t.rtx != 0 {
			i.linkRTX(t.ssrc, t.rtx)
		}
		if s := streams[k]; s != nil && t.id != "" {
			s.col.SetTrackIdentifier(t.id)
			if s.marks != nil { // SetTrack's argument escapes: it allocates even for nil
				s.marks.SetTrack(t.id)
			}
			n++
		}
	}
	return n
}

// ssrcTable is what pion's transceivers say of each SSRC: the mid of its
// transceiver, for streams whose packets do not carry the sdes:mid
// extension, and for a sent stream where it sits in its sender's encodings.
// The report's mid, rid and encodingIndex members point into it, so that a
// stream's links take no allocation of their own.
type ssrcTable struct {
	bySSRC  map[uint32]ssrcRef
	xcvrs   []xcvrInfo
	rids    []string // RIDs of simulcast encodings
	indexes []uint32 // 0, 1, 2...: encodingIndex values
	sources int      // sent SSRCs with a track: at most one media source each
}

// ssrcRef places an SSRC in ssrcTable.
type ssrcRef struct {
	mid   int32 // the transceiver whose mid the SSRC has, -1 none
	enc   int32 // the transceiver whose sender sends the SSRC, -1 none
	rid   int32 // its RID in rids, -1 none
	index int32 // its encoding's index in the sender's
}

// xcvrInfo is what ssrcTable holds of one transceiver.
type xcvrInfo struct {
	mid     string      // "" when it has none
	sender  *senderInfo // nil when its sender was not asked
	trackID string      // the sender's track now, "" without one
	source  mediaSourceID
}

// at returns where ssrc is in the table, -1 for what the table lacks.
func (t *ssrcTable) at(ssrc uint32) ssrcRef {
	if r, ok := t.bySSRC[ssrc]; ok {
		return r
	}
	return ssrcRef{mid: -1, enc: -1, rid: -1}
}

// midOf is the mid of e's transceiver, or nil.
func (t *ssrcTable) midOf(e ssrcRef) *string {
	if e.mid < 0 {
		return nil
	}
	return &t.xcvrs[e.mid].mid
}

func (t *ssrcTable) setMid(ssrc uint32, xcvr int) {
	r := t.at(ssrc)
	r.mid = int32(xcvr)
	t.bySSRC[ssrc] = r
}

func (t *ssrcTable) setEncoding(ssrc uint32, xcvr, index int, rid string) {
	r := t.at(ssrc)
	if r.enc < 0 && t.xcvrs[xcvr].trackID != "" {
		t.sources++
	}
	r.enc, r.index, r.rid = int32(xcvr), int32(index), -1
	if rid != "" {
		r.rid = int32(len(t.rids))
		t.rids = append(t.rids, rid)
	}
	for len(t.indexes) <= index {
		t.indexes = append(t.indexes, uint32(len(t.indexes)))
	}
	t.bySSRC[ssrc] = r
}

// syncTransceivers returns what pion's transceivers say of each SSRC (see
// ssrcTable) and the tracks of its receivers (see applyReceivedTracks),
// and tells the DSCP marker which track each outgoing SSRC carries (see
// WithDSCP).
//
// A sender's SSRCs come from pion's GetParameters, which rebuilds the codec
// list each call (most of GetStats' time with many senders). They are
// fixed once pion has started the sender (AddEncoding refuses after that),
// which it does before binding its streams, so a sender is asked once after
// all of its SSRCs are bound and remembered until it leaves pc.
func (i *Interceptor) syncTransceivers(pc *webrtc.PeerConnection) (*ssrcTable, []receivedTrack) {
	m := i.factory.marker
	trs := pc.GetTransceivers()
	xs := &ssrcTable{bySSRC: make(map[uint32]ssrcRef, 2*len(trs)), xcvrs: make([]xcvrInfo, len(trs))}
	tracks := make([]receivedTrack, 0, len(trs))

	i.senders.Lock()
	defer i.senders.Unlock()
	i.senders.gen++
	for k, tr := range trs {
		mid := tr.Mid()
		xs.xcvrs[k].mid = mid
		if s := tr.Sender(); s != nil && (mid != "" || m != nil) {
			i.syncSenderLocked(s, k, xs)
		}
		if r := tr.Receiver(); r != nil {
			for _, t := range r.Tracks() {
				if t == nil {
					continue
				}
				rt := receivedTrack{ssrc: uint32(t.SSRC()), rtx: uint32(t.RtxSSRC()), id: t.ID()}
				tracks = append(tracks, rt)
				if mid != "" {
					xs.setMid(rt.ssrc, k)
				}
			}
		}
	}
	for s, c := range i.senders.byPtr {
		if c.gen != i.senders.gen {
			delete(i.senders.byPtr, s) // removed from pc
		}
	}
	return xs, tracks
}

// syncSenderLocked is syncTransceivers' part for the sender s of
// transceiver xcvr: it records the mid and encoding of each of the
// sender's SSRCs and tells the DSCP marker, if any, a changed track. The
// caller holds i.senders.
func (i *Interceptor) syncSenderLocked(s *webrtc.RTPSender, xcvr int, xs *ssrcTable) {
	m := i.factory.marker
	c := i.senderInfoLocked(s)
	var trackID string
	if t := s.Track(); t != nil {
		trackID = t.ID()
	}
	x := &xs.xcvrs[xcvr]
	x.sender, x.trackID = c, trackID
	if c.source.track == trackID {
		x.source = c.source
	}
	for k, ssrc := range c.ssrcs {
		if x.mid != "" {
			xs.setMid(ssrc, xcvr)
		}
		xs.setEncoding(ssrc, xcvr, k, c.rids[k])
		if m != nil && trackID != "" && trackID != c.trackID {
			m.AssignTrack(ssrc, trackID) // RTX and FEC follow their primary
		}
	}
	if c.final {
		c.trackID = trackID
	}
}

// mediaSourceID is the media-source id of a sender's track, remembered so
// that each report need not build its key and look it up again.
type mediaSourceID struct {
	track, kind, id string
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
	source  mediaSourceID // guarded by senderCache's lock
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

// streamsBySSRC copies the stream lists, in SSRC order: the order in which
// codec and media-source objects are first met, and so their ids, does not
// depend on map order.
func (i *Interceptor) streamsBySSRC() ([]*localStream, []*remoteStream) {
	i.mu.RLock()
	outs, outKeys := collect(i.outbound)
	ins, inKeys := collect(i.inbound)
	i.mu.RUnlock()
	return bySSRC(outs, outKeys), bySSRC(ins, inKeys)
}

// collect copies m's streams and keys them for bySSRC: SSRC in the high
// half, position in the low.
func collect[S any](m map[uint32]S) ([]S, []uint64) {
	streams, keys := make([]S, 0, len(m)), make([]uint64, 0, len(m))
	for ssrc, s := range m {
		keys = append(keys, uint64(ssrc)<<32|uint64(len(streams)))
		streams = append(streams, s)
	}
	return streams, keys
}

// bySSRC returns streams in the order of their keys. The keys are sorted,
// not the streams: integers move without the write barrier that pointers
// need while the collector runs.
func bySSRC[S any](streams []S, keys []uint64) []S {
	keys = sortBySSRC(keys)
	sorted := make([]S, len(keys))
	for k, key := range keys {
		sorted[k] = streams[uint32(key)]
	}
	return sorted
}

// sortBySSRC sorts keys by their high half, the SSRC (unique: the order of
// the low halves does not matter), and returns them: a radix sort, a byte
// a pass, linear in the number of streams; short lists go to slices.Sort.
func sortBySSRC(keys []uint64) []uint64 {
	if len(keys) < 256 {
		slices.Sort(keys)
		return keys
	}
	tmp := make([]uint64, len(keys))
	for shift := 32; shift < 64; shift += 8 {
		var start [257]int // start[b+1] counts byte b, then becomes where b begins
		for _, k := range keys {
			start[(k>>shift)&0xff+1]++
		}
		for b := 1; b < len(start); b++ {
			start[b] += start[b-1]
		}
		for _, k := range keys {
			b := (k >> shift) & 0xff
			tmp[start[b]] = k
			start[b]++
		}
		keys, tmp = tmp, keys
	}
	return keys
}

// snapshotRTP snapshots each stream under its own lock, no lock held across
// streams, and adds its objects to r. The objects of one report come from
// one Arena.
func (i *Interceptor) snapshotRTP(r report.Report, now time.Time, conv *pionConverter, xs *ssrcTable,
	outs []*localStream, ins []*remoteStream,
) {
	arena := new(collectors.Arena)
	for _, s := range outs {
		snap := s.col.SnapshotIn(now, arena)
		o := snap.Outbound
		e := xs.at(o.SSRC)
		mid := xs.midOf(e) // for packets without sdes:mid
		tid, cid := conv.links(r, dirSend, snap.PayloadType, snap.HasPayloadType, s.info)
		storeLinks(&s.links, mid, tid, cid)
		if e.enc >= 0 {
			x := &xs.xcvrs[e.enc]
			if o.Kind == kindVideo { // neither exists for audio
				if e.rid >= 0 {
					o.Rid = &xs.rids[e.rid]
				}
				o.EncodingIndex = &xs.indexes[e.index]
			}
			if x.trackID != "" {
				o.MediaSourceID = i.mediaSource(r, conv, x, o.Kind, snap)
			}
		}
		addOutbound(r, s, snap, mid, tid, cid, true)
	}
	for _, s := range ins {
		snap := s.col.SnapshotIn(now, arena)
		in := snap.Inbound
		if in.TrackIdentifier == "" {
			// pion has no track for this SSRC (yet): the required
			// trackIdentifier cannot be given, so the object is left out
			// rather than reported with a made-up one.
			continue
		}
		mid := xs.midOf(xs.at(in.SSRC))
		tid, cid := conv.links(r, dirRecv, snap.PayloadType, snap.HasPayloadType, s.info)
		storeLinks(&s.links, mid, tid, cid)
		addInbound(r, s, snap, mid, tid, cid, true)
	}
}

// links returns the members of an RTP stream that point outside it, besides
// its transceiver's mid: transportId and codecId (adding the codec object
// to r). Each is nil when unknown.
func (c *pionConverter) links(r report.Report, dir direction, pt uint8, hasPT bool, info streamCodec) (transportID, codecID *string) {
	if hasPT {
		codecID = c.codecID(r, dir, pt, info)
	}
	return c.transportIDPtr, codecID
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
	if c.hasLastCodec && k == c.lastCodec { // most streams share one codec
		return c.lastCodecID
	}
	p, ok := c.codecIDs[k]
	if !ok {
		if id := c.codec(r, dir, pt, info); id != "" {
			p = new(id)
		}
		if c.codecIDs == nil {
			c.codecIDs = map[codecKey]*string{}
		}
		c.codecIDs[k] = p
	}
	c.lastCodec, c.lastCodecID, c.hasLastCodec = k, p, true
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
		pc, ok := c.codecOf(pt)
		if !ok {
			return ""
		}
		mime, clock, channels, fmtp = pc.mimeType, pc.clockRate, uint32(pc.channels), pc.fmtpLine
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
// stream sends (x's sender's), adding the object to r or merging into it what this
// stream measured (nil when the id table is full). For simulcast, several
// streams send one track: the video source is described by the stream with
// the largest frames, the closest to what the encoder was given.
func (i *Interceptor) mediaSource(r report.Report, conv *pionConverter, x *xcvrInfo, kind string, snap collectors.OutboundSnapshot) *string {
	id := i.sourceID(x, kind)
	if id == "" {
		return nil
	}
	switch kind {
	case kindVideo:
		src := snap.VideoSource
		if src == nil {
			src = &report.VideoSourceStats{}
		}
		if old, ok := r[id].(*report.VideoSourceStats); ok && area(old) >= area(src) {
			return &old.ID
		}
		src.Base, src.TrackIdentifier, src.Kind = conv.base(report.TypeMediaSource, id), x.trackID, kind
		r[id] = src
		return &src.ID
	default:
		if old, ok := r[id].(*report.AudioSourceStats); ok {
			return &old.ID
		}
		if _, ok := r[id]; ok {
			return new(id)
		}
		src := snap.AudioSource
		if src == nil {
			src = &report.AudioSourceStats{}
		}
		src.Base, src.TrackIdentifier, src.Kind = conv.base(report.TypeMediaSource, id), x.trackID, kind
		r[id] = src
		return &src.ID
	}
}

// sourceID returns the media-source id of x's sender's track, or "" when
// the id table is full: from x when the sender learnt it already, else made
// and remembered by the sender.
func (i *Interceptor) sourceID(x *xcvrInfo, kind string) string {
	if x.source.id != "" && x.source.kind == kind {
		return x.source.id
	}
	prefix := "SA"
	if kind == kindVideo {
		prefix = "SV"
	}
	id := i.stableID(prefix, "source/"+kind+"/"+x.trackID)
	if id != "" {
		x.source = mediaSourceID{track: x.trackID, kind: kind, id: id}
		i.senders.Lock()
		x.sender.source = x.source
		i.senders.Unlock()
	}
	return id
}

func area(s *report.VideoSourceStats) uint64 {
	if s.Width == nil || s.Height == nil {
		return 0
	}
	return uint64(*s.Width) * uint64(*s.Height)
}

// addOutbound puts an outgoing stream's objects into r, with the members
// that point outside them (each nil when unknown; none at all unless
// linked) and the socket layer's per-DSCP counts. GetStats and EndedStats
// share it.
func addOutbound(r report.Report, s *localStream, snap collectors.OutboundSnapshot, mid, transportID, codecID *string, linked bool) {
	o := snap.Outbound
	if linked {
		if o.Mid == nil { // the packets carry no sdes:mid: the transceiver's
			o.Mid = mid
		}
		o.TransportID, o.CodecID = transportID, codecID
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
func addInbound(r report.Report, s *remoteStream, snap collectors.InboundSnapshot, mid, transportID, codecID *string, linked bool) {
	in := snap.Inbound
	if linked {
		if in.Mid == nil {
			in.Mid = mid
		}
		in.TransportID, in.CodecID = transportID, codecID
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
