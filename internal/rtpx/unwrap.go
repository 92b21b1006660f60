package rtpx

// SeqUnwrapper extends 16-bit RTP sequence numbers to int64 by choosing, for
// each new value, the extension closest to the highest one seen so far
// (RFC 3550 A.1 keeps a cycle count; this is the same thing without the
// special cases, and it handles reordering across a wrap).
type SeqUnwrapper struct {
	max     int64
	started bool
}

// Unwrap returns the extended sequence number of seq. It does not move the
// reference backwards, so late packets unwrap against the newest one.
func (u *SeqUnwrapper) Unwrap(seq uint16) int64 {
	if !u.started {
		u.started = true
		u.max = int64(seq)
		return u.max
	}
	ext := u.max + int64(int16(seq-uint16(u.max)))
	if ext > u.max {
		u.max = ext
	}
	return ext
}

// TimestampUnwrapper extends 32-bit RTP timestamps to int64 relative to the
// previous value, so differences stay exact across a 2^32 wrap.
type TimestampUnwrapper struct {
	last    uint32
	ext     int64
	started bool
}

// Unwrap returns the extended value of ts.
func (u *TimestampUnwrapper) Unwrap(ts uint32) int64 {
	if !u.started {
		u.started = true
		u.last, u.ext = ts, int64(ts)
		return u.ext
	}
	u.ext += int64(int32(ts - u.last))
	u.last = ts
	return u.ext
}
