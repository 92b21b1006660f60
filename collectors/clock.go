package collectors

import (
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// Instant is a monotonic clock reading in nanoseconds after an epoch shared
// by the collectors of one interceptor (their configs' Epoch). Packet paths
// take Instants, not time.Time: a packet needs one monotonic clock read and
// integer arithmetic, where a time.Time carries a wall reading too and costs
// more to make and compare than the rest of a packet's accounting.
type Instant int64

// InstantOf returns t as an Instant after epoch; a zero epoch is the Unix
// epoch. With the monotonic readings time.Now gives epoch and t, the
// distance ignores wall-clock steps.
func InstantOf(epoch, t time.Time) Instant {
	if epoch.IsZero() {
		epoch = time.Unix(0, 0)
	}
	return Instant(t.Sub(epoch))
}

// wallMillis is the wall-clock time in ms since the Unix epoch of the
// Instant t, found through its distance from now (a snapshot's wall-clock
// time, at as an Instant): after a wall-clock step only now's wall time is
// right, and the distance is monotonic.
func wallMillis(now time.Time, at, t Instant) float64 {
	return rtpx.UnixMillis(now.Add(-time.Duration(at - t)))
}
