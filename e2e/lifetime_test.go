package e2e

import (
	"sync"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

// Closing a call ends every stream: WithStatsEnded gets each one's final
// objects, with the ids the last reports used and the counters the peer's
// own report agrees with (the offerer's packetsSent is what the answerer
// received, media having stopped and the reports settled).
func TestStatsEndedOnClose(t *testing.T) {
	var (
		mu    sync.Mutex
		ended = map[string][]rtcstats.EndedStats{}
	)
	cfg := peers.Config{FactoryOptions: []rtcstats.Option{rtcstats.WithStatsEnded(func(e rtcstats.EndedStats) {
		mu.Lock()
		ended[e.PeerConnectionID] = append(ended[e.PeerConnectionID], e)
		mu.Unlock()
	})}}
	pair, off, ans, _ := call(t, cfg, 2*time.Second)
	offID := pair.Offerer.PC.ID()
	if err := pair.Factory.ClosePeerConnection(pair.Offerer.PC); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := append([]rtcstats.EndedStats(nil), ended[offID]...)
	mu.Unlock()

	final := report.Report{}
	for _, e := range got {
		for id, s := range e.Report {
			if _, dup := final[id]; dup {
				t.Errorf("%s ended twice", id)
			}
			final[id] = s
		}
	}
	outs := report.Filter[*report.OutboundRTPStreamStats](final)
	ins := report.Filter[*report.InboundRTPStreamStats](final)
	if len(outs) != 2 || len(ins) != 2 {
		t.Fatalf("ended: %d outbound, %d inbound streams, want 2 and 2 (%v)", len(outs), len(ins), final.IDs())
	}
	for _, o := range outs {
		last, ok := report.Lookup[*report.OutboundRTPStreamStats](off, o.ID)
		if !ok {
			t.Errorf("ended %s was not in the last report", o.ID)
			continue
		}
		peerIn := inboundBySSRC(t, ans, o.SSRC)
		if *o.PacketsSent != *last.PacketsSent || *o.PacketsSent != *peerIn.PacketsReceived-retransmitted(peerIn)+retransmittedSent(o) {
			t.Errorf("%s %s: ended with %d packets sent; last report %d, peer received %d", o.ID, o.Kind, *o.PacketsSent, *last.PacketsSent, *peerIn.PacketsReceived)
		}
		if o.TransportID == nil || o.CodecID == nil || *o.TransportID != *last.TransportID || *o.CodecID != *last.CodecID {
			t.Errorf("%s: ended without the last report's transportId/codecId", o.ID)
		}
	}
	for _, in := range ins {
		if _, ok := report.Lookup[*report.InboundRTPStreamStats](off, in.ID); !ok {
			t.Errorf("ended %s was not in the last report", in.ID)
		}
	}
}

func retransmitted(in *report.InboundRTPStreamStats) uint64 {
	if in.RetransmittedPacketsReceived == nil {
		return 0
	}
	return *in.RetransmittedPacketsReceived
}

func retransmittedSent(o *report.OutboundRTPStreamStats) uint64 {
	return *o.RetransmittedPacketsSent
}
