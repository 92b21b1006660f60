package payload

// recentFrames is how many frame decisions KeyFrames remembers. Without RTX
// (RFC 4588) a retransmission goes out on the media SSRC with its original
// timestamp, one round trip after the frame; remembering a few frames marks
// it like the original instead of mistaking it for a new frame, and keeps it
// from disturbing the frame in progress. 16 frames are about half a second
// at 30 fps.
const recentFrames = 16

// frame is the decision taken for one RTP timestamp.
type frame struct {
	ts  uint32
	key bool
}

// KeyFrames tracks one outgoing RTP video stream and reports, packet by
// packet, whether the packet belongs to a key frame. Every packet of a frame
// shares its RTP timestamp (RFC 3550 §5.1), so the decision is taken once
// per timestamp and applied to the frame's later packets.
//
// For VP8 and VP9 the decision is taken on the packet that the payload
// descriptor marks as the frame start; packets whose frame start was never
// seen (lost upstream, or reordered ahead of it) are not key.
//
// H.264 and AV1 have no start bit that only the first packet carries, so a
// timestamp not seen before starts a frame, not key at first. Any packet of
// that timestamp that shows an IDR slice, SPS or PPS (H.264) or N=1 (AV1)
// is key, and so is every later packet of the timestamp. Packets already
// sent cannot be revised, but in practice there are none to revise: the
// parameter sets and the IDR slice lead an H.264 access unit (only an AUD
// or SEI sent on its own ahead of them stays unmarked), and N=1 is carried
// by the first packet of an AV1 frame by definition.
//
// The zero value reports nothing until Reset; NewKeyFrames is the usual way
// to get one. A KeyFrames is not safe for concurrent use: the caller holds
// the stream's lock.
type KeyFrames struct {
	codec  Codec
	n      uint8 // number of valid entries in frames
	newest uint8 // index of the most recently started frame
	frames [recentFrames]frame
}

// NewKeyFrames returns a tracker for a stream of codec c.
func NewKeyFrames(c Codec) KeyFrames {
	return KeyFrames{codec: c}
}

// Reset forgets every frame and switches the tracker to codec c, as after a
// codec change on the stream.
func (k *KeyFrames) Reset(c Codec) {
	*k = KeyFrames{codec: c}
}

// Codec returns the codec the tracker parses.
func (k *KeyFrames) Codec() Codec {
	return k.codec
}

// Packet reports whether the packet with RTP timestamp timestamp and RTP
// payload payload (after the RTP header, without padding) belongs to a key
// frame. Retransmissions are marked like the original as long as their frame
// is among the recent ones; for RTX pass the original payload (after the
// OSN) with the RTX packet's timestamp, which is the original's.
func (k *KeyFrames) Packet(timestamp uint32, payload []byte) bool {
	var start, key bool
	switch k.codec {
	case CodecVP8:
		start, key = VP8KeyFrame(payload)
	case CodecVP9:
		start, key = VP9KeyFrame(payload)
	case CodecH264:
		_, key = H264KeyFrame(payload)
		start = true // a new timestamp is the start
	case CodecAV1:
		_, key = AV1KeyFrame(payload)
		start = true
	default:
		return false
	}
	if f := k.find(timestamp); f != nil {
		// Explicit-start codecs decided on the start packet; a repeated one is
		// a retransmission. Implied-start codecs may learn key-ness late.
		if key && (k.codec == CodecH264 || k.codec == CodecAV1) {
			f.key = true
		}
		return f.key
	}
	if !start {
		return false
	}
	k.add(timestamp, key)
	return key
}

// find returns the remembered frame with timestamp ts, newest first since
// nearly every packet belongs to the frame being sent.
func (k *KeyFrames) find(ts uint32) *frame {
	i := int(k.newest)
	for range k.n {
		if k.frames[i].ts == ts {
			return &k.frames[i]
		}
		i = (i + recentFrames - 1) % recentFrames
	}
	return nil
}

// add starts a frame, evicting the oldest when the history is full.
func (k *KeyFrames) add(ts uint32, key bool) {
	k.newest = (k.newest + 1) % recentFrames
	k.frames[k.newest] = frame{ts: ts, key: key}
	if k.n < recentFrames {
		k.n++
	}
}
