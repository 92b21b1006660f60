package report

import (
	"fmt"
	"math"
	"testing"
)

const t0 = 1732200000000.0

func at(ms float64, typ Type, id string) Base { return Base{Timestamp: t0 + ms, Type: typ, ID: id} }

// near checks an optional metric against a hand-computed value; want nil
// means "not computable".
func near(t *testing.T, name string, got *float64, want any) {
	t.Helper()
	switch w := want.(type) {
	case nil:
		if got != nil {
			t.Errorf("%s = %v, want absent", name, *got)
		}
	case float64:
		if got == nil {
			t.Errorf("%s absent, want %v", name, w)
		} else if math.Abs(*got-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("%s = %v, want %v", name, *got, w)
		}
	}
}

func TestDeltaOutbound(t *testing.T) {
	prev := Report{}
	prev.Add(&OutboundRTPStreamStats{
		Base: at(0, TypeOutboundRTP, "O"), SSRC: 1, Kind: "video",
		BytesSent: new(uint64(1000)), HeaderBytesSent: new(uint64(200)), PacketsSent: new(uint64(10)),
		RetransmittedPacketsSent: new(uint64(0)), RetransmittedBytesSent: new(uint64(0)),
		PerDSCPPacketsSent: map[string]uint64{"46": 10},
	})
	cur := Report{}
	cur.Add(&OutboundRTPStreamStats{
		Base: at(2000, TypeOutboundRTP, "O"), SSRC: 1, Kind: "video",
		BytesSent: new(uint64(26000)), HeaderBytesSent: new(uint64(1200)), PacketsSent: new(uint64(110)),
		RetransmittedPacketsSent: new(uint64(4)), RetransmittedBytesSent: new(uint64(1000)),
		PerDSCPPacketsSent: map[string]uint64{"46": 110, "0": 4},
	})

	o, ok := Delta(prev, cur).Outbound["O"]
	if !ok {
		t.Fatal("no outbound interval")
	}
	if o.Duration != 2 {
		t.Errorf("Duration = %v", o.Duration)
	}
	near(t, "Bitrate", o.Bitrate, 25000*8/2.0) // 100 kbit/s
	near(t, "HeaderBitrate", o.HeaderBitrate, 1000*8/2.0)
	near(t, "PacketRate", o.PacketRate, 50.0)
	near(t, "RetransmittedPacketRate", o.RetransmittedPacketRate, 2.0)
	near(t, "RetransmittedBitrate", o.RetransmittedBitrate, 4000.0)
	if len(o.PerDSCPPacketRate) != 2 || o.PerDSCPPacketRate["46"] != 50 || o.PerDSCPPacketRate["0"] != 2 {
		t.Errorf("PerDSCPPacketRate = %v", o.PerDSCPPacketRate)
	}

	// Same timestamp: no rate can be computed.
	cur["O"].(*OutboundRTPStreamStats).Timestamp = t0
	o = Delta(prev, cur).Outbound["O"]
	near(t, "Bitrate at zero duration", o.Bitrate, nil)
	if o.PerDSCPPacketRate != nil {
		t.Errorf("PerDSCPPacketRate at zero duration = %v", o.PerDSCPPacketRate)
	}

	// A counter that went backwards or is absent on one side is not a rate.
	cur["O"].(*OutboundRTPStreamStats).Timestamp = t0 + 1000
	cur["O"].(*OutboundRTPStreamStats).BytesSent = new(uint64(10))
	cur["O"].(*OutboundRTPStreamStats).HeaderBytesSent = nil
	o = Delta(prev, cur).Outbound["O"]
	near(t, "Bitrate after reset", o.Bitrate, nil)
	near(t, "HeaderBitrate when absent", o.HeaderBitrate, nil)
	near(t, "PacketRate", o.PacketRate, 100.0)
}

