package e2e

import (
	"sync"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

// The depth issue's bar: over a loopback call playing testdata/video.ivf
// (VP8, 320x240, 30 fps, a key frame every 30 frames: ffprobe -show_frames
// and testdata/README.md), each side's inbound video shows exactly the
// frames and key frames the other side's application wrote (counted by
// internal/mediafile from the IVF file, not by rtcstats) at the file's
// resolution, and so does the sender's outbound video. framesPerSecond,
// read in the middle of the call, is the file's 30 fps.
func TestFramesMatchTheFile(t *testing.T) {
	var (
		mu  sync.Mutex
		mid []report.Report
		wg  sync.WaitGroup
	)
	_, off, ans, sent := call(t, peers.Config{}, 4*time.Second, func(p *peers.Pair) {
		wg.Go(func() {
			time.Sleep(2500 * time.Millisecond)
			o, a, err := p.Stats()
			if err != nil {
				t.Errorf("stats mid-call: %v", err)
				return
			}
			mu.Lock()
			mid = append(mid, o, a)
			mu.Unlock()
		})
	})
	wg.Wait()
	offSent, ansSent := sent[0], sent[1]
	for _, c := range []struct {
		name       string
		sender     report.Report
		receiver   report.Report
		frames     int
		keyFrames  int
		midSender  int
		midReceive int
	}{
		{"offerer→answerer", off, ans, offSent.Video.Frames, offSent.Video.KeyFrames, 0, 1},
		{"answerer→offerer", ans, off, ansSent.Video.Frames, ansSent.Video.KeyFrames, 1, 0},
	} {
		if c.frames < 90 || c.keyFrames < 3 {
			t.Fatalf("%s: the application wrote %d frames, %d key frames: too few to judge", c.name, c.frames, c.keyFrames)
		}
		o := outbound(t, c.sender, "video")
		in := inboundBySSRC(t, c.receiver, o.SSRC)
		check := func(what string, got *uint32, want int) {
			t.Helper()
			if got == nil {
				t.Errorf("%s %s absent, want %d", c.name, what, want)
			} else if int(*got) != want {
				t.Errorf("%s %s = %d, want %d", c.name, what, *got, want)
			}
		}
		check("outbound framesSent", o.FramesSent, c.frames)
		check("outbound keyFramesEncoded", o.KeyFramesEncoded, c.keyFrames)
		check("outbound frameWidth", o.FrameWidth, 320)
		check("outbound frameHeight", o.FrameHeight, 240)
		check("inbound framesReceived", in.FramesReceived, c.frames)
		check("inbound keyFramesDecoded", in.KeyFramesDecoded, c.keyFrames)
		check("inbound frameWidth", in.FrameWidth, 320)
		check("inbound frameHeight", in.FrameHeight, 240)
		if in.FramesDecoded != nil || o.FramesEncoded != nil {
			t.Errorf("%s: framesDecoded/framesEncoded present: nothing is decoded or encoded here", c.name)
		}
		t.Logf("%s: %d frames (%d key), framesAssembledFromMultiplePackets %v", c.name, c.frames, c.keyFrames,
			deref(in.FramesAssembledFromMultiplePackets))

		mu.Lock()
		ms, mr := mid[c.midSender], mid[c.midReceive]
		mu.Unlock()
		mo := outbound(t, ms, "video")
		mi := inboundBySSRC(t, mr, mo.SSRC)
		for what, fps := range map[string]*float64{"outbound": mo.FramesPerSecond, "inbound": mi.FramesPerSecond} {
			if fps == nil || *fps < 27 || *fps > 33 {
				t.Errorf("%s %s framesPerSecond mid-call %v, want the file's 30 ± 3", c.name, what, deref(fps))
			}
		}
	}
	// Audio has no frame members.
	for _, r := range []report.Report{off, ans} {
		a := outbound(t, r, "audio")
		if a.FramesSent != nil || a.FrameWidth != nil {
			t.Error("audio outbound has frame members")
		}
	}
	noViolations(t, "offerer", off)
	noViolations(t, "answerer", ans)
}
