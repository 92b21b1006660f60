package impairnet

import (
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/rtp"
	"github.com/pion/transport/v4"
	"github.com/pion/webrtc/v4"
)

// settingEngine restricts ICE to UDP host candidates on 127.0.0.1 (no mDNS,
// no STUN/TURN, no other interface or address) and installs n if not nil.
func settingEngine(t *testing.T, n transport.Net) webrtc.SettingEngine {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	loopbackIfs := map[string]bool{}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 {
			loopbackIfs[i.Name] = true
		}
	}

	var se webrtc.SettingEngine
	if n != nil {
		se.SetNet(n)
	}
	se.SetICETimeouts(2*time.Second, 4*time.Second, 200*time.Millisecond)
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetInterfaceFilter(func(name string) bool { return loopbackIfs[name] })
	se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)

	return se
}

func newAPI(t *testing.T, n transport.Net, factories ...interceptor.Factory) *webrtc.API {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	// No NACK/RTX: nothing may repair the drops.
	ir := &interceptor.Registry{}
	for _, f := range factories {
		ir.Add(f)
	}

	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(settingEngine(t, n)),
		webrtc.WithInterceptorRegistry(ir))
}

type link struct {
	send, recv *webrtc.PeerConnection
	track      *webrtc.TrackLocalStaticRTP
	ssrc       uint32
	remote     chan *webrtc.TrackRemote
}

// connect creates a sending and a receiving PeerConnection with one Opus
// track, negotiates them and waits until the sender is connected.
func connect(t *testing.T, sendAPI, recvAPI *webrtc.API) *link {
	t.Helper()
	l := &link{remote: make(chan *webrtc.TrackRemote, 1)}
	var err error
	if l.send, err = sendAPI.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.send.Close() })
	if l.recv, err = recvAPI.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.recv.Close() })

	l.track, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "impairnet")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := l.send.AddTrack(l.track)
	if err != nil {
		t.Fatal(err)
	}
	// The sender picks the SSRC; it is fixed from here on.
	l.ssrc = uint32(sender.GetParameters().Encodings[0].SSRC)
	go func() { // RTCP must be read for the interceptors to see it.
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	l.recv.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		go func() { // Same on the receiving side (sender reports).
			for {
				if _, _, err := r.ReadRTCP(); err != nil {
					return
				}
			}
		}()
		l.remote <- tr
	})

	connected := make(chan struct{})
	var once sync.Once
	l.send.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})

	offer, err := l.send.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(l.send)
	if err := l.send.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := l.recv.SetRemoteDescription(*l.send.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := l.recv.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(l.recv)
	if err := l.recv.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := l.send.SetRemoteDescription(*l.recv.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(5 * time.Second):
		t.Fatal("PeerConnections did not connect")
	}

	return l
}

