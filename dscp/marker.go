package dscp

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/logging"
)

const defaultMaxPending = 256

// maxRTCPSenders bounds the RTCP sender SSRC table; pion draws one random
// sender SSRC per receiver report stream, so a few per stream are normal.
// Entries leave with the stream they point at (Unbind).
const maxRTCPSenders = 4096

// maxTracks bounds the SSRC → track id table that AssignTrack fills before
// streams are bound; entries leave when their outgoing stream is unbound.
const maxTracks = 4096

// overflowLogInterval is the least time between two log lines about a full
// table of one Marker.
const overflowLogInterval = time.Minute

// ErrNoMarker is returned by the setters of a nil *Marker, which is what
// rtcstats.Factory.DSCP returns for a factory made without WithDSCP.
var ErrNoMarker = errors.New("dscp: nil Marker (DSCP is not enabled)")

// Marker holds the marking policy and the RTP streams the interceptor has
// bound, and is shared by every socket wrapped for it (Net, Conn). It is
// safe for concurrent use; the packet paths take no lock.
type Marker struct {
	log logging.LeveledLogger

	cfg atomic.Pointer[settings]

	// mu serialises changes: policy, stream tables, links. Readers use the
	// sync.Maps and atomics without it.
	mu          sync.Mutex
	sent        sync.Map // SSRC -> *Stream, outgoing streams
	received    sync.Map // SSRC -> *Stream, incoming streams (bound or pending)
	rtcpSenders sync.Map // RTCP sender SSRC -> *Stream the RTCP reports on
	nRTCP       int
	tracks      map[uint32]string // SSRC -> track id, told before bind
	pending     atomic.Int64      // written under mu, read without it
	maxPending  int

	unattributed    atomic.Uint64 // RTP of unknown SSRCs beyond maxPending
	refusedRTCP     atomic.Uint64 // ReportsOn beyond maxRTCPSenders
	refusedTracks   atomic.Uint64 // AssignTrack beyond maxTracks
	nextOverflowLog atomic.Int64  // Unix ns before which no overflow is logged

	connsMu sync.Mutex
	conns   map[*Conn]struct{}
}

// NewMarker returns a Marker configured by opts. An invalid option is an
// error wrapping ErrInvalidOption.
func NewMarker(opts ...Option) (*Marker, error) {
	c := config{settings: defaultSettings(), maxPending: defaultMaxPending}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrInvalidOption)
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if c.loggerFactory == nil {
		c.loggerFactory = logging.NewDefaultLoggerFactory()
	}
	m := &Marker{
		log:        c.loggerFactory.NewLogger("dscp"),
		tracks:     map[uint32]string{},
		maxPending: c.maxPending,
		conns:      map[*Conn]struct{}{},
	}
	m.cfg.Store(c.settings.finish())
	if !markingSupported {
		m.log.Warnf("per-packet DSCP marking and reading are not supported on this OS: packets keep the socket's traffic class and nothing is counted")
	}
	return m, nil
}

// Marking reports whether packets are being marked (see WithoutMarking).
func (m *Marker) Marking() bool {
	if m == nil {
		return false
	}
	return m.cfg.Load().marking
}

// SetMarking turns marking on or off at run time; counting goes on.
func (m *Marker) SetMarking(on bool) {
	if m == nil {
		return
	}
	_ = m.update(func(s *settings) error { s.marking = on; return nil })
}

// SetKindPriority changes the default priority of a kind from the next packet.
// Invalid input is an error wrapping ErrInvalidOption and changes nothing.
func (m *Marker) SetKindPriority(k Kind, p Priority) error {
	if m == nil {
		return ErrNoMarker
	}
	if k >= numKinds {
		return fmt.Errorf("%w: kind %d", ErrInvalidOption, uint8(k))
	}
	if err := validPriority(p); err != nil {
		return err
	}
	return m.update(func(s *settings) error { s.kindPriority[k] = p; return nil })
}

// SetTrackPriority changes the priority of a track's streams from the next packet.
func (m *Marker) SetTrackPriority(trackID string, p Priority) error {
	if m == nil {
		return ErrNoMarker
	}
	if trackID == "" {
		return fmt.Errorf("%w: SetTrackPriority: empty track id", ErrInvalidOption)
	}
	if err := validPriority(p); err != nil {
		return err
	}
	return m.update(func(s *settings) error { s.trackPriority[trackID] = p; return nil })
}

