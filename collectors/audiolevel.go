package collectors

import "math"

// audioLevelWindow is the stretch of audio, in seconds of media time, that
// audioLevel averages over. The spec leaves the interval to the
// implementation; 100 ms follows a talker without flickering per packet.
const audioLevelWindow = 0.1

// audioLevelRing is how many recent packets the window can hold: 100 ms of
// 10 ms frames with room to spare (2.5 ms Opus frames get a 40 ms window).
const audioLevelRing = 16

// maxPacketMillis bounds the RTP timestamp span AddRTP takes as the length
// of one packet: 120 ms, the longest Opus packet (RFC 6716 3.2.5) and more
// than any other WebRTC audio packetisation. A longer span between two
// consecutive sequence numbers is a DTX pause, not audio.
const maxPacketMillis = 120

// audioEnergy[l] is (10^(-l/20))^2, the squared linear level of RFC 6464
// level l (-dBov), with 127 taken as silence: the provisional stats text
// converts RFC 6465's 127 to 0 and RFC 6464 shares its scale. Read-only.
var audioEnergy = func() (t [128]float64) { //nolint:gochecknoglobals // read-only table, computed once: the per-packet path indexes it instead of calling math.Pow
	for l := range 127 {
		t[l] = math.Pow(10, -float64(l)/10)
	}
	return t
}()

// LinearAudioLevel converts an RFC 6464/6465 level (0..127 -dBov) to the
// spec's linear 0..1 audioLevel: 127 is silence (0), else 10^(-level/20).
func LinearAudioLevel(level uint8) float64 {
	if level >= 127 {
		return 0
	}
	return math.Pow(10, -float64(level)/20)
}

type levelSpan struct {
	energy, seconds float64
}

// AudioLevel accumulates the RFC 6464 audio levels of one audio stream into
// the spec's audioLevel, totalAudioEnergy and totalSamplesDuration (and
// voiceActivityFlag). The ED defines totalAudioEnergy per sample as
// "duration * Math.pow(energy/maxEnergy, 2)"; RFC 6464 gives one level for
// all the audio of a packet, so a packet adds
//
//	energy   += 10^(-level/10) * samples/clockRate   (the linear level, squared)
//	duration += samples/clockRate
//
// and sqrt(Δenergy/Δduration) is the RMS level of the audio the packets
// carried over any interval. audioLevel is that quotient over the last
// audioLevelWindow of audio, as the ED's "averaged over some small
// interval, using the algorithm described under totalAudioEnergy" asks.
//
// Only audio that packets carry is counted: lost packets, and the silence a
// DTX sender leaves unsent, add no duration. Browsers fill both with
// decoder output (concealment, comfort noise) that does not exist at the
// RTP layer, so their totalSamplesDuration runs ahead of this one on a
// lossy or DTX stream.
//
// The zero value is ready. It does no locking and reads no clock: the
// owner calls it under its own lock, one packet at a time.
type AudioLevel struct {
	energy   float64
	seconds  float64
	packets  uint64
	voice    bool
	last     uint8 // level of the newest in-order packet, if hasLevel
	hasLevel bool
	recent   [audioLevelRing]levelSpan
	next     uint8

	// AddRTP's packet-length estimate: the RTP timestamp span between the
	// last two consecutive sequence numbers.
	span    uint32
	lastSeq uint16
	lastTS  uint32
	hasLast bool
	// Packets seen before a span was known, accounted once it is.
	pendingEnergy float64 // sum of squared linear levels
	pendingN      uint32
	pendingLate   uint32 // of pendingN, how many stay out of the window
}

// Add accounts a packet in sequence order whose level was read by
// rtpx.ParseAudioLevel and which carries samples RTP timestamp ticks of
// audio at clockRate (for Opus, rtpx.OpusSamples: exact whatever the loss,
// reordering or DTX). voice becomes the stream's voiceActivityFlag.
func (a *AudioLevel) Add(level uint8, voice bool, samples, clockRate uint32) {
	a.packets++
	a.voice, a.last, a.hasLevel = voice, level&0x7f, true
	a.account(level, samples, clockRate, true)
}

// AddLate accounts a packet that arrived behind the highest sequence number
// already seen: its audio counts in the totals, but it is not the newest
// audio, so it moves neither audioLevel's window nor voiceActivityFlag.
func (a *AudioLevel) AddLate(level uint8, samples, clockRate uint32) {
	a.packets++
	a.account(level, samples, clockRate, false)
}

