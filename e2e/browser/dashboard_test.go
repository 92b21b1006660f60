package browser_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/dscp"
	"github.com/rtcstats/rtcstats/internal/dashboard"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

// dashChromium finds a Chromium: $CHROMIUM, then chromium, chromium-browser
// or google-chrome on PATH. It skips the test when there is none.
func dashChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
		t.Skipf("$CHROMIUM=%q is not an executable", p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium: set $CHROMIUM or put chromium, chromium-browser or google-chrome on PATH")
	return ""
}

// dashBrowser starts a headless Chromium and returns its chromedp context.
func dashBrowser(t *testing.T, ctx context.Context, exe string) context.Context {
	t.Helper()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() { bcancel(); acancel() })
	return bctx
}

// dashCard is one card as the page drew it, read from the DOM.
type dashCard struct {
	Peer, Type, ID, Kind string
	Gone                 bool
	Charts               []dashChart
}

type dashChart struct {
	Name, Unit string
	Points     int
	Series     []dashSeries
}

type dashSeries struct {
	Label    string
	Points   int
	Last     *float64
	Mean     *float64 // of the drawn points
	Segments int      // M and L commands in the drawn path
}

const dashReadDOM = `[...document.querySelectorAll('.card')].map((c) => ({
  Peer: c.dataset.peer, Type: c.dataset.type, ID: c.dataset.id, Gone: c.classList.contains('gone'),
  Kind: ([...c.querySelectorAll('dl.keys dt')].find((dt) => dt.textContent === 'kind')?.nextSibling?.textContent) || '',
  Charts: [...c.querySelectorAll('.chart')].map((ch) => ({
    Name: ch.dataset.chart, Unit: ch.dataset.unit, Points: +ch.dataset.points,
    Series: [...ch.querySelectorAll('path[data-series]')].map((p) => ({
      Label: p.dataset.series, Points: +p.dataset.points,
      Last: p.dataset.last === '' ? null : +p.dataset.last,
      Mean: p.dataset.mean === '' ? null : +p.dataset.mean,
      Segments: (p.getAttribute('d').match(/[ML]/g) || []).length,
    })),
  })),
}))`

// dashReady: every inbound-rtp card has a payload bitrate line of at least
// 4 points, and every remote-inbound-rtp card an RTT point.
const dashReady = `(() => {
  const cards = [...document.querySelectorAll('.card')];
  const pts = (c, chart) => Math.max(0, ...[...c.querySelectorAll('.chart[data-chart="' + chart + '"] path[data-series]')].map((p) => +p.dataset.points));
  const inb = cards.filter((c) => c.dataset.type === 'inbound-rtp');
  const ri = cards.filter((c) => c.dataset.type === 'remote-inbound-rtp');
  return inb.length >= 4 && ri.length >= 4 && inb.every((c) => pts(c, 'bitrate') >= 4) && ri.every((c) => pts(c, 'round-trip time') >= 1);
})()`

func (c dashCard) series(chart, label string) (dashSeries, bool) {
	for _, ch := range c.Charts {
		for _, s := range ch.Series {
			if ch.Name == chart && s.Label == label {
				return s, true
			}
		}
	}
	return dashSeries{}, false
}

// liveIn checks that a series was drawn with at least minPoints points,
// that its newest value is above zero (live), and that the mean of its
// points lies in [lo, hi]: the mean, because one short interval can catch
// a burst of packets that a loaded machine delayed.
func (c dashCard) liveIn(t *testing.T, chart, label string, minPoints int, lo, hi float64) {
	t.Helper()
	s, ok := c.series(chart, label)
	switch {
	case !ok:
		t.Errorf("%s %s %s (%s): no %q line in chart %q", c.Peer, c.Type, c.Kind, c.ID, label, chart)
	case s.Points < minPoints || s.Segments != s.Points:
		t.Errorf("%s %s %s: %q/%q has %d points, %d drawn; want at least %d", c.Peer, c.Type, c.Kind, chart, label, s.Points, s.Segments, minPoints)
	case s.Last == nil || *s.Last <= 0:
		t.Errorf("%s %s %s: %q/%q ends at %v, want above 0", c.Peer, c.Type, c.Kind, chart, label, dashDeref(s.Last))
	case s.Mean == nil || *s.Mean < lo || *s.Mean > hi:
		t.Errorf("%s %s %s: %q/%q has mean %v, want within [%g, %g]", c.Peer, c.Type, c.Kind, chart, label, dashDeref(s.Mean), lo, hi)
	}
}

