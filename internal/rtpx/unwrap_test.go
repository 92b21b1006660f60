package rtpx

import (
	"math"
	"testing"
	"time"
)

func TestSeqUnwrapper(t *testing.T) {
	var u SeqUnwrapper
	in := []uint16{65533, 65534, 65535, 0, 65535 /* late, across the wrap */, 1, 3, 2}
	want := []int64{65533, 65534, 65535, 65536, 65535, 65537, 65539, 65538}
	for i, s := range in {
		if got := u.Unwrap(s); got != want[i] {
			t.Fatalf("step %d: Unwrap(%d) = %d, want %d", i, s, got, want[i])
		}
	}
}

func TestTimestampUnwrapper(t *testing.T) {
	var u TimestampUnwrapper
	in := []uint32{math.MaxUint32 - 1799, 0, 1800, 900 /* backwards */}
	want := []int64{math.MaxUint32 - 1799, 1<<32 + 0, 1<<32 + 1800, 1<<32 + 900}
	for i, ts := range in {
		if got := u.Unwrap(ts); got != want[i] {
			t.Fatalf("step %d: Unwrap(%d) = %d, want %d", i, ts, got, want[i])
		}
	}
}

func TestNTP(t *testing.T) {
	// 2020-01-01T00:00:00.5Z = 1577836800.5 s since Unix epoch.
	ntp := uint64(1577836800+2208988800)<<32 | 1<<31
	if got := NTPToUnixMillis(ntp); got != 1577836800500 {
		t.Fatalf("NTPToUnixMillis = %v", got)
	}
	if got := TimeToNTP(time.Unix(1577836800, 5e8)); got != ntp {
		t.Fatalf("TimeToNTP = %x, want %x", got, ntp)
	}
	if got := CompactNTP(0x0001_0002_0003_0004); got != 0x0002_0003 {
		t.Fatalf("CompactNTP = %x", got)
	}
	if got := CompactToDuration(0x0001_8000); got != 1500*time.Millisecond {
		t.Fatalf("CompactToDuration = %v", got)
	}
}

func TestSignExtend24(t *testing.T) {
	for in, want := range map[uint32]int32{0: 0, 5: 5, 0xffffff: -1, 0x800000: -8388608, 0x7fffff: 8388607} {
		if got := SignExtend24(in); got != want {
			t.Errorf("SignExtend24(%#x) = %d, want %d", in, got, want)
		}
	}
}
