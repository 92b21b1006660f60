package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

// sfuPeer is one PeerConnection of the SFU test and the Factory monitoring
// it: A and C have one each, as separate processes would; the relay's two
// PeerConnections share one, as an SFU process would.
type sfuPeer struct {
	name string
	f    *rtcstats.Factory
	pc   *webrtc.PeerConnection
}

// newSFUPeer builds a loopback-only PeerConnection with pion's default
// codecs and f's default registry (a new Factory when f is nil); it is
// closed when the test ends.
func newSFUPeer(t *testing.T, name string, f *rtcstats.Factory) *sfuPeer {
	t.Helper()
	if f == nil {
		var err error
		if f, err = rtcstats.NewFactory(); err != nil {
			t.Fatal(err)
		}
	}
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg, err := f.NewRegistry(m)
	if err != nil {
		t.Fatal(err)
	}
	s := webrtc.SettingEngine{}
	peers.Loopback(&s)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	p := &sfuPeer{name: name, f: f, pc: pc}
	t.Cleanup(func() {
		if err := f.ClosePeerConnection(pc); err != nil {
			t.Errorf("close %s: %v", name, err)
		}
	})
	return p
}

func (p *sfuPeer) stats(t *testing.T) report.Report {
	t.Helper()
	r, err := p.f.GetStats(p.pc)
	if err != nil {
		t.Fatalf("%s GetStats: %v", p.name, err)
	}
	return r
}

// sfuConnect negotiates off → ans (complete ICE gathering, no trickle),
// waits until both are connected and then drains the RTCP of every sender
// and receiver: no application here reads RTCP itself.
func sfuConnect(ctx context.Context, off, ans *sfuPeer) error {
	connected := make(chan string, 2)
	for _, p := range []*sfuPeer{off, ans} {
		var once sync.Once
		p.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
			if s == webrtc.PeerConnectionStateConnected {
				once.Do(func() { connected <- p.name })
			}
		})
	}
	offer, err := off.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(off.pc)
	if err := off.pc.SetLocalDescription(offer); err != nil {
		return err
	}
	if err := sfuWait(ctx, gathered); err != nil {
		return fmt.Errorf("%s gathering: %w", off.name, err)
	}
	if err := ans.pc.SetRemoteDescription(*off.pc.LocalDescription()); err != nil {
		return err
	}
	answer, err := ans.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	gathered = webrtc.GatheringCompletePromise(ans.pc)
	if err := ans.pc.SetLocalDescription(answer); err != nil {
		return err
	}
	if err := sfuWait(ctx, gathered); err != nil {
		return fmt.Errorf("%s gathering: %w", ans.name, err)
	}
	if err := off.pc.SetRemoteDescription(*ans.pc.LocalDescription()); err != nil {
		return err
	}
	for range 2 {
		select {
		case <-connected:
		case <-ctx.Done():
			return fmt.Errorf("%s ↔ %s did not connect: %w", off.name, ans.name, ctx.Err())
		}
	}
	for _, p := range []*sfuPeer{off, ans} {
		if err := p.f.DrainRTCP(p.pc); err != nil {
			return err
		}
	}
	return nil
}

func sfuWait(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// appCount is what an application counted of the RTP packets of one track,
// from the packets themselves (pion's rtp and VP8 depacketizer, not
// rtcstats).
type appCount struct {
	Packets      uint64 // packets
	PayloadBytes uint64 // RTP payload octets, padding excluded (RFC 3550 §6.4.1)
	HeaderBytes  uint64 // RTP header with CSRCs and extensions, plus padding
	Extensions   uint64 // packets carrying a header extension
	Padded       uint64 // packets carrying padding
	// Video only.
	Frames      uint64 // packets with the marker bit: the last of each frame (RFC 7741 §4.1)
	KeyFrames   uint64 // first packets (S=1, PID=0) of frames whose P bit is 0 (RFC 6386 §9.1)
	MultiPacket uint64 // frames of more than one packet (packets arrive in order on loopback)
	VP8Bytes    uint64 // VP8 frame bytes after the payload descriptor

	inFrame uint64 // packets since the last marker
}

// appCounter is an appCount safe for the track reader and the test.
type appCounter struct {
	mu sync.Mutex
	c  appCount
}

func (a *appCounter) add(p *rtp.Packet, video bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.c.Packets++
	a.c.PayloadBytes += uint64(len(p.Payload))
	a.c.HeaderBytes += uint64(p.Header.MarshalSize()) + uint64(p.PaddingSize)
	if p.Extension {
		a.c.Extensions++
	}
	if p.Padding {
		a.c.Padded++
	}
	if !video {
		return
	}
	a.c.inFrame++
	if p.Marker {
		a.c.Frames++
		if a.c.inFrame > 1 {
			a.c.MultiPacket++
		}
		a.c.inFrame = 0
	}
	var d codecs.VP8Packet
	body, err := d.Unmarshal(p.Payload)
	if err != nil {
		return
	}
	a.c.VP8Bytes += uint64(len(body))
	if d.S == 1 && d.PID == 0 && len(body) > 0 && body[0]&1 == 0 {
		a.c.KeyFrames++
	}
}

func (a *appCounter) get() appCount {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.c
}

// sfuKinds names the two tracks A sends by their kindIndex.
func sfuKinds() [sfuKindCount]string { return [sfuKindCount]string{"audio", "video"} }

// sfuKindCount is how many kinds sfuKinds names.
const sfuKindCount = 2

// relayCounts is what the relay's application counted per kind: packets it
// read from A, packets it forwarded to C, and writes that failed.
type relayCounts struct {
	read, forwarded [2]appCounter
	mu              sync.Mutex
	failed          [2]uint64
	firstErr        error
}

func (r *relayCounts) fail(k int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed[k]++
	if r.firstErr == nil {
		r.firstErr = err
	}
}

func (r *relayCounts) failures() ([2]uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed, r.firstErr
}

func kindIndex(k webrtc.RTPCodecType) int {
	if k == webrtc.RTPCodecTypeVideo {
		return 1
	}
	return 0
}

// relay reads every packet of t and writes it unchanged to out: payload,
// marker, timestamp, sequence number and header extensions as received.
// TrackLocalStaticRTP puts in the SSRC and payload type of the B → C leg.
func relay(t *webrtc.TrackRemote, out *webrtc.TrackLocalStaticRTP, c *relayCounts) {
	k := kindIndex(t.Kind())
	video := k == 1
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		c.read[k].add(p, video)
		if err := out.WriteRTP(p); err != nil {
			c.fail(k, err)
			continue
		}
		c.forwarded[k].add(p, video)
	}
}

