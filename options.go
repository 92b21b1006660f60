package rtcstats

import (
	"errors"
	"fmt"
	"time"

	"github.com/pion/logging"
	"github.com/rtcstats/rtcstats/dscp"
)

// Sentinel errors. Every error returned by this package wraps one of them, so
// callers can use errors.Is.
var (
	// ErrInvalidOption is returned by NewFactory for a bad option value.
	ErrInvalidOption = errors.New("rtcstats: invalid option")
	// ErrUnknownPeerConnection is returned by GetStats for a PeerConnection
	// that was not built with an API whose registry holds this factory.
	ErrUnknownPeerConnection = errors.New("rtcstats: peer connection not monitored by this factory")
	// ErrPeerConnectionClosed is returned by GetStats after the
	// PeerConnection has been closed (the spec's InvalidStateError).
	ErrPeerConnectionClosed = errors.New("rtcstats: peer connection is closed")
	// ErrNilArgument is returned when a required argument is nil.
	ErrNilArgument = errors.New("rtcstats: nil argument")
	// ErrDSCPDisabled is returned by Factory.DSCPNet for a factory made
	// without WithDSCP (together with ErrInvalidOption).
	ErrDSCPDisabled = errors.New("rtcstats: DSCP is not enabled (WithDSCP)")
)

// DefaultMaxStreams is the default of WithMaxStreams.
const DefaultMaxStreams = 1024

// MaxStreamsLimit is the largest value WithMaxStreams accepts.
const MaxStreamsLimit = 1 << 16

// Clock tells the time. Now must carry a monotonic reading in production
// (time.Now does): intervals such as RTT and jitter arrival times are taken
// from it, wall-clock members from its wall part. Tests inject fakes.
type Clock interface {
	// Now returns the current time, with its monotonic reading.
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

type config struct {
	loggerFactory logging.LoggerFactory
	clock         Clock
	dscp          []dscp.Option
	dscpOn        bool
	maxStreams    int
	xr            bool
	statsEnded    func(EndedStats)
}

// Option configures a Factory.
type Option func(*config) error

// WithLoggerFactory sets the pion logger factory; scope "rtcstats".
func WithLoggerFactory(f logging.LoggerFactory) Option {
	return func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: WithLoggerFactory(nil)", ErrInvalidOption)
		}
		c.loggerFactory = f
		return nil
	}
}

// WithClock replaces the system clock, for tests and simulations.
func WithClock(clk Clock) Option {
	return func(c *config) error {
		if clk == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrInvalidOption)
		}
		c.clock = clk
		return nil
	}
}

// WithDSCP turns on RFC 8837 DSCP marking and per-DSCP counting, with the
// marking policy given by opts (priorities per kind, track and data
// channel; see package dscp). The factory's Marker (Factory.DSCP) must also
// own the sockets: give Factory.DSCPNet to webrtc.SettingEngine.SetNet, or
// wrap a UDPMux socket with Factory.DSCP().NewConn. Then outbound-rtp
// objects carry perDscpPacketsSent, inbound-rtp objects
// perDscpPacketsReceived, and the transport per-DSCP totals of its RTCP,
// SCTP, DTLS and STUN datagrams.
func WithDSCP(opts ...dscp.Option) Option {
	return func(c *config) error {
		c.dscpOn = true
		c.dscp = append(c.dscp, opts...)
		return nil
	}
}

// WithMaxStreams bounds how many RTP streams one PeerConnection measures in
// each of its tables: outgoing streams, incoming streams and incoming RTX
// streams, n each (default DefaultMaxStreams, at most MaxStreamsLimit).
// pion binds a stream for every signalled SSRC and for the unsignalled ones
// it accepts, so a peer that sends many SSRCs could otherwise grow them
// without bound. A stream beyond the bound is refused: its packets pass
// through untouched and unmeasured, it is absent from reports, it is
// counted (Factory.Diagnostics) and logged at most once a minute per
// PeerConnection.
func WithMaxStreams(n int) Option {
	return func(c *config) error {
		if n < 1 || n > MaxStreamsLimit {
			return fmt.Errorf("%w: WithMaxStreams(%d): want 1..%d", ErrInvalidOption, n, MaxStreamsLimit)
		}
		c.maxStreams = n
		return nil
	}
}

// WithRTCPXR makes the interceptor take part in RFC 3611 receiver round
// trips, so that remote-outbound-rtp objects get roundTripTime,
// totalRoundTripTime and roundTripTimeMeasurements. It adds an Extended
// Report with a Receiver Reference Time block to each Receiver Report that
// pion sends, and answers the RRTR blocks the remote peer sends with its
// reports about our streams by a DLRR block beside each of our Sender
// Reports. Two peers that both use it measure round trips both ways; a
// peer that sends no RRTR still gets answers to its own. Without it
// rtcstats never changes the RTCP that passes.
func WithRTCPXR() Option {
	return func(c *config) error {
		c.xr = true
		return nil
	}
}

// WithStatsEnded calls f with the final stats of each RTP stream that stops
// being monitored (see EndedStats), like the spec's statsended event. f
// runs on the goroutine of pion that unbinds the stream (or closes the
// PeerConnection), so it must return quickly and must not call back into
// the Factory for the same PeerConnection.
func WithStatsEnded(f func(EndedStats)) Option {
	return func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: WithStatsEnded(nil)", ErrInvalidOption)
		}
		c.statsEnded = f
		return nil
	}
}
