package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/peers"
)

// e2ePair is two PeerConnections in this process connected over UDP on
// 127.0.0.1, each sending the other `tracks` VP8 tracks, with one stats
// implementation (kind: "rtcstats", "pion" or "none") registered first in
// both registries, followed by pion's defaults minus its stats interceptor:
// NACK generator and responder, RTCP reports, simulcast header extensions,
// TWCC (what rtcstats.Factory.RegisterDefaults adds). It is built here
// rather than with internal/peers, whose registry always holds rtcstats.
type e2ePair struct {
	kind     string
	factory  *rtcstats.Factory // kind rtcstats
	off, ans *e2ePeer
}

type e2ePeer struct {
	pc     *webrtc.PeerConnection
	tracks []*webrtc.TrackLocalStaticRTP
	read   atomic.Int64 // RTP packets the application read, all tracks
	seq    []uint32     // next packet number per track
}

func newE2EPair(ctx context.Context, kind string, tracks int) (*e2ePair, error) {
	p := &e2ePair{kind: kind}
	if kind == "rtcstats" {
		f, err := rtcstats.NewFactory()
		if err != nil {
			return nil, err
		}
		p.factory = f
	}
	var err error
	if p.off, err = p.newPeer("offerer", tracks); err != nil {
		return nil, err
	}
	if p.ans, err = p.newPeer("answerer", tracks); err != nil {
		_ = p.off.pc.Close()
		return nil, err
	}
	if err := p.connect(ctx); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *e2ePair) newPeer(name string, tracks int) (*e2ePeer, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	switch p.kind {
	case "rtcstats":
		reg.Add(p.factory)
	case "pion":
		// As pion's own RegisterDefaultInterceptors does it (the getter
		// PeerConnection.GetStats reads), but first in the chain like rtcstats.
		if err := webrtc.ConfigureStatsInterceptor(reg); err != nil {
			return nil, err
		}
	}
	if err := webrtc.ConfigureNack(m, reg); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCSender(m, reg); err != nil {
		return nil, err
	}
	s := webrtc.SettingEngine{}
	peers.Loopback(&s)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	peer := &e2ePeer{pc: pc, seq: make([]uint32, tracks)}
	for k := range tracks {
		t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8},
			fmt.Sprintf("video-%s-%d", name, k), "stream-"+name)
		if err != nil {
			return nil, err
		}
		if _, err := pc.AddTrack(t); err != nil {
			return nil, err
		}
		peer.tracks = append(peer.tracks, t)
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		go func() {
			buf := make([]byte, 1500)
			for {
				if _, _, err := t.Read(buf); err != nil {
					return
				}
				peer.read.Add(1)
			}
		}()
	})
	return peer, nil
}

func (p *e2ePair) connect(ctx context.Context) error {
	connected := func(pc *webrtc.PeerConnection) <-chan struct{} {
		ch := make(chan struct{})
		var once sync.Once
		pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
			if s == webrtc.PeerConnectionStateConnected {
				once.Do(func() { close(ch) })
			}
		})
		return ch
	}
	offUp, ansUp := connected(p.off.pc), connected(p.ans.pc)
	offer, err := p.off.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(p.off.pc)
	if err := p.off.pc.SetLocalDescription(offer); err != nil {
		return err
	}
	<-gathered
	if err := p.ans.pc.SetRemoteDescription(*p.off.pc.LocalDescription()); err != nil {
		return err
	}
	answer, err := p.ans.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	gathered = webrtc.GatheringCompletePromise(p.ans.pc)
	if err := p.ans.pc.SetLocalDescription(answer); err != nil {
		return err
	}
	<-gathered
	if err := p.off.pc.SetRemoteDescription(*p.ans.pc.LocalDescription()); err != nil {
		return err
	}
	for _, ch := range []<-chan struct{}{offUp, ansUp} {
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("peers did not connect: %w", ctx.Err())
		}
	}
	// Incoming RTCP reaches the interceptors only while it is read; read
	// it the same way for every kind (this is what rtcstats.DrainRTCP does).
	for _, peer := range []*e2ePeer{p.off, p.ans} {
		for _, s := range peer.pc.GetSenders() {
			go drainRTCP(s.Read)
		}
		for _, r := range peer.pc.GetReceivers() {
			go drainRTCP(r.Read)
		}
	}
	return nil
}

