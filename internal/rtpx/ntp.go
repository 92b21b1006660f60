package rtpx

import "time"

// ntpEpochOffset is the number of seconds from 1900-01-01 (NTP era 0) to
// 1970-01-01 (Unix epoch).
const ntpEpochOffset = 2208988800

// NTPToUnixMillis converts a 64-bit NTP timestamp (RFC 3550 section 4) to
// milliseconds since the Unix epoch, keeping sub-millisecond precision.
func NTPToUnixMillis(ntp uint64) float64 {
	sec := float64(ntp>>32) - ntpEpochOffset
	frac := float64(ntp&0xffffffff) / (1 << 32)
	return (sec + frac) * 1000
}

// UnixMillis converts a wall-clock time to a DOMHighResTimeStamp:
// milliseconds since the Unix epoch with sub-millisecond precision.
func UnixMillis(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e6
}

// TimeToNTP converts a wall-clock time to a 64-bit NTP timestamp.
func TimeToNTP(t time.Time) uint64 {
	ns := t.UnixNano()
	sec := uint64(ns/1e9) + ntpEpochOffset
	frac := (uint64(ns%1e9) << 32) / 1e9
	return sec<<32 | frac
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
