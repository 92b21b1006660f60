package collectors

import (
	"math"
	"testing"
	"time"
)

// jitterTolerance bounds, in timestamp units, how far the estimate may be
// from the exact recurrence: at most half a nanounit per step, shrunk by
// 15/16 each next step, is 8 nanounits; 10 leave room for the conversion
// to float.
const jitterTolerance = 10e-9

// TestJitterRecurrence works RFC 3550 A.8 by hand at 90 kHz (1 ms = 90
// units): packets sent every 10 ms (900 units) that arrive 0, 2, 1, 5 and 5
// ms late give |D| = 180, 90, 360 and 0 units.
func TestJitterRecurrence(t *testing.T) {
	var j jitterEstimator
	late := []time.Duration{0, 2 * time.Millisecond, 1 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond}
	want, prev := 0.0, late[0]
	for i, l := range late {
		j.update(Instant(time.Duration(i)*10*time.Millisecond+l), uint32(1000+900*i), 90000)
		if i > 0 {
			d := math.Abs(float64((l - prev).Microseconds()) * 0.09)
			want += (d - want) / 16
		}
		prev = l
		got, ok := j.seconds(90000)
		if ok != (i > 0) {
			t.Fatalf("packet %d: measured %v", i, ok)
		}
		if ok && math.Abs(got*90000-want) > jitterTolerance {
			t.Fatalf("packet %d: jitter %v units, want %v", i, got*90000, want)
		}
	}
	// 180/16 = 11.25, then 11.25 + (90-11.25)/16 = 16.171875, ...
	if got, _ := j.seconds(90000); math.Abs(got*90000-want) > jitterTolerance || want < 16 {
		t.Fatalf("jitter %v units, want %v", got*90000, want)
	}
}

// TestJitterLongGap: arrival differences too long for the exact product
// (over 2^40 ns, some 18 minutes) still give D, and a difference far beyond
// any jitter saturates instead of overflowing.
func TestJitterLongGap(t *testing.T) {
	var j jitterEstimator
	j.update(0, 0, 90000)
	gap := 20 * time.Minute // the timestamp follows: D = 0
	j.update(Instant(gap), uint32(gap.Seconds()*90000), 90000)
	if got, _ := j.seconds(90000); got != 0 {
		t.Fatalf("jitter %v s after a 20 min pause with the timestamp following, want 0", got)
	}
	j.update(Instant(gap+time.Second+125*time.Millisecond), uint32(gap.Seconds()*90000)+90000, 90000)
	// Arrived 125 ms later than the timestamp says: D = 11250 units.
	if got, _ := j.seconds(90000); math.Abs(got*90000-11250.0/16) > jitterTolerance {
		t.Fatalf("jitter %v units, want %v", got*90000, 11250.0/16)
	}

	var huge jitterEstimator
	huge.update(0, 0, 1<<21)
	huge.update(Instant(math.MaxInt64), 0, 1<<21)
	got, _ := huge.seconds(1 << 21)
	if want := float64(maxNanounits/16) / 1e9 / (1 << 21); got <= 0 || math.Abs(got-want) > want*1e-12 {
		t.Fatalf("saturated jitter %v s, want %v", got, want)
	}
}
