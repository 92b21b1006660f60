package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats/internal/mediafile"
	"github.com/rtcstats/rtcstats/report"
)

// An SFU-shaped call: A sends one pass of testdata's Opus and VP8 files to
// relay B, whose application reads every RTP packet and writes it unchanged
// (TrackLocalStaticRTP only rewrites SSRC and payload type) to its
// PeerConnection with C; C's application reads the tracks. Three
// processes' worth of Factories: A's, B's (both its PeerConnections) and
// C's. On lossless loopback, once the last RTCP has crossed, every count
// along the path must equal what the applications counted themselves from
// the packets (pion's rtp and VP8 depacketizer) and what the files hold
// (internal/mediafile): B's inbound and outbound agree with each other, with
// A's outbound and with C's inbound, and each receiver's RRs agree with the
// receiver's own count.
func TestSFURelayAgrees(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	a := newSFUPeer(t, "A", nil)
	bIn := newSFUPeer(t, "B(A)", nil)
	bOut := newSFUPeer(t, "B(C)", bIn.f)
	c := newSFUPeer(t, "C", nil)

	// B → C first, with the relay tracks already added, so that C has its
	// tracks before the first packet is forwarded.
	relayAudio, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio-relay", "relay")
	if err != nil {
		t.Fatal(err)
	}
	relayVideo, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video-relay", "relay")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []webrtc.TrackLocal{relayAudio, relayVideo} {
		if _, err := bOut.pc.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}
	var cRead [2]appCounter
	c.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { go sink(tr, &cRead) })
	if err := sfuConnect(ctx, bOut, c); err != nil {
		t.Fatalf("connect B → C: %v", err)
	}

	aAudio, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio-A", "A")
	if err != nil {
		t.Fatal(err)
	}
	aVideo, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video-A", "A")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []webrtc.TrackLocal{aAudio, aVideo} {
		if _, err := a.pc.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}
	var relayed relayCounts
	out := [2]*webrtc.TrackLocalStaticRTP{relayAudio, relayVideo}
	bIn.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		go relay(tr, out[kindIndex(tr.Kind())], &relayed)
	})
	if err := sfuConnect(ctx, a, bIn); err != nil {
		t.Fatalf("connect A → B: %v", err)
	}

	// One pass over each file: 151 Opus packets and 90 VP8 frames, 3 s.
	dir, err := mediafile.TestdataDir()
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg                   sync.WaitGroup
		audioSent, videoSent mediafile.Stats
		audioErr, videoErr   error
	)
	mctx, mcancel := context.WithTimeout(ctx, 8*time.Second)
	defer mcancel()
	wg.Add(2)
	go func() {
		defer wg.Done()
		audioSent, audioErr = mediafile.SendOpus(mctx, aAudio, filepath.Join(dir, mediafile.AudioFile), 1)
	}()
	go func() {
		defer wg.Done()
		videoSent, videoErr = mediafile.SendVP8(mctx, aVideo, filepath.Join(dir, mediafile.VideoFile), 1)
	}()
	wg.Wait()
	if audioErr != nil || videoErr != nil || mctx.Err() != nil {
		t.Fatalf("send: audio %v, video %v, %v", audioErr, videoErr, mctx.Err())
	}
	if audioSent.Loops != 1 || videoSent.Loops != 1 || videoSent.Frames < 90 || videoSent.KeyFrames < 3 {
		t.Fatalf("A wrote %+v audio, %+v video: not one whole pass", audioSent, videoSent)
	}
	t.Logf("A wrote %d Opus packets (%d B), %d VP8 frames (%d key, %d B)",
		audioSent.Frames, audioSent.Bytes, videoSent.Frames, videoSent.KeyFrames, videoSent.Bytes)

	// Settle: the applications' counts stop moving and the last RRs and SRs
	// of both legs have crossed (pion sends them every second).
	type counts struct{ read, forwarded, atC [2]appCount }
	snap := func() counts {
		var s counts
		for k := range sfuKindCount {
			s.read[k], s.forwarded[k], s.atC[k] = relayed.read[k].get(), relayed.forwarded[k].get(), cRead[k].get()
		}
		return s
	}
	var (
		ra, rbIn, rbOut, rc report.Report
		app                 counts
		prev                = snap()
		deadline            = time.Now().Add(5 * time.Second)
	)
	for {
		time.Sleep(100 * time.Millisecond)
		app = snap()
		ra, rbIn, rbOut, rc = a.stats(t), bIn.stats(t), bOut.stats(t), c.stats(t)
		if app == prev && app == snap() && sfuLegSettled(ra, rbIn) && sfuLegSettled(rbOut, rc) {
			break
		}
		if time.Now().After(deadline) {
			for name, r := range map[string]report.Report{"A": ra, "B(A)": rbIn, "B(C)": rbOut, "C": rc} {
				for _, s := range r {
					switch s.(type) {
					case *report.OutboundRTPStreamStats, *report.InboundRTPStreamStats,
						*report.RemoteInboundRTPStreamStats, *report.RemoteOutboundRTPStreamStats:
						b, err := json.Marshal(s)
						t.Logf("%s %s (%v)", name, b, err)
					}
				}
			}
			t.Fatalf("not settled within 5 s after media stopped: app counts %+v", app)
		}
		prev = app
	}

	failed, firstErr := relayed.failures()
	for k, kind := range sfuKinds() {
		read, fwd, atC := app.read[k], app.forwarded[k], app.atC[k]
		aO, bI, bO, cI := sfuOutbound(ra, kind), sfuInbound(rbIn, kind), sfuOutbound(rbOut, kind), sfuInbound(rc, kind)
		if aO == nil || bI == nil || bO == nil || cI == nil {
			t.Fatalf("%s: a stream is missing: A outbound %v, B inbound %v, B outbound %v, C inbound %v", kind, aO != nil, bI != nil, bO != nil, cI != nil)
		}
		if bI.SSRC != aO.SSRC || cI.SSRC != bO.SSRC {
			t.Fatalf("%s: SSRCs A→B %d/%d, B→C %d/%d", kind, aO.SSRC, bI.SSRC, bO.SSRC, cI.SSRC)
		}
		aRI, bRI := remoteInbound(t, ra, aO), remoteInbound(t, rbOut, bO)
		bRO, cRO := remoteOutbound(t, rbIn, bI), remoteOutbound(t, rc, cI)

		// The relay forwarded everything it read; nothing failed on loopback.
		if failed[k] != 0 || fwd.Packets+failed[k] != read.Packets {
			t.Errorf("%s: B read %d, forwarded %d, %d writes failed (first: %v)", kind, read.Packets, fwd.Packets, failed[k], firstErr)
		}
		if read.Packets == 0 {
			t.Fatalf("%s: B read nothing", kind)
		}

		// Packets: A → B, counted by B's application.
		agree(t, kind+" A→B packets", read.Packets, "B app read",
			m64("A outbound packetsSent", aO.PacketsSent),
			m64("B inbound packetsReceived", bI.PacketsReceived),
			m64("A remote-inbound packetsReceived (B's RR)", aRI.PacketsReceived),
			m64("B remote-outbound packetsSent (A's SR)", bRO.PacketsSent))
		// B → C, counted by B's application as forwarded and by C's as read.
		agree(t, kind+" B→C packets", fwd.Packets, "B app forwarded",
			m64("B outbound packetsSent", bO.PacketsSent),
			m64("C inbound packetsReceived", cI.PacketsReceived),
			m64("B remote-inbound packetsReceived (C's RR)", bRI.PacketsReceived),
			m64("C remote-outbound packetsSent (B's SR)", cRO.PacketsSent),
			mApp("C app read", atC.Packets))

		// Payload bytes (RFC 3550 §6.4.1: no header, no padding) are the
		// same on both legs: forwarded unchanged. The file's bytes are what
		// the applications depacketize: one Opus packet per sample, VP8
		// frames after the payload descriptor.
		agree(t, kind+" A→B payload bytes", read.PayloadBytes, "B app payload bytes",
			m64("A outbound bytesSent", aO.BytesSent),
			m64("B inbound bytesReceived", bI.BytesReceived),
			m64("B remote-outbound bytesSent (A's SR)", bRO.BytesSent))
		agree(t, kind+" B→C payload bytes", fwd.PayloadBytes, "B app forwarded payload bytes",
			m64("B outbound bytesSent", bO.BytesSent),
			m64("C inbound bytesReceived", cI.BytesReceived),
			m64("C remote-outbound bytesSent (B's SR)", cRO.BytesSent),
			mApp("C app payload bytes", atC.PayloadBytes))
		if kind == "audio" {
			agree(t, "audio file bytes", uint64(audioSent.Bytes), "Opus bytes A wrote",
				mApp("B app payload bytes", read.PayloadBytes), mApp("C app payload bytes", atC.PayloadBytes))
			agree(t, "audio file packets", uint64(audioSent.Frames), "Opus packets A wrote",
				mApp("B app read", read.Packets), mApp("C app read", atC.Packets))
		} else {
			agree(t, "video file bytes", uint64(videoSent.Bytes), "VP8 bytes A wrote",
				mApp("B app VP8 bytes", read.VP8Bytes), mApp("C app VP8 bytes", atC.VP8Bytes))
		}

		// Header bytes, each leg against what arrived at its far end: the
		// RTP header, CSRCs, extensions and padding as the receiving
		// application parsed them. No sender here writes extensions or
		// padding (logged), so both legs are 12 bytes a packet, but each is
		// checked against its own far end.
		agree(t, kind+" A→B header bytes", read.HeaderBytes, "B app header+padding bytes",
			m64("A outbound headerBytesSent", aO.HeaderBytesSent),
			m64("B inbound headerBytesReceived", bI.HeaderBytesReceived))
		agree(t, kind+" B→C header bytes", atC.HeaderBytes, "C app header+padding bytes",
			m64("B outbound headerBytesSent", bO.HeaderBytesSent),
			m64("C inbound headerBytesReceived", cI.HeaderBytesReceived))
		t.Logf("%s: packets with extensions A→B %d, B→C %d; padded %d, %d", kind, read.Extensions, atC.Extensions, read.Padded, atC.Padded)

		// Lossless, no repair, no duplicates.
		agree(t, kind+" loss", 0, "nothing lost on loopback",
			mLost("B inbound packetsLost", bI.PacketsLost),
			mLost("C inbound packetsLost", cI.PacketsLost),
			mLost("A remote-inbound packetsLost (B's RR)", aRI.PacketsLost),
			mLost("B remote-inbound packetsLost (C's RR)", bRI.PacketsLost),
			m64("A outbound retransmittedPacketsSent", aO.RetransmittedPacketsSent),
			m64("B outbound retransmittedPacketsSent", bO.RetransmittedPacketsSent),
			m64("B inbound packetsDuplicated", bI.PacketsDuplicated),
			m64("C inbound packetsDuplicated", cI.PacketsDuplicated))

		if kind == "audio" {
			if aO.FramesSent != nil || bO.FramesSent != nil || bI.FramesReceived != nil || cI.FramesReceived != nil {
				t.Error("audio streams have frame members")
			}
			continue
		}

		// Frames: what A's application wrote from the file, and what B's and
		// C's applications saw end (marker bit) and start as key frames.
		agree(t, "video frames", uint64(videoSent.Frames), "frames A wrote",
			m32("A outbound framesSent", aO.FramesSent),
			m32("B inbound framesReceived", bI.FramesReceived),
			m32("B outbound framesSent", bO.FramesSent),
			m32("C inbound framesReceived", cI.FramesReceived),
			mApp("B app marker packets", read.Frames),
			mApp("C app marker packets", atC.Frames))
		agree(t, "video key frames", uint64(videoSent.KeyFrames), "key frames A wrote",
			m32("A outbound keyFramesEncoded", aO.KeyFramesEncoded),
			m32("B inbound keyFramesDecoded", bI.KeyFramesDecoded),
			m32("B outbound keyFramesEncoded", bO.KeyFramesEncoded),
			m32("C inbound keyFramesDecoded", cI.KeyFramesDecoded),
			mApp("B app key frames", read.KeyFrames),
			mApp("C app key frames", atC.KeyFrames))
		agree(t, "video frames of several packets", read.MultiPacket, "B app",
			m32("B inbound framesAssembledFromMultiplePackets", bI.FramesAssembledFromMultiplePackets),
			m32("C inbound framesAssembledFromMultiplePackets", cI.FramesAssembledFromMultiplePackets),
			mApp("C app", atC.MultiPacket))
		agree(t, "video frameWidth", 320, "the file's width",
			m32("A outbound", aO.FrameWidth), m32("B inbound", bI.FrameWidth),
			m32("B outbound", bO.FrameWidth), m32("C inbound", cI.FrameWidth))
		agree(t, "video frameHeight", 240, "the file's height",
			m32("A outbound", aO.FrameHeight), m32("B inbound", bI.FrameHeight),
			m32("B outbound", bO.FrameHeight), m32("C inbound", cI.FrameHeight))
		if bI.FramesDecoded != nil || bO.FramesEncoded != nil || cI.FramesDecoded != nil {
			t.Error("framesDecoded/framesEncoded present: nothing is decoded or encoded here")
		}
	}

	noViolations(t, "A", ra)
	noViolations(t, "B(A)", rbIn)
	noViolations(t, "B(C)", rbOut)
	noViolations(t, "C", rc)
}
