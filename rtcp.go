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
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, a interceptor.Attributes) (int, error) {
		now := i.clock.Now()
		i.markRTCP(pkts)
		n, err := writer.Write(pkts, a)
		if err == nil {
			i.onOutgoingRTCP(now, pkts)
		}
		return n, err
	})
}

func (i *Interceptor) onIncomingRTCP(now time.Time, pkts []rtcp.Packet) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	// Every packet of the compound batch is handled: one kind of packet
	// never ends the loop for the others.
	for _, pkt := range pkts {
		switch p := pkt.(type) {
		case *rtcp.SenderReport:
			if s := i.inbound[p.SSRC]; s != nil {
				if !s.col.OnSenderReport(now, p.NTPTime, p.PacketCount, p.OctetCount) {
					i.log.Debugf("ssrc %d: stale sender report ignored", p.SSRC)
				}
			}
			i.onReportBlocksLocked(now, p.Reports)
		case *rtcp.ReceiverReport:
			i.onReportBlocksLocked(now, p.Reports)
		case *rtcp.TransportLayerNack:
			if s := i.outbound[p.MediaSSRC]; s != nil {
				s.col.OnNACK()
			}
		case *rtcp.PictureLossIndication:
			if s := i.outbound[p.MediaSSRC]; s != nil {
				s.col.OnPLI()
			}
		case *rtcp.FullIntraRequest:
			for _, e := range p.FIR {
				if s := i.outbound[e.SSRC]; s != nil {
					s.col.OnFIR()
				}
			}
		}
	}
}

func (i *Interceptor) onReportBlocksLocked(now time.Time, blocks []rtcp.ReceptionReport) {
	for _, rr := range blocks {
		s := i.outbound[rr.SSRC]
		if s == nil {
			continue // a block about an SSRC we do not send (or an RTX SSRC)
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
		}
	}
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
