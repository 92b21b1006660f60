package rtcstats

import (
	"fmt"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/transport/v4"
	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats/dscp"
)

// Factory builds one Interceptor per PeerConnection and answers GetStats for
// any PeerConnection built with an API whose registry holds it.
type Factory struct {
	cfg    config
	marker *dscp.Marker // nil without WithDSCP

	mu  sync.Mutex
	pcs map[string]*Interceptor // by pion's PeerConnection id
}

// NewFactory returns a Factory configured by opts. An invalid option is an
// error wrapping ErrInvalidOption.
func NewFactory(opts ...Option) (*Factory, error) {
	cfg := config{clock: systemClock{}, maxStreams: DefaultMaxStreams}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.loggerFactory == nil {
		cfg.loggerFactory = logging.NewDefaultLoggerFactory()
	}
	f := &Factory{cfg: cfg, pcs: map[string]*Interceptor{}}
	if cfg.dscpOn {
		opts := append([]dscp.Option{dscp.WithLoggerFactory(cfg.loggerFactory)}, cfg.dscp...)
		m, err := dscp.NewMarker(opts...)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidOption, err)
		}
		f.marker = m
	}
	return f, nil
}

// DSCP returns the factory's DSCP Marker, or nil without WithDSCP. Use it to
// change priorities at run time and to wrap sockets.
func (f *Factory) DSCP() *dscp.Marker {
	if f == nil {
		return nil
	}
	return f.marker
}

// DSCPNet returns a transport.Net for webrtc.SettingEngine.SetNet whose
// sockets mark and count for this factory (base nil: the OS network).
// Without WithDSCP the error wraps ErrDSCPDisabled and ErrInvalidOption.
func (f *Factory) DSCPNet(base transport.Net) (*dscp.Net, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: nil Factory", ErrNilArgument)
	}
	if f.marker == nil {
		return nil, fmt.Errorf("%w: DSCPNet: %w", ErrInvalidOption, ErrDSCPDisabled)
	}
	return f.marker.NewNet(base)
}

// NewInterceptor is called by pion once per PeerConnection, with the
// PeerConnection's id (webrtc.PeerConnection.ID).
func (f *Factory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: nil Factory", ErrNilArgument)
	}
	i := newInterceptor(f, id)
	f.mu.Lock()
	f.pcs[id] = i
	f.mu.Unlock()
	return i, nil
}

func (f *Factory) forget(id string, i *Interceptor) {
	f.mu.Lock()
	if f.pcs[id] == i {
		delete(f.pcs, id)
	}
	f.mu.Unlock()
}

func (f *Factory) lookup(pc *webrtc.PeerConnection) (*Interceptor, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: nil Factory", ErrNilArgument)
	}
	if pc == nil {
		return nil, fmt.Errorf("%w: PeerConnection", ErrNilArgument)
	}
	if closing(pc) {
		return nil, ErrPeerConnectionClosed
	}
	f.mu.Lock()
	i := f.pcs[pc.ID()]
	f.mu.Unlock()
	if i == nil {
		if closing(pc) {
			// It closed since the first look, and its interceptor left.
			return nil, ErrPeerConnectionClosed
		}
		return nil, fmt.Errorf("%w: %s", ErrUnknownPeerConnection, pc.ID())
	}
	return i, nil
}

// Monitored is the number of PeerConnections the factory monitors now:
// built with its registry and not yet closed.
func (f *Factory) Monitored() int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pcs)
}

// Diagnostics returns how many streams pc's interceptor measures and what
// it refused or ignored (see WithMaxStreams). The errors are GetStats's.
func (f *Factory) Diagnostics(pc *webrtc.PeerConnection) (Diagnostics, error) {
	i, err := f.lookup(pc)
	if err != nil {
		return Diagnostics{}, err
	}
	return i.Diagnostics(), nil
}

// closeWait bounds how long ClosePeerConnection waits for GetStats calls
// in flight before it closes anyway.
const closeWait = 5 * time.Second

// ClosePeerConnection closes pc once the GetStats calls in flight for it
// have returned; GetStats calls that start later return
// ErrPeerConnectionClosed at once. Use it instead of pc.Close when GetStats
// may run concurrently with the close.
//
// pion v4.2.20's PeerConnection.GetStats, which GetStats calls, reads a
// field that PeerConnection.Close writes without a lock, and pion offers
// no way to hold Close off: GetStats refuses to start once Close has begun
// and discards what Close overtook, but a call that was under way when a
// bare pc.Close began can still race inside pion. This method closes that
// window for closes the application makes. pion also closes a
// PeerConnection itself, on its own goroutine, when the remote peer's DTLS
// close_notify arrives; where GetStats runs concurrently and the race
// matters (go test -race), set webrtc.SettingEngine.DisableCloseByDTLS(true)
// and call this method when the application learns the call ended (its
// signalling, or OnConnectionStateChange reporting "failed").
//
// A PeerConnection this factory does not monitor is left open
// (ErrUnknownPeerConnection); closing a closed one is not an error.
func (f *Factory) ClosePeerConnection(pc *webrtc.PeerConnection) error {
	if f == nil {
		return fmt.Errorf("%w: nil Factory", ErrNilArgument)
	}
	if pc == nil {
		return fmt.Errorf("%w: PeerConnection", ErrNilArgument)
	}
	f.mu.Lock()
	i := f.pcs[pc.ID()]
	f.mu.Unlock()
	if i == nil && !closing(pc) {
		return fmt.Errorf("%w: %s", ErrUnknownPeerConnection, pc.ID())
	}
	if i != nil {
		select {
		case <-i.gate.close():
		case <-time.After(closeWait):
			i.log.Warnf("PeerConnection %s: GetStats still running after %v; closing anyway", i.pcID, closeWait)
		}
	}
	return pc.Close()
}

// RegisterDefaults adds the factory to r first and pion's default
// interceptors after it: NACK generator and responder, RTCP sender and
// receiver reports, simulcast header extensions and TWCC feedback (pion's
// own stats interceptor is left out; this package replaces it).
//
// Order matters. pion chains interceptors so that the first one added is
// innermost, next to the transport: it is the only position that sees the
// Sender Reports, Receiver Reports and NACKs that the other interceptors
// write and the retransmissions the NACK responder sends. rtcstats measures
// round-trip time from the SRs it sees leave, so it must be first.
func (f *Factory) RegisterDefaults(m *webrtc.MediaEngine, r *interceptor.Registry) error {
	if f == nil || m == nil || r == nil {
		return fmt.Errorf("%w: MediaEngine and Registry are required", ErrNilArgument)
	}
	r.Add(f)
	if err := webrtc.ConfigureNack(m, r); err != nil {
		return err
	}
	if err := webrtc.ConfigureRTCPReports(r); err != nil {
		return err
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return err
	}
	return webrtc.ConfigureTWCCSender(m, r)
}

// NewRegistry returns a new registry built by RegisterDefaults.
func (f *Factory) NewRegistry(m *webrtc.MediaEngine) (*interceptor.Registry, error) {
	r := &interceptor.Registry{}
	if err := f.RegisterDefaults(m, r); err != nil {
		return nil, err
	}
	return r, nil
}
