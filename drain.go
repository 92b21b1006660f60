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
// With WithDSCP it also tells the marker which track each sender's SSRCs
// carry, for per-track priorities; SSRCs exist from AddTrack on, so calling
// it before media flows marks even the first packets by track.
func (f *Factory) DrainRTCP(pc *webrtc.PeerConnection) error {
	i, err := f.lookup(pc)
	if err != nil {
		return err
	}
	_, _ = i.syncTransceivers(pc) // tells the DSCP marker each sender's track
	for _, s := range pc.GetSenders() {
		i.drainOnce(s, func(b []byte) error { _, _, err := s.Read(b); return err })
	}
	for _, r := range pc.GetReceivers() {
		i.drainOnce(r, func(b []byte) error { _, _, err := r.Read(b); return err })
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
