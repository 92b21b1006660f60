package browserpeer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats/report"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	return do(t, http.MethodGet, url, nil)
}

// post posts a JSON body to url.
func post(t *testing.T, url string, body io.Reader) (int, string) {
	t.Helper()
	return do(t, http.MethodPost, url, body)
}

// do sends a request under t's context and returns the response's status
// and body.
func do(t *testing.T, method, url string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := res.Body.Close(); err != nil {
			t.Error(err)
		}
	}()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	if _, err := New(Config{MediaDir: t.TempDir()}); !errors.Is(err, ErrConfig) {
		t.Errorf("empty media dir: %v", err)
	}
	if _, err := New(Config{OfferTimeout: -1}); !errors.Is(err, ErrConfig) {
		t.Errorf("negative timeout: %v", err)
	}
	var dashPath string
	srv, err := New(Config{Dashboard: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dashPath = r.Method + " " + r.URL.Path
	})})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()

	if code, body := get(t, hs.URL+"/"); code != 200 || !strings.Contains(body, `<script src="app.js">`) {
		t.Errorf("GET /: %d %.80q", code, body)
	}
	if code, body := get(t, hs.URL+"/app.js"); code != 200 || !strings.Contains(body, "networkPriority") {
		t.Errorf("GET /app.js: %d", code)
	}
	if code, body := get(t, hs.URL+"/config"); code != 200 || body != `{"dashboard":"/dashboard/"}` {
		t.Errorf("GET /config: %d %s", code, body)
	}
	if code, _ := get(t, hs.URL+"/stats"); code != http.StatusServiceUnavailable {
		t.Errorf("GET /stats without a call: %d", code)
	}
	if _, err := srv.Stats(); !errors.Is(err, ErrNoCall) {
		t.Errorf("Stats without a call: %v", err)
	}
	post(t, hs.URL+"/dashboard/api/push?peer=browser", strings.NewReader("{}"))
	if dashPath != "POST /api/push" {
		t.Errorf("dashboard got %q", dashPath)
	}
	for _, body := range []string{`nonsense`, `{"type":"answer","sdp":"v=0"}`, `{"type":"offer"}`, `{"type":"offer","sdp":"garbage"}`} {
		if code, _ := post(t, hs.URL+"/offer", strings.NewReader(body)); code != http.StatusBadRequest {
			t.Errorf("POST /offer %s: %d", body, code)
		}
	}
	if srv.Session() != nil {
		t.Error("a bad offer left a call")
	}
	if _, err := srv.Offer(context.Background(), webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: "v=0"}); !errors.Is(err, ErrBadOffer) {
		t.Errorf("Offer(answer): %v", err)
	}
}

// TestCall plays the browser with a pion offerer over 127.0.0.1: the
// server answers, sends audio, video and data-channel messages, and reports
// them.
func TestCall(t *testing.T) {
	srv, err := New(Config{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer func() { _ = srv.Close() }() // checked below; this one is for a failed test

	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.Close() }()
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	var rtp atomic.Uint64
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			rtp.Add(1)
		}
	})
	dc, err := pc.CreateDataChannel("chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs := make(chan string, 10)
	dc.OnMessage(func(m webrtc.DataChannelMessage) { msgs <- string(m.Data) })
	dc.OnOpen(func() { _ = dc.SendText("browser says 1") })
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	b, err := json.Marshal(pc.LocalDescription())
	if err != nil {
		t.Fatal(err)
	}
	code, body := post(t, hs.URL+"/offer", bytes.NewReader(b))
	var answer webrtc.SessionDescription
	if err := json.Unmarshal([]byte(body), &answer); err != nil || code != 200 {
		t.Fatalf("answer: %d %v", code, err)
	}
	if err := pc.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-msgs:
		if m != "pion says 1" {
			t.Errorf("message %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no data-channel message from pion")
	}
	sess := srv.Session()
	if sess == nil {
		t.Fatal("no session")
	}
	if sess.MessagesReceived() != 1 {
		t.Errorf("pion read %d messages, want 1", sess.MessagesReceived())
	}
	r, err := srv.Stats()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]uint64{}
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](r) {
		if o.PacketsSent != nil {
			kinds[o.Kind] = *o.PacketsSent
		}
	}
	if kinds["audio"] == 0 || kinds["video"] == 0 {
		t.Errorf("outbound packets by kind: %v", kinds)
	}
	if rtp.Load() == 0 {
		t.Error("the offerer read no RTP")
	}
	if err := srv.Close(); err != nil {
		t.Error(err)
	}
	select {
	case <-sess.Done():
	default:
		t.Error("Close left the call running")
	}
	if _, err := srv.Stats(); !errors.Is(err, ErrNoCall) {
		t.Errorf("Stats after Close: %v", err)
	}
	if _, err := srv.Offer(context.Background(), *pc.LocalDescription()); !errors.Is(err, ErrNoCall) {
		t.Errorf("Offer after Close: %v", err)
	}
}