// SetNonInteractive declares (or undeclares) a video track non-interactive.
func (m *Marker) SetNonInteractive(trackID string, on bool) error {
	if m == nil {
		return ErrNoMarker
	}
	if trackID == "" {
		return fmt.Errorf("%w: SetNonInteractive: empty track id", ErrInvalidOption)
	}
	return m.update(func(s *settings) error {
		if on {
			s.nonInteractive[trackID] = true
		} else {
			delete(s.nonInteractive, trackID)
		}
		return nil
	})
}

// SetDataChannelPriority sets the priority of one data channel (by label).
// All data channels share one SCTP association and so one value: that of
// the highest priority among the channels set here (RFC 8837 §5).
func (m *Marker) SetDataChannelPriority(label string, p Priority) error {
	if m == nil {
		return ErrNoMarker
	}
	if err := validPriority(p); err != nil {
		return err
	}
	return m.update(func(s *settings) error { s.dataPriority[label] = p; return nil })
}

// RemoveDataChannel forgets a data channel's priority (it closed).
func (m *Marker) RemoveDataChannel(label string) {
	if m == nil {
		return
	}
	_ = m.update(func(s *settings) error { delete(s.dataPriority, label); return nil })
}

// DataCodePoint is the value every SCTP packet is marked with now.
func (m *Marker) DataCodePoint() CodePoint {
	if m == nil {
		return DF
	}
	return m.cfg.Load().dataCP
}

// TCPCodePoint is the value a new TCP connection is marked with now.
func (m *Marker) TCPCodePoint() CodePoint {
	if m == nil {
		return DF
	}
	return m.cfg.Load().tcpCP
}

// HandshakeCodePoint is the value of STUN and DTLS handshake packets.
func (m *Marker) HandshakeCodePoint() CodePoint {
	if m == nil {
		return DF
	}
	return m.cfg.Load().handshake
}

// update publishes a changed copy of the settings and re-derives every
// stream's cell, so the change applies from the next packet.
func (m *Marker) update(change func(*settings) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := m.cfg.Load().clone()
	if err := change(next); err != nil {
		return err
	}
	m.cfg.Store(next.finish())
	for _, tbl := range []*sync.Map{&m.sent, &m.received} {
		tbl.Range(func(_, v any) bool {
			s := asStream(v)
			s.cell.Store(packCell(next.cell(s.kind, s.track())))
			return true
		})
	}
	return nil
}

func (m *Marker) recell(s *Stream) {
	m.mu.Lock()
	s.cell.Store(packCell(m.cfg.Load().cell(s.kind, s.track())))
	m.mu.Unlock()
}

// AssignTrack tells, before its stream is bound, which track an SSRC will
// carry, so that its first packet is marked with the track's priority.
// At most maxTracks SSRCs wait for their bind; beyond that the assignment
// is refused (counted in Refusals; the stream is then marked by its kind
// until SetTrack).
func (m *Marker) AssignTrack(ssrc uint32, trackID string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	_, known := m.tracks[ssrc]
	refused := !known && len(m.tracks) >= maxTracks
	if !refused {
		m.tracks[ssrc] = trackID
	}
	v, ok := m.sent.Load(ssrc)
	m.mu.Unlock()
	if refused {
		m.refusedTracks.Add(1)
		if m.overflowDue() {
			m.log.Warnf("SSRC→track table full (%d): track of SSRC %d not assigned before its bind"+overflowTail, maxTracks, ssrc)
		}
	}
	if ok {
		asStream(v).SetTrack(trackID)
	}
}

// BindSent registers an outgoing RTP stream. Its packets are marked from the
// cell of its kind (or track) and counted per DSCP as they leave a socket
// wrapped for m. A second BindSent of the same SSRC replaces the first.
func (m *Marker) BindSent(ssrc uint32, kind Kind) *Stream {
	if m == nil {
		return nil
	}
	s := m.newStream(ssrc, dirSent, kind, kind == KindVideo)
	m.mu.Lock()
	if id := m.tracks[ssrc]; id != "" {
		s.trackID.Store(&id)
	}
	s.cell.Store(packCell(m.cfg.Load().cell(kind, s.track())))
	m.sent.Store(ssrc, s)
	m.mu.Unlock()
	return s
}

