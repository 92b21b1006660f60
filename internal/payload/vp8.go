package payload

// VP8 payload descriptor bits, RFC 7741 §4.2.
const (
	vp8X       = 0x80 // first byte: extended control bits present
	vp8S       = 0x10 // first byte: start of a VP8 partition
	vp8PIDMask = 0x07 // first byte: partition index
	vp8I       = 0x80 // extension byte: PictureID present
	vp8L       = 0x40 // extension byte: TL0PICIDX present
	vp8T       = 0x20 // extension byte: TID present (shares a byte with KEYIDX)
	vp8K       = 0x10 // extension byte: KEYIDX present
	vp8M       = 0x80 // PictureID byte: 15-bit PictureID
)

// VP8KeyFrame reads an RTP VP8 payload (RFC 7741).
//
// start is true when S=1 and PID=0: the packet begins partition 0, so it is
// the first packet of a frame and carries the VP8 payload header
// (RFC 7741 §4.3). key is true when that header's P bit (bit 0 of its first
// byte, the frame tag of RFC 6386 §9.1) is 0, i.e. an intra frame; it is only
// ever true together with start, since no other packet carries the header.
// A descriptor that runs past the payload or leaves no VP8 data after it
// gives false, false.
func VP8KeyFrame(payload []byte) (start, key bool) {
	n := vp8DescriptorLen(payload)
	if n == 0 || n >= len(payload) {
		return false, false
	}
	if payload[0]&vp8S == 0 || payload[0]&vp8PIDMask != 0 {
		return false, false
	}
	return true, payload[n]&0x01 == 0
}

// vp8DescriptorLen returns the length of the payload descriptor at the head
// of p, or 0 when p cannot hold the bytes needed to size it. The result may
// exceed len(p); callers compare it with len(p).
func vp8DescriptorLen(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	if p[0]&vp8X == 0 {
		return 1
	}
	if len(p) < 2 {
		return 0
	}
	x, n := p[1], 2
	if x&vp8I != 0 {
		if len(p) <= n {
			return 0
		}
		if p[n]&vp8M != 0 {
			n += 2
		} else {
			n++
		}
	}
	if x&vp8L != 0 {
		n++
	}
	// TID and KEYIDX live in one byte, present if either is signalled.
	if x&(vp8T|vp8K) != 0 {
		n++
	}
	return n
}
