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

// GetStats refuses a PeerConnection the factory does not monitor, and one
// that is closed, with the documented sentinel errors.
func TestGetStatsMisuse(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pair, err := peers.New(ctx, peers.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pair.Close()

	other, err := rtcstats.NewFactory()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetStats(pair.Offerer.PC); !errors.Is(err, rtcstats.ErrUnknownPeerConnection) {
		t.Errorf("foreign factory: err = %v", err)
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
	// whose remote closed DTLS), so nothing more is asked of the offerer:
	// pion's own GetStats races with its close (statsGetter is written under
	// pc.mu and read without it).
	if err := pair.Answerer.PC.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := pair.Factory.GetStats(pair.Answerer.PC); !errors.Is(err, rtcstats.ErrPeerConnectionClosed) {
		t.Errorf("closed PeerConnection: err = %v", err)
	}
	if err := pair.Factory.DrainRTCP(pair.Answerer.PC); !errors.Is(err, rtcstats.ErrPeerConnectionClosed) {
		t.Errorf("DrainRTCP on closed: err = %v", err)
	}
}