// AddRTP accounts a packet whose sample count cannot be read from its
// payload (a codec other than Opus, or Opus inside RED). A packet is taken
// to be as long as the RTP timestamp span between the last two consecutive
// sequence numbers seen (which is the length of the earlier packet: exact
// while the packetisation is constant). Spans across a sequence gap (loss)
// or longer than maxPacketMillis (DTX) are not lengths and are not used;
// packets seen before any span is known are accounted when one is. A packet
// behind the newest counts as AddLate. Pass each packet once: a repeat of
// the newest is ignored, but only the caller's sequence tracker can tell an
// older duplicate from a late packet. Call Restart when the source restarts
// its sequence numbering.
func (a *AudioLevel) AddRTP(level uint8, voice bool, seq uint16, ts uint32, clockRate uint32) {
	if !a.hasLast {
		a.hasLast, a.lastSeq, a.lastTS = true, seq, ts
		a.packets++
		a.voice, a.last, a.hasLevel = voice, level&0x7f, true
		a.addWithSpan(level, clockRate, true)
		return
	}
	ahead := seq - a.lastSeq
	switch {
	case ahead == 0:
		return
	case ahead >= 0x8000:
		a.packets++
		a.addWithSpan(level, clockRate, false)
		return
	}
	if d := ts - a.lastTS; ahead == 1 && d > 0 && uint64(d)*1000 <= uint64(clockRate)*maxPacketMillis {
		a.span = d
	}
	a.lastSeq, a.lastTS = seq, ts
	a.packets++
	a.voice, a.last, a.hasLevel = voice, level&0x7f, true
	a.addWithSpan(level, clockRate, true)
}

// Restart forgets AddRTP's sequence and timestamp reference (the source
// started a new numbering, RFC 3550 A.1) but keeps the packet length.
func (a *AudioLevel) Restart() {
	a.hasLast = false
}

func (a *AudioLevel) addWithSpan(level uint8, clockRate uint32, inOrder bool) {
	if a.span == 0 {
		a.pendingEnergy += audioEnergy[level&0x7f]
		a.pendingN++
		if !inOrder {
			a.pendingLate++
		}
		return
	}
	if a.pendingN > 0 && clockRate > 0 {
		// The packets that waited for a length: in the totals, and those
		// that came in order also in the window, as one entry.
		sec := float64(a.span) / float64(clockRate)
		a.energy += a.pendingEnergy * sec
		a.seconds += float64(a.pendingN) * sec
		if n := a.pendingN - a.pendingLate; n > 0 {
			a.push(levelSpan{energy: a.pendingEnergy * sec * float64(n) / float64(a.pendingN), seconds: float64(n) * sec})
		}
		a.pendingEnergy, a.pendingN, a.pendingLate = 0, 0, 0
	}
	a.account(level, a.span, clockRate, inOrder)
}

func (a *AudioLevel) account(level uint8, samples, clockRate uint32, inOrder bool) {
	if samples == 0 || clockRate == 0 {
		return
	}
	sec := float64(samples) / float64(clockRate)
	e := audioEnergy[level&0x7f] * sec
	a.energy += e
	a.seconds += sec
	if inOrder {
		a.push(levelSpan{energy: e, seconds: sec})
	}
}

func (a *AudioLevel) push(s levelSpan) {
	a.recent[a.next] = s
	a.next = (a.next + 1) % audioLevelRing
}

// AudioLevelSnapshot holds the values of an AudioLevel. When Packets is 0
// no level was ever received and none of the members may be emitted.
type AudioLevelSnapshot struct {
	Packets              uint64  // packets that carried a level
	AudioLevel           float64 // audioLevel, linear 0..1
	TotalAudioEnergy     float64 // totalAudioEnergy
	TotalSamplesDuration float64 // totalSamplesDuration, seconds
	VoiceActivityFlag    bool    // V bit of the newest packet; emit only with vad=on
}

// Snapshot returns the accumulated values.
func (a *AudioLevel) Snapshot() AudioLevelSnapshot {
	s := AudioLevelSnapshot{
		Packets:              a.packets,
		TotalAudioEnergy:     a.energy,
		TotalSamplesDuration: a.seconds,
		VoiceActivityFlag:    a.voice,
	}
	if a.packets == 0 {
		return s
	}
	var e, d float64
	for k := range audioLevelRing {
		r := a.recent[(int(a.next)+audioLevelRing-1-k)%audioLevelRing]
		if r.seconds == 0 {
			break
		}
		e += r.energy
		d += r.seconds
		if d >= audioLevelWindow {
			break
		}
	}
	switch {
	case d > 0:
		s.AudioLevel = math.Min(math.Sqrt(e/d), 1)
	case a.pendingN > 0:
		// Packet lengths unknown yet, but equal: the RMS of the levels.
		s.AudioLevel = math.Sqrt(a.pendingEnergy / float64(a.pendingN))
	case a.hasLevel:
		// Only packets without a length (no clock rate): the newest level.
		s.AudioLevel = LinearAudioLevel(a.last)
	}
	return s
}