func (l *link) write(t *testing.T, seq uint16, ts uint32) {
	t.Helper()
	err := l.track.WriteRTP(&rtp.Packet{
		Header:  rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts},
		Payload: make([]byte, 40),
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkLoopbackOnly asserts every socket the wrapper handed out is bound to
// 127.0.0.1.
func checkLoopbackOnly(t *testing.T, n *Net) {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.conns) == 0 {
		t.Error("pion opened no socket through the wrapper")
	}
	for c := range n.conns {
		if a, ok := c.LocalAddr().(*net.UDPAddr); !ok || !a.IP.Equal(net.IPv4(127, 0, 0, 1)) {
			t.Errorf("socket bound to %v, want 127.0.0.1", c.LocalAddr())
		}
	}
}

// TestPeerConnectionDrops sends 300 RTP packets, crossing the sequence
// number wrap, from a PeerConnection using the wrapper and checks that the
// receiving PeerConnection gets exactly all but the dropped ones and that its
// stats count exactly them as lost.
func TestPeerConnectionDrops(t *testing.T) {
	const (
		total = 300
		limit = 20
	)
	n := newNet(t)
	recvStats, err := stats.NewInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	var getter stats.Getter
	gotGetter := make(chan struct{})
	recvStats.OnNewPeerConnection(func(_ string, g stats.Getter) { getter = g; close(gotGetter) })
	l := connect(t, newAPI(t, n), newAPI(t, nil, recvStats))
	checkLoopbackOnly(t, n)
	<-gotGetter

	arrivals := make(chan uint16, 2*total)
	go func() {
		defer close(arrivals)
		var tr *webrtc.TrackRemote
		select {
		case tr = <-l.remote:
		case <-time.After(5 * time.Second):
			return
		}
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if p.SSRC == l.ssrc {
				arrivals <- p.SequenceNumber
			}
		}
	}()
	next := func() uint16 {
		t.Helper()
		select {
		case s, ok := <-arrivals:
			if !ok {
				t.Fatal("receiver stopped")
			}

			return s
		case <-time.After(3 * time.Second):
			t.Fatal("receiver got nothing for 3s")
		}

		return 0
	}

	// Warm-up, undropped, one packet at a time: pion's stats interceptor
	// starts its per-SSRC recorder in a goroutine and ignores packets until
	// then, so the first packets of a stream may be missing from the
	// receiver's stats. Impair only once they count.
	var received0 uint64
	seq := uint16(65370)
	for i := 0; ; i++ {
		if i == 50 {
			t.Fatal("receiver stats never started counting")
		}
		l.write(t, seq, uint32(seq)*960)
		if got := next(); got != seq {
			t.Fatalf("warm-up: got seq %d, want %d", got, seq)
		}
		seq++
		if s := getter.Get(l.ssrc); s != nil && s.InboundRTPStreamStats.PacketsReceived > 0 {
			received0 = s.InboundRTPStreamStats.PacketsReceived
			if s.InboundRTPStreamStats.PacketsLost != 0 {
				t.Fatalf("packets lost during warm-up: %+v", s.InboundRTPStreamStats)
			}

			break
		}
	}

	t.Logf("receiver stats counting after %d warm-up packets", seq-65370)

	// Drop RTP packets of our SSRC with seq%10 == 3, at most 20 of them.
	n.AddDropRTP(l.ssrc, SeqMod(10, 3), limit)
	firstSeq := seq
	lastSeq := firstSeq + total - 1
	var wantDropped, want []uint16
	for i := range total {
		s := firstSeq + uint16(i)
		if s%10 == 3 && len(wantDropped) < limit {
			wantDropped = append(wantDropped, s)
		} else {
			want = append(want, s)
		}
	}
	if firstSeq <= lastSeq || slices.Contains(wantDropped, lastSeq) {
		t.Fatalf("test setup: seqs %d..%d must wrap and the last must not be dropped", firstSeq, lastSeq)
	}

	for i := range total {
		l.write(t, firstSeq+uint16(i), uint32(i)*960)
		if i%10 == 9 {
			time.Sleep(time.Millisecond)
		}
	}
	var got []uint16
	for s := firstSeq - 1; s != lastSeq; {
		s = next()
		got = append(got, s)
	}

	// Exactly the dropped packets are missing, nothing else.
	if !slices.Equal(got, want) {
		t.Fatalf("receiver got %d packets %v\nwant %d packets %v", len(got), got, len(want), want)
	}
	if d := n.Dropped(l.ssrc); !slices.Equal(d, wantDropped) {
		t.Fatalf("Dropped = %v, want %v", d, wantDropped)
	}

	// Every RTP packet written went through the wrapper's send path.
	st := n.Stats()
	passed := uint64(total - limit + int(seq-65370))
	if s := st.BySSRC[l.ssrc]; s.Passed.Packets != passed || s.Dropped.Packets != limit {
		t.Errorf("SSRC stats = %+v, want %d passed, %d dropped", s, passed, limit)
	}
	for _, c := range []Class{ClassSTUN, ClassDTLS, ClassRTP} {
		if st.ByClass[c].Passed.Packets == 0 {
			t.Errorf("no %v passed through the wrapper", c)
		}
	}

	// The receiver's stats count exactly the drops as lost. The recorder is
	// updated before ReadRTP returns, so this holds at once.
	s := getter.Get(l.ssrc).InboundRTPStreamStats
	if s.PacketsLost != limit || s.PacketsReceived != received0+total-limit {
		t.Errorf("receiver packetsLost = %d (want %d), packetsReceived = %d (want %d)",
			s.PacketsLost, limit, s.PacketsReceived, received0+total-limit)
	}

	// Closing the PeerConnection closes every wrapped socket.
	if err := l.send.Close(); err != nil {
		t.Fatal(err)
	}
	if k := n.OpenConns(); k != 0 {
		t.Errorf("%d wrapped sockets still open after Close", k)
	}
}

