package payload

// FrameInfo is what one RTP payload tells about the video frame it belongs
// to. Every packet of a frame shares the RTP timestamp (RFC 3550 §5.1); a
// caller gathers the FrameInfo of a timestamp's packets to describe the
// frame. The zero value, with Valid false, is what a payload the codec's
// payload format cannot parse gives.
type FrameInfo struct {
	// Valid is true when the payload parsed.
	Valid bool
	// Start is true when the payload proves it is the first packet of its
	// frame: VP8 S=1 with PID=0, VP9 B=1 on spatial layer 0, an H.264
	// packet that begins with an access unit delimiter, an AV1 packet with
	// N=1.
	Start bool
	// MayStart is true when the payload can be the first packet of its
	// frame. It equals Start for VP8 and VP9; for H.264 and AV1, whose
	// other packets may look alike, it is weaker (see h264Frame, av1Frame).
	MayStart bool
	// Key is true when the packet shows that its frame is a key frame: a
	// VP8 key frame, a VP9 KEY_FRAME, an H.264 IDR picture, an AV1
	// KEY_FRAME or the start of a coded video sequence.
	Key bool
	// Width and Height are the frame size coded in this packet, valid when
	// HasSize: from a VP8 or VP9 key frame header, a VP9 scalability
	// structure, an H.264 sequence parameter set or an AV1 key frame
	// header.
	Width, Height uint32
	HasSize       bool
	// MediaBytes counts the bytes of encoded video in the packet: the
	// payload without the payload format's own descriptors, aggregation
	// headers and length fields.
	MediaBytes int
}

// Parser reads FrameInfo from the payloads of one RTP stream. Only AV1
// needs state, the last sequence header, to read frame headers; the other
// codecs are parsed packet by packet. The zero value parses nothing
// (CodecUnknown). A Parser is not safe for concurrent use.
type Parser struct {
	codec Codec
	av1   av1Sequence
}

// NewParser returns a parser for a stream of codec c.
func NewParser(c Codec) Parser {
	return Parser{codec: c}
}

// Codec returns the codec the parser reads.
func (p *Parser) Codec() Codec {
	return p.codec
}

// Parse reads one RTP payload (after the RTP header, without padding, in
// the clear). It does not allocate and never panics; anything it cannot
// read is left out of the result.
func (p *Parser) Parse(payload []byte) FrameInfo {
	var f FrameInfo
	p.ParseInto(payload, &f)
	return f
}

// ParseInto is Parse into *f, which must be the zero FrameInfo. The per-packet
// paths use it: a returned FrameInfo is copied with wide loads of the narrow
// stores that just filled it, which stalls store forwarding.
func (p *Parser) ParseInto(payload []byte, f *FrameInfo) {
	switch p.codec {
	case CodecVP8:
		vp8Frame(payload, f)
	case CodecVP9:
		vp9Frame(payload, f)
	case CodecH264:
		h264Frame(payload, f)
	case CodecAV1:
		av1Frame(payload, &p.av1, f)
	case CodecUnknown: // nothing to read: only the zero FrameInfo
	}
}
