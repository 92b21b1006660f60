package collectors

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/payload"
	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// TestSnapshotAllocations: a snapshot allocates each object together with
// its members, not member by member. Video streams with every frame member
// and their remote objects: one allocation for the inbound-rtp, one for the
// outbound-rtp with its media source, one for each remote object.
func TestSnapshotAllocations(t *testing.T) {
	now := time.Now()
	in := NewInbound(InboundConfig{ID: "IT", RemoteID: "RO", SSRC: 1, Kind: "video", ClockRate: 90000, Codec: payload.CodecVP8})
	out := NewOutbound(OutboundConfig{ID: "OT", RemoteID: "RI", SSRC: 2, Kind: "video", ClockRate: 90000, Codec: payload.CodecVP8})
	for k := range 3 {
		at := now.Add(time.Duration(k) * 33 * time.Millisecond)
		p := vp8Pkt(true, k == 0, 640, 360, 100)
		pkt := make([]byte, 12, 12+len(p))
		pkt[0], pkt[1] = 0x80, 0x80|96 // marker: one packet per frame
		binary.BigEndian.PutUint16(pkt[2:], uint16(k))
		binary.BigEndian.PutUint32(pkt[4:], uint32(k*3000))
		binary.BigEndian.PutUint32(pkt[8:], 1)
		pkt = append(pkt, p...)
		var h rtpx.Header
		if err := rtpx.ParseHeader(pkt, &h); err != nil {
			t.Fatal(err)
		}
		in.OnMediaPacket(inst(at), &h, nil, pkt)
		out.OnSentPacket(inst(at), &SentPacket{
			SSRC: 2, Seq: uint16(k), Timestamp: uint32(k * 3000), Marker: true, PT: 96,
			HeaderLen: 12, PayloadLen: len(p), Payload: p,
		})
	}
	now = now.Add(2 * time.Second)
	ntp := uint64(1) << 32
	in.OnSenderReport(now, ntp, 3, 300)
	out.OnSenderReportSent(now, ntp)
	out.OnReceptionReport(now.Add(10*time.Millisecond), ReceptionReport{ExtHighest: 2, LSR: rtpx.CompactNTP(ntp), DLSR: 1})

	is, os := in.Snapshot(now), out.Snapshot(now)
	if is.Inbound.FramesReceived == nil || is.Inbound.FrameWidth == nil || is.Remote == nil ||
		os.Outbound.FramesSent == nil || os.Outbound.FrameWidth == nil || os.VideoSource == nil || os.VideoSource.Width == nil ||
		os.Remote == nil || os.Remote.RoundTripTime == nil {
		t.Fatalf("the streams lack members this test is about: %+v %+v", is, os)
	}
	if n := testing.AllocsPerRun(100, func() { _ = in.Snapshot(now) }); n != 2 {
		t.Errorf("Inbound.Snapshot: %v allocations, want 2", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = out.Snapshot(now) }); n != 2 {
		t.Errorf("Outbound.Snapshot: %v allocations, want 2", n)
	}
}
