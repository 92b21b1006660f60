package e2e

import (
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

// pion's report interceptors send an SR per sent stream and an RR per
// received stream on a 1 s ticker (report.NewSenderInterceptor and
// NewReceiverInterceptor defaults), so every averageRtcpInterval must be
// 1 s; a ticker that falls behind on a loaded machine drops ticks, hence
// the tolerance above.
func TestAverageRTCPIntervalIsPionsTicker(t *testing.T) {
	_, off, ans, _ := call(t, peers.Config{}, 5*time.Second)
	for name, r := range map[string]report.Report{"offerer": off, "answerer": ans} {
		var got []*float64
		for _, o := range report.Filter[*report.OutboundRTPStreamStats](r) {
			got = append(got, o.AverageRTCPInterval)
		}
		for _, in := range report.Filter[*report.InboundRTPStreamStats](r) {
			got = append(got, in.AverageRTCPInterval)
		}
		if len(got) != 4 {
			t.Fatalf("%s: %d RTP streams, want 4", name, len(got))
		}
		for k, v := range got {
			if v == nil {
				t.Errorf("%s stream %d: no averageRtcpInterval after 5 s", name, k)
				continue
			}
			t.Logf("%s stream %d: averageRtcpInterval %.4f s", name, k, *v)
			// A ticker never fires early by more than scheduling noise;
			// late (dropped ticks) by up to half a tick on average.
			if *v < 0.95 || *v >= 1.5 {
				t.Errorf("%s stream %d: averageRtcpInterval %.3f s, want 1 s (pion's ticker)", name, k, *v)
			}
		}
	}
}
