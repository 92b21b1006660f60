package browser

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rtcstats/rtcstats/internal/browserpeer"
	"github.com/rtcstats/rtcstats/report"
)

// chromiumPath returns the Chromium to drive: $CHROMIUM, else the first of
// chromium, chromium-browser and google-chrome on PATH. It skips the test
// when there is none.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			tb.Skipf("$CHROMIUM=%s is not runnable: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	tb.Skip("no Chromium: set $CHROMIUM or put chromium, chromium-browser or google-chrome on PATH (.ci/run installs Debian's chromium)")
	return ""
}

// chromium starts a headless Chromium with fake media devices, allowed to
// use loopback candidates, and returns a chromedp context for its one tab.
func chromium(tb testing.TB) context.Context {
	tb.Helper()
	path := chromiumPath(tb)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	tb.Cleanup(func() {
		cancelC()
		cancelA()
	})
	// The first Run starts the browser.
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// call is one browser ↔ pion call.
type call struct {
	t    testing.TB
	tab  context.Context //nolint:containedctx // chromedp names a browser tab by its context; the call lives within one test
	srv  *browserpeer.Server
	sess *browserpeer.Session
}

// startCall serves cfg on 127.0.0.1, opens the page in Chromium with query
// (autostart added) and returns once pion is connected and the page has
// applied its networkPriority. before, if not nil, runs once Chromium has
// started, before the page loads.
func startCall(tb testing.TB, cfg browserpeer.Config, query string, before func(*call)) *call {
	tb.Helper()
	cfg.LoopbackOnly = true
	srv, err := browserpeer.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
	})
	tab := chromium(tb)
	c := &call{t: tb, tab: tab, srv: srv}
	if before != nil {
		before(c)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(hs.URL+"/?autostart=1&"+query)); err != nil {
		tb.Fatalf("navigate: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		var st struct {
			Ready bool   `json:"ready"`
			Err   string `json:"err"`
		}
		c.eval(`({ready: !!window.rtcReady, err: window.rtcError || ""})`, &st)
		if st.Err != "" {
			tb.Fatalf("the page failed: %s", st.Err)
		}
		if st.Ready {
			break
		}
		select {
		case <-ctx.Done():
			tb.Fatal("the page did not connect within 20 s")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if c.sess, err = srv.WaitSession(ctx); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-c.sess.Connected():
	case <-ctx.Done():
		tb.Fatal("pion did not connect within 20 s")
	}
	return c
}

// eval evaluates js in the page, awaiting a promise, into out.
func (c *call) eval(js string, out any) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.tab, 10*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		c.t.Fatalf("evaluating %.60q: %v", js, err)
	}
	if out == nil {
		return
	}
	if err := json.Unmarshal(raw, out); err != nil {
		c.t.Fatalf("evaluating %.60q: %v", js, err)
	}
}

// browserJSON is Chromium's getStats as a page would post it.
func (c *call) browserJSON() []byte {
	c.t.Helper()
	var s string
	c.eval(`window.browserStats().then(r => JSON.stringify(r))`, &s)
	return []byte(s)
}

// browser is Chromium's getStats loaded into our types.
func (c *call) browser() report.Report {
	c.t.Helper()
	var r report.Report
	if err := json.Unmarshal(c.browserJSON(), &r); err != nil {
		c.t.Fatalf("Chromium's getStats does not load: %v", err)
	}
	return r
}

// browserAfter returns Chromium's getStats collected after t (ms since the
// epoch). libwebrtc caches a report for 50 ms, so a call right after
// another may return the earlier one.
func (c *call) browserAfter(t float64) report.Report {
	c.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := c.browser()
		if at(r, report.TypeInboundRTP) > t {
			return r
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("Chromium's getStats stayed older than %.1f", t)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ours is our report of the call.
func (c *call) ours() report.Report {
	c.t.Helper()
	r, err := c.sess.Stats()
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}
