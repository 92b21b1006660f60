package collectors

import (
	"math"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

func TestOutboundAccounting(t *testing.T) {
	s := NewOutbound(OutboundConfig{ID: "OT1", RemoteID: "RI1", SSRC: 10, RTXSSRC: 11, Kind: "video", ClockRate: 90000})
	s.OnPacket(inst(t0), 10, 100, 96, 20, 1000, 0, []byte("1"))
	s.OnPacket(inst(t0), 10, 101, 96, 20, 800, 4, nil)
	// Retransmission of 100 on the RTX SSRC: payload = 2 bytes OSN + 1000.
	s.OnPacket(inst(t0.Add(time.Millisecond)), 11, 7, 97, 12, 1002, 0, nil)
	snap := s.Snapshot(t0)
	o := snap.Outbound
	if *o.PacketsSent != 3 || *o.BytesSent != 2800 || *o.HeaderBytesSent != 20+20+4+14 {
		t.Fatalf("packets %d bytes %d header %d", *o.PacketsSent, *o.BytesSent, *o.HeaderBytesSent)
	}
	if *o.RetransmittedPacketsSent != 1 || *o.RetransmittedBytesSent != 1000 || *o.RTXSSRC != 11 {
		t.Fatalf("retransmitted %d/%d", *o.RetransmittedPacketsSent, *o.RetransmittedBytesSent)
	}
	if snap.PayloadType != 96 || *o.Mid != "1" || *o.PLICount != 0 || *o.FIRCount != 0 {
		t.Fatalf("pt %d mid %v", snap.PayloadType, o.Mid)
	}
	if snap.Remote != nil || o.RemoteID != nil {
		t.Fatal("remote-inbound before any report block")
	}
}

func TestOutboundRetransmissionWithoutRTX(t *testing.T) {
	s := NewOutbound(OutboundConfig{ID: "OT1", SSRC: 10, Kind: "audio", ClockRate: 48000})
	for _, seq := range []uint16{65534, 65535, 0, 1, 65535 /* resent */} {
		s.OnPacket(inst(t0), 10, seq, 111, 12, 50, 0, nil)
	}
	o := s.Snapshot(t0).Outbound
	if *o.PacketsSent != 5 || *o.RetransmittedPacketsSent != 1 || *o.RetransmittedBytesSent != 50 {
		t.Fatalf("sent %d retransmitted %d", *o.PacketsSent, *o.RetransmittedPacketsSent)
	}
	if o.PLICount != nil || o.RTXSSRC != nil {
		t.Fatal("video-only or RTX member on audio without RTX")
	}
}

func TestRemoteInboundFromReportBlock(t *testing.T) {
	s := NewOutbound(OutboundConfig{ID: "OT1", RemoteID: "RI1", SSRC: 10, Kind: "video", ClockRate: 90000})
	for i := range 100 {
		s.OnPacket(inst(t0), 10, uint16(1000+i), 96, 12, 100, 0, nil)
	}
	srAt := t0.Add(time.Second)
	ntp := rtpx.TimeToNTP(time.Unix(1700000001, 0))
	s.OnSenderReportSent(srAt, ntp)

	// The peer held our SR for DLSR = 0x8000/65536 s = 500 ms and its RR
	// reaches us 520 ms after the SR left: RTT = 520 - 500 = 20 ms.
	rr := ReceptionReport{
		FractionLost: 64, TotalLost: 0xfffffe /* -2 */, ExtHighest: 1099, Jitter: 900,
		LSR: rtpx.CompactNTP(ntp), DLSR: 0x8000,
	}
	rrAt := srAt.Add(520 * time.Millisecond)
	if res := s.OnReceptionReport(rrAt, rr); res != RTTMeasured {
		t.Fatalf("result %v", res)
	}
	snap := s.Snapshot(rrAt.Add(time.Second))
	r := snap.Remote
	if r == nil || *snap.Outbound.RemoteID != "RI1" || *r.LocalID != "OT1" {
		t.Fatal("references wrong")
	}
	if *r.PacketsLost != -2 || *r.FractionLost != 0.25 || math.Abs(*r.Jitter-0.01) > 1e-15 {
		t.Fatalf("lost %d fraction %v jitter %v", *r.PacketsLost, *r.FractionLost, *r.Jitter)
	}
	// expected = 1099-1000+1 = 100, received = 100-(-2) = 102.
	if *r.PacketsReceived != 102 {
		t.Fatalf("packetsReceived %d", *r.PacketsReceived)
	}
	if *r.RoundTripTime != 0.020 || *r.TotalRoundTripTime != 0.020 || *r.RoundTripTimeMeasurements != 1 {
		t.Fatalf("rtt %v total %v n %d", *r.RoundTripTime, *r.TotalRoundTripTime, *r.RoundTripTimeMeasurements)
	}
	if want := float64(rrAt.UnixNano()) / 1e6; r.Timestamp != want {
		t.Fatalf("timestamp %v want RR arrival %v", r.Timestamp, want)
	}

	// Implausible samples are rejected and change nothing.
	neg := rr
	neg.DLSR = 0x10000 // 1 s held, but only 0.6 s elapsed
	if res := s.OnReceptionReport(srAt.Add(600*time.Millisecond), neg); res != RTTRejected {
		t.Fatalf("negative sample: %v", res)
	}
	unknown := rr
	unknown.LSR++
	if res := s.OnReceptionReport(rrAt, unknown); res != RTTUnmatched {
		t.Fatalf("unknown LSR: %v", res)
	}
	none := rr
	none.LSR, none.DLSR = 0, 0
	if res := s.OnReceptionReport(rrAt, none); res != RTTNone {
		t.Fatalf("no LSR: %v", res)
	}
	r = s.Snapshot(rrAt).Remote
	if *r.RoundTripTimeMeasurements != 1 || *r.RoundTripTime != 0.020 || *r.ReportsReceived != 4 {
		t.Fatalf("after rejects: n %d rtt %v reports %d", *r.RoundTripTimeMeasurements, *r.RoundTripTime, *r.ReportsReceived)
	}
}

func TestRemoteInboundNoRTTBeforeDLSR(t *testing.T) {
	s := NewOutbound(OutboundConfig{ID: "OT1", RemoteID: "RI1", SSRC: 10, Kind: "audio", ClockRate: 48000})
	s.OnReceptionReport(t0, ReceptionReport{ExtHighest: 5})
	r := s.Snapshot(t0).Remote
	if r.RoundTripTime != nil || *r.RoundTripTimeMeasurements != 0 || *r.TotalRoundTripTime != 0 {
		t.Fatal("RTT emitted without a measurement")
	}
	if r.PacketsReceived != nil {
		t.Fatal("packetsReceived computed without any packet sent")
	}
}

func BenchmarkOutboundOnPacket(b *testing.B) {
	s := NewOutbound(OutboundConfig{ID: "OT1", SSRC: 1, Kind: "video", ClockRate: 90000})
	now := t0
	var seq uint16
	b.ReportAllocs()
	for b.Loop() {
		seq++
		now = now.Add(time.Millisecond)
		s.OnPacket(inst(now), 1, seq, 96, 20, 1100, 0, nil)
	}
}

// FlexFEC packets arrive through the same writer on their own SSRC: they are
// fecPacketsSent, not media. A packet on an unrelated SSRC counts nowhere.
func TestOutboundFECAndForeignSSRC(t *testing.T) {
	s := NewOutbound(OutboundConfig{ID: "OT1", SSRC: 10, FECSSRC: 12, Kind: "video", ClockRate: 90000})
	s.OnPacket(inst(t0), 10, 1, 96, 12, 100, 0, nil)
	if !s.OnPacket(inst(t0), 12, 500, 118, 12, 40, 0, nil) {
		t.Fatal("FEC packet refused")
	}
	if s.OnPacket(inst(t0), 99, 7, 96, 12, 40, 0, nil) {
		t.Fatal("foreign SSRC accepted")
	}
	o := s.Snapshot(t0).Outbound
	if *o.PacketsSent != 1 || *o.BytesSent != 100 || *o.RetransmittedPacketsSent != 0 || *o.FECPacketsSent != 1 {
		t.Fatalf("sent %d bytes %d retransmitted %d fec %d", *o.PacketsSent, *o.BytesSent, *o.RetransmittedPacketsSent, *o.FECPacketsSent)
	}
}

func TestOutboundZeroSSRCIsNotRTXOrFEC(t *testing.T) {
	s := NewOutbound(OutboundConfig{ID: "OT1", SSRC: 10, Kind: "audio", ClockRate: 48000})
	if s.OnPacket(inst(t0), 0, 1, 111, 12, 10, 0, nil) {
		t.Fatal("SSRC 0 accepted on a stream without RTX/FEC")
	}
	if o := s.Snapshot(t0).Outbound; *o.PacketsSent != 0 || o.FECPacketsSent != nil {
		t.Fatal("state changed")
	}
}
