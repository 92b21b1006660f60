package e2e

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

const (
	audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
	csrcLevelURI  = "urn:ietf:params:rtp-hdrext:csrc-audio-level"
)

// mixerStamp is a test interceptor on the offerer, outside rtcstats: it
// makes the offerer's audio look like a mixer's. Each packet gets an RFC
// 6464 level from a fixed pattern (with the V bit on even sequence
// numbers), the CSRC list [0x1111, 0x2222] and RFC 6465 levels for them.
// It records what it wrote.
type mixerStamp struct {
	interceptor.NoOp
	mu      sync.Mutex
	written []stamped
}

type stamped struct {
	seq        uint16
	level      uint8
	voice      bool
	csrcLevels [2]uint8
}

func stampLevel(seq uint16) (level uint8, voice bool) {
	return uint8((uint32(seq) * 7) % 128), seq%2 == 0
}

func (m *mixerStamp) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	var levelID, csrcID uint8
	for _, e := range info.RTPHeaderExtensions {
		switch e.URI {
		case audioLevelURI:
			levelID = uint8(e.ID)
		case csrcLevelURI:
			csrcID = uint8(e.ID)
		}
	}
	if levelID == 0 || csrcID == 0 {
		return w
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if h.SSRC == info.SSRC {
			level, voice := stampLevel(h.SequenceNumber)
			b := level
			if voice {
				b |= 0x80
			}
			cl := [2]uint8{level / 2, 127}
			hh := h.Clone()
			hh.CSRC = []uint32{0x1111, 0x2222}
			if err := hh.SetExtension(levelID, []byte{b}); err != nil {
				return 0, err
			}
			if err := hh.SetExtension(csrcID, cl[:]); err != nil {
				return 0, err
			}
			m.mu.Lock()
			m.written = append(m.written, stamped{seq: h.SequenceNumber, level: level, voice: voice, csrcLevels: cl})
			m.mu.Unlock()
			return w.Write(&hh, payload, a)
		}
		return w.Write(h, payload, a)
	})
}

type mixerFactory struct{ m *mixerStamp }

func (f mixerFactory) NewInterceptor(string) (interceptor.Interceptor, error) { return f.m, nil }

