package collectors

import (
	"time"

	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// jitterEstimator is RFC 3550 A.8: J += (|D(i-1,i)| - J)/16, where D is the
// difference of the relative transit times of two consecutive in-order
// packets. Arrival times are taken on the monotonic clock relative to the
// first packet and RTP timestamps are extended first, so neither a wall-clock
// step nor a 2^32 timestamp wrap can disturb it. The estimate is kept in
// timestamp units as a float, i.e. without A.8's integer rounding.
type jitterEstimator struct {
	ts          rtpx.TimestampUnwrapper
	base        time.Time
	lastTransit float64
	jitter      float64 // timestamp units
	packets     int
	// rebased: the next packet starts a new transit reference (after the
	// source restarted its numbering) instead of giving a difference.
	rebased bool
}

// rebase forgets the timestamp and transit reference but keeps the
// estimate: a source that restarted (RFC 3550 A.1) starts a new random
// timestamp base, and the transit difference across the restart would be
// that offset, not jitter.
func (j *jitterEstimator) rebase() {
	j.ts = rtpx.TimestampUnwrapper{}
	j.rebased = true
}

func (j *jitterEstimator) update(arrival time.Time, rtpTS uint32, clockRate uint32) {
	ext := j.ts.Unwrap(rtpTS)
	if j.packets == 0 {
		j.base = arrival
	}
	// Whole seconds and the nanosecond remainder separately: exact for
	// any realistic call length, where d.Seconds()*rate accumulates
	// rounding error.
	d := arrival.Sub(j.base)
	sec, rem := int64(d/time.Second), int64(d%time.Second)
	arr := float64(sec)*float64(clockRate) + float64(rem*int64(clockRate))/1e9
	transit := arr - float64(ext)
	if j.packets > 0 && !j.rebased {
		d := transit - j.lastTransit
		if d < 0 {
			d = -d
		}
		j.jitter += (d - j.jitter) / 16
	}
	j.lastTransit = transit
	j.rebased = false
	j.packets++
}

// seconds returns the jitter in seconds and whether a difference has been
// measured yet (it needs two in-order packets).
func (j *jitterEstimator) seconds(clockRate uint32) (float64, bool) {
	if j.packets < 2 || clockRate == 0 {
		return 0, false
	}
	return j.jitter / float64(clockRate), true
}
