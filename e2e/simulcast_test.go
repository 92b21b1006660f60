package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/mediafile"
	"github.com/rtcstats/rtcstats/report"
)

// Simulcast (issue 4): A sends VP8 in three encodings (RIDs q, h, f, added
// in that order) plus Opus; B receives. A's report has one video
// outbound-rtp per encoding with its rid and encodingIndex, counting exactly
// what A's application wrote on that layer; B's report has one inbound-rtp
// per layer SSRC counting exactly what B's application read from the track
// with that RID; every stream is linked to its remote view from the other
// side's RTCP, both ways. Each peer has its own Factory.
func TestSimulcast(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	fA, err := rtcstats.NewFactory()
	if err != nil {
		t.Fatal(err)
	}
	fB, err := rtcstats.NewFactory()
	if err != nil {
		t.Fatal(err)
	}
	pcA, err := simPeer(fA)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fA.ClosePeerConnection(pcA) })
	pcB, err := simPeer(fB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fB.ClosePeerConnection(pcB) })

	// A: Opus, and one video sender with the three encodings.
	audio, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "stream")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pcA.AddTrack(audio); err != nil {
		t.Fatal(err)
	}
	layers := make([]*simTrack, len(simLayers))
	for k, l := range simLayers {
		if layers[k], err = newSimTrack(l.rid); err != nil {
			t.Fatal(err)
		}
	}
	sender, err := pcA.AddTrack(layers[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers[1:] {
		if err := sender.AddEncoding(l); err != nil {
			t.Fatalf("AddEncoding(%s): %v", l.RID(), err)
		}
	}

	// B reads every track. Its RTCP is drained once all four tracks are
	// there: DrainRTCP reads a receiver with RTPReceiver.Read, which on a
	// simulcast receiver whose first layer is not bound yet dereferences
	// that layer's nil RTCP reader and kills the test binary (pion v4.2.20
	// rtpreceiver.go:303), and which only ever reads the first layer.
	recv := &simRecv{tracks: map[string]*simRemote{}}
	var (
		trackMu sync.Mutex
		nTracks int
	)
	pcB.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		go recv.read(tr)
		trackMu.Lock()
		nTracks++
		all := nTracks == 1+len(simLayers)
		trackMu.Unlock()
		if all {
			if err := fB.DrainRTCP(pcB); err != nil {
				t.Errorf("B DrainRTCP: %v", err)
			}
		}
	})

	if err := simSignal(ctx, pcA, pcB); err != nil {
		t.Fatalf("signal: %v", err)
	}
	if err := fA.DrainRTCP(pcA); err != nil {
		t.Fatalf("A DrainRTCP: %v", err)
	}

	// The negotiated video header extensions, on both sides.
	var videoTr *webrtc.RTPTransceiver
	for _, tr := range pcA.GetTransceivers() {
		if tr.Sender() == sender {
			videoTr = tr
		}
	}
	if videoTr == nil || videoTr.Mid() == "" {
		t.Fatal("A's video transceiver has no mid after negotiation")
	}
	mid := videoTr.Mid()
	params := sender.GetParameters()
	ext := map[string]uint8{}
	for _, h := range params.HeaderExtensions {
		ext[h.URI] = uint8(h.ID) //nolint:gosec // one-byte header ids
	}
	var recvExt []string
	for _, tr := range pcB.GetTransceivers() {
		if tr.Mid() == mid && tr.Receiver() != nil {
			for _, h := range tr.Receiver().GetParameters().HeaderExtensions {
				recvExt = append(recvExt, h.URI)
			}
		}
	}
	for _, uri := range []string{sdp.SDESMidURI, sdp.SDESRTPStreamIDURI, sdp.SDESRepairRTPStreamIDURI} {
		if ext[uri] == 0 {
			t.Errorf("A's video sender did not negotiate %s (has %v)", uri, ext)
		}
		if !slices.Contains(recvExt, uri) {
			t.Errorf("B's video receiver did not negotiate %s (has %v)", uri, recvExt)
		}
	}
	if len(params.Encodings) != len(simLayers) {
		t.Fatalf("A's sender has %d encodings, want %d", len(params.Encodings), len(simLayers))
	}
	encSSRC := map[string]uint32{} // pion's SSRC per RID, as the application sees it
	for k, e := range params.Encodings {
		if e.RID != simLayers[k].rid {
			t.Fatalf("encoding %d has RID %q, want %q", k, e.RID, simLayers[k].rid)
		}
		encSSRC[e.RID] = uint32(e.SSRC)
	}
	if t.Failed() {
		t.FailNow()
	}

	for _, l := range layers {
		select {
		case <-l.bound:
		case <-ctx.Done():
			t.Fatalf("layer %s never bound", l.RID())
		}
	}
	// pion stores the stream writer right after the last Bind returns;
	// packets written before that are dropped without an error.
	time.Sleep(50 * time.Millisecond)

	dir, err := mediafile.TestdataDir()
	if err != nil {
		t.Fatal(err)
	}
	actx, acancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := mediafile.SendOpus(actx, audio, filepath.Join(dir, mediafile.AudioFile), 0); err != nil {
			t.Errorf("audio: %v", err)
		}
	})
	sent, err := simSendVideo(layers, ext[sdp.SDESMidURI], ext[sdp.SDESRTPStreamIDURI], mid, 20*time.Millisecond)
	acancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("send video: %v", err)
	}
	for k, s := range sent {
		t.Logf("layer %s wrote %d frames (%d key), %d packets", simLayers[k].rid, s.frames, s.keyFrames, s.packets)
	}

	a, b, reads := simSettle(t, fA, pcA, fB, pcB, recv, 5*time.Second)

	// A: one video outbound-rtp per encoding, in AddTrack/AddEncoding order.
	outs := map[string]*report.OutboundRTPStreamStats{}
	var nVideo int
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](a) {
		if o.Kind != "video" {
			if o.Rid != nil || o.EncodingIndex != nil {
				t.Errorf("%s outbound %s has rid %v encodingIndex %v: the spec forbids both for audio",
					o.Kind, o.ID, deref(o.Rid), deref(o.EncodingIndex))
			}
			continue
		}
		nVideo++
		if o.Rid == nil {
			t.Errorf("video outbound %s (ssrc %d) has no rid", o.ID, o.SSRC)
			continue
		}
		outs[*o.Rid] = o
	}
	if nVideo != len(simLayers) || len(outs) != len(simLayers) {
		t.Errorf("A has %d video outbound-rtp (%d distinct rids), want %d", nVideo, len(outs), len(simLayers))
	}
	for k, l := range simLayers {
		o := outs[l.rid]
		if o == nil {
			t.Errorf("A: no outbound-rtp with rid %q", l.rid)
			continue
		}
		tag := "A outbound rid " + l.rid
		if o.SSRC != encSSRC[l.rid] {
			t.Errorf("%s: ssrc %d, the sender's encoding has %d", tag, o.SSRC, encSSRC[l.rid])
		}
		simU32(t, tag+" encodingIndex", o.EncodingIndex, uint64(k))
		simU64(t, tag+" packetsSent", o.PacketsSent, sent[k].packets)
		simU32(t, tag+" framesSent", o.FramesSent, sent[k].frames)
		simU32(t, tag+" keyFramesEncoded", o.KeyFramesEncoded, sent[k].keyFrames)
		simStr(t, tag+" mid", o.Mid, mid)
		ri, ok := simLookup[*report.RemoteInboundRTPStreamStats](a, o.RemoteID)
		if !ok {
			t.Errorf("%s: remoteId %v does not resolve to a remote-inbound-rtp", tag, deref(o.RemoteID))
			continue
		}
		simStr(t, tag+" remote-inbound localId", ri.LocalID, o.ID)
		if ri.SSRC != o.SSRC {
			t.Errorf("%s: remote-inbound ssrc %d", tag, ri.SSRC)
		}
		// B's last RR, sent after the last packet arrived: lossless loopback.
		simU64(t, tag+" remote-inbound packetsReceived", ri.PacketsReceived, reads[l.rid].packets)
		if ri.PacketsLost == nil || *ri.PacketsLost != 0 {
			t.Errorf("%s: remote-inbound packetsLost %v, want 0", tag, deref(ri.PacketsLost))
		}
	}

	// B: one video inbound-rtp per layer SSRC.
	var ins []*report.InboundRTPStreamStats
	for _, in := range report.Filter[*report.InboundRTPStreamStats](b) {
		if in.Kind == "video" {
			ins = append(ins, in)
		}
	}
	if len(ins) != len(simLayers) {
		t.Errorf("B has %d video inbound-rtp, want %d", len(ins), len(simLayers))
	}
	for k, l := range simLayers {
		rd, ok := reads[l.rid]
		if !ok {
			t.Errorf("B's application never got a track with rid %q", l.rid)
			continue
		}
		tag := "B inbound rid " + l.rid
		if rd.ssrc != encSSRC[l.rid] {
			t.Errorf("%s: B's track has ssrc %d, A's encoding %d", tag, rd.ssrc, encSSRC[l.rid])
		}
		if rd.packets != sent[k].packets {
			// Not rtcstats: pion lost or held packets between the apps.
			t.Errorf("%s: B's application read %d packets, A's wrote %d", tag, rd.packets, sent[k].packets)
		}
		var in *report.InboundRTPStreamStats
		for _, x := range ins {
			if x.SSRC == rd.ssrc {
				in = x
			}
		}
		if in == nil {
			t.Errorf("%s: no inbound-rtp for ssrc %d", tag, rd.ssrc)
			continue
		}
		simU64(t, tag+" packetsReceived", in.PacketsReceived, rd.packets)
		if o := outs[l.rid]; o != nil && o.PacketsSent != nil {
			simU64(t, tag+" packetsReceived vs A's packetsSent", in.PacketsReceived, *o.PacketsSent)
		}
		simU32(t, tag+" framesReceived", in.FramesReceived, sent[k].frames)
		if in.TrackIdentifier == "" || in.TrackIdentifier != rd.trackID {
			t.Errorf("%s: trackIdentifier %q, B's track id %q", tag, in.TrackIdentifier, rd.trackID)
		}
		simStr(t, tag+" mid", in.Mid, mid)
		ro, ok := simLookup[*report.RemoteOutboundRTPStreamStats](b, in.RemoteID)
		if !ok {
			t.Errorf("%s: remoteId %v does not resolve to a remote-outbound-rtp", tag, deref(in.RemoteID))
			continue
		}
		simStr(t, tag+" remote-outbound localId", ro.LocalID, in.ID)
		if ro.SSRC != in.SSRC {
			t.Errorf("%s: remote-outbound ssrc %d", tag, ro.SSRC)
		}
		// A's last SR, sent after its last packet.
		simU64(t, tag+" remote-outbound packetsSent", ro.PacketsSent, sent[k].packets)
	}

	noViolations(t, "A", a)
	noViolations(t, "B", b)
	if t.Failed() {
		for name, r := range map[string]report.Report{"A": a, "B": b} {
			for _, id := range r.IDs() {
				switch s := r[id].(type) {
				case *report.OutboundRTPStreamStats, *report.InboundRTPStreamStats,
					*report.RemoteInboundRTPStreamStats, *report.RemoteOutboundRTPStreamStats:
					j, err := json.Marshal(s)
					t.Logf("%s %s (%v)", name, j, err)
				}
			}
		}
	}
}