// TestPeerConnectionRTT delays the sender's RTP and RTCP and checks the
// round-trip time it measures from the receiver's RTCP receiver reports.
func TestPeerConnectionRTT(t *testing.T) {
	const tolerance = 5 * time.Millisecond
	n := newNet(t, WithDelay(40*time.Millisecond), WithDelayClasses(ClassRTP, ClassRTCP))

	// The stats interceptor must come before the report interceptors so that
	// it sees the sender reports they write.
	sendStats, err := stats.NewInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	var getter stats.Getter
	gotGetter := make(chan struct{})
	sendStats.OnNewPeerConnection(func(_ string, g stats.Getter) { getter = g; close(gotGetter) })
	srSender, err := report.NewSenderInterceptor(report.SenderInterval(50 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	rrSender, err := report.NewReceiverInterceptor(report.ReceiverInterval(50 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	l := connect(t, newAPI(t, n, sendStats, srSender), newAPI(t, nil, rrSender))
	checkLoopbackOnly(t, n)
	<-gotGetter

	go func() {
		var tr *webrtc.TrackRemote
		select {
		case tr = <-l.remote:
		case <-time.After(5 * time.Second):
			return
		}
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
		}
	}()

	var seq uint16
	// waitRTT sends media until at least k more RTT measurements have been
	// made and returns the last one.
	waitRTT := func(k uint64) time.Duration {
		t.Helper()
		start := uint64(0)
		if s := getter.Get(l.ssrc); s != nil {
			start = s.RemoteInboundRTPStreamStats.RoundTripTimeMeasurements
		}
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			l.write(t, seq, uint32(seq)*480)
			seq++
			time.Sleep(5 * time.Millisecond)
			if s := getter.Get(l.ssrc); s != nil && s.RemoteInboundRTPStreamStats.RoundTripTimeMeasurements >= start+k {
				return s.RemoteInboundRTPStreamStats.RoundTripTime
			}
		}
		t.Fatalf("fewer than %d RTT measurements", k)

		return 0
	}

	for _, d := range []time.Duration{40 * time.Millisecond, 80 * time.Millisecond} {
		n.SetDelay(d)
		waitRTT(3) // let reports sent before the change go by
		rtt := waitRTT(1)
		t.Logf("injected %v, measured RTT %v", d, rtt)
		if rtt < d-tolerance || rtt > d+tolerance {
			t.Errorf("RTT %v, want %v ± %v", rtt, d, tolerance)
		}
	}
	if st := n.Stats(); st.ByClass[ClassRTCP].Delayed.Packets == 0 || st.ByClass[ClassSTUN].Delayed.Packets != 0 {
		t.Errorf("stats = %+v", st.ByClass)
	}

	// Closing the PeerConnection closes the sockets and stops their
	// schedulers (still holding delayed packets, discarded).
	if err := l.send.Close(); err != nil {
		t.Fatal(err)
	}
	// pion closes some of its sockets after Close returns.
	g := waitSchedulers(0, 5*time.Second)
	if k := n.OpenConns(); k != 0 || g != 0 {
		t.Errorf("after Close: %d sockets open, %d schedulers running", k, g)
	}
}
