//go:build linux

package netns_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats/internal/netns"
)

// TestPion connects two pion PeerConnections across the veth, each using
// its namespace's Net, and checks that the selected pair is the veth
// addresses: the namespaces work through pion's transport.Net.
func TestPion(t *testing.T) {
	p := netns.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	offer, answer := newPC(t, p.A), newPC(t, p.B)

	opened := make(chan struct{})
	answer.OnDataChannel(func(dc *webrtc.DataChannel) { dc.OnOpen(func() { close(opened) }) })
	if _, err := offer.CreateDataChannel("x", nil); err != nil {
		t.Fatal(err)
	}
	signal(t, offer, answer)
	select {
	case <-opened:
	case <-ctx.Done():
		t.Fatal("data channel did not open")
	}

	for _, pc := range []*webrtc.PeerConnection{offer, answer} {
		for line := range strings.Lines(pc.LocalDescription().SDP) {
			if strings.HasPrefix(line, "a=candidate:") && !strings.Contains(line, " "+p.A.Addr.String()+" ") &&
				!strings.Contains(line, " "+p.B.Addr.String()+" ") {
				t.Errorf("candidate outside the veth: %s", line)
			}
		}
	}
	pair, err := offer.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("selected pair: %v, %v", pair, err)
	}
	if pair.Local.Address != p.A.Addr.String() || pair.Remote.Address != p.B.Addr.String() {
		t.Errorf("selected pair %v, want %v <-> %v", pair, p.A.Addr, p.B.Addr)
	}
}

func newPC(t *testing.T, ns *netns.NS) *webrtc.PeerConnection {
	t.Helper()
	s := webrtc.SettingEngine{}
	s.SetNet(ns.Net())
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(s)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// signal does a non-trickle offer/answer exchange.
func signal(t *testing.T, offer, answer *webrtc.PeerConnection) {
	t.Helper()
	exchange := func(from, to *webrtc.PeerConnection, create func(*webrtc.PeerConnection) (webrtc.SessionDescription, error)) {
		sd, err := create(from)
		if err != nil {
			t.Fatal(err)
		}
		done := webrtc.GatheringCompletePromise(from)
		if err := from.SetLocalDescription(sd); err != nil {
			t.Fatal(err)
		}
		<-done
		if err := to.SetRemoteDescription(*from.LocalDescription()); err != nil {
			t.Fatal(err)
		}
	}
	exchange(offer, answer, func(pc *webrtc.PeerConnection) (webrtc.SessionDescription, error) { return pc.CreateOffer(nil) })
	exchange(answer, offer, func(pc *webrtc.PeerConnection) (webrtc.SessionDescription, error) { return pc.CreateAnswer(nil) })
}
