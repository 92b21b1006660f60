package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/peers"
)

// GetStats, DrainRTCP, Diagnostics and ClosePeerConnection refuse a
// PeerConnection the factory does not monitor, and one that is closed, with
// the documented sentinel errors, and change nothing: the foreign factory
// starts monitoring nothing, the monitored PeerConnection stays open with
// the same objects and counters.
func TestGetStatsMisuse(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pair, err := peers.New(ctx, peers.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pair.Close() }()

	other, err := rtcstats.NewFactory()
	if err != nil {
		t.Fatal(err)
	}
	before, err := pair.Factory.GetStats(pair.Offerer.PC)
	if err != nil {
		t.Fatal(err)
	}
	diagBefore, err := pair.Factory.Diagnostics(pair.Offerer.PC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetStats(pair.Offerer.PC); !errors.Is(err, rtcstats.ErrUnknownPeerConnection) {
		t.Errorf("foreign factory: err = %v", err)
	}
	if err := other.DrainRTCP(pair.Offerer.PC); !errors.Is(err, rtcstats.ErrUnknownPeerConnection) {
		t.Errorf("foreign factory DrainRTCP: err = %v", err)
	}
	if _, err := other.Diagnostics(pair.Offerer.PC); !errors.Is(err, rtcstats.ErrUnknownPeerConnection) {
		t.Errorf("foreign factory Diagnostics: err = %v", err)
	}
	if err := other.ClosePeerConnection(pair.Offerer.PC); !errors.Is(err, rtcstats.ErrUnknownPeerConnection) {
		t.Errorf("foreign factory ClosePeerConnection: err = %v", err)
	}
	if _, err := other.DSCPNet(nil); !errors.Is(err, rtcstats.ErrDSCPDisabled) {
		t.Errorf("DSCPNet without WithDSCP: err = %v", err)
	}
	if other.Monitored() != 0 || other.DSCP() != nil {
		t.Error("the foreign factory took something up")
	}
	if st := pair.Offerer.PC.ConnectionState(); st != webrtc.PeerConnectionStateConnected {
		t.Errorf("misuse changed the PeerConnection: %v", st)
	}
	after, err := pair.Factory.GetStats(pair.Offerer.PC)
	if err != nil {
		t.Fatal(err)
	}
	for id := range before {
		if _, ok := after[id]; !ok {
			t.Errorf("%s left the report after misuse", id)
		}
	}
	if d, _ := pair.Factory.Diagnostics(pair.Offerer.PC); d.RefusedOutboundStreams != diagBefore.RefusedOutboundStreams ||
		d.RefusedInboundStreams != diagBefore.RefusedInboundStreams || d.OutboundStreams != diagBefore.OutboundStreams ||
		d.InboundStreams != diagBefore.InboundStreams {
		t.Errorf("misuse changed the interceptor: %+v → %+v", diagBefore, d)
	}
	plain, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pair.Factory.GetStats(plain); !errors.Is(err, rtcstats.ErrUnknownPeerConnection) {
		t.Errorf("unmonitored PeerConnection: err = %v", err)
	}
	_ = plain.Close()

	if _, err := pair.Factory.GetStats(pair.Answerer.PC); err != nil {
		t.Fatalf("live PeerConnection: %v", err)
	}
	// Closing one peer also closes the other (pion closes a PeerConnection
	// whose remote closed DTLS, on its own goroutine), so the offerer is
	// asked again only once it is closed: pion's own GetStats races with a
	// Close under way (statsGetter is written without a lock and read
	// without one; see Factory.ClosePeerConnection).
	if err := pair.Answerer.PC.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := pair.Factory.GetStats(pair.Answerer.PC); !errors.Is(err, rtcstats.ErrPeerConnectionClosed) {
		t.Errorf("closed PeerConnection: err = %v", err)
	}
	if err := pair.Factory.DrainRTCP(pair.Answerer.PC); !errors.Is(err, rtcstats.ErrPeerConnectionClosed) {
		t.Errorf("DrainRTCP on closed: err = %v", err)
	}
	if _, err := pair.Factory.Diagnostics(pair.Answerer.PC); !errors.Is(err, rtcstats.ErrPeerConnectionClosed) {
		t.Errorf("Diagnostics on closed: err = %v", err)
	}
	if err := pair.Factory.ClosePeerConnection(pair.Answerer.PC); err != nil {
		t.Errorf("ClosePeerConnection on closed: err = %v", err)
	}
	// Once pion has closed the offerer too (its state says so before pion
	// is done), GetStats answers without calling into pion.
	deadline := time.Now().Add(10 * time.Second)
	for pair.Offerer.PC.ConnectionState() != webrtc.PeerConnectionStateClosed && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := pair.Factory.GetStats(pair.Offerer.PC); !errors.Is(err, rtcstats.ErrPeerConnectionClosed) {
		t.Errorf("offerer closed by pion: err = %v", err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for pair.Factory.Monitored() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := pair.Factory.Monitored(); n != 0 {
		t.Errorf("the factory still monitors %d PeerConnections", n)
	}
}
