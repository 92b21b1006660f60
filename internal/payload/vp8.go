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

// vp8Frame fills f from an RTP VP8 payload. The VP8 payload header, and on
// a key frame the frame size, follow the descriptor of the packet that
// starts partition 0 (RFC 7741 §4.3).
func vp8Frame(p []byte, f *FrameInfo) {
	n := vp8DescriptorLen(p)
	if n == 0 || n >= len(p) {
		return
	}
	f.Valid = true
	f.MediaBytes = len(p) - n
	if p[0]&vp8S == 0 || p[0]&vp8PIDMask != 0 {
		return
	}
	f.Start, f.MayStart = true, true
	f.Key = p[n]&0x01 == 0
	if f.Key {
		f.Width, f.Height, f.HasSize = vp8KeyFrameSize(p[n:])
	}
}

// vp8KeyFrameSize reads the frame size of a VP8 key frame that starts at d
// (RFC 6386 §9.1): after the 3-byte frame tag, the start code 9d 01 2a, then
// two little-endian 16-bit fields whose low 14 bits are the width and the
// height and whose top 2 bits are an upscaling hint for display. The coded
// size is what a decoder outputs, so the hint is ignored. A size of 0 or a
// missing start code gives ok false.
func vp8KeyFrameSize(d []byte) (width, height uint32, ok bool) {
	if len(d) < 10 || d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a {
		return 0, 0, false
	}
	width = uint32(d[6]) | uint32(d[7]&0x3f)<<8
	height = uint32(d[8]) | uint32(d[9]&0x3f)<<8
	if width == 0 || height == 0 {
		return 0, 0, false
	}
	return width, height, true
}
