package browserpeer

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v4"
	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/mediafile"
	"github.com/rtcstats/rtcstats/report"
)

// Errors the Server returns, wrapped.
var (
	// ErrNoCall: no browser is in a call.
	ErrNoCall = errors.New("browserpeer: no call")
	// ErrBadOffer: the offer is not JSON {"type":"offer","sdp":...} or pion
	// cannot answer it.
	ErrBadOffer = errors.New("browserpeer: bad offer")
	// ErrConfig: a Config field is unusable.
	ErrConfig = errors.New("browserpeer: bad config")
)

// Config says how to build a Server. The zero value is usable when the
// working directory is inside the repository (for the testdata).
type Config struct {
	// FactoryOptions are passed to rtcstats.NewFactory; with
	// rtcstats.WithDSCP every socket pion opens is marked and counted.
	FactoryOptions []rtcstats.Option
	// LoggerFactory for pion and the server; nil means pion's default.
	LoggerFactory logging.LoggerFactory
	// MediaDir holds mediafile.AudioFile and VideoFile; "" means the
	// repository's testdata (mediafile.TestdataDir).
	MediaDir string
	// LoopbackOnly restricts pion to 127.0.0.1 host candidates, without
	// mDNS: what the tests use with Chromium's
	// --allow-loopback-in-peer-connection. Otherwise pion gathers on every
	// interface, loopback included, so an ordinary browser on this machine
	// can reach it.
	LoopbackOnly bool
	// Net replaces pion's network stack (the operating system's when nil);
	// the Factory's DSCP marker wraps it when the options have WithDSCP.
	Net transport.Net
	// Dashboard, when set, is served under /dashboard/ with the prefix
	// stripped, and the page pushes its getStats to
	// /dashboard/api/push?peer=browser every second.
	Dashboard http.Handler
	// OfferTimeout bounds answering one offer, ICE gathering included;
	// 0 means 10 s.
	OfferTimeout time.Duration
}

// maxOffer bounds the offer body: an SDP of a few m-lines is a few KiB.
const maxOffer = 1 << 20

//go:embed static
var static embed.FS

// Server serves the page and answers the browser; see the package doc.
type Server struct {
	cfg      Config
	factory  *rtcstats.Factory
	mediaDir string
	log      logging.LeveledLogger
	mux      *http.ServeMux

	mu      sync.Mutex
	current *Session
	changed chan struct{} // closed and replaced when current changes
	closed  bool
}

// New builds a Server and its rtcstats Factory.
func New(cfg Config) (*Server, error) {
	if cfg.OfferTimeout < 0 {
		return nil, fmt.Errorf("%w: negative OfferTimeout", ErrConfig)
	}
	if cfg.OfferTimeout == 0 {
		cfg.OfferTimeout = 10 * time.Second
	}
	dir := cfg.MediaDir
	if dir == "" {
		var err error
		if dir, err = mediafile.TestdataDir(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	for _, name := range []string{mediafile.AudioFile, mediafile.VideoFile} {
		if _, err := os.Stat(dir + string(os.PathSeparator) + name); err != nil {
			return nil, fmt.Errorf("%w: media: %v", ErrConfig, err)
		}
	}
	lf := cfg.LoggerFactory
	if lf == nil {
		lf = logging.NewDefaultLoggerFactory()
	}
	f, err := rtcstats.NewFactory(cfg.FactoryOptions...)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, factory: f, mediaDir: dir, log: lf.NewLogger("browserpeer"), changed: make(chan struct{})}
	pages, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.mux.Handle("/", http.FileServerFS(pages))
	s.mux.HandleFunc("GET /config", s.serveConfig)
	s.mux.HandleFunc("POST /offer", s.serveOffer)
	s.mux.HandleFunc("GET /stats", s.serveStats)
	if cfg.Dashboard != nil {
		s.mux.Handle("/dashboard/", http.StripPrefix("/dashboard", cfg.Dashboard))
	}
	return s, nil
}

// Factory is the rtcstats Factory monitoring every call.
func (s *Server) Factory() *rtcstats.Factory { return s.factory }

// ServeHTTP serves the endpoints of the package doc.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Session returns the current call, or nil.
func (s *Server) Session() *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// WaitSession waits until a call exists and returns it.
func (s *Server) WaitSession(ctx context.Context) (*Session, error) {
	for {
		s.mu.Lock()
		cur, ch := s.current, s.changed
		s.mu.Unlock()
		if cur != nil {
			return cur, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %v", ErrNoCall, ctx.Err())
		}
	}
}

// Stats returns our report of the current call (a dashboard polls it).
func (s *Server) Stats() (report.Report, error) {
	cur := s.Session()
	if cur == nil {
		return nil, ErrNoCall
	}
	return cur.Stats()
}

// Close ends the current call and refuses new ones.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	cur := s.current
	s.mu.Unlock()
	if cur == nil {
		return nil
	}
	return s.endSession(cur)
}