func dashDeref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// The screenshot: the dashboard over the loopback pair after a few
// seconds of traffic, checked from the DOM to hold a card per stats object
// and live charts whose values fit what the testdata sends, saved as PNG.
func TestDashboardScreenshot(t *testing.T) {
	exe := dashChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	pair, err := peers.New(cctx, peers.Config{FactoryOptions: []rtcstats.Option{rtcstats.WithDSCP(
		dscp.WithKindPriority(dscp.KindAudio, dscp.PriorityHigh),
		dscp.WithKindPriority(dscp.KindVideo, dscp.PriorityMedium),
		dscp.WithDataChannelPriority(dscp.PriorityLow),
	)}})
	ccancel()
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer func() { _ = pair.Close() }()

	d, err := dashboard.New(dashboard.WithInterval(500 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*peers.Peer{pair.Offerer, pair.Answerer} {
		pc := p.PC
		if err := d.AddPeer(p.Name, func() (report.Report, error) { return pair.Factory.GetStats(pc) }); err != nil {
			t.Fatal(err)
		}
	}
	// Mounted under a prefix, as an application would.
	mux := http.NewServeMux()
	mux.Handle("/debug/rtc/", http.StripPrefix("/debug/rtc", d))
	srv := httptest.NewServer(mux) // 127.0.0.1
	defer srv.Close()

	mctx, mcancel := context.WithCancel(ctx)
	media := make(chan error, 1)
	go func() { _, _, err := pair.SendMedia(mctx); media <- err }()
	polled := make(chan struct{})
	go func() { d.Run(mctx); close(polled) }()
	defer func() {
		mcancel()
		<-polled
		if err := <-media; err != nil {
			t.Errorf("media: %v", err)
		}
	}()

	b := dashBrowser(t, ctx, exe)
	if err := chromedp.Do(b, chromedp.Navigate(srv.URL+"/debug/rtc/")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	if _, err := chromedp.Run(b, chromedp.Poll[bool](dashReady,
		chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(25*time.Second))); err != nil {
		cards, _ := chromedp.Run(b, chromedp.Evaluate[[]dashCard](dashReadDOM))
		t.Fatalf("the charts did not fill: %v; cards %+v", err, cards)
	}
	pageErr, err := chromedp.Run(b, chromedp.Evaluate[string](`document.body.dataset.error || ''`))
	if err != nil || pageErr != "" {
		t.Errorf("page error %q (%v)", pageErr, err)
	}
	cards, err := chromedp.Run(b, chromedp.Evaluate[[]dashCard](dashReadDOM))
	if err != nil {
		t.Fatal(err)
	}

	// A card for every object type a pion peer reports, on both peers.
	count := map[string]map[string]int{}
	for _, c := range cards {
		if count[c.Peer] == nil {
			count[c.Peer] = map[string]int{}
		}
		count[c.Peer][c.Type]++
	}
	for _, peer := range []string{"offerer", "answerer"} {
		want := map[string]int{"inbound-rtp": 2, "outbound-rtp": 2, "remote-inbound-rtp": 2, "remote-outbound-rtp": 2}
		for _, ty := range []string{
			"peer-connection", "transport", "candidate-pair", "local-candidate",
			"remote-candidate", "certificate", "codec", "data-channel",
		} {
			want[ty] = 1 // at least
		}
		for ty, n := range want {
			if count[peer][ty] < n {
				t.Errorf("%s: %d %s cards, want at least %d (all: %v)", peer, count[peer][ty], ty, n, count[peer])
			}
		}
	}

	// Expectations from the testdata and the sender, not from the code:
	// Opus at 32 kbit/s in 20 ms packets, VP8 320x240 at 30 fps
	// (104396 bytes for 3 s, about 280 kbit/s), a data-channel message
	// every 100 ms, RFC 8837 marking: audio EF (46), video AF42/AF43 (36/38).
	for _, c := range cards {
		switch {
		case c.Type == "inbound-rtp" && c.Kind == "audio":
			c.liveIn(t, "bitrate", "payload", 4, 16e3, 64e3)
			c.liveIn(t, "packet rate", "received", 4, 35, 65)
			c.liveIn(t, "per-DSCP packet rate", "EF (46)", 2, 35, 65)
		case c.Type == "inbound-rtp" && c.Kind == "video":
			c.liveIn(t, "bitrate", "payload", 4, 70e3, 1.2e6)
			c.liveIn(t, "packet rate", "received", 4, 25, 500)
			c.liveIn(t, "jitter", "jitter", 2, 0, 0.1)
		case c.Type == "outbound-rtp" && c.Kind == "audio":
			c.liveIn(t, "bitrate", "payload", 2, 16e3, 64e3)
			c.liveIn(t, "per-DSCP packet rate", "EF (46)", 2, 35, 65)
		case c.Type == "outbound-rtp" && c.Kind == "video":
			c.liveIn(t, "bitrate", "payload", 2, 70e3, 1.2e6)
			_, k := c.series("per-DSCP packet rate", "AF42 (36)")
			_, o := c.series("per-DSCP packet rate", "AF43 (38)")
			if !k || !o {
				t.Errorf("%s video outbound: per-DSCP lines AF42 %v, AF43 %v; want both", c.Peer, k, o)
			}
		case c.Type == "remote-inbound-rtp":
			c.liveIn(t, "round-trip time", "mean of new measurements", 1, 1e-6, 0.5)
		case c.Type == "candidate-pair" && !c.Gone: // carries all of the above: at least audio + video
			c.liveIn(t, "bitrate", "sent", 2, 86e3, 10e6)
		case c.Type == "data-channel":
			c.liveIn(t, "message rate", "sent", 2, 5, 15)
		}
	}

	png := dashScreenshot(t, b)
	dashCheckPNG(t, png)
}

// dashScreenshot saves the whole page as PNG under the test's output folder.
func dashScreenshot(t *testing.T, b context.Context) []byte {
	t.Helper()
	buf, err := chromedp.Run(b, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), "dashboard.png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes; kept with go test -artifacts)", path, len(buf))
	return buf
}

// dashCheckPNG: the screenshot is a real picture with the chart lines in
// it: enough pixels of the first line colour (#1565c0).
func dashCheckPNG(t *testing.T, buf []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	bounds := img.Bounds()
	if bounds.Dx() < 800 || bounds.Dy() < 600 {
		t.Errorf("screenshot is %v", bounds)
	}
	if n := dashCountNear(img, 0x15, 0x65, 0xc0); n < 500 {
		t.Errorf("only %d pixels of the first chart line colour in the screenshot", n)
	}
}

func dashCountNear(img image.Image, r0, g0, b0 int) int {
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if dashAbs(int(r>>8)-r0) < 24 && dashAbs(int(g>>8)-g0) < 24 && dashAbs(int(b>>8)-b0) < 24 {
				n++
			}
		}
	}
	return n
}

func dashAbs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
