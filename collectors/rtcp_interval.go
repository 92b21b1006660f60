package collectors

import "time"

// rtcpInterval averages the time between the RTCP report packets sent about
// one stream (averageRtcpInterval): the first to the last, over their count
// less one, on the monotonic clock.
type rtcpInterval struct {
	first, last time.Time
	n           uint64
}

func (r *rtcpInterval) sent(now time.Time) {
	if r.n == 0 {
		r.first = now
	}
	r.last = now
	r.n++
}

// average is in seconds; ok is false before the second report.
func (r *rtcpInterval) average() (float64, bool) {
	if r.n < 2 {
		return 0, false
	}
	return r.last.Sub(r.first).Seconds() / float64(r.n-1), true
}
