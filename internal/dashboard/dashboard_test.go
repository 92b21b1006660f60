package dashboard_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/dashboard"
	"github.com/rtcstats/rtcstats/report"
)

func TestOptionsRejectBadValues(t *testing.T) {
	for name, o := range map[string]dashboard.Option{
		"interval 0":   dashboard.WithInterval(0),
		"interval -1s": dashboard.WithInterval(-time.Second),
		"interval 1ns": dashboard.WithInterval(time.Nanosecond),
		"interval 2h":  dashboard.WithInterval(2 * time.Hour),
		"history 1":    dashboard.WithHistory(1),
		"history -5":   dashboard.WithHistory(-5),
		"history huge": dashboard.WithHistory(dashboard.MaxHistory + 1),
		"logger nil":   dashboard.WithLoggerFactory(nil),
		"nil option":   nil,
	} {
		if _, err := dashboard.New(o); !errors.Is(err, dashboard.ErrInvalidOption) {
			t.Errorf("%s: err %v, want ErrInvalidOption", name, err)
		}
	}
	d, err := dashboard.New(dashboard.WithInterval(250*time.Millisecond), dashboard.WithHistory(10))
	if err != nil {
		t.Fatal(err)
	}
	if st := d.State(); st.IntervalMs != 250 || st.History != 10 {
		t.Errorf("state says interval %v ms, history %d", st.IntervalMs, st.History)
	}
}

func okGetter() (report.Report, error) { return report.Report{}, nil }

func TestPeerValidation(t *testing.T) {
	d, err := dashboard.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "a\nb", "tab\there", strings.Repeat("x", dashboard.MaxPeerName+1), "bad\xff"} {
		if err := d.AddPeer(name, okGetter); !errors.Is(err, dashboard.ErrInvalidPeer) {
			t.Errorf("AddPeer(%q): %v, want ErrInvalidPeer", name, err)
		}
		if err := d.Push(name, report.Report{}); !errors.Is(err, dashboard.ErrInvalidPeer) {
			t.Errorf("Push(%q): %v, want ErrInvalidPeer", name, err)
		}
	}
	if err := d.AddPeer("nil getter", nil); !errors.Is(err, dashboard.ErrInvalidPeer) {
		t.Errorf("nil getter: %v", err)
	}
	if err := d.AddPeer("offerer", okGetter); err != nil {
		t.Fatal(err)
	}
	if err := d.AddPeer("offerer", okGetter); !errors.Is(err, dashboard.ErrInvalidPeer) {
		t.Errorf("duplicate: %v", err)
	}
	if err := d.Push("offerer", report.Report{}); !errors.Is(err, dashboard.ErrInvalidPeer) {
		t.Errorf("push to a polled peer: %v", err)
	}
	if err := d.Push("browser", nil); !errors.Is(err, dashboard.ErrInvalidReport) {
		t.Errorf("nil report: %v", err)
	}
	big := report.Report{}
	for i := range dashboard.MaxObjects + 1 {
		id := fmt.Sprint("c", i)
		big[id] = &report.CodecStats{Base: report.Base{ID: id, Type: report.TypeCodec, Timestamp: 1}}
	}
	if err := d.Push("browser", big); !errors.Is(err, dashboard.ErrInvalidReport) {
		t.Errorf("%d objects: %v", len(big), err)
	}
	if n := len(d.State().Peers); n != 1 {
		t.Errorf("%d peers after rejected pushes, want 1", n)
	}
}

// Pushed peers make room for new ones, oldest first; polled peers never go.
func TestPeerLimit(t *testing.T) {
	d, err := dashboard.New()
	if err != nil {
		t.Fatal(err)
	}
	for i := range dashboard.MaxPeers {
		if err := d.Push(fmt.Sprint("tab", i), report.Report{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Push("tab0", report.Report{}); err != nil { // tab1 is now the stalest
		t.Fatal(err)
	}
	if err := d.AddPeer("polled", okGetter); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, p := range d.State().Peers {
		names[p.Name] = true
	}
	if len(names) != dashboard.MaxPeers || names["tab1"] || !names["tab0"] || !names["polled"] {
		t.Errorf("peers after eviction: %v", names)
	}

	d, _ = dashboard.New()
	for i := range dashboard.MaxPeers {
		if err := d.AddPeer(fmt.Sprint("pc", i), okGetter); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.AddPeer("one more", okGetter); !errors.Is(err, dashboard.ErrTooManyPeers) {
		t.Errorf("AddPeer beyond the limit: %v", err)
	}
	if err := d.Push("one more", report.Report{}); !errors.Is(err, dashboard.ErrTooManyPeers) {
		t.Errorf("Push beyond the limit: %v", err)
	}
}

// fakePeer hands out an inbound stream receiving 1000 bytes per 100 ms of
// report time on each call, failing when told to.
type fakePeer struct {
	mu    sync.Mutex
	calls int
	fail  bool
}

func (f *fakePeer) get() (report.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail {
		return nil, errors.New("peer connection closed")
	}
	n := uint64(f.calls)
	return report.Report{"I": &report.InboundRTPStreamStats{
		Base: report.Base{ID: "I", Type: report.TypeInboundRTP, Timestamp: float64(n) * 100},
		SSRC: 1, Kind: "audio", BytesReceived: new(n * 1000),
	}}, nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunPolls(t *testing.T) {
	d, err := dashboard.New(dashboard.WithInterval(10 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePeer{}
	if err := d.AddPeer("pc", f.get); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	waitFor(t, "the first poll", func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.calls > 0 })
	second := make(chan struct{})
	go func() { d.Run(ctx); close(second) }()
	select {
	case <-second:
	case <-time.After(5 * time.Second):
		t.Fatal("a second Run did not return at once")
	}

	waitFor(t, "3 points", func() bool {
		st := d.State()
		return len(st.Peers[0].Objects) == 1 && len(st.Peers[0].Objects[0].Times) >= 3
	})
	in := d.State().Peers[0].Objects[0]
	// 1000 bytes per 0.1 s of report time: 80 kbit/s at every point.
	for i, v := range seriesOf(t, in, "bitrate", "payload") {
		if !near(v, 80000) {
			t.Errorf("bitrate[%d] = %v, want 80000", i, v)
		}
	}

	f.mu.Lock()
	f.fail = true
	f.mu.Unlock()
	waitFor(t, "the error", func() bool { return strings.Contains(d.State().Peers[0].Error, "closed") })
	f.mu.Lock()
	f.fail = false
	f.mu.Unlock()
	waitFor(t, "the error to clear", func() bool { return d.State().Peers[0].Error == "" })

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