// BindSentAlias registers the RTX or FEC SSRC of an outgoing stream. It
// returns nil (nothing bound) when primary is nil.
func (m *Marker) BindSentAlias(ssrc uint32, primary *Stream) *Stream {
	if m == nil || primary == nil {
		return nil
	}
	s := m.newStream(ssrc, dirSent, primary.kind, primary.marks != nil)
	m.mu.Lock()
	s.cell.Store(primary.cell.Load())
	m.sent.Store(ssrc, s)
	m.mu.Unlock()
	primary.Link(s)
	return s
}

// BindReceived registers an incoming RTP stream. Packets of its SSRC that a
// socket counted before the bind stay counted: the pending stream is adopted.
func (m *Marker) BindReceived(ssrc uint32, kind Kind) *Stream {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.received.Load(ssrc); ok {
		if s := asStream(v); !s.bound.Load() {
			m.pending.Add(-1)
			s.kind = kind // set before it is published as bound
			s.bound.Store(true)
			s.cell.Store(packCell(m.cfg.Load().cell(kind, "")))
			return s
		}
	}
	s := m.newStream(ssrc, dirReceived, kind, false)
	s.bound.Store(true)
	s.cell.Store(packCell(m.cfg.Load().cell(kind, "")))
	m.received.Store(ssrc, s)
	return s
}