// endSession closes sess and forgets it if it is still the current call.
func (s *Server) endSession(sess *Session) error {
	err := sess.Close()
	s.mu.Lock()
	if s.current == sess {
		s.setCurrentLocked(nil)
	}
	s.mu.Unlock()
	return err
}

func (s *Server) setCurrentLocked(sess *Session) {
	s.current = sess
	close(s.changed)
	s.changed = make(chan struct{})
}

// api builds a pion API per call: MediaEngine and interceptors are per
// PeerConnection.
func (s *Server) api() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.SDESMidURI}, k); err != nil {
			return nil, err
		}
	}
	reg, err := s.factory.NewRegistry(m) // rtcstats first, then pion's defaults
	if err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	if s.cfg.LoggerFactory != nil {
		se.LoggerFactory = s.cfg.LoggerFactory
	}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if s.cfg.LoopbackOnly {
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	// No mDNS: a browser's .local candidates are not resolved, but its
	// connectivity checks reach pion's real addresses and pion learns the
	// browser's as peer-reflexive. (pion's mDNS socket, opened through
	// rtcstats' DSCP net, fails every read with "invalid conn type": a busy
	// loop that also hangs PeerConnection.Close.)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// pion would close by itself on the browser's DTLS close_notify, racing
	// a GetStats in flight; the session closes through the Factory instead.
	se.DisableCloseByDTLS(true)
	n := s.cfg.Net
	if s.factory.DSCP() != nil {
		dn, err := s.factory.DSCPNet(n)
		if err != nil {
			return nil, err
		}
		n = dn
	}
	if n != nil {
		se.SetNet(n)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}

func (s *Server) serveConfig(w http.ResponseWriter, _ *http.Request) {
	cfg := map[string]string{}
	if s.cfg.Dashboard != nil {
		cfg["dashboard"] = "/dashboard/"
	}
	writeJSON(w, cfg)
}

func (s *Server) serveOffer(w http.ResponseWriter, r *http.Request) {
	var offer webrtc.SessionDescription
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxOffer)).Decode(&offer); err != nil {
		http.Error(w, fmt.Sprintf("%v: %v", ErrBadOffer, err), http.StatusBadRequest)
		return
	}
	sess, err := s.Offer(r.Context(), offer)
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, ErrBadOffer) {
			code = http.StatusBadRequest
		}
		http.Error(w, err.Error(), code)
		return
	}
	writeJSON(w, sess.PC.LocalDescription())
}

// Offer ends the current call, answers offer with a new one and returns it;
// its PC's LocalDescription is the answer.
func (s *Server) Offer(ctx context.Context, offer webrtc.SessionDescription) (*Session, error) {
	if offer.Type != webrtc.SDPTypeOffer || offer.SDP == "" {
		return nil, fmt.Errorf("%w: want type offer with an sdp, got type %q", ErrBadOffer, offer.Type)
	}
	s.mu.Lock()
	prev, closed := s.current, s.closed
	s.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("%w: server closed", ErrNoCall)
	}
	if prev != nil {
		_ = s.endSession(prev)
	}
	api, err := s.api()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OfferTimeout)
	defer cancel()
	sess, err := s.answer(ctx, api, offer)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = sess.Close()
		return nil, fmt.Errorf("%w: server closed", ErrNoCall)
	}
	old := s.current // a concurrent offer won the race: it ends
	s.setCurrentLocked(sess)
	s.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	return sess, nil
}

func (s *Server) serveStats(w http.ResponseWriter, _ *http.Request) {
	r, err := s.Stats()
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, r)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
