package browser

import (
	"testing"

	"github.com/rtcstats/rtcstats/report"
)

// chromiumMarks: with networkPriority "high" on both of Chromium's senders,
// our perDscpPacketsReceived shows its RFC 8837 marks: EF (46) for audio,
// AF41 (34) for interactive video (libwebrtc marks every video packet
// alike; it does not lower the drop precedence of key frames).
func (in *interop) chromiumMarks(t *testing.T) {
	var prio []struct {
		Kind            string `json:"kind"`
		NetworkPriority string `json:"networkPriority"`
	}
	in.c.eval(`window.rtcPriority`, &prio)
	t.Logf("Chromium's senders: %+v", prio)
	for _, kind := range []string{"audio", "video"} {
		o, ok := outboundKind(in.browserFinal, kind)
		if !ok {
			t.Fatalf("Chromium has no %s outbound-rtp", kind)
		}
		ours, ok := bySSRC[*report.InboundRTPStreamStats](in.final, o.SSRC)
		if !ok {
			t.Fatalf("no inbound-rtp for Chromium's %s", kind)
		}
		want := map[string]string{"audio": "46", "video": "34"}[kind]
		got := ours.PerDSCPPacketsReceived
		t.Logf("%s perDscpPacketsReceived %v", kind, got)
		if n := sum(got); n == 0 || float64(got[want]) < 0.95*float64(n) {
			t.Errorf("%s: %d of %d packets arrived with DSCP %s", kind, got[want], n, want)
		}
	}
}
