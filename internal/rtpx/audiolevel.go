package rtpx

import "encoding/binary"

// Audio-level header extensions and the per-packet audio arithmetic that
// goes with them: RFC 6464 (client-to-mixer, the level of the packet's own
// audio), RFC 6465 (mixer-to-client, one level per CSRC), the CSRC list the
// RFC 6465 levels refer to, and the number of samples an Opus packet
// carries (RFC 6716), which is what a level is weighted by.

// MaxAudioLevel is the quietest RFC 6464/6465 level, -127 dBov; the
// webrtc-provisional-stats text for RFC 6465 takes it as silence.
const MaxAudioLevel = 127

// ParseAudioLevel reads an RFC 6464 client-to-mixer audio level from the
// payload of its header extension element, as Header.Extension returns it.
// Both the one-byte (len=0) and the two-byte (len=1) element forms carry
// one data byte, "V | level": V is the voice-activity bit (meaningful only
// with vad=on, RFC 6464 section 4) and level is 0..127 -dBov, 0 the
// loudest. Any other payload length is not RFC 6464 and gives ok=false.
func ParseAudioLevel(ext []byte) (level uint8, voice, ok bool) {
	if len(ext) != 1 {
		return 0, false, false
	}
	return ext[0] & 0x7f, ext[0]&0x80 != 0, true
}

// CSRCAudioLevel returns the RFC 6465 mixer-to-client level of the i-th
// entry of the packet's CSRC list, from the payload of the extension
// element. The element holds one byte per level, "0 | level", in CSRC-list
// order; the reserved top bit is ignored. ok is false when the element has
// no level for entry i (it may carry fewer levels than there are CSRCs).
func CSRCAudioLevel(ext []byte, i int) (level uint8, ok bool) {
	if i < 0 || i >= len(ext) {
		return 0, false
	}
	return ext[i] & 0x7f, true
}

// CSRC returns the i-th entry of the packet's CSRC list (RFC 3550 5.1).
// h must come from ParseHeader(pkt); ok is false for i out of range.
func (h *Header) CSRC(pkt []byte, i int) (csrc uint32, ok bool) {
	off := fixedHeaderLen + 4*i
	if i < 0 || i >= int(h.CSRCCount) || off+4 > len(pkt) {
		return 0, false
	}
	return binary.BigEndian.Uint32(pkt[off : off+4]), true
}

// opusFrameSamples is the frame duration of each Opus TOC configuration
// (RFC 6716 section 3.1, Table 2) in 48 kHz samples: SILK-only 10/20/40/60
// ms (configs 0..11), hybrid 10/20 ms (12..15), CELT-only 2.5/5/10/20 ms
// (16..31). 48 kHz is also the RTP clock rate of Opus (RFC 7587 4.1).
var opusFrameSamples = [32]uint16{ //nolint:gochecknoglobals // read-only table
	480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880,
	480, 960, 480, 960,
	120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960,
}

// opusMaxSamples is 120 ms at 48 kHz, the longest an Opus packet may last
// (RFC 6716 3.2.5, requirement R5).
const opusMaxSamples = 5760

// OpusSamples returns how many 48 kHz samples (RTP timestamp ticks) the
// Opus packet payload encodes, from its TOC byte and, for code 3, its
// frame count byte (RFC 6716 section 3.1): code 0 one frame, codes 1 and 2
// two frames, code 3 M frames. A packet that breaks the framing rules of
// RFC 6716 3.4 that can be checked without walking the frames (empty; code
// 1 with an odd frame-data length; code 2 without its length byte; code 3
// with M = 0 or longer than 120 ms) gives ok=false. A TOC-only packet (a
// DTX frame) counts its frame duration: the decoder plays that much.
func OpusSamples(payload []byte) (samples uint32, ok bool) {
	if len(payload) == 0 {
		return 0, false // R1
	}
	toc := payload[0]
	frame := uint32(opusFrameSamples[toc>>3])
	switch toc & 0x03 {
	case 0:
		return frame, true
	case 1:
		if (len(payload)-1)%2 != 0 {
			return 0, false // R3
		}
		return 2 * frame, true
	case 2:
		if len(payload) < 2 {
			return 0, false // R4
		}
		return 2 * frame, true
	}
	if len(payload) < 2 {
		return 0, false // R6
	}
	m := uint32(payload[1] & 0x3f)
	if m == 0 || m*frame > opusMaxSamples {
		return 0, false // R5
	}
	return m * frame, true
}
