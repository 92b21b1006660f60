package peers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/rtp/codecs"
	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v4"
	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/mediafile"
	"github.com/rtcstats/rtcstats/report"
)

// Config says how to build a Pair. The zero value is usable.
type Config struct {
	// FactoryOptions are passed to rtcstats.NewFactory.
	FactoryOptions []rtcstats.Option
	// OffererNet and AnswererNet replace the peers' network stack (for
	// impairment in tests); nil means the operating system's.
	OffererNet, AnswererNet transport.Net
	// LoggerFactory for pion; nil means pion's default (errors only).
	LoggerFactory logging.LoggerFactory
	// NoMidExtension leaves the sdes:mid header extension unnegotiated.
	NoMidExtension bool
	// Setup runs on each MediaEngine and SettingEngine before the API is made.
	Setup func(m *webrtc.MediaEngine, s *webrtc.SettingEngine) error
	// UDPMux gives each peer one UDP socket on 127.0.0.1 under a pion
	// UDPMux (webrtc.NewICEUDPMux) instead of a socket per candidate; with
	// rtcstats.WithDSCP the socket is wrapped by the factory's Marker.
	UDPMux bool
	// ExtraVideoTracks adds this many more VP8 tracks to each peer before
	// it connects (Peer.ExtraVideo); SendMedia does not play on them.
	ExtraVideoTracks int
	// Interceptors adds interceptors after rtcstats (outside it: rtcstats
	// sees what they write) to each peer's registry; name is the peer's.
	Interceptors func(name string, r *interceptor.Registry) error
}

// Peer is one side of a Pair.
type Peer struct {
	Name  string                         // "offerer" or "answerer"
	PC    *webrtc.PeerConnection         // monitored by the Pair's Factory
	Audio *webrtc.TrackLocalStaticSample // Opus, sent
	Video *webrtc.TrackLocalStaticSample // VP8, sent
	// ExtraVideo are the Config.ExtraVideoTracks tracks, also sent.
	ExtraVideo []*webrtc.TrackLocalStaticSample
	// DataChannel is the channel this peer sends on.
	DataChannel *webrtc.DataChannel

	// RTPRead counts the RTP packets the application read per SSRC.
	mu      sync.Mutex
	rtpRead map[webrtc.SSRC]*atomic.Uint64
	reads   map[webrtc.SSRC][]Read
	mux     ice.UDPMux
}

// Read is one RTP packet the application read, with whether it belongs to a
// key frame as the application's own VP8 depacketizer says (pion's
// codecs.VP8Packet and RFC 6386's P bit; independent of rtcstats).
type Read struct {
	Seq       uint16 // RTP sequence number
	Timestamp uint32 // RTP timestamp
	KeyFrame  bool   // the packet is part of a VP8 key frame
}

// Pair is two connected peers and the Factory that monitors both.
type Pair struct {
	Factory  *rtcstats.Factory // monitors both peers
	Offerer  *Peer             // created the offer
	Answerer *Peer             // answered it
}

// ErrTimeout is returned when the peers do not connect in time.
var ErrTimeout = errors.New("peers: timed out")