// Unbind removes a stream: later packets of its SSRC are counted as unknown
// and a later bind of the SSRC starts from zero. RTCP sender SSRCs mapped
// to it (ReportsOn) are forgotten with it.
func (m *Marker) Unbind(s *Stream) {
	if m == nil || s == nil || s.m != m {
		return
	}
	tbl := &m.sent
	if s.dir == dirReceived {
		tbl = &m.received
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if tbl.CompareAndDelete(s.ssrc, s) && s.dir == dirReceived && !s.bound.Load() {
		m.pending.Add(-1)
	}
	if s.dir == dirSent {
		delete(m.tracks, s.ssrc)
	}
	if m.nRTCP > 0 {
		m.rtcpSenders.Range(func(k, v any) bool {
			if asStream(v) == s && m.rtcpSenders.CompareAndDelete(k, v) {
				m.nRTCP--
			}
			return true
		})
	}
}

// ReportsOn tells that RTCP with this sender SSRC reports on s's stream, so
// it is marked like s (with the lower drop precedence of s's cell: losing
// feedback costs repairs). When one sender SSRC reports on several streams,
// the latest call wins.
func (m *Marker) ReportsOn(senderSSRC uint32, s *Stream) {
	if m == nil || s == nil {
		return
	}
	if v, ok := m.rtcpSenders.Load(senderSSRC); ok && asStream(v) == s {
		return
	}
	m.mu.Lock()
	_, ok := m.rtcpSenders.Load(senderSSRC)
	refused := !ok && m.nRTCP >= maxRTCPSenders
	if !refused {
		if !ok {
			m.nRTCP++
		}
		m.rtcpSenders.Store(senderSSRC, s)
	}
	m.mu.Unlock()
	if refused {
		m.refusedRTCP.Add(1)
		if m.overflowDue() {
			m.log.Warnf("RTCP sender table full (%d): RTCP of sender SSRC %d is marked DF"+overflowTail, maxRTCPSenders, senderSSRC)
		}
	}
}

func (m *Marker) newStream(ssrc uint32, dir direction, kind Kind, withMarks bool) *Stream {
	s := &Stream{m: m, ssrc: ssrc, dir: dir, kind: kind}
	if withMarks {
		s.marks = new([ringSize]atomic.Uint32)
	}
	return s
}

// sentStream returns the bound outgoing stream of ssrc, or nil.
func (m *Marker) sentStream(ssrc uint32) *Stream {
	if v, ok := m.sent.Load(ssrc); ok {
		return asStream(v)
	}
	return nil
}

// receivedStream returns the stream that counts incoming packets of ssrc,
// creating a pending one for an SSRC not bound yet (pion binds a stream
// only after its first packets are read), or nil beyond the pending bound.
func (m *Marker) receivedStream(ssrc uint32) *Stream {
	if v, ok := m.received.Load(ssrc); ok {
		return asStream(v)
	}
	if m.pending.Load() >= int64(m.maxPending) {
		// Full: no lock for a flood of made-up SSRCs. The caller counts
		// the packet as unattributed.
		if m.overflowDue() {
			m.log.Warnf("more than %d unbound incoming SSRCs (WithMaxPendingStreams): packets of SSRC %d and others are counted as unattributed"+overflowTail, m.maxPending, ssrc)
		}
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.received.Load(ssrc); ok {
		return asStream(v)
	}
	if m.pending.Load() >= int64(m.maxPending) {
		return nil
	}
	m.pending.Add(1)
	s := m.newStream(ssrc, dirReceived, KindAudio, false)
	m.received.Store(ssrc, s)
	return s
}

// rtcpStream returns the stream RTCP of this sender SSRC reports on, or nil.
func (m *Marker) rtcpStream(senderSSRC uint32) *Stream {
	if v, ok := m.rtcpSenders.Load(senderSSRC); ok {
		return asStream(v)
	}
	return nil
}

// Unattributed is the number of incoming RTP packets not counted on any
// stream because too many unbound SSRCs were already pending.
func (m *Marker) Unattributed() uint64 {
	if m == nil {
		return 0
	}
	return m.unattributed.Load()
}

// Refusals counts what the Marker's bounded tables turned away. Counters
// only grow.
type Refusals struct {
	// Unattributed is Marker.Unattributed: incoming RTP packets of SSRCs
	// nobody bound, not counted on a stream because WithMaxPendingStreams
	// SSRCs were pending already.
	Unattributed uint64
	// RTCPSenders counts RTCP sender SSRCs not mapped to a stream (their
	// RTCP is marked DF) because 4096 were mapped already.
	RTCPSenders uint64
	// Tracks counts AssignTrack calls refused because 4096 SSRCs were
	// waiting for their bind already.
	Tracks uint64
}

// Refusals returns the Marker's overflow counters.
func (m *Marker) Refusals() Refusals {
	if m == nil {
		return Refusals{}
	}
	return Refusals{Unattributed: m.unattributed.Load(), RTCPSenders: m.refusedRTCP.Load(), Tracks: m.refusedTracks.Load()}
}

// Pending is the number of incoming SSRCs a socket counted that nobody has
// bound yet (at most WithMaxPendingStreams).
func (m *Marker) Pending() int {
	if m == nil {
		return 0
	}
	return int(m.pending.Load())
}

// overflowDue reports whether a full table may be logged now: at most once
// a minute per Marker; the counters (Refusals) keep the rest. Callers build
// the log arguments only when it is, so a flood costs no allocation.
func (m *Marker) overflowDue() bool {
	now := time.Now().UnixNano()
	next := m.nextOverflowLog.Load()
	return now >= next && m.nextOverflowLog.CompareAndSwap(next, now+int64(overflowLogInterval))
}

const overflowTail = "; further overflows are counted (Marker.Refusals) and logged at most once a minute"

func (m *Marker) addConn(c *Conn) {
	m.connsMu.Lock()
	m.conns[c] = struct{}{}
	m.connsMu.Unlock()
}

// removeConn forgets a closed socket. When the last one goes, the pending
// streams go too: no socket is left to count for them, and they would keep
// the pending table full for the Marker's life.
func (m *Marker) removeConn(c *Conn) {
	m.connsMu.Lock()
	delete(m.conns, c)
	last := len(m.conns) == 0
	m.connsMu.Unlock()
	if !last {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.received.Range(func(k, v any) bool {
		if s := asStream(v); !s.bound.Load() && m.received.CompareAndDelete(k, v) {
			m.pending.Add(-1)
		}
		return true
	})
}

// asStream converts a value of the Marker's sync.Maps, which hold only
// *Stream.
func asStream(v any) *Stream {
	s, _ := v.(*Stream)
	return s
}
