package payload

// VP9 payload descriptor bits of the first byte, RFC 9628 §4.2.
const (
	vp9I = 0x80 // picture ID present
	vp9P = 0x40 // inter-picture predicted
	vp9L = 0x20 // layer indices present
	vp9F = 0x10 // flexible mode
	vp9B = 0x08 // start of a (layer) frame
	vp9V = 0x02 // scalability structure present
)

// vp9MaxPDiff is the most reference indices a flexible-mode descriptor may
// carry (RFC 9628 §4.2: "up to 3 times").
const vp9MaxPDiff = 3

// VP9KeyFrame reads an RTP VP9 payload (RFC 9628).
//
// start is true when B=1 on spatial layer 0 (no layer indices, or SID=0):
// the first packet of a picture. B=1 on a higher spatial layer starts only
// that layer's frame, which shares the picture's timestamp. key is true when
// the start packet also has P=0, i.e. the base layer frame is not predicted
// from earlier pictures; it is only ever true together with start. The whole
// descriptor, including flexible-mode P_DIFFs, TL0PICIDX and the
// scalability structure, is walked so that a truncated or malformed one
// gives false, false.
func VP9KeyFrame(payload []byte) (start, key bool) {
	n, sid, _ := vp9Descriptor(payload)
	if n == 0 || n >= len(payload) {
		return false, false
	}
	if payload[0]&vp9B == 0 || sid != 0 {
		return false, false
	}
	return true, payload[0]&vp9P == 0
}

// vp9Descriptor returns the length of the payload descriptor at the head of
// p (0 when p cannot hold the bytes needed to size it; the length may exceed
// len(p)), the spatial layer ID, 0 when there are no layer indices, and the
// offset of the scalability structure, 0 when there is none.
func vp9Descriptor(p []byte) (n int, sid uint8, ss int) {
	if len(p) == 0 {
		return 0, 0, 0
	}
	b0 := p[0]
	n = 1
	if b0&vp9I != 0 {
		if len(p) <= n {
			return 0, 0, 0
		}
		if p[n]&0x80 != 0 { // M: 15-bit picture ID
			n += 2
		} else {
			n++
		}
	}
	if b0&vp9L != 0 {
		if len(p) <= n {
			return 0, 0, 0
		}
		sid = p[n] >> 1 & 0x07 // |TID:3|U|SID:3|D|
		n++
		if b0&vp9F == 0 {
			n++ // TL0PICIDX exists in non-flexible mode only
		}
	}
	if b0&vp9F != 0 && b0&vp9P != 0 {
		// Reference indices |P_DIFF:7|N|; N=1 means another one follows.
		for i := 0; ; i++ {
			if i == vp9MaxPDiff || len(p) <= n {
				return 0, 0, 0
			}
			more := p[n]&0x01 != 0
			n++
			if !more {
				break
			}
		}
	}
	if b0&vp9V != 0 {
		ss = n
		if n = vp9SkipSS(p, n); n == 0 {
			return 0, 0, 0
		}
	}
	return n, sid, ss
}

// vp9SkipSS returns the offset just past the scalability structure that
// starts at p[n] (RFC 9628 §4.2.1), or 0 when p cannot hold the bytes needed
// to size it:
//
//	|N_S:3|Y|G|-:3|  then, if Y, WIDTH:16 HEIGHT:16 for each of N_S+1 layers;
//	if G, N_G:8 and N_G times |T:3|U|R:2|-:2| followed by R P_DIFF bytes.
func vp9SkipSS(p []byte, n int) int {
	if len(p) <= n {
		return 0
	}
	ss := p[n]
	n++
	if ss&0x10 != 0 {
		n += 4 * (int(ss>>5) + 1)
	}
	if ss&0x08 != 0 {
		if len(p) <= n {
			return 0
		}
		groups := int(p[n])
		n++
		for range groups {
			if len(p) <= n {
				return 0
			}
			n += 1 + int(p[n]>>2&0x03)
		}
	}
	return n
}
