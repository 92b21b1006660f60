package rtcstats

import (
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/rtcstats/rtcstats/dscp"
	"github.com/rtcstats/rtcstats/internal/payload"
)

// sentMarks is the DSCP side of an outgoing stream: the socket layer's view
// of its SSRCs and, for video, the key-frame tracker that tells which
// packets get the lower drop precedence.
type sentMarks struct {
	primary, rtx, fec *dscp.Stream
	rtxSSRC           uint32

	mu        sync.Mutex // one stream's writers (app and NACK responder)
	keyFrames payload.KeyFrames
	video     bool
}

func dscpKind(kind string) dscp.Kind {
	if kind == kindVideo {
		return dscp.KindVideo
	}
	return dscp.KindAudio
}

// bindSentMarks registers an outgoing stream with the marker, if any.
func (i *Interceptor) bindSentMarks(info *interceptor.StreamInfo) *sentMarks {
	m := i.factory.marker
	if m == nil {
		return nil
	}
	k := dscpKind(kindOf(info.MimeType))
	sm := &sentMarks{primary: m.BindSent(info.SSRC, k), rtxSSRC: info.SSRCRetransmission, video: k == dscp.KindVideo}
	if info.SSRCRetransmission != 0 {
		sm.rtx = m.BindSentAlias(info.SSRCRetransmission, sm.primary)
	}
	if info.SSRCForwardErrorCorrection != 0 {
		sm.fec = m.BindSentAlias(info.SSRCForwardErrorCorrection, sm.primary)
	}
	if sm.video {
		sm.keyFrames = payload.NewKeyFrames(payload.CodecFromMime(info.MimeType))
	}
	return sm
}

// mark records the importance of a packet about to be written, so that the
// socket marks it per RFC 8837: packets of key frames get the cell's lower
// drop precedence, and a retransmission (on the RTX SSRC, or repeated on the
// primary) the same as its original.
func (sm *sentMarks) mark(h *rtp.Header, body []byte) {
	if sm == nil || !sm.video {
		return
	}
	switch h.SSRC {
	case sm.primary.SSRC():
		sm.mu.Lock()
		if _, known := sm.primary.Important(h.SequenceNumber); !known {
			sm.primary.Mark(h.SequenceNumber, sm.keyFrames.Packet(h.Timestamp, body))
		}
		sm.mu.Unlock()
	case sm.rtxSSRC:
		if len(body) < 2 {
			return // padding-only probe: repairs nothing
		}
		imp, _ := sm.primary.Important(uint16(body[0])<<8 | uint16(body[1]))
		sm.rtx.Mark(h.SequenceNumber, imp)
	}
}

func (i *Interceptor) unbindSentMarks(sm *sentMarks) {
	if sm == nil {
		return
	}
	for _, s := range []*dscp.Stream{sm.primary, sm.rtx, sm.fec} {
		i.factory.marker.Unbind(s)
	}
}

func (i *Interceptor) bindReceivedMarks(ssrc uint32, mimeType string) *dscp.Stream {
	if m := i.factory.marker; m != nil {
		return m.BindReceived(ssrc, dscpKind(kindOf(mimeType)))
	}
	return nil
}

func (i *Interceptor) unbindReceivedMarks(s *dscp.Stream) {
	if s != nil {
		i.factory.marker.Unbind(s)
	}
}

// markRTCP tells the socket layer which stream an outgoing RTCP batch
// reports on, before the batch is written: the socket sees only the sender
// SSRC of its first packet and marks it like that stream.
func (i *Interceptor) markRTCP(pkts []rtcp.Packet) {
	m := i.factory.marker
	if m == nil || len(pkts) == 0 {
		return
	}
	sender, ok := senderSSRC(pkts[0])
	if !ok {
		return
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	for _, pkt := range pkts {
		switch p := pkt.(type) {
		case *rtcp.SenderReport:
			if s := i.outbound[p.SSRC]; s != nil && s.marks != nil {
				m.ReportsOn(sender, s.marks.primary)
				return
			}
		case *rtcp.ReceiverReport:
			for _, b := range p.Reports {
				if s := i.receivedMarksLocked(b.SSRC); s != nil {
					m.ReportsOn(sender, s)
					return
				}
			}
		default:
			for _, ssrc := range pkt.DestinationSSRC() {
				if s := i.receivedMarksLocked(ssrc); s != nil {
					m.ReportsOn(sender, s)
					return
				}
			}
		}
	}
}

// receivedMarksLocked returns the socket-layer stream of an incoming SSRC,
// primary or RTX (pion reports on RTX streams too; an RTX stream is marked
// like its primary once linked, before that like its kind).
func (i *Interceptor) receivedMarksLocked(ssrc uint32) *dscp.Stream {
	if s := i.inbound[ssrc]; s != nil {
		return s.marks
	}
	if r := i.rtx[ssrc]; r != nil {
		return r.marks
	}
	return nil
}

// senderSSRC is the SSRC in bytes 4..7 of an RTCP packet: what the socket
// reads from the clear SRTCP header.
func senderSSRC(p rtcp.Packet) (uint32, bool) {
	switch p := p.(type) {
	case *rtcp.SenderReport:
		return p.SSRC, true
	case *rtcp.ReceiverReport:
		return p.SSRC, true
	case *rtcp.TransportLayerNack:
		return p.SenderSSRC, true
	case *rtcp.PictureLossIndication:
		return p.SenderSSRC, true
	case *rtcp.FullIntraRequest:
		return p.SenderSSRC, true
	case *rtcp.TransportLayerCC:
		return p.SenderSSRC, true
	case *rtcp.ReceiverEstimatedMaximumBitrate:
		return p.SenderSSRC, true
	case *rtcp.SliceLossIndication:
		return p.SenderSSRC, true
	case *rtcp.ExtendedReport:
		return p.SenderSSRC, true
	}
	b, err := p.Marshal()
	if err != nil || len(b) < 8 {
		return 0, false
	}
	return uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7]), true
}