// New builds and connects a Pair. It returns when both peers are connected,
// both data channels are open and every remote track has been announced.
func New(ctx context.Context, cfg Config) (*Pair, error) {
	f, err := rtcstats.NewFactory(cfg.FactoryOptions...)
	if err != nil {
		return nil, err
	}
	p := &Pair{Factory: f}
	if p.Offerer, err = newPeer("offerer", f, cfg, cfg.OffererNet); err != nil {
		return nil, err
	}
	if p.Answerer, err = newPeer("answerer", f, cfg, cfg.AnswererNet); err != nil {
		_ = p.Offerer.PC.Close()
		return nil, err
	}
	if err := p.connect(ctx); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

func newPeer(name string, f *rtcstats.Factory, cfg Config, n transport.Net) (*Peer, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	if !cfg.NoMidExtension {
		for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
			if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.SDESMidURI}, k); err != nil {
				return nil, err
			}
		}
	}
	reg, err := f.NewRegistry(m)
	if err != nil {
		return nil, err
	}
	if cfg.Interceptors != nil {
		if err := cfg.Interceptors(name, reg); err != nil {
			return nil, err
		}
	}
	s := webrtc.SettingEngine{}
	if cfg.LoggerFactory != nil {
		s.LoggerFactory = cfg.LoggerFactory
	}
	Loopback(&s)
	if m := f.DSCP(); m != nil {
		dn, err := f.DSCPNet(n)
		if err != nil {
			return nil, err
		}
		n = dn
	}
	if n != nil {
		s.SetNet(n)
	}
	var mux ice.UDPMux
	if cfg.UDPMux {
		if mux, err = newUDPMux(f); err != nil {
			return nil, err
		}
		s.SetICEUDPMux(mux)
	}
	if cfg.Setup != nil {
		if err := cfg.Setup(m, &s); err != nil {
			return nil, err
		}
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	peer := &Peer{Name: name, PC: pc, mux: mux, rtpRead: map[webrtc.SSRC]*atomic.Uint64{}, reads: map[webrtc.SSRC][]Read{}}
	if err := peer.addTracks(cfg.ExtraVideoTracks); err != nil {
		return nil, err
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		c := peer.counter(t.SSRC())
		vp8 := strings.EqualFold(t.Codec().MimeType, webrtc.MimeTypeVP8)
		go peer.readTrack(t, c, vp8)
	})
	return peer, nil
}

// addTracks creates the peer's audio, video and extra video tracks and adds
// them to its PeerConnection.
func (p *Peer) addTracks(extraVideo int) error {
	var err error
	p.Audio, err = webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio-"+p.Name, "stream-"+p.Name)
	if err != nil {
		return err
	}
	p.Video, err = webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video-"+p.Name, "stream-"+p.Name)
	if err != nil {
		return err
	}
	tracks := []webrtc.TrackLocal{p.Audio, p.Video}
	for k := range extraVideo {
		v, err := webrtc.NewTrackLocalStaticSample(
			webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, fmt.Sprintf("video-%s-%d", p.Name, k+1), "stream-"+p.Name)
		if err != nil {
			return err
		}
		p.ExtraVideo = append(p.ExtraVideo, v)
		tracks = append(tracks, v)
	}
	for _, t := range tracks {
		if _, err := p.PC.AddTrack(t); err != nil {
			return err
		}
	}
	return nil
}

// newUDPMux opens the one loopback socket of a peer's ICE UDP mux, wrapped
// by the Factory's DSCP Marker when there is one.
func newUDPMux(f *rtcstats.Factory) (ice.UDPMux, error) {
	var pc net.PacketConn
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	if m := f.DSCP(); m != nil {
		if pc, err = m.NewConn(pc); err != nil {
			return nil, err
		}
	}
	return webrtc.NewICEUDPMux(nil, pc), nil
}

// readTrack reads t until it ends, counting its packets in c and, for VP8,
// recording each packet's sequence number, timestamp and key-frame flag.
func (p *Peer) readTrack(t *webrtc.TrackRemote, c *atomic.Uint64, vp8 bool) {
	var frameTS uint32
	var frameKey, inFrame bool
	for {
		pkt, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		c.Add(1)
		if !vp8 {
			continue
		}
		var d codecs.VP8Packet
		body, err := d.Unmarshal(pkt.Payload)
		if err == nil && d.S == 1 && d.PID == 0 && len(body) > 0 {
			frameTS, frameKey, inFrame = pkt.Timestamp, body[0]&1 == 0, true
		}
		key := inFrame && frameKey && pkt.Timestamp == frameTS
		p.mu.Lock()
		p.reads[t.SSRC()] = append(p.reads[t.SSRC()], Read{Seq: pkt.SequenceNumber, Timestamp: pkt.Timestamp, KeyFrame: key})
		p.mu.Unlock()
	}
}

