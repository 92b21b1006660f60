package collectors

import (
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// TestArenaSnapshotsAreDistinct: snapshots taken from one Arena never share
// storage, and each holds its own stream's values; their blocks are shared.
func TestArenaSnapshotsAreDistinct(t *testing.T) {
	const n = 40 // more than one block of each kind
	now := time.Unix(1000, 0)
	a := new(Arena)
	var ins []InboundSnapshot
	var outs []OutboundSnapshot
	for k := range n {
		in := NewInbound(InboundConfig{ID: "IT", RemoteID: "RO", SSRC: uint32(k), Kind: "audio", ClockRate: 48000})
		out := NewOutbound(OutboundConfig{ID: "OT", RemoteID: "RI", SSRC: uint32(k), Kind: "audio", ClockRate: 48000})
		for j := range k + 1 {
			in.OnPacket(inst(now), &rtpx.Header{SSRC: uint32(k), Sequence: uint16(j), HeaderLen: 12, PayloadLen: 10}, nil)
			out.OnPacket(inst(now), uint32(k), uint16(j), 111, 12, 10, 0, nil)
		}
		in.OnSenderReport(now, 1<<32, uint32(k), 0)
		out.OnReceptionReport(now, ReceptionReport{ExtHighest: uint32(k), TotalLost: uint32(n - k)})
		ins = append(ins, in.SnapshotIn(now, a))
		outs = append(outs, out.SnapshotIn(now, a))
	}
	for k := range n {
		in, out := ins[k], outs[k]
		if *in.Inbound.PacketsReceived != uint64(k+1) || *out.Outbound.PacketsSent != uint64(k+1) {
			t.Fatalf("stream %d: received %d, sent %d", k, *in.Inbound.PacketsReceived, *out.Outbound.PacketsSent)
		}
		if in.Remote == nil || *in.Remote.PacketsSent != uint64(k) || out.Remote == nil || *out.Remote.PacketsLost != int64(n-k) {
			t.Fatalf("stream %d: remote objects %+v %+v", k, in.Remote, out.Remote)
		}
		for j := range k {
			if ins[j].Inbound == in.Inbound || ins[j].Remote == in.Remote || outs[j].Outbound == out.Outbound ||
				outs[j].Remote == out.Remote || ins[j].Inbound.PacketsReceived == in.Inbound.PacketsReceived {
				t.Fatalf("snapshots %d and %d share storage", j, k)
			}
		}
	}
}

// TestArenaAllocatesInBlocks: a hundred streams' snapshots from one Arena
// take a few blocks, not an allocation per object.
func TestArenaAllocatesInBlocks(t *testing.T) {
	now := time.Unix(1000, 0)
	var ins []*Inbound
	for k := range 100 {
		in := NewInbound(InboundConfig{ID: "IT", SSRC: uint32(k), Kind: "audio", ClockRate: 48000})
		in.OnPacket(inst(now), &rtpx.Header{SSRC: uint32(k), HeaderLen: 12, PayloadLen: 10}, nil)
		ins = append(ins, in)
	}
	allocs := testing.AllocsPerRun(10, func() {
		a := new(Arena)
		for _, in := range ins {
			_ = in.SnapshotIn(now, a)
		}
	})
	// The Arena and blocks of 1, 2, 4, ..., 64 (100 boxes).
	if allocs > 8 {
		t.Fatalf("%v allocations for 100 snapshots", allocs)
	}
}
