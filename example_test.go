package rtcstats_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/dscp"
	"github.com/rtcstats/rtcstats/report"
)

// newPeer builds a PeerConnection monitored by stats, with rtcstats first
// in its interceptor registry and ICE kept on 127.0.0.1.
func newPeer(stats *rtcstats.Factory) (*webrtc.PeerConnection, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	reg, err := stats.NewRegistry(m) // rtcstats first, then pion's defaults
	if err != nil {
		return nil, err
	}
	s := webrtc.SettingEngine{}
	s.SetIncludeLoopbackCandidate(true)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetInterfaceFilter(func(name string) bool { return strings.HasPrefix(name, "lo") })
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if stats.DSCP() != nil {
		n, err := stats.DSCPNet(nil) // mark and count at the sockets
		if err != nil {
			return nil, err
		}
		s.SetNet(n)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s))
	return api.NewPeerConnection(webrtc.Configuration{})
}

// connect runs the offer/answer exchange between two local peers.
func connect(offerer, answerer *webrtc.PeerConnection) error {
	offer, err := offerer.CreateOffer(nil)
	if err != nil {
		return err
	}
	done := webrtc.GatheringCompletePromise(offerer)
	if err := offerer.SetLocalDescription(offer); err != nil {
		return err
	}
	<-done
	if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
		return err
	}
	answer, err := answerer.CreateAnswer(nil)
	if err != nil {
		return err
	}
	done = webrtc.GatheringCompletePromise(answerer)
	if err := answerer.SetLocalDescription(answer); err != nil {
		return err
	}
	<-done
	return offerer.SetRemoteDescription(*answerer.LocalDescription())
}