// Reads returns the VP8 packets the application read from ssrc, in order.
func (p *Peer) Reads(ssrc webrtc.SSRC) []Read {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Read(nil), p.reads[ssrc]...)
}

func (p *Peer) counter(ssrc webrtc.SSRC) *atomic.Uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.rtpRead[ssrc]
	if c == nil {
		c = &atomic.Uint64{}
		p.rtpRead[ssrc] = c
	}
	return c
}

func (p *Pair) connect(ctx context.Context) error {
	off, ans := p.Offerer, p.Answerer
	open := make(chan *webrtc.DataChannel, 2)
	dc, err := off.PC.CreateDataChannel("chat", nil)
	if err != nil {
		return err
	}
	dc.OnOpen(func() { open <- dc })
	off.DataChannel = dc
	ans.PC.OnDataChannel(func(d *webrtc.DataChannel) {
		ans.DataChannel = d
		d.OnOpen(func() { open <- d })
	})

	offer, err := off.PC.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(off.PC)
	if err := off.PC.SetLocalDescription(offer); err != nil {
		return err
	}
	if err := wait(ctx, gathered); err != nil {
		return fmt.Errorf("offerer ICE gathering: %w", err)
	}
	if err := ans.PC.SetRemoteDescription(*off.PC.LocalDescription()); err != nil {
		return err
	}
	answer, err := ans.PC.CreateAnswer(nil)
	if err != nil {
		return err
	}
	gathered = webrtc.GatheringCompletePromise(ans.PC)
	if err := ans.PC.SetLocalDescription(answer); err != nil {
		return err
	}
	if err := wait(ctx, gathered); err != nil {
		return fmt.Errorf("answerer ICE gathering: %w", err)
	}
	if err := off.PC.SetRemoteDescription(*ans.PC.LocalDescription()); err != nil {
		return err
	}
	for range 2 {
		select {
		case <-open:
		case <-ctx.Done():
			return fmt.Errorf("%w: data channels did not open: %v", ErrTimeout, ctx.Err())
		}
	}
	for _, peer := range []*Peer{off, ans} {
		if err := p.Factory.DrainRTCP(peer.PC); err != nil {
			return err
		}
	}
	return nil
}

func wait(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %v", ErrTimeout, ctx.Err())
	}
}

// Sent is what one peer's media senders wrote.
type Sent struct {
	Audio, Video mediafile.Stats // what the media senders wrote
	Messages     int             // data-channel messages sent
}

