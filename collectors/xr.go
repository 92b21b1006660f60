package collectors

import (
	"sync"
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// RFC 3611 receiver-reference-time round trips: a receiver puts its NTP time
// in an RRTR block (4.4); the media sender answers in a DLRR block (4.5)
// with that time's middle 32 bits (LRR) and the delay since it arrived
// (DLRR, 1/65536 s); the receiver's round trip is arrival - LRR - DLRR. The
// spec measures remote-outbound-rtp's roundTripTime that way.
//
// pion splits each incoming compound RTCP packet and routes every part by
// the SSRCs it names (an XR by its sender SSRC), so an RRTR cannot be tied
// to the report blocks beside it, nor a DLRR to its SR. The round trip is
// the transport's, the same for every stream on it: RRTRs are kept and
// answered per PeerConnection (RRTRLog, RRTRAnswers), and a DLRR sample
// belongs to the stream whose SSRC sent it.

// DLRRBlock is one sub-block of an RFC 3611 DLRR report block: the answer to
// the last RRTR of the receiver SSRC.
type DLRRBlock struct {
	SSRC   uint32 // the receiver that sent the RRTR
	LastRR uint32 // middle 32 bits of its NTP timestamp
	DLRR   uint32 // delay since it arrived, 1/65536 s
}

// rrtrLogLen is how many of our own RRTRs are remembered for matching the
// LRR of incoming DLRR blocks: several per second go out (one per Receiver
// Report), and a peer answers the latest it got.
const rrtrLogLen = 32

// RRTRLog remembers the RRTR blocks one PeerConnection sent.
type RRTRLog struct {
	mu   sync.Mutex
	sent [rrtrLogLen]sentRRTR
	next int
}

type sentRRTR struct {
	reporter uint32
	lrr      uint32
	at       time.Time // monotonic
}

// Sent records an RRTR with NTP time ntp sent from SSRC reporter at now.
func (l *RRTRLog) Sent(now time.Time, ntp uint64, reporter uint32) {
	l.mu.Lock()
	l.sent[l.next] = sentRRTR{reporter: reporter, lrr: rtpx.CompactNTP(ntp), at: now}
	l.next = (l.next + 1) % rrtrLogLen
	l.mu.Unlock()
}

// Match returns when the RRTR that b answers left, if it is one of ours.
func (l *RRTRLog) Match(b DLRRBlock) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sent {
		if !s.at.IsZero() && s.reporter == b.SSRC && s.lrr == b.LastRR {
			return s.at, true
		}
	}
	return time.Time{}, false
}

// OnRRTRSent notes that an RRTR went out with a report about this stream:
// from then on its remote-outbound-rtp has the round-trip counters.
func (s *Inbound) OnRRTRSent() {
	s.mu.Lock()
	s.xrStarted = true
	s.mu.Unlock()
}

// OnDLRR accounts a DLRR sub-block that this stream's source sent, answering
// our RRTR that left at sentAt (RRTRLog.Match); it arrived at now. The
// latest SR's answer gives roundTripTime, which OnSenderReport clears: the
// spec has it only while the latest SR carried a DLRR (pion delivers the XR
// just after the SR it came with).
func (s *Inbound) OnDLRR(now, sentAt time.Time, b DLRRBlock) RTTResult {
	// RFC 3611 4.5: LRR 0 means no RRTR was received; the spec leaves
	// roundTripTime absent for a DLRR of 0 too.
	if b.LastRR == 0 || b.DLRR == 0 {
		return RTTNone
	}
	rtt := now.Sub(sentAt) - rtpx.CompactToDuration(b.DLRR)
	if rtt <= 0 || rtt > MaxPlausibleRTT {
		return RTTRejected
	}
	s.mu.Lock()
	r := &s.remote
	r.rtt, r.rttValid = rtt, true
	r.totalRTT += rtt
	r.rttCount++
	s.mu.Unlock()
	return RTTMeasured
}

// maxRRTRReporters bounds the receivers answered: one per receiving peer,
// which uses one SSRC for its RRTRs.
const maxRRTRReporters = 4

// rrtrAnswerWindow is how long an RRTR is answered: a receiver that sends
// none for this long has gone (pion and browsers report every second or so).
const rrtrAnswerWindow = 30 * time.Second

// RRTRAnswers keeps the latest RRTR of each receiver of one PeerConnection,
// to be answered by a DLRR block beside each of our Sender Reports.
type RRTRAnswers struct {
	mu   sync.Mutex
	rrtr [maxRRTRReporters]receivedRRTR
}

type receivedRRTR struct {
	reporter uint32
	lrr      uint32
	at       time.Time // monotonic arrival
}

// OnRRTR records an RRTR with NTP time ntp from SSRC reporter, arrived at
// now. It reports false when the table is full of live receivers.
func (a *RRTRAnswers) OnRRTR(now time.Time, reporter uint32, ntp uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	slot := -1
	for k, r := range a.rrtr {
		if r.reporter == reporter && !r.at.IsZero() {
			slot = k
			break
		}
		if slot < 0 && (r.at.IsZero() || now.Sub(r.at) > rrtrAnswerWindow) {
			slot = k
		}
	}
	if slot < 0 {
		return false
	}
	a.rrtr[slot] = receivedRRTR{reporter: reporter, lrr: rtpx.CompactNTP(ntp), at: now}
	return true
}

// AppendDLRR appends to dst the answers to the latest RRTR of each receiver
// heard from in the last 30 s, as they stand at now. Like the LSR/DLSR of a
// report block, an answer is repeated until the receiver's next RRTR.
func (a *RRTRAnswers) AppendDLRR(dst []DLRRBlock, now time.Time) []DLRRBlock {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.rrtr {
		if r.at.IsZero() || now.Sub(r.at) > rrtrAnswerWindow {
			continue
		}
		d := max(now.Sub(r.at), 0)
		dst = append(dst, DLRRBlock{SSRC: r.reporter, LastRR: r.lrr, DLRR: uint32(d * 65536 / time.Second)})
	}
	return dst
}
