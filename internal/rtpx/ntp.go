package rtpx

import "time"

// ntpEpochOffset is the number of seconds from 1900-01-01 (NTP era 0) to
// 1970-01-01 (Unix epoch).
const ntpEpochOffset = 2208988800

// ntpEraPivot is the NTP seconds value below which a timestamp is taken to
// be in era 1, which starts on 2036-02-07T06:28:16Z (RFC 4330 section 3).
const ntpEraPivot = 1 << 31

// NTPToUnixMillis converts a 64-bit NTP timestamp (RFC 3550 section 4) to
// milliseconds since the Unix epoch, keeping sub-millisecond precision.
// The 32-bit seconds field wraps in 2036; as RFC 4330 section 3 (and RFC
// 2030 before it) prescribes, a value whose most significant bit is 0 is
// read as era 1, so the result covers 1968-01-20 to 2104-02-26 and is the
// inverse of TimeToNTP over that span.
func NTPToUnixMillis(ntp uint64) float64 {
	s := int64(ntp >> 32)
	if s < ntpEraPivot {
		s += 1 << 32
	}
	sec := float64(s - ntpEpochOffset)
	frac := float64(ntp&0xffffffff) / (1 << 32)
	return (sec + frac) * 1000
}

// UnixMillis converts a wall-clock time to a DOMHighResTimeStamp:
// milliseconds since the Unix epoch with sub-millisecond precision.
func UnixMillis(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e6
}

// TimeToNTP converts a wall-clock time to a 64-bit NTP timestamp. The
// seconds field is taken modulo 2^32, as the NTP era wrap of 2036 requires;
// the fraction is truncated, never rounded up into the next second.
func TimeToNTP(t time.Time) uint64 {
	ns := t.UnixNano()
	sec, rem := ns/1e9, ns%1e9
	if rem < 0 { // before 1970: floor, so that the fraction is positive
		sec, rem = sec-1, rem+1e9
	}
	frac := (uint64(rem) << 32) / 1e9
	return uint64(sec+ntpEpochOffset)<<32 | frac
}

// CompactNTP returns the middle 32 bits of an NTP timestamp, the form used by
// the LSR and DLSR fields of RTCP report blocks (units of 1/65536 s).
func CompactNTP(ntp uint64) uint32 {
	return uint32(ntp >> 16)
}

// CompactToDuration converts a compact-NTP interval (such as DLSR) to a duration.
func CompactToDuration(c uint32) time.Duration {
	return time.Duration((uint64(c) * uint64(time.Second)) >> 16)
}

// SignExtend24 interprets the low 24 bits of v as a two's-complement number,
// as RFC 3550 6.4.1 defines the cumulative number of packets lost.
func SignExtend24(v uint32) int32 {
	return int32(v<<8) >> 8
}