func TestDeltaInbound(t *testing.T) {
	in := func(ms float64, recv uint64, lost int64, bytes uint64, jitter float64) Report {
		r := Report{}
		r.Add(&InboundRTPStreamStats{
			Base: at(ms, TypeInboundRTP, "I"), SSRC: 2, Kind: "audio", TrackIdentifier: "t",
			PacketsReceived: new(recv), PacketsLost: new(lost), BytesReceived: new(bytes),
			HeaderBytesReceived: new(recv * 12), Jitter: new(jitter),
			PerDSCPPacketsReceived: map[string]uint64{"46": recv},
		})
		return r
	}
	// 95 received and 5 lost in 500 ms: 5/(5+95) = 5 % loss.
	i := Delta(in(0, 100, 2, 16000, 0.002), in(500, 195, 7, 31200, 0.004)).Inbound["I"]
	if i.Duration != 0.5 || i.PacketsLost == nil || *i.PacketsLost != 5 {
		t.Errorf("Duration %v, PacketsLost %v", i.Duration, i.PacketsLost)
	}
	near(t, "FractionLost", i.FractionLost, 0.05)
	near(t, "Bitrate", i.Bitrate, 15200*8/0.5)
	near(t, "HeaderBitrate", i.HeaderBitrate, 95*12*8/0.5)
	near(t, "PacketRate", i.PacketRate, 190.0)
	near(t, "Jitter", i.Jitter, 0.004)
	near(t, "MeanJitter", i.MeanJitter, 0.003)
	if i.PerDSCPPacketRate["46"] != 190 {
		t.Errorf("PerDSCPPacketRate = %v", i.PerDSCPPacketRate)
	}

	// Duplicates make packetsLost fall: the interval loss is 0, not negative.
	i = Delta(in(0, 100, 5, 0, 0), in(1000, 110, 3, 0, 0)).Inbound["I"]
	near(t, "FractionLost with duplicates", i.FractionLost, 0.0)
	if *i.PacketsLost != -2 {
		t.Errorf("PacketsLost = %d", *i.PacketsLost)
	}

	// Nothing expected: 0.
	i = Delta(in(0, 100, 5, 0, 0), in(1000, 100, 5, 0, 0)).Inbound["I"]
	near(t, "FractionLost with nothing expected", i.FractionLost, 0.0)

	// packetsLost absent: not computable.
	cur := in(1000, 110, 3, 0, 0)
	cur["I"].(*InboundRTPStreamStats).PacketsLost = nil
	cur["I"].(*InboundRTPStreamStats).Jitter = nil
	i = Delta(in(0, 100, 5, 0, 0), cur).Inbound["I"]
	near(t, "FractionLost without packetsLost", i.FractionLost, nil)
	near(t, "Jitter when absent", i.Jitter, nil)
	near(t, "MeanJitter when absent", i.MeanJitter, nil)
}

func TestDeltaRemoteInbound(t *testing.T) {
	rep := func(ms float64, sent, recv uint64, lost int64, totalRTT float64, n uint64) Report {
		r := Report{}
		r.Add(&OutboundRTPStreamStats{
			Base: at(ms, TypeOutboundRTP, "O"), SSRC: 1, Kind: "audio",
			PacketsSent: new(sent), RemoteID: new("RI"),
		})
		r.Add(&RemoteInboundRTPStreamStats{
			Base: at(ms-20, TypeRemoteInboundRTP, "RI"), SSRC: 1, Kind: "audio",
			LocalID: new("O"), PacketsReceived: new(recv), PacketsLost: new(lost), Jitter: new(0.01),
			TotalRoundTripTime: new(totalRTT), RoundTripTimeMeasurements: new(n),
		})
		return r
	}
	// 200 sent, 190 received: (200−190)/200 = 5 %; 3 new RTTs totalling 0.3 s.
	ri := Delta(rep(0, 100, 90, 10, 0.5, 10), rep(5000, 300, 280, 20, 0.8, 13)).RemoteInbound["RI"]
	if ri.Duration != 5 || *ri.PacketsLost != 10 {
		t.Errorf("Duration %v PacketsLost %v", ri.Duration, *ri.PacketsLost)
	}
	near(t, "FractionLost", ri.FractionLost, 0.05)
	near(t, "RoundTripTime", ri.RoundTripTime, 0.1)
	near(t, "MeanJitter", ri.MeanJitter, 0.01)

	// No new RTT measurement: no interval RTT.
	ri = Delta(rep(0, 100, 90, 10, 0.5, 10), rep(5000, 300, 280, 20, 0.5, 10)).RemoteInbound["RI"]
	near(t, "RoundTripTime without measurements", ri.RoundTripTime, nil)

	// More reported received than counted sent (counters sampled at different times): clamped to 0.
	ri = Delta(rep(0, 100, 90, 10, 0.5, 10), rep(5000, 150, 150, 10, 0.5, 10)).RemoteInbound["RI"]
	near(t, "FractionLost clamped", ri.FractionLost, 0.0)

	// Without the local stream there is no sent count.
	cur := rep(5000, 300, 280, 20, 0.8, 13)
	delete(cur, "O")
	ri = Delta(rep(0, 100, 90, 10, 0.5, 10), cur).RemoteInbound["RI"]
	near(t, "FractionLost without local", ri.FractionLost, nil)
	near(t, "RoundTripTime without local", ri.RoundTripTime, 0.1)
}

