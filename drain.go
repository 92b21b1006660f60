package rtcstats

import (
	"github.com/pion/webrtc/v4"
)

// DrainRTCP keeps the incoming RTCP of every sender and receiver that pc has
// now flowing, by reading and discarding it in one goroutine per sender or
// receiver (not per packet) until it closes.
//
// pion hands incoming RTCP to interceptors only when the application reads
// it (RTPSender.Read, RTPReceiver.Read). An application that never does
// loses the Receiver Reports and Sender Reports that remote-inbound-rtp,
// remote-outbound-rtp and round-trip times are made of. Call DrainRTCP after
// each negotiation that adds transceivers; senders and receivers already
// drained are skipped. Do not use it for a sender or receiver whose RTCP the
// application reads itself: the two readers would split the packets between
// them (rtcstats still sees all of them).
//
// A simulcast receiver's layers get their RTCP streams only when their first
// packets arrive: call DrainRTCP again from OnTrack for them.
//
// With WithDSCP it also tells the marker which track each sender's SSRCs
// carry, for per-track priorities; SSRCs exist from AddTrack on, so calling
// it before media flows marks even the first packets by track.
func (f *Factory) DrainRTCP(pc *webrtc.PeerConnection) error {
	i, err := f.lookup(pc)
	if err != nil {
		return err
	}
	_, _ = i.syncTransceivers(pc) // tells the DSCP marker each sender's track
	// pion gives each simulcast encoding, sent or received, its own RTCP
	// stream, and Read reads only the first: each gets its own reader.
	for _, s := range pc.GetSenders() {
		rids := i.senderRIDs(s)
		if len(rids) <= 1 {
			i.drainOnce(drainKey{s, ""}, func(b []byte) error { _, _, err := s.Read(b); return err })
			continue
		}
		for _, rid := range rids {
			i.drainOnce(drainKey{s, rid}, func(b []byte) error { _, _, err := s.ReadSimulcast(b, rid); return err })
		}
	}
	for _, r := range pc.GetReceivers() {
		// A received layer has an RTCP stream once its first packet bound
		// it; before that pion's Read dereferences a nil reader (v4.2.20)
		// and ReadSimulcast fails. Later layers need another call.
		rids := []string{""}
		if ts := r.Tracks(); len(ts) > 0 {
			rids = rids[:0]
			for _, t := range ts {
				if t.RID() == "" || t.SSRC() != 0 {
					rids = append(rids, t.RID())
				}
			}
		}
		for _, rid := range rids {
			i.drainOnce(drainKey{r, rid}, func(b []byte) error { _, _, err := r.ReadSimulcast(b, rid); return err })
		}
	}
	return nil
}

// drainKey is one RTCP stream of a sender or receiver: its encoding's RID.
type drainKey struct {
	owner any
	rid   string
}

// senderRIDs returns the RIDs of s's encodings as syncTransceivers last
// learnt them ("" for an encoding without one).
func (i *Interceptor) senderRIDs(s *webrtc.RTPSender) []string {
	i.senders.Lock()
	defer i.senders.Unlock()
	if c := i.senders.byPtr[s]; c != nil {
		return append([]string(nil), c.rids...)
	}
	return nil
}

// drainOnce starts one reader for key unless one runs already. The table of
// running readers is bounded (2×WithMaxStreams: a remote offer decides how
// many receivers there are); a reader that ends (its sender or receiver
// stopped) leaves it.
func (i *Interceptor) drainOnce(key any, read func([]byte) error) {
	i.mu.Lock()
	if i.closed || i.drained[key] {
		i.mu.Unlock()
		return
	}
	if len(i.drained) >= 2*i.maxStreams {
		i.mu.Unlock()
		i.refuse(&i.refusals.drains, "an RTCP reader", 0, false)
		return
	}
	i.drained[key] = true
	i.mu.Unlock()
	go func() {
		b := make([]byte, 1500)
		for {
			if err := read(b); err != nil {
				i.log.Debugf("RTCP drain ends: %v", err)
				i.mu.Lock()
				delete(i.drained, key)
				i.mu.Unlock()
				return
			}
		}
	}()
}
