package collectors

import (
	"time"
)

// jitterEstimator is RFC 3550 A.8: J += (|D(i-1,i)| - J)/16, where
// D(i-1,i) = (R(i) - R(i-1)) - (S(i) - S(i-1)) for two consecutive in-order
// packets, R their arrival times and S their RTP timestamps. D is taken from
// the differences directly: arrival times on the monotonic clock (no
// wall-clock step can disturb them) and the timestamp difference as a signed
// 32-bit step, which a 2^32 wrap leaves exact. The estimate is kept in
// timestamp units as a float, i.e. without A.8's integer rounding.
type jitterEstimator struct {
	lastArrival Instant
	lastTS      uint32
	jitter      float64 // timestamp units
	packets     int
	// rebased: the next packet starts a new reference (after the source
	// restarted its numbering) instead of giving a difference.
	rebased bool
}

// rebase forgets the timestamp and arrival reference but keeps the
// estimate: a source that restarted (RFC 3550 A.1) starts a new random
// timestamp base, and the difference across the restart would be that
// offset, not jitter.
func (j *jitterEstimator) rebase() {
	j.rebased = true
}

// exactUnits bounds arrival differences (ns) and clock rates whose product
// fits an int64, so that one multiplication and one division give the
// arrival difference in timestamp units, exact whenever it is a whole number.
const (
	exactUnitsMaxNs   = 1 << 40 // about 18 minutes
	exactUnitsMaxRate = 1 << 22
)

func (j *jitterEstimator) update(arrival Instant, rtpTS uint32, clockRate uint32) {
	if j.packets > 0 && !j.rebased {
		dns := int64(arrival - j.lastArrival)
		var units float64
		if dns > -exactUnitsMaxNs && dns < exactUnitsMaxNs && clockRate < exactUnitsMaxRate {
			units = float64(dns*int64(clockRate)) / 1e9
		} else {
			// Whole seconds and the nanosecond remainder separately.
			sec, rem := dns/int64(time.Second), dns%int64(time.Second)
			units = float64(sec)*float64(clockRate) + float64(rem*int64(clockRate))/1e9
		}
		d := units - float64(int32(rtpTS-j.lastTS))
		if d < 0 {
			d = -d
		}
		j.jitter += (d - j.jitter) / 16
	}
	j.lastArrival, j.lastTS = arrival, rtpTS
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