// Audio levels (RFC 6464), the media source they describe, and
// contributing sources (CSRC list, RFC 6465), checked against what the
// stamping interceptor wrote: the spec's formulas worked here from the
// written levels and the file's packet durations (internal/mediafile,
// 20 ms Opus frames), not from rtcstats' code.
func TestAudioLevelsMediaSourceAndCSRCs(t *testing.T) {
	stamp := &mixerStamp{}
	cfg := peers.Config{
		Setup: func(m *webrtc.MediaEngine, _ *webrtc.SettingEngine) error {
			for _, uri := range []string{audioLevelURI, csrcLevelURI} {
				if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeAudio); err != nil {
					return err
				}
			}
			return nil
		},
		Interceptors: func(name string, r *interceptor.Registry) error {
			if name == "offerer" {
				r.Add(mixerFactory{stamp})
			}
			return nil
		},
	}
	pair, off, ans, sent := call(t, cfg, 3*time.Second)
	offSent := sent[0]
	stamp.mu.Lock()
	written := append([]stamped(nil), stamp.written...)
	stamp.mu.Unlock()
	if len(written) < 100 {
		t.Fatalf("only %d stamped audio packets", len(written))
	}
	// The file's Opus packets are 20 ms each: the sum of durations the
	// sender played over the packets it wrote.
	dur := offSent.Audio.Duration.Seconds() / float64(offSent.Audio.Frames)
	if math.Abs(dur-0.020) > 1e-9 {
		t.Fatalf("mean Opus packet %v s, want 20 ms", dur)
	}
	lin := func(l uint8) float64 {
		if l == 127 {
			return 0
		}
		return math.Pow(10, -float64(l)/20)
	}
	var energy float64
	for _, w := range written {
		energy += lin(w.level) * lin(w.level) * dur
	}
	duration := float64(len(written)) * dur
	var recent float64 // audioLevel: RMS over the newest 100 ms = 5 packets
	for _, w := range written[len(written)-5:] {
		recent += lin(w.level) * lin(w.level)
	}
	wantLevel := math.Sqrt(recent / 5)
	last := written[len(written)-1]

	near := func(what string, got *float64, want float64) {
		t.Helper()
		if got == nil {
			t.Errorf("%s absent, want %.6g", what, want)
		} else if math.Abs(*got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.9g, want %.9g", what, *got, want)
		}
	}
	// Receiver (answerer): every written packet arrived (loopback).
	o := outbound(t, off, "audio")
	in := inboundBySSRC(t, ans, o.SSRC)
	if *in.PacketsReceived != uint64(len(written)) {
		t.Fatalf("answerer received %d audio packets, %d were stamped", *in.PacketsReceived, len(written))
	}
	near("inbound totalAudioEnergy", in.TotalAudioEnergy, energy)
	near("inbound totalSamplesDuration", in.TotalSamplesDuration, duration)
	near("inbound audioLevel", in.AudioLevel, wantLevel)
	if in.VoiceActivityFlag == nil || *in.VoiceActivityFlag != last.voice {
		t.Errorf("inbound voiceActivityFlag %v, want %v (the last packet's V bit)", deref(in.VoiceActivityFlag), last.voice)
	}
	// Sender (offerer): its media source, from the same packets.
	if o.MediaSourceID == nil {
		t.Fatal("outbound audio has no mediaSourceId")
	}
	src, ok := report.Lookup[*report.AudioSourceStats](off, *o.MediaSourceID)
	if !ok {
		t.Fatalf("mediaSourceId %s is not an audio media-source", *o.MediaSourceID)
	}
	if src.TrackIdentifier != pair.Offerer.Audio.ID() {
		t.Errorf("media-source trackIdentifier %q, want the sender's track %q", src.TrackIdentifier, pair.Offerer.Audio.ID())
	}
	near("media-source totalAudioEnergy", src.TotalAudioEnergy, energy)
	near("media-source totalSamplesDuration", src.TotalSamplesDuration, duration)
	near("media-source audioLevel", src.AudioLevel, wantLevel)

	// Contributing sources: both CSRCs in every packet; levels of the last.
	csrcs := report.Filter[*report.ContributingSourceStats](ans)
	if len(csrcs) != 2 {
		t.Fatalf("%d csrc objects, want 2", len(csrcs))
	}
	for _, c := range csrcs {
		if c.InboundRTPStreamID != in.ID {
			t.Errorf("csrc %s inboundRtpStreamId %s, want %s", c.ID, c.InboundRTPStreamID, in.ID)
		}
		if c.PacketsContributedTo == nil || int(*c.PacketsContributedTo) != len(written) {
			t.Errorf("csrc %#x packetsContributedTo %v, want %d", c.ContributorSSRC, deref(c.PacketsContributedTo), len(written))
		}
		want := lin(last.csrcLevels[0])
		if c.ContributorSSRC == 0x2222 {
			want = 0 // level 127: silence
		}
		near("csrc audioLevel", c.AudioLevel, want)
	}
	// The video source: the file's size and frames.
	ov := outbound(t, off, "video")
	vs, ok := report.Lookup[*report.VideoSourceStats](off, deref2(ov.MediaSourceID))
	if !ok || vs.Width == nil || *vs.Width != 320 || *vs.Height != 240 || vs.Frames == nil || int(*vs.Frames) != offSent.Video.Frames {
		t.Errorf("video media-source %+v, want 320x240 and %d frames", vs, offSent.Video.Frames)
	}
	noViolations(t, "offerer", off)
	noViolations(t, "answerer", ans)
}

func deref2(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
