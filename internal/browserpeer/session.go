package browserpeer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats/internal/mediafile"
	"github.com/rtcstats/rtcstats/report"
)

// Session is one call with a browser: the pion PeerConnection and what it
// sent and read.
type Session struct {
	// PC is the pion side of the call, monitored by the Server's Factory.
	PC *webrtc.PeerConnection
	// Audio and Video are the tracks pion sends the testdata on.
	Audio, Video *webrtc.TrackLocalStaticSample

	srv       *Server
	done      <-chan struct{} // closed when the call ends
	cancel    context.CancelFunc
	stopMedia context.CancelFunc
	connected chan struct{}
	connOnce  sync.Once
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	closing   bool // under mu: no goroutine starts once Close began

	messagesIn  atomic.Uint64
	messagesOut atomic.Uint64
	mu          sync.Mutex
	rtpRead     map[webrtc.SSRC]uint64
	sent        Sent
}

// Sent is what pion's senders wrote in a call so far.
type Sent struct {
	Audio, Video mediafile.Stats
}

// Connected is closed once the PeerConnection is connected.
func (s *Session) Connected() <-chan struct{} { return s.connected }

// Done is closed when the call has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Stats returns our report of this call.
func (s *Session) Stats() (report.Report, error) { return s.srv.factory.GetStats(s.PC) }

// MessagesReceived is the number of data-channel messages the browser sent
// that pion read.
func (s *Session) MessagesReceived() uint64 { return s.messagesIn.Load() }

// MessagesSent is the number of data-channel messages pion sent.
func (s *Session) MessagesSent() uint64 { return s.messagesOut.Load() }

// RTPRead is the number of RTP packets the application read from the
// browser's track with this SSRC (independent of rtcstats).
func (s *Session) RTPRead(ssrc uint32) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rtpRead[webrtc.SSRC(ssrc)]
}

// Sent returns what pion's media senders have written; set when media
// stops (StopMedia or Close).
func (s *Session) Sent() Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// StopMedia stops pion's audio and video for the rest of the call (RTCP and
// the data channel go on), so that counters can settle.
func (s *Session) StopMedia() { s.stopMedia() }

// Close ends the call: media stops, then the PeerConnection closes through
// the Factory (which waits for GetStats calls in flight).
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		s.cancel()
		s.wg.Wait()
		s.closeErr = s.srv.factory.ClosePeerConnection(s.PC)
	})
	return s.closeErr
}

// answer builds the pion side for offer and returns its answer with every
// ICE candidate in it (no trickle).
func (s *Server) answer(ctx context.Context, api *webrtc.API, offer webrtc.SessionDescription) (*Session, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	// The call outlives ctx, which bounds only the offer/answer exchange.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	mctx, stop := context.WithCancel(sctx)
	sess := &Session{
		PC: pc, srv: s, done: sctx.Done(), cancel: cancel, stopMedia: stop,
		connected: make(chan struct{}), rtpRead: map[webrtc.SSRC]uint64{},
	}
	fail := func(err error) (*Session, error) {
		_ = sess.Close()
		return nil, err
	}
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			sess.connOnce.Do(func() { close(sess.connected) })
		case webrtc.PeerConnectionStateFailed:
			// The browser went away (DisableCloseByDTLS keeps pion from
			// closing behind GetStats' back); close like any other end.
			go func() { _ = s.endSession(sess) }()
		default: // new, connecting, disconnected (it may recover), closed: nothing to do
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		sess.start(func() { sess.read(sctx, t) })
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnMessage(func(webrtc.DataChannelMessage) { sess.messagesIn.Add(1) })
		dc.OnOpen(func() { sess.start(func() { sess.chat(sctx, dc) }) })
	})
	if err := pc.SetRemoteDescription(offer); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	if sess.Audio, err = webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio-pion", "pion"); err != nil {
		return fail(err)
	}
	if sess.Video, err = webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video-pion", "pion"); err != nil {
		return fail(err)
	}
	// AddTrack takes over the transceivers the offer made, so the browser's
	// sendrecv m-lines carry pion's media back.
	for _, t := range []webrtc.TrackLocal{sess.Audio, sess.Video} {
		if _, err := pc.AddTrack(t); err != nil {
			return fail(err)
		}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fail(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(fmt.Errorf("ICE gathering: %w", ctx.Err()))
	}
	// Incoming RTCP reaches rtcstats only while someone reads it; this
	// also tells the DSCP marker which track each SSRC carries.
	if err := s.factory.DrainRTCP(pc); err != nil {
		return fail(err)
	}
	sess.start(func() { sess.play(mctx) })
	return sess, nil
}

// start runs f in a goroutine that Close waits for, unless Close has begun
// (pion's callbacks may still fire then).
func (s *Session) start(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.wg.Go(f)
}

// read reads one remote track until ctx, the call's, ends: inbound RTP is
// observed as the application reads it.
func (s *Session) read(ctx context.Context, t *webrtc.TrackRemote) {
	go func() { // ReadRTP has no context; the track ends when pc closes
		<-ctx.Done()
		_ = t.SetReadDeadline(time.Now())
	}()
	for {
		if _, _, err := t.ReadRTP(); err != nil {
			return
		}
		s.mu.Lock()
		s.rtpRead[t.SSRC()]++
		s.mu.Unlock()
	}
}

// play sends the testdata, looped, from connection until ctx ends (with the
// call or StopMedia).
func (s *Session) play(ctx context.Context) {
	select {
	case <-s.connected:
	case <-ctx.Done():
		return
	}
	var wg sync.WaitGroup
	send := func(f func(context.Context, mediafile.SampleWriter, string, int, ...mediafile.Option) (mediafile.Stats, error),
		w mediafile.SampleWriter, name string, out *mediafile.Stats,
	) {
		defer wg.Done()
		st, err := f(ctx, w, filepath.Join(s.srv.mediaDir, name), 0)
		if err != nil && !errors.Is(err, context.Canceled) {
			s.srv.log.Warnf("sending %s: %v", name, err)
		}
		s.mu.Lock()
		*out = st
		s.mu.Unlock()
	}
	wg.Add(2)
	go send(mediafile.SendOpus, s.Audio, mediafile.AudioFile, &s.sent.Audio)
	go send(mediafile.SendVP8, s.Video, mediafile.VideoFile, &s.sent.Video)
	wg.Wait()
}

// chat sends one message a second on the browser's data channel until ctx,
// the call's, ends.
func (s *Session) chat(ctx context.Context, dc *webrtc.DataChannel) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := dc.SendText(fmt.Sprintf("pion says %d", n)); err != nil {
			return
		}
		s.messagesOut.Add(1)
	}
}
