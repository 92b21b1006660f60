package collectors

import (
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// wallMillis is the wall-clock time of t in ms since the Unix epoch, found
// through its monotonic distance from now. The interceptor stamps packets
// from one monotonic reading whose wall part is not re-read, so after a
// wall-clock step only now's wall time is right.
func wallMillis(now, t time.Time) float64 {
	return rtpx.UnixMillis(now.Add(-now.Sub(t)))
}
