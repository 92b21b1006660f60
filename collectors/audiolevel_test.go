package collectors

import (
	"math"
	"testing"
)

func levelNear(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func TestLinearAudioLevel(t *testing.T) {
	// 10^(-level/20): 0 dBov is 1, -20 dBov 0.1, -6 dBov about 0.5 (the
	// spec's "0.5 represents approximately 6 dBSPL change"); 127 is silence.
	for _, c := range []struct {
		level uint8
		want  float64
	}{{0, 1}, {20, 0.1}, {40, 0.01}, {6, 0.501187233627272}, {126, 5.011872336272714e-07}, {127, 0}} {
		if got := LinearAudioLevel(c.level); !levelNear(got, c.want) {
			t.Errorf("level %d: %v, want %v", c.level, got, c.want)
		}
		if got := audioEnergy[c.level]; !levelNear(got, c.want*c.want) {
			t.Errorf("energy %d: %v, want %v", c.level, got, c.want*c.want)
		}
	}
}

// The ED's totalAudioEnergy example with RFC 6464 levels: a 10 ms packet at
// -20 dBov (linear 0.1) adds 0.1*0.1*0.01 = 0.0001, a 10 ms packet at
// 0 dBov (1.0) adds 1*1*0.01 = 0.01. Duration 0.02 s, and
// sqrt(0.0101/0.02) = sqrt(0.505) = 0.7106335201775947 is the RMS over the
// 20 ms, which is also audioLevel (both packets are in the 100 ms window).
func TestAudioLevelSpecExample(t *testing.T) {
	var a AudioLevel
	if s := a.Snapshot(); s.Packets != 0 {
		t.Fatalf("zero value reports %+v", s)
	}
	a.Add(20, false, 480, 48000)
	a.Add(0, true, 480, 48000)
	s := a.Snapshot()
	if s.Packets != 2 || !levelNear(s.TotalAudioEnergy, 0.0101) || !levelNear(s.TotalSamplesDuration, 0.02) {
		t.Fatalf("got %+v, want energy 0.0101 over 0.02 s", s)
	}
	if !levelNear(s.AudioLevel, 0.7106335201775947) || !s.VoiceActivityFlag {
		t.Fatalf("audioLevel %v voice %v, want 0.7106335201775947 true", s.AudioLevel, s.VoiceActivityFlag)
	}
}

// audioLevel averages the newest 100 ms: five 20 ms packets at 0 dBov, then
// five silent ones: the window holds only silence, so audioLevel is 0, while
// the totals hold all ten (energy 5*0.02*1 = 0.1 over 0.2 s). One more loud
// packet: the window is the newest five, four silent and one loud, so
// audioLevel = sqrt(0.02/0.1) = sqrt(0.2).
func TestAudioLevelWindow(t *testing.T) {
	var a AudioLevel
	for range 5 {
		a.Add(0, true, 960, 48000)
	}
	for range 5 {
		a.Add(127, false, 960, 48000)
	}
	s := a.Snapshot()
	if s.AudioLevel != 0 || !levelNear(s.TotalAudioEnergy, 0.1) || !levelNear(s.TotalSamplesDuration, 0.2) || s.VoiceActivityFlag {
		t.Fatalf("got %+v", s)
	}
	a.Add(0, true, 960, 48000)
	if s := a.Snapshot(); !levelNear(s.AudioLevel, math.Sqrt(0.2)) {
		t.Fatalf("audioLevel %v, want sqrt(0.2)", s.AudioLevel)
	}
}

// A late packet counts in the totals only: 20 ms at 0 dBov in order, then a
// late 20 ms at -20 dBov: energy 0.02 + 0.01*0.02 = 0.0202 over 0.04 s, but
// audioLevel and the voice flag still describe the in-order packet.
func TestAudioLevelLate(t *testing.T) {
	var a AudioLevel
	a.Add(0, true, 960, 48000)
	a.AddLate(20, 960, 48000)
	s := a.Snapshot()
	if !levelNear(s.TotalAudioEnergy, 0.0202) || !levelNear(s.TotalSamplesDuration, 0.04) || s.AudioLevel != 1 || !s.VoiceActivityFlag || s.Packets != 2 {
		t.Fatalf("got %+v", s)
	}
}

// No clock rate: the packet is counted and its level shown, but it has no
// duration and so adds no energy.
func TestAudioLevelNoClockRate(t *testing.T) {
	var a AudioLevel
	a.Add(20, false, 960, 0)
	s := a.Snapshot()
	if s.Packets != 1 || s.TotalSamplesDuration != 0 || s.TotalAudioEnergy != 0 || !levelNear(s.AudioLevel, 0.1) {
		t.Fatalf("got %+v", s)
	}
}

// AddRTP on a stream of 20 ms packets (960 ticks at 48 kHz), all at
// -20 dBov (energy 0.01 per second), so each counted packet adds 0.02 s and
// 0.0002:
//
//	seq 100 ts 0        first: length unknown, pending
//	seq 102 ts 1920     101 lost: span over a gap is no length, pending
//	seq 103 ts 2880     consecutive, span 960: the three count, 0.06 s
//	seq 104 ts 22080    DTX: 400 ms > 120 ms is no length; counts 960
//	seq 101 ts 960      late: counts 960, not in the window
//	seq 104 again       duplicate: ignored
//	seq 105 ts 23040    counts 960
//
// Six packets counted: 0.12 s, energy 0.0012.
func TestAudioLevelAddRTP(t *testing.T) {
	var a AudioLevel
	a.AddRTP(20, true, 100, 0, 48000)
	if s := a.Snapshot(); s.TotalSamplesDuration != 0 || !levelNear(s.AudioLevel, 0.1) || s.Packets != 1 {
		t.Fatalf("pending packet: %+v", s)
	}
	a.AddRTP(20, true, 102, 1920, 48000)
	a.AddRTP(20, true, 103, 2880, 48000)
	if s := a.Snapshot(); !levelNear(s.TotalSamplesDuration, 0.06) || !levelNear(s.TotalAudioEnergy, 0.0006) {
		t.Fatalf("after first span: %+v", s)
	}
	a.AddRTP(20, false, 104, 22080, 48000)
	a.AddRTP(20, false, 101, 960, 48000)
	a.AddRTP(20, false, 104, 22080, 48000)
	a.AddRTP(20, false, 105, 23040, 48000)
	s := a.Snapshot()
	if s.Packets != 6 || !levelNear(s.TotalSamplesDuration, 0.12) || !levelNear(s.TotalAudioEnergy, 0.0012) || !levelNear(s.AudioLevel, 0.1) || s.VoiceActivityFlag {
		t.Fatalf("got %+v, want 6 packets, 0.12 s, 0.0012", s)
	}
}

// Sequence and timestamp wrap together: seq 65535 -> 0 and ts 2^32-480 ->
// 480 are consecutive with a span of 960 (8 kHz clock: 120 ms is 960
// ticks, just allowed). Two packets at 0 dBov: 0.24 s, energy 0.24.
// A restart then drops the reference: the next packet, far away in both,
// is counted with the known length, so three packets make 0.36 s.
func TestAudioLevelAddRTPWrapAndRestart(t *testing.T) {
	var a AudioLevel
	a.AddRTP(0, true, 65535, math.MaxUint32-479, 8000)
	a.AddRTP(0, true, 0, 480, 8000)
	if s := a.Snapshot(); !levelNear(s.TotalSamplesDuration, 0.24) || !levelNear(s.TotalAudioEnergy, 0.24) {
		t.Fatalf("across the wrap: %+v", s)
	}
	a.Restart()
	a.AddRTP(0, true, 30000, 7, 8000)
	if s := a.Snapshot(); !levelNear(s.TotalSamplesDuration, 0.36) || s.Packets != 3 {
		t.Fatalf("after restart: %+v", s)
	}
}

func BenchmarkAudioLevelAdd(b *testing.B) {
	var a AudioLevel
	b.ReportAllocs()
	for b.Loop() {
		a.Add(33, true, 960, 48000)
	}
}

func BenchmarkAudioLevelAddRTP(b *testing.B) {
	var a AudioLevel
	var seq uint16
	var ts uint32
	b.ReportAllocs()
	for b.Loop() {
		seq++
		ts += 960
		a.AddRTP(33, true, seq, ts, 48000)
	}
}

func TestAudioLevelNoAllocs(t *testing.T) {
	var a AudioLevel
	var seq uint16
	var ts uint32
	if n := testing.AllocsPerRun(1000, func() {
		seq++
		ts += 960
		a.Add(33, true, 960, 48000)
		a.AddLate(40, 960, 48000)
		a.AddRTP(33, true, seq, ts, 48000)
	}); n != 0 {
		t.Fatalf("%v allocations per packet", n)
	}
}
