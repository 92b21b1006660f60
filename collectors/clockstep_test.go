package collectors

import (
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// The sender's wall clock is stepped back 20 minutes between two Sender
// Reports: the later SR carries an older NTP time but more packets, and it
// is the newer report. A reordered SR (fewer packets) and a repeated one are
// still refused, and with no packet sent in between the NTP time decides.
func TestSenderReportAfterWallClockStepBack(t *testing.T) {
	s := NewInbound(InboundConfig{ID: "IT1", RemoteID: "RO1", SSRC: 7, Kind: "audio", ClockRate: 48000})
	wall := time.Unix(1700000000, 0)
	ntp1 := rtpx.TimeToNTP(wall)
	ntp2 := rtpx.TimeToNTP(wall.Add(-20*time.Minute + time.Second))
	ntp3 := rtpx.TimeToNTP(wall.Add(-20*time.Minute + 2*time.Second))
	steps := []struct {
		at       time.Duration
		ntp      uint64
		packets  uint32
		accepted bool
		want     uint64 // packetsSent afterwards
	}{
		{0, ntp1, 100, true, 100},
		{time.Second, ntp2, 150, true, 150},      // stepped back, but newer
		{time.Second, ntp1, 100, false, 150},     // the first SR again, delayed: older
		{time.Second, ntp2, 150, false, 150},     // repeated
		{2 * time.Second, ntp3, 150, true, 150},  // nothing sent: NTP decides, newer
		{3 * time.Second, ntp2, 150, false, 150}, // nothing sent: NTP decides, older
		{4 * time.Second, ntp1, 0x7fffff00, true, 0x7fffff00},
		{5 * time.Second, ntp2, 0xfffffe00, true, 0xfffffe00},
		{6 * time.Second, ntp3, 4, true, 0x100000004}, // the 32-bit count wraps: 516 more
	}
	for i, st := range steps {
		if got := s.OnSenderReport(t0.Add(st.at), st.ntp, st.packets, st.packets*100); got != st.accepted {
			t.Fatalf("SR %d: accepted %v, want %v", i, got, st.accepted)
		}
		ro := s.Snapshot(t0).Remote
		if *ro.PacketsSent != st.want {
			t.Fatalf("SR %d: packetsSent %d, want %d", i, *ro.PacketsSent, st.want)
		}
	}
	// remoteTimestamp follows the sender's (stepped) wall clock.
	if ro := s.Snapshot(t0).Remote; *ro.RemoteTimestamp != rtpx.NTPToUnixMillis(ntp3) || *ro.ReportsSent != 6 {
		t.Fatalf("remoteTimestamp %v reports %d", *ro.RemoteTimestamp, *ro.ReportsSent)
	}
}
