package rtcstats

import (
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/rtcstats/rtcstats/collectors"
)

// BindRTCPReader observes incoming RTCP: Sender Reports about the streams we
// receive, report blocks about the streams we send, and NACK/PLI/FIR about
// the streams we send. pion calls it once per sender and receiver, and the
// packets only flow while the application reads them (see DrainRTCP).
func (i *Interceptor) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	if reader == nil {
		return nil
	}
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err != nil || n > len(b) {
			return n, attr, err
		}
		if attr == nil {
			attr = interceptor.Attributes{}
		}
		// The parsed packets are cached in the attributes, so interceptors
		// outside us do not parse the batch again.
		pkts, perr := attr.GetRTCPPackets(b[:n])
		if perr != nil {
			i.counters.malformedRTCP.Add(1)
			i.log.Debugf("malformed RTCP batch ignored: %v", perr)
			return n, attr, err
		}
		i.onIncomingRTCP(i.clock.Now(), pkts)
		return n, attr, err
	})
}

// BindRTCPWriter observes outgoing RTCP: our Sender Reports (their send time
// is what round-trip times are measured from) and the NACK/PLI/FIR we send
// about the streams we receive. Only the innermost position in the chain sees
// what the other interceptors write; see NewRegistry.
func (i *Interceptor) BindRTCPWriter(writer interceptor.RTCPWriter) interceptor.RTCPWriter {
	if writer == nil {
		return nil
	}
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, a interceptor.Attributes) (int, error) {
		now := i.clock.Now()
		if i.factory.cfg.xr {
			pkts = i.addXR(now, pkts)
		}
		i.markRTCP(pkts)
		n, err := writer.Write(pkts, a)
		if err == nil {
			i.onOutgoingRTCP(now, pkts)
		}
		return n, err
	})
}

// onIncomingRTCP creates nothing: items about SSRCs without a measured
// stream are only counted (Diagnostics.IgnoredRTCP), so a flood of RTCP
// with made-up SSRCs costs no memory.
func (i *Interceptor) onIncomingRTCP(now time.Time, pkts []rtcp.Packet) {
	var ignored uint64
	i.mu.RLock()
	// Every packet of the compound batch is handled: one kind of packet
	// never ends the loop for the others.
	for _, pkt := range pkts {
		switch p := pkt.(type) {
		case *rtcp.SenderReport:
			if s := i.inbound[p.SSRC]; s != nil {
				if !s.col.OnSenderReport(now, p.NTPTime, p.PacketCount, p.OctetCount) {
					i.log.Debugf("ssrc %d: stale sender report ignored", p.SSRC)
				}
			} else {
				ignored++
			}
			ignored += i.onReportBlocksLocked(now, p.Reports)
		case *rtcp.ReceiverReport:
			ignored += i.onReportBlocksLocked(now, p.Reports)
		case *rtcp.ExtendedReport:
			ignored += i.onXRLocked(now, p)
		case *rtcp.TransportLayerNack:
			if s := i.outbound[p.MediaSSRC]; s != nil {
				s.col.OnNACK()
			} else {
				ignored++
			}
		case *rtcp.PictureLossIndication:
			if s := i.outbound[p.MediaSSRC]; s != nil {
				s.col.OnPLI()
			} else {
				ignored++
			}
		case *rtcp.FullIntraRequest:
			for _, e := range p.FIR {
				if s := i.outbound[e.SSRC]; s != nil {
					s.col.OnFIR()
				} else {
					ignored++
				}
			}
		}
	}
	i.mu.RUnlock()
	if ignored > 0 {
		i.counters.ignoredRTCP.Add(ignored)
	}
}

// onReportBlocksLocked applies report blocks about the streams we send and
// returns how many were about other SSRCs.
func (i *Interceptor) onReportBlocksLocked(now time.Time, blocks []rtcp.ReceptionReport) (ignored uint64) {
	for _, rr := range blocks {
		s := i.outbound[rr.SSRC]
		if s == nil {
			ignored++ // a block about an SSRC we do not send (or an RTX SSRC)
			continue
		}
		res := s.col.OnReceptionReport(now, collectors.ReceptionReport{
			FractionLost: rr.FractionLost, TotalLost: rr.TotalLost, ExtHighest: rr.LastSequenceNumber,
			Jitter: rr.Jitter, LSR: rr.LastSenderReport, DLSR: rr.Delay,
		})
		switch res {
		case collectors.RTTRejected:
			i.log.Debugf("ssrc %d: implausible round-trip sample rejected", rr.SSRC)
		case collectors.RTTUnmatched:
			i.log.Debugf("ssrc %d: report block echoes an SR we did not see; is rtcstats registered first?", rr.SSRC)
		case collectors.RTTNone, collectors.RTTMeasured: // nothing to log
		}
	}
	return ignored
}

func (i *Interceptor) onOutgoingRTCP(now time.Time, pkts []rtcp.Packet) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	for _, pkt := range pkts {
		switch p := pkt.(type) {
		case *rtcp.SenderReport:
			if s := i.outbound[p.SSRC]; s != nil {
				s.col.OnSenderReportSent(now, p.NTPTime)
			}
			i.reportsSentLocked(now, p.Reports)
		case *rtcp.ReceiverReport:
			i.reportsSentLocked(now, p.Reports)
		case *rtcp.TransportLayerNack:
			if s := i.inbound[p.MediaSSRC]; s != nil {
				s.col.OnNACKSent()
			}
		case *rtcp.PictureLossIndication:
			if s := i.inbound[p.MediaSSRC]; s != nil {
				s.col.OnPLISent()
			}
		case *rtcp.FullIntraRequest:
			for _, e := range p.FIR {
				if s := i.inbound[e.SSRC]; s != nil {
					s.col.OnFIRSent()
				}
			}
		}
	}
}

// reportsSentLocked notes the report blocks we sent about incoming streams
// (averageRtcpInterval).
func (i *Interceptor) reportsSentLocked(now time.Time, blocks []rtcp.ReceptionReport) {
	for _, b := range blocks {
		if s := i.inbound[b.SSRC]; s != nil {
			s.col.OnReportSent(now)
		}
	}
}