// SendMedia plays the testdata files (looped) on both peers' tracks and
// sends a data channel message every 100 ms until ctx is done. It returns
// what each peer sent.
func (p *Pair) SendMedia(ctx context.Context, opts ...mediafile.Option) (offerer, answerer Sent, err error) {
	dir, err := mediafile.TestdataDir()
	if err != nil {
		return Sent{}, Sent{}, err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	send := func(peer *Peer, out *Sent) {
		wg.Add(3)
		go func() {
			defer wg.Done()
			s, err := mediafile.SendOpus(ctx, peer.Audio, filepath.Join(dir, mediafile.AudioFile), 0, opts...)
			out.Audio = s
			if err != nil {
				errs <- fmt.Errorf("%s audio: %w", peer.Name, err)
			}
		}()
		go func() {
			defer wg.Done()
			s, err := mediafile.SendVP8(ctx, peer.Video, filepath.Join(dir, mediafile.VideoFile), 0, opts...)
			out.Video = s
			if err != nil {
				errs <- fmt.Errorf("%s video: %w", peer.Name, err)
			}
		}()
		go func() {
			defer wg.Done()
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for n := 0; ; n++ {
				select {
				case <-ctx.Done():
					out.Messages = n
					return
				case <-t.C:
				}
				if err := peer.DataChannel.SendText(fmt.Sprintf("%s says %d", peer.Name, n)); err != nil {
					out.Messages = n
					return
				}
			}
		}()
	}
	send(p.Offerer, &offerer)
	send(p.Answerer, &answerer)
	wg.Wait()
	close(errs)
	return offerer, answerer, errors.Join(collect(errs)...)
}

func collect(ch <-chan error) []error {
	var out []error
	for e := range ch {
		out = append(out, e)
	}
	return out
}

// Close closes both PeerConnections.
func (p *Pair) Close() error {
	var errs []error
	for _, peer := range []*Peer{p.Offerer, p.Answerer} {
		if peer != nil && peer.PC != nil {
			// ClosePeerConnection waits for GetStats calls in flight:
			// pion's GetStats races with its Close.
			errs = append(errs, p.Factory.ClosePeerConnection(peer.PC))
		}
		if peer != nil && peer.mux != nil {
			errs = append(errs, peer.mux.Close())
		}
	}
	return errors.Join(errs...)
}

// Stats returns both peers' reports, taken one right after the other.
func (p *Pair) Stats() (offerer, answerer report.Report, err error) {
	if offerer, err = p.Factory.GetStats(p.Offerer.PC); err != nil {
		return nil, nil, err
	}
	answerer, err = p.Factory.GetStats(p.Answerer.PC)
	return offerer, answerer, err
}

// Settle waits, after media stopped, until the last RTCP reports have
// crossed: every outbound stream's remote-inbound view covers all packets
// sent, and the receiving peer's remote-outbound view (from the last SR)
// shows every packet the sender wrote first-hand. It returns the reports
// then, or the last ones with ErrTimeout after timeout.
func (p *Pair) Settle(ctx context.Context, timeout time.Duration) (offerer, answerer report.Report, err error) {
	deadline := time.Now().Add(timeout)
	for {
		offerer, answerer, err = p.Stats()
		if err != nil {
			return nil, nil, err
		}
		if settled(offerer, answerer) && settled(answerer, offerer) {
			return offerer, answerer, nil
		}
		if time.Now().After(deadline) {
			return offerer, answerer, fmt.Errorf("%w: the last RTCP reports did not cover every packet within %v", ErrTimeout, timeout)
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// settled: a's remote-inbound views account for every packet a sent, and b's
// remote-outbound views count every packet a sent first-hand (SRs do not
// count retransmissions).
func settled(a, b report.Report) bool {
	firstHand := map[uint32]uint64{}
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](a) {
		ri, ok := lookupRemote[*report.RemoteInboundRTPStreamStats](a, o.RemoteID)
		if !ok || ri.PacketsReceived == nil || o.PacketsSent == nil || o.RetransmittedPacketsSent == nil {
			return false
		}
		sent := *o.PacketsSent - *o.RetransmittedPacketsSent
		if int64(*ri.PacketsReceived)+*ri.PacketsLost < int64(sent) {
			return false
		}
		firstHand[o.SSRC] = sent
	}
	for _, in := range report.Filter[*report.InboundRTPStreamStats](b) {
		ro, ok := lookupRemote[*report.RemoteOutboundRTPStreamStats](b, in.RemoteID)
		if !ok || ro.PacketsSent == nil || *ro.PacketsSent < firstHand[in.SSRC] {
			return false
		}
	}
	return len(firstHand) > 0
}

func lookupRemote[T report.Stats](r report.Report, id *string) (T, bool) {
	var zero T
	if id == nil {
		return zero, false
	}
	return report.Lookup[T](r, *id)
}

// RTPRead is the number of RTP packets the application read from the remote
// track with this SSRC.
func (p *Peer) RTPRead(ssrc uint32) uint64 {
	return p.counter(webrtc.SSRC(ssrc)).Load()
}

// Loopback limits a peer's ICE to UDP over IPv4 on the loopback interface,
// without mDNS: the tests, benchmarks and examples never touch another
// address.
func Loopback(s *webrtc.SettingEngine) {
	s.SetIncludeLoopbackCandidate(true)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
}
