package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/mediafile"
	"github.com/rtcstats/rtcstats/internal/peers"
)

// simLayer is one simulcast encoding: its RID and which frames of the file
// it carries (every simEvery-th), so that each layer sends a different
// number of frames and packets and a mix-up between layers shows.
type simLayer struct {
	rid   string
	every int
}

// simLayers in the order they are added to the sender (AddTrack, then
// AddEncoding twice): their encodingIndex.
var simLayers = []simLayer{{"q", 4}, {"h", 2}, {"f", 1}}

// simSent is what the application wrote on one layer.
type simSent struct {
	packets, frames, keyFrames uint64
}

// simPeer builds a PeerConnection on 127.0.0.1 monitored by f, with pion's
// default codecs and f's default interceptors (which negotiate the sdes:mid,
// rtp-stream-id and repaired-rtp-stream-id extensions for video).
func simPeer(f *rtcstats.Factory) (*webrtc.PeerConnection, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	reg, err := f.NewRegistry(m)
	if err != nil {
		return nil, err
	}
	s := webrtc.SettingEngine{}
	peers.Loopback(&s)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s))
	return api.NewPeerConnection(webrtc.Configuration{})
}

// simSignal runs one offer/answer exchange from off to ans with complete
// candidate gathering.
func simSignal(ctx context.Context, off, ans *webrtc.PeerConnection) error {
	offer, err := off.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(off)
	if err := off.SetLocalDescription(offer); err != nil {
		return err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fmt.Errorf("offerer gathering: %w", ctx.Err())
	}
	if err := ans.SetRemoteDescription(*off.LocalDescription()); err != nil {
		return err
	}
	answer, err := ans.CreateAnswer(nil)
	if err != nil {
		return err
	}
	gathered = webrtc.GatheringCompletePromise(ans)
	if err := ans.SetLocalDescription(answer); err != nil {
		return err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fmt.Errorf("answerer gathering: %w", ctx.Err())
	}
	return off.SetRemoteDescription(*ans.LocalDescription())
}

// simTrack is a TrackLocalStaticRTP that says when pion has bound it: pion
// starts the sender once DTLS is up, and until then WriteRTP drops packets
// silently (no binding), which the application could not count.
type simTrack struct {
	*webrtc.TrackLocalStaticRTP
	bound chan struct{}
	once  sync.Once
}

func newSimTrack(rid string) (*simTrack, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8},
		"video", "stream", webrtc.WithRTPStreamID(rid))
	if err != nil {
		return nil, err
	}
	return &simTrack{TrackLocalStaticRTP: t, bound: make(chan struct{})}, nil
}

func (s *simTrack) Bind(c webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	p, err := s.TrackLocalStaticRTP.Bind(c)
	if err == nil {
		s.once.Do(func() { close(s.bound) })
	}
	return p, err
}

// simReadIVF returns the frames of a VP8 IVF file.
func simReadIVF(path string) ([][]byte, error) {
	f, err := os.Open(path) //nolint:gosec // testdata
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		return nil, err
	}
	var frames [][]byte
	for {
		fr, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			return frames, nil
		}
		if err != nil {
			return nil, err
		}
		frames = append(frames, fr)
	}
}

// simSendVideo plays testdata/video.ivf once on the layers, one frame every
// interval, as a browser's simulcast encoder would: each layer its own
// packetizer (own sequence numbers, VP8 descriptors, timestamps on the
// shared 90 kHz frame clock), and every packet carrying the sdes:mid and
// rtp-stream-id header extensions, which pion v4.2.20 does not add itself
// and its receiver needs to tell the layers apart. It returns what was
// written per layer, counted here. The wall-clock interval may be shorter
// than the file's 1/30 s to keep the test short; timestamps stay at 30 fps
// (so jitter and framesPerSecond are not the file's and are not checked).
func simSendVideo(tracks []*simTrack, midID, ridID uint8, mid string, interval time.Duration) ([]simSent, error) {
	dir, err := mediafile.TestdataDir()
	if err != nil {
		return nil, err
	}
	frames, err := simReadIVF(filepath.Join(dir, mediafile.VideoFile))
	if err != nil {
		return nil, err
	}
	const frameTicks = 90000 / 30 // the file is 30 fps
	sent := make([]simSent, len(tracks))
	pz := make([]rtp.Packetizer, len(tracks))
	for k := range tracks {
		pz[k] = rtp.NewPacketizer(1200, 0, 0, &codecs.VP8Payloader{EnablePictureID: true},
			rtp.NewRandomSequencer(), 90000)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for n, fr := range frames {
		if n > 0 {
			<-tick.C
		}
		for k, tr := range tracks {
			if n%simLayers[k].every != 0 {
				pz[k].SkipSamples(frameTicks)
				continue
			}
			for _, p := range pz[k].Packetize(fr, frameTicks) {
				if err := p.Header.SetExtension(midID, []byte(mid)); err != nil {
					return nil, err
				}
				if err := p.Header.SetExtension(ridID, []byte(tr.RID())); err != nil {
					return nil, err
				}
				if err := tr.WriteRTP(p); err != nil {
					return nil, fmt.Errorf("layer %s: %w", tr.RID(), err)
				}
				sent[k].packets++
			}
			sent[k].frames++
			if mediafile.IsVP8KeyFrame(fr) {
				sent[k].keyFrames++
			}
		}
	}
	return sent, nil
}

// simRecv is what the receiving application read, per RID.
type simRecv struct {
	mu     sync.Mutex
	tracks map[string]*simRemote // by RID; audio under ""
}

type simRemote struct {
	ssrc    uint32
	trackID string
	packets uint64
}

// read counts t's packets until it ends.
func (r *simRecv) read(t *webrtc.TrackRemote) {
	rid := t.RID()
	r.mu.Lock()
	rt := &simRemote{ssrc: uint32(t.SSRC()), trackID: t.ID()}
	r.tracks[rid] = rt
	r.mu.Unlock()
	for {
		if _, _, err := t.ReadRTP(); err != nil {
			return
		}
		r.mu.Lock()
		rt.packets++
		r.mu.Unlock()
	}
}

// snapshot copies the counts.
func (r *simRecv) snapshot() map[string]simRemote {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]simRemote, len(r.tracks))
	for rid, t := range r.tracks {
		out[rid] = *t
	}
	return out
}
