package rtcstats

import (
	"time"

	"github.com/pion/rtcp"
	"github.com/rtcstats/rtcstats/collectors"
	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// WithRTCPXR: RFC 3611 receiver round trips (see collectors/xr.go).

// rrtrEvery bounds how often an RRTR goes out: pion sends a Receiver Report
// per stream per second, and the peer answers only the latest RRTR.
const rrtrEvery = 200 * time.Millisecond

// addXR returns pkts with an Extended Report added: an RRTR block beside a
// Receiver Report (at most one every rrtrEvery), a DLRR block answering the
// receivers' RRTRs beside each Sender Report of ours. pkts itself is not
// modified.
func (i *Interceptor) addXR(now time.Time, pkts []rtcp.Packet) []rtcp.Packet {
	var extra []rtcp.Packet
	i.mu.RLock()
	for _, pkt := range pkts {
		switch p := pkt.(type) {
		case *rtcp.ReceiverReport:
			about := false
			for _, b := range p.Reports {
				if s := i.inbound[b.SSRC]; s != nil {
					s.col.OnRRTRSent()
					about = true
				}
			}
			if !about || !i.rrtrDue(now) {
				continue
			}
			reporter := i.rrtrReporterLocked(p.SSRC)
			ntp := rtpx.TimeToNTP(now)
			i.rrtrLog.Sent(now, ntp, reporter)
			extra = append(extra, &rtcp.ExtendedReport{SenderSSRC: reporter, Reports: []rtcp.ReportBlock{
				&rtcp.ReceiverReferenceTimeReportBlock{NTPTimestamp: ntp},
			}})
		case *rtcp.SenderReport:
			if i.outbound[p.SSRC] == nil {
				continue
			}
			var buf [4]collectors.DLRRBlock
			blocks := i.rrtrAnswers.AppendDLRR(buf[:0], now)
			if len(blocks) == 0 {
				continue
			}
			d := &rtcp.DLRRReportBlock{Reports: make([]rtcp.DLRRReport, len(blocks))}
			for k, b := range blocks {
				d.Reports[k] = rtcp.DLRRReport{SSRC: b.SSRC, LastRR: b.LastRR, DLRR: b.DLRR}
			}
			extra = append(extra, &rtcp.ExtendedReport{SenderSSRC: p.SSRC, Reports: []rtcp.ReportBlock{d}})
		}
	}
	i.mu.RUnlock()
	if len(extra) == 0 {
		return pkts
	}
	out := make([]rtcp.Packet, 0, len(pkts)+len(extra))
	return append(append(out, pkts...), extra...)
}

// onXRLocked handles an incoming Extended Report: RRTRs to answer (only with
// WithRTCPXR) and DLRRs answering ours. It returns how many blocks were of
// no use. Called with i.mu read-locked.
func (i *Interceptor) onXRLocked(now time.Time, xr *rtcp.ExtendedReport) (ignored uint64) {
	for _, rb := range xr.Reports {
		switch b := rb.(type) {
		case *rtcp.ReceiverReferenceTimeReportBlock:
			if !i.factory.cfg.xr || !i.rrtrAnswers.OnRRTR(now, xr.SenderSSRC, b.NTPTimestamp) {
				ignored++
			}
		case *rtcp.DLRRReportBlock:
			s := i.inbound[xr.SenderSSRC]
			if s == nil || !i.factory.cfg.xr {
				ignored++
				continue
			}
			for _, r := range b.Reports {
				d := collectors.DLRRBlock{SSRC: r.SSRC, LastRR: r.LastRR, DLRR: r.DLRR}
				if sentAt, ok := i.rrtrLog.Match(d); ok {
					if s.col.OnDLRR(now, sentAt, d) == collectors.RTTRejected {
						i.log.Debugf("ssrc %d: implausible DLRR round-trip sample rejected", xr.SenderSSRC)
					}
					break
				}
			}
		}
	}
	return ignored
}

// rrtrDue reports whether an RRTR may go out at now, and if so takes the slot.
func (i *Interceptor) rrtrDue(now time.Time) bool {
	i.rrtrMu.Lock()
	defer i.rrtrMu.Unlock()
	if !i.lastRRTR.IsZero() && now.Sub(i.lastRRTR) < rrtrEvery {
		return false
	}
	i.lastRRTR = now
	return true
}

// rrtrReporterLocked returns the SSRC our RRTRs go out under. pion routes an
// incoming XR by its sender SSRC and drops what names no stream it knows,
// and its Receiver Reports come from a random SSRC per stream (rr). One of
// our media SSRCs is known to the peer: the lowest, so that the peer
// answers one reporter, not whichever the map order gave. A peer that
// sends nothing has only rr.
func (i *Interceptor) rrtrReporterLocked(rr uint32) uint32 {
	reporter, found := rr, false
	for ssrc := range i.outbound {
		if !found || ssrc < reporter {
			reporter, found = ssrc, true
		}
	}
	return reporter
}