// sink reads every packet of t, counting it in c.
func sink(t *webrtc.TrackRemote, c *[2]appCounter) {
	k := kindIndex(t.Kind())
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		c[k].add(p, k == 1)
	}
}

// sfuLegSettled says whether the last RTCP of the leg snd → rcv has crossed:
// snd's remote-inbound views (from rcv's RRs) account for every packet snd
// sent, and rcv's remote-outbound views (from snd's SRs) count them all.
func sfuLegSettled(snd, rcv report.Report) bool {
	sent := map[uint32]uint64{}
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](snd) {
		if o.RemoteID == nil || o.PacketsSent == nil {
			return false
		}
		ri, ok := report.Lookup[*report.RemoteInboundRTPStreamStats](snd, *o.RemoteID)
		if !ok || ri.PacketsReceived == nil || ri.PacketsLost == nil ||
			int64(*ri.PacketsReceived)+*ri.PacketsLost < int64(*o.PacketsSent) {
			return false
		}
		sent[o.SSRC] = *o.PacketsSent
	}
	for _, in := range report.Filter[*report.InboundRTPStreamStats](rcv) {
		if in.RemoteID == nil {
			return false
		}
		ro, ok := report.Lookup[*report.RemoteOutboundRTPStreamStats](rcv, *in.RemoteID)
		if !ok || ro.PacketsSent == nil || *ro.PacketsSent < sent[in.SSRC] {
			return false
		}
	}
	return len(sent) == sfuKindCount
}

// sfuOutbound returns the outbound-rtp of kind in r, or nil.
func sfuOutbound(r report.Report, kind string) *report.OutboundRTPStreamStats {
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](r) {
		if o.Kind == kind {
			return o
		}
	}
	return nil
}

// sfuInbound returns the inbound-rtp of kind in r, or nil.
func sfuInbound(r report.Report, kind string) *report.InboundRTPStreamStats {
	for _, in := range report.Filter[*report.InboundRTPStreamStats](r) {
		if in.Kind == kind {
			return in
		}
	}
	return nil
}

// member is one stats member in a chain of values that must agree; nil
// when absent.
type member struct {
	name string
	v    *uint64
}

func m64(name string, v *uint64) member { return member{name, v} }

func m32(name string, v *uint32) member {
	if v == nil {
		return member{name, nil}
	}
	w := uint64(*v)
	return member{name, &w}
}

// mLost converts a packetsLost; a negative count shows as a huge number,
// which no expectation here matches.
func mLost(name string, v *int64) member {
	if v == nil {
		return member{name, nil}
	}
	w := uint64(*v) //nolint:gosec // see above
	return member{name, &w}
}

func mApp(name string, v uint64) member { return member{name, &v} }

// agree fails the test for every member that is absent or differs from
// want, the independently counted value, and logs the chain.
func agree(t *testing.T, tag string, want uint64, wantName string, ms ...member) {
	t.Helper()
	line := fmt.Sprintf("%s: %s %d", tag, wantName, want)
	for _, m := range ms {
		if m.v == nil {
			t.Errorf("%s: %s absent, want %d (%s)", tag, m.name, want, wantName)
			line += fmt.Sprintf(", %s absent", m.name)
			continue
		}
		if *m.v != want {
			t.Errorf("%s: %s = %d, want %d (%s)", tag, m.name, *m.v, want, wantName)
		}
		line += fmt.Sprintf(", %s %d", m.name, *m.v)
	}
	t.Log(line)
}