// Two PeerConnections on 127.0.0.1, one factory monitoring both: the
// offerer sends 50 Opus packets, the answerer reads them, and GetStats
// shows both sides of the stream with the RFC 8837 mark it went out with.
func ExampleFactory_GetStats() {
	stats, err := rtcstats.NewFactory(rtcstats.WithDSCP(
		dscp.WithKindPriority(dscp.KindAudio, dscp.PriorityHigh), // EF
	))
	if err != nil {
		fmt.Println(err)
		return
	}
	offerer, err := newPeer(stats)
	if err != nil {
		fmt.Println(err)
		return
	}
	answerer, err := newPeer(stats)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = stats.ClosePeerConnection(offerer) }()
	defer func() { _ = stats.ClosePeerConnection(answerer) }()

	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "mic", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := offerer.AddTrack(track); err != nil {
		fmt.Println(err)
		return
	}
	// Inbound RTP is measured as the application reads it.
	answerer.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := t.ReadRTP(); err != nil {
				return
			}
		}
	})
	connected := make(chan struct{})
	offerer.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			close(connected)
		}
	})
	if err := connect(offerer, answerer); err != nil {
		fmt.Println(err)
		return
	}
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		fmt.Println("not connected")
		return
	}
	// Keep the RTCP flowing: remote-inbound/-outbound views and RTTs are
	// made of it.
	_ = stats.DrainRTCP(offerer)
	_ = stats.DrainRTCP(answerer)

	for range 50 {
		// An Opus packet of silence every 20 ms.
		if err := track.WriteSample(media.Sample{Data: []byte{0xf8, 0xff, 0xfe}, Duration: 20 * time.Millisecond}); err != nil {
			fmt.Println(err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Wait until the answerer has read them all.
	var in *report.InboundRTPStreamStats
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r, err := stats.GetStats(answerer)
		if err != nil {
			fmt.Println(err)
			return
		}
		if ins := report.Filter[*report.InboundRTPStreamStats](r); len(ins) == 1 && *ins[0].PacketsReceived == 50 {
			in = ins[0]
			break
		}
	}
	r, err := stats.GetStats(offerer)
	if err != nil {
		fmt.Println(err)
		return
	}
	out := report.Filter[*report.OutboundRTPStreamStats](r)[0]
	fmt.Println("offerer:", out.Kind, "packets sent", *out.PacketsSent, "per DSCP", out.PerDSCPPacketsSent)
	if in != nil {
		fmt.Println("answerer:", in.Kind, "packets received", *in.PacketsReceived, "lost", *in.PacketsLost,
			"per DSCP", in.PerDSCPPacketsReceived, "same SSRC", in.SSRC == out.SSRC)
	}
	fmt.Println("violations:", len(r.Validate()))
	// Output:
	// offerer: audio packets sent 50 per DSCP map[46:50]
	// answerer: audio packets received 50 lost 0 per DSCP map[46:50] same SSRC true
	// violations: 0
}

// NewFactory validates its options up front; every error wraps a sentinel.
func ExampleNewFactory() {
	stats, err := rtcstats.NewFactory(
		rtcstats.WithMaxStreams(64), // streams measured per PeerConnection and direction
	)
	fmt.Println(stats != nil, err)

	_, err = rtcstats.NewFactory(rtcstats.WithMaxStreams(0))
	fmt.Println(errors.Is(err, rtcstats.ErrInvalidOption))

	_, err = stats.GetStats(nil)
	fmt.Println(errors.Is(err, rtcstats.ErrNilArgument))

	plain, _ := webrtc.NewPeerConnection(webrtc.Configuration{}) // not built with stats' registry
	defer func() { _ = plain.Close() }()
	_, err = stats.GetStats(plain)
	fmt.Println(errors.Is(err, rtcstats.ErrUnknownPeerConnection))
	// Output:
	// true <nil>
	// true
	// true
	// true
}

// WithDSCP takes package dscp's options: the RFC 8837 policy the factory's
// Marker applies at the sockets DSCPNet (or Marker.NewConn) gives pion.
// Without it the DSCP members stay absent and DSCPNet says why.
func ExampleWithDSCP() {
	stats, err := rtcstats.NewFactory(rtcstats.WithDSCP(
		dscp.WithKindPriority(dscp.KindAudio, dscp.PriorityHigh),   // EF
		dscp.WithKindPriority(dscp.KindVideo, dscp.PriorityMedium), // AF42 key frames, AF43 others
		dscp.WithTrackPriority("screen", dscp.PriorityHigh),        // AF41 / AF42
		dscp.WithDataChannelPriority(dscp.PriorityLow),             // DF
	))
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := stats.DSCPNet(nil); err != nil { // for webrtc.SettingEngine.SetNet
		fmt.Println(err)
		return
	}
	fmt.Println("data channels:", stats.DSCP().DataCodePoint())
	// Policies change at run time, from the next packet on.
	_ = stats.DSCP().SetDataChannelPriority("chat", dscp.PriorityMedium)
	fmt.Println("data channels:", stats.DSCP().DataCodePoint())

	plain, _ := rtcstats.NewFactory()
	_, err = plain.DSCPNet(nil)
	fmt.Println(plain.DSCP() == nil, errors.Is(err, rtcstats.ErrDSCPDisabled))

	_, err = rtcstats.NewFactory(rtcstats.WithDSCP(dscp.WithKindPriority(dscp.KindAudio, dscp.Priority(7))))
	fmt.Println(errors.Is(err, dscp.ErrInvalidOption) || errors.Is(err, dscp.ErrInvalidPriority))
	// Output:
	// data channels: DF
	// data channels: AF11
	// true true
	// true
}

// A report has the browser's getStats() shape: json.Marshal gives what
// JSON.stringify(Object.fromEntries(await pc.getStats())) gives.
func ExampleFactory_GetStats_json() {
	stats, _ := rtcstats.NewFactory()
	pc, err := newPeer(stats)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = stats.ClosePeerConnection(pc) }()
	r, err := stats.GetStats(pc)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := json.Marshal(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	var generic map[string]map[string]any
	_ = json.Unmarshal(b, &generic)
	var types []string
	for _, o := range generic {
		types = append(types, o["type"].(string))
	}
	slices.Sort(types)
	fmt.Println(types)
	// Before negotiation: no streams yet, nothing made up.
	// Output: [certificate peer-connection transport]
}