func TestDeltaTransportsAndChannels(t *testing.T) {
	rep := func(ms float64, n uint64) Report {
		r := Report{}
		r.Add(&RemoteOutboundRTPStreamStats{
			Base: at(ms, TypeRemoteOutboundRTP, "RO"), SSRC: 3, Kind: "video",
			PacketsSent: new(n), BytesSent: new(n * 1000), TotalRoundTripTime: new(float64(n) / 1000),
			RoundTripTimeMeasurements: new(n / 100),
		})
		r.Add(&ICECandidatePairStats{
			Base: at(ms, TypeCandidatePair, "CP"), TransportID: "T", LocalCandidateID: "L",
			RemoteCandidateID: "R", State: "succeeded", BytesSent: new(n * 1200), BytesReceived: new(n * 600),
			PacketsSent: new(n), PacketsReceived: new(n / 2),
		})
		r.Add(&TransportStats{
			Base: at(ms, TypeTransport, "T"), DTLSState: "connected",
			BytesSent: new(n * 1100), BytesReceived: new(n * 500), PacketsSent: new(n), PacketsReceived: nil,
		})
		r.Add(&DataChannelStats{
			Base: at(ms, TypeDataChannel, "D"), State: "open",
			MessagesSent: new(uint32(n / 10)), MessagesReceived: new(uint32(n / 20)),
			BytesSent: new(n * 10), BytesReceived: new(n * 5),
		})
		r.Add(&PeerConnectionStats{Base: at(ms, TypePeerConnection, "P")})
		return r
	}
	iv := Delta(rep(0, 1000), rep(4000, 3000)) // Δn = 2000 over 4 s
	ro := iv.RemoteOutbound["RO"]
	near(t, "remote-outbound PacketRate", ro.PacketRate, 500.0)
	near(t, "remote-outbound Bitrate", ro.Bitrate, 2000*1000*8/4.0)
	near(t, "remote-outbound RoundTripTime", ro.RoundTripTime, 2.0/20) // Δtotal 2 s over 20 measurements
	cp := iv.CandidatePairs["CP"]
	near(t, "pair SendBitrate", cp.SendBitrate, 2000*1200*8/4.0)
	near(t, "pair ReceiveBitrate", cp.ReceiveBitrate, 2000*600*8/4.0)
	near(t, "pair SendPacketRate", cp.SendPacketRate, 500.0)
	near(t, "pair ReceivePacketRate", cp.ReceivePacketRate, 250.0)
	tr := iv.Transports["T"]
	near(t, "transport SendBitrate", tr.SendBitrate, 2000*1100*8/4.0)
	near(t, "transport ReceivePacketRate", tr.ReceivePacketRate, nil)
	dc := iv.DataChannels["D"]
	near(t, "MessagesSentRate", dc.MessagesSentRate, 50.0)
	near(t, "MessagesReceivedRate", dc.MessagesReceivedRate, 25.0)
	near(t, "channel SendBitrate", dc.SendBitrate, 2000*10*8/4.0)

	// Objects in only one report have no interval.
	cur := rep(4000, 3000)
	delete(cur, "D")
	cur.Add(&DataChannelStats{Base: at(4000, TypeDataChannel, "D2"), State: "open"})
	if iv := Delta(rep(0, 1000), cur); len(iv.DataChannels) != 0 {
		t.Errorf("DataChannels = %v", iv.DataChannels)
	}
}

func ExampleDelta() {
	prev := Report{}
	prev.Add(&OutboundRTPStreamStats{
		Base:        Base{Timestamp: 1732200000000, Type: TypeOutboundRTP, ID: "OT01V1"},
		SSRC:        1,
		Kind:        "video",
		PacketsSent: new(uint64(1000)),
		BytesSent:   new(uint64(1_000_000)),
	})
	cur := Report{}
	cur.Add(&OutboundRTPStreamStats{
		Base:        Base{Timestamp: 1732200002000, Type: TypeOutboundRTP, ID: "OT01V1"},
		SSRC:        1,
		Kind:        "video",
		PacketsSent: new(uint64(1200)),
		BytesSent:   new(uint64(1_250_000)),
	})

	out := Delta(prev, cur).Outbound["OT01V1"]
	fmt.Printf("over %.0f s: %.0f kbit/s, %.0f packets/s\n", out.Duration, *out.Bitrate/1000, *out.PacketRate)
	fmt.Println("header bitrate known:", out.HeaderBitrate != nil)
	// Output:
	// over 2 s: 1000 kbit/s, 100 packets/s
	// header bitrate known: false
}