// simSettle polls both reports until the other side's RTCP covers every
// stream (each video outbound has a remote-inbound view of all its packets,
// each video inbound a remote-outbound view from an SR sent after the last
// packet) and nothing moved since the previous poll, or until timeout. It
// returns the last reports and B's application counts either way: the
// assertions say what is missing.
func simSettle(t *testing.T, fA *rtcstats.Factory, pcA *webrtc.PeerConnection, fB *rtcstats.Factory,
	pcB *webrtc.PeerConnection, recv *simRecv, timeout time.Duration,
) (a, b report.Report, reads map[string]simRemote) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var prev string
	for {
		var err error
		if a, err = fA.GetStats(pcA); err != nil {
			t.Fatalf("A GetStats: %v", err)
		}
		if b, err = fB.GetStats(pcB); err != nil {
			t.Fatalf("B GetStats: %v", err)
		}
		reads = recv.snapshot()
		state, covered := simCoverage(a, b, reads)
		if covered && state == prev {
			return a, b, reads
		}
		if time.Now().After(deadline) {
			t.Logf("reports did not settle within %v (last state %s)", timeout, state)
			return a, b, reads
		}
		prev = state
		time.Sleep(100 * time.Millisecond)
	}
}

// simCoverage returns the counters that must stop moving, and whether the
// remote views cover every video stream.
func simCoverage(a, b report.Report, reads map[string]simRemote) (string, bool) {
	sent := map[uint32]uint64{}
	covered := true
	var state []string
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](a) {
		if o.Kind != "video" || o.PacketsSent == nil {
			continue
		}
		sent[o.SSRC] = *o.PacketsSent
		state = append(state, fmt.Sprintf("out %d %d", o.SSRC, *o.PacketsSent))
		ri, ok := simLookup[*report.RemoteInboundRTPStreamStats](a, o.RemoteID)
		if !ok || ri.PacketsReceived == nil || ri.PacketsLost == nil ||
			int64(*ri.PacketsReceived)+*ri.PacketsLost < int64(*o.PacketsSent) {
			covered = false
		}
	}
	var nIn int
	for _, in := range report.Filter[*report.InboundRTPStreamStats](b) {
		if in.Kind != "video" || in.PacketsReceived == nil {
			continue
		}
		nIn++
		state = append(state, fmt.Sprintf("in %d %d", in.SSRC, *in.PacketsReceived))
		ro, ok := simLookup[*report.RemoteOutboundRTPStreamStats](b, in.RemoteID)
		if !ok || ro.PacketsSent == nil || *ro.PacketsSent < sent[in.SSRC] {
			covered = false
		}
	}
	for rid, r := range reads {
		state = append(state, fmt.Sprintf("read %q %d", rid, r.packets))
	}
	slices.Sort(state)
	return fmt.Sprint(state), covered && len(sent) == len(simLayers) && nIn == len(simLayers)
}

func simLookup[T report.Stats](r report.Report, id *string) (T, bool) {
	var zero T
	if id == nil {
		return zero, false
	}
	return report.Lookup[T](r, *id)
}

func simU64(t *testing.T, what string, got *uint64, want uint64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s absent, want %d", what, want)
	} else if *got != want {
		t.Errorf("%s = %d, want %d", what, *got, want)
	}
}

func simU32(t *testing.T, what string, got *uint32, want uint64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s absent, want %d", what, want)
	} else if uint64(*got) != want {
		t.Errorf("%s = %d, want %d", what, *got, want)
	}
}

func simStr(t *testing.T, what string, got *string, want string) {
	t.Helper()
	if got == nil {
		t.Errorf("%s absent, want %q", what, want)
	} else if *got != want {
		t.Errorf("%s = %q, want %q", what, *got, want)
	}
}