func drainRTCP(read func([]byte) (int, interceptor.Attributes, error)) {
	b := make([]byte, 1500)
	for {
		if _, _, err := read(b); err != nil {
			return
		}
	}
}

func (p *e2ePair) close() {
	for _, peer := range []*e2ePeer{p.off, p.ans} {
		if peer != nil {
			_ = peer.pc.Close()
		}
	}
}

// send writes perTrack packets on every track of both peers, paced at
// about pps packets per second per peer, 1200-byte VP8-ish payloads.
func (p *e2ePair) send(pk *packets, perTrack, pps int) error {
	const tick = time.Millisecond
	perTick := max(1, pps/1000)
	t := time.NewTicker(tick)
	defer t.Stop()
	total := perTrack * len(p.off.tracks)
	for sent := 0; sent < total; {
		for range perTick {
			if sent == total {
				break
			}
			for _, peer := range []*e2ePeer{p.off, p.ans} {
				k := sent % len(peer.tracks)
				n := peer.seq[k]
				peer.seq[k]++
				pkt := &rtp.Packet{Header: pk.headers[n%ringLen], Payload: pk.payloads[n%ringLen]}
				pkt.SequenceNumber = uint16(n)
				pkt.Timestamp = n / pktsPerFrame * tsPerFrame
				if err := peer.tracks[k].WriteRTP(pkt); err != nil && !errors.Is(err, net.ErrClosed) {
					return err
				}
			}
			sent++
		}
		<-t.C
	}
	return nil
}

// waitRead waits until each peer has read at least want packets.
func (p *e2ePair) waitRead(ctx context.Context, want int64) error {
	for p.off.read.Load() < want || p.ans.read.Load() < want {
		select {
		case <-ctx.Done():
			return fmt.Errorf("read %d and %d of %d packets: %w", p.off.read.Load(), p.ans.read.Load(), want, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// benchPair builds a connected pair with tracks tracks per direction for a
// benchmark, sends a few packets on every track so that every stream has
// counters and jitter, and waits for pion's first RTCP reports (1 s interval)
// so that the remote objects and RTTs exist. Closed when the benchmark ends.
func benchPair(b *testing.B, kind string, tracks int) *e2ePair {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := newE2EPair(ctx, kind, tracks)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.close)
	const perTrack = 5
	if err := p.send(newPackets(b, 0, false), perTrack, 5000); err != nil {
		b.Fatal(err)
	}
	// Wait until the reads stop. On a loaded machine UDP on loopback drops
	// some of the first packets to 1000 new tracks; the streams are bound
	// (and reported) all the same, and the objects metric shows how many.
	want := int64(2 * perTrack * tracks)
	for last := int64(-1); ; {
		n := p.off.read.Load() + p.ans.read.Load()
		if n >= want || n == last {
			if n < want/4 {
				b.Fatalf("only %d of %d packets arrived", n, want)
			}
			break
		}
		last = n
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	return p
}

// BenchmarkGetStatsPC is the whole GetStats of a real, connected
// PeerConnection that sends N and receives N video tracks (N transceivers,
// one BUNDLE transport): rtcstats' Factory.GetStats(pc), against pion's
// PeerConnection.GetStats() with pion's stats interceptor registered (which
// is how pion reports inbound-rtp). Each sub-benchmark builds its own pair
// (about 3 s for 1000 tracks) and closes it; a pair's own background work
// (RTCP reports, TWCC feedback, ICE keepalives) runs during the measurement,
// alike for both.
//
// tracks=N is N tracks each way: 2N RTP streams, each with its remote
// object, plus media sources, codecs and pion's objects.
func BenchmarkGetStatsPC(b *testing.B) {
	for _, n := range []int{1, 100, 500, 1000} {
		b.Run(fmt.Sprintf("tracks=%d", n), func(b *testing.B) {
			for _, kind := range []string{"pion", "rtcstats"} {
				b.Run("impl="+kind, func(b *testing.B) {
					p := benchPair(b, kind, n)
					pc := p.off.pc
					get := func() int { return len(pc.GetStats()) }
					if kind == "rtcstats" {
						get = func() int {
							r, err := p.factory.GetStats(pc)
							if err != nil {
								b.Fatal(err)
							}
							return len(r)
						}
					}
					objects := get()
					b.ReportAllocs()
					for b.Loop() {
						get()
					}
					b.ReportMetric(float64(objects), "objects")
					if kind == "rtcstats" {
						reportPionShare(b, pc)
					}
				})
			}
		})
	}
}
