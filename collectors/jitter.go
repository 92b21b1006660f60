package collectors

import (
	"math"
	"time"
)

// jitterEstimator is RFC 3550 A.8: J += (|D(i-1,i)| - J)/16, where
// D(i-1,i) = (R(i) - R(i-1)) - (S(i) - S(i-1)) for two consecutive in-order
// packets, R their arrival times and S their RTP timestamps. D is taken from
// the differences directly: arrival times on the monotonic clock (no
// wall-clock step can disturb them) and the timestamp difference as a signed
// 32-bit step, which a 2^32 wrap leaves exact.
//
// As in A.8 the estimate is an integer, so that the division by 16 is a
// shift, but in nanounits (1e-9 timestamp units) rather than A.8's
// sixteenths of a unit: D in nanounits, (R(i)-R(i-1))·rate -
// (S(i)-S(i-1))·1e9 with arrival times in ns, is an exact integer, and no
// division is left on the packet path. Rounding each step to the nearest
// nanounit keeps the estimate within 8 nanounits of the exact recurrence.
type jitterEstimator struct {
	lastArrival Instant
	nanounits   int64 // the estimate, 1e-9 timestamp units
	lastTS      uint32
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

const (
	// exactUnitsMaxNs and exactUnitsMaxRate bound arrival differences
	// (ns) and clock rates whose product, less a timestamp step in
	// nanounits (under 2^61), fits an int64.
	exactUnitsMaxNs   = 1 << 40 // about 18 minutes
	exactUnitsMaxRate = 1 << 22
	// maxNanounits caps |D| from arrival differences beyond
	// exactUnitsMaxNs so that the recurrence cannot overflow: a D over
	// 2^62 nanounits (4.6e9 timestamp units, 14 hours at 90 kHz) is no
	// network jitter anyway.
	maxNanounits = 1 << 62
)

// update takes the next in-order packet, which arrived at arrival with
// timestamp rtpTS.
func (j *jitterEstimator) update(arrival Instant, rtpTS uint32, clockRate uint32) {
	if j.step(arrival, rtpTS, clockRate) {
		return
	}
	if j.packets > 0 && !j.rebased {
		dns := int64(arrival - j.lastArrival)
		j.nanounits += (hugeNanounits(dns, clockRate, int64(int32(rtpTS-j.lastTS))*1e9) - j.nanounits + 8) >> 4
	}
	j.lastArrival, j.lastTS = arrival, rtpTS
	j.rebased = false
	j.packets++
}

// step is update's common case, small enough to inline: a difference to
// the last packet whose product with the clock rate fits an int64 (|D| <
// 2^62 + 2^61, so the recurrence stays within an int64 too). It reports
// whether it took the packet.
func (j *jitterEstimator) step(arrival Instant, rtpTS uint32, clockRate uint32) bool {
	dns := int64(arrival - j.lastArrival)
	if j.packets == 0 || j.rebased || uint64(dns+exactUnitsMaxNs) >= 2*exactUnitsMaxNs || clockRate >= exactUnitsMaxRate {
		return false
	}
	d := dns*int64(clockRate) - int64(int32(rtpTS-j.lastTS))*1e9
	j.nanounits += (max(d, -d) - j.nanounits + 8) >> 4 // rounded, as in A.8
	j.lastArrival, j.lastTS = arrival, rtpTS
	j.packets++
	return true
}

// hugeNanounits is |D| in nanounits when the arrival difference times the
// rate may not fit an int64, saturated at maxNanounits.
func hugeNanounits(dns int64, clockRate uint32, dts int64) int64 {
	d := math.Abs(float64(dns)*float64(clockRate) - float64(dts))
	if d >= maxNanounits {
		return maxNanounits
	}
	return int64(d)
}

// seconds returns the jitter in seconds and whether a difference has been
// measured yet (it needs two in-order packets).
func (j *jitterEstimator) seconds(clockRate uint32) (float64, bool) {
	if j.packets < 2 || clockRate == 0 {
		return 0, false
	}
	return float64(j.nanounits) / (float64(clockRate) * float64(time.Second)), true
}
