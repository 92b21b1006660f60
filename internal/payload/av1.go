package payload

// AV1 aggregation header bits, AV1 RTP payload format (AOM, v1.0.0) §4.4:
// |Z|Y|W:2|N|-:3|.
const (
	av1Z      = 0x80 // first OBU element continues an OBU from the previous packet
	av1N      = 0x08 // first packet of a coded video sequence
	av1WShift = 4    // W: OBU element count, 0 = every element has a length
	av1WMask  = 0x03
)

// av1MaxLEB128 is the longest leb128() the AV1 bitstream allows (AV1
// specification §4.10.5).
const av1MaxLEB128 = 8

// AV1KeyFrame reads an RTP AV1 payload (AV1 RTP payload format §4.4, §4.5).
//
// start is true when Z=0: the packet begins with a whole OBU rather than
// the continuation of a fragment. That is also true of later packets of a
// frame, so [KeyFrames] takes a new timestamp as the frame start. key is
// true when N=1: the packet is the first of a coded video sequence, which
// opens with a key frame. N=1 with Z=1 is forbidden by §4.4; it, OBU element
// lengths that overrun the payload or disagree with W, and empty elements
// give false, false.
func AV1KeyFrame(payload []byte) (start, key bool) {
	if len(payload) < 2 || !av1ElementsValid(payload) {
		return false, false
	}
	if payload[0]&av1Z != 0 {
		return false, false // a continuation, which may not carry N=1 either
	}
	return true, payload[0]&av1N != 0
}

// av1ElementsValid walks the OBU elements after the aggregation header
// (§4.5): with W=0 each carries a leb128 length; with W=1..3 the first W-1
// do and the last takes the rest of the payload.
func av1ElementsValid(p []byte) bool {
	w := int(p[0] >> av1WShift & av1WMask)
	p = p[1:]
	for count := 1; len(p) > 0; count++ {
		if count == w {
			return true // the last element, non-empty by the loop condition
		}
		size, n := av1LEB128(p)
		if n == 0 || size == 0 || size > uint64(len(p)-n) {
			return false
		}
		p = p[n+int(size):]
	}
	// Out of bytes after a length-prefixed element: fine unless W promised
	// more elements.
	return w == 0
}

// av1LEB128 decodes an unsigned leb128 value at the head of p and returns it
// with the number of bytes it used, or n = 0 when p ends inside it or it is
// longer than the AV1 bitstream allows.
func av1LEB128(p []byte) (v uint64, n int) {
	for i := 0; i < av1MaxLEB128 && i < len(p); i++ {
		v |= uint64(p[i]&0x7f) << (7 * i)
		if p[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}
