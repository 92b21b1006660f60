package payload

// bitReader reads a bit string MSB first, as every header this package
// parses is written (RFC 6386 §9.2, VP9 §4.9, H.264 §7.2, AV1 §4.10). A read
// past the end sets failed and returns zeros, so a parser can read a whole
// structure and check failed once; nothing is ever read out of bounds.
//
// With epb set it skips H.264 emulation prevention bytes (H.264 §7.4.1: a
// 0x03 that follows two zero bytes is not part of the RBSP), so a NAL unit's
// payload is read in place without copying it out.
type bitReader struct {
	p      []byte
	pos    int  // index of the next byte to load
	cur    byte // bits not yet read, left-aligned
	n      uint // how many bits of cur are left
	zeros  int  // consecutive zero bytes loaded, for epb
	epb    bool
	failed bool
}

// load fetches the next RBSP byte into cur.
func (r *bitReader) load() bool {
	if r.epb && r.zeros >= 2 && r.pos < len(r.p) && r.p[r.pos] == 0x03 {
		r.pos++
		r.zeros = 0
	}
	if r.pos >= len(r.p) {
		r.failed = true
		return false
	}
	r.cur = r.p[r.pos]
	r.pos++
	r.n = 8
	if r.cur == 0 {
		r.zeros++
	} else {
		r.zeros = 0
	}
	return true
}

// bit reads one bit.
func (r *bitReader) bit() uint32 {
	if r.n == 0 && !r.load() {
		return 0
	}
	r.n--
	return uint32(r.cur>>r.n) & 1
}

// flag reads one bit as a bool.
func (r *bitReader) flag() bool { return r.bit() == 1 }

// bits reads n <= 32 bits as an unsigned number.
func (r *bitReader) bits(n int) uint32 {
	var v uint32
	for range n {
		v = v<<1 | r.bit()
		if r.failed {
			return 0
		}
	}
	return v
}

// skip drops n bits.
func (r *bitReader) skip(n int) {
	for range n {
		r.bit()
		if r.failed {
			return
		}
	}
}

// ue reads an H.264 ue(v) Exp-Golomb code (§9.1). Codes with more than 31
// leading zeros do not fit the 32-bit values the syntax uses and fail.
func (r *bitReader) ue() uint32 {
	zeros := 0
	for r.bit() == 0 {
		if r.failed || zeros == 31 {
			r.failed = true
			return 0
		}
		zeros++
	}
	return 1<<zeros - 1 + r.bits(zeros)
}

// se reads an H.264 se(v) code (§9.1.1): ue k maps to (-1)^(k+1) Ceil(k/2).
func (r *bitReader) se() int64 {
	k := int64(r.ue())
	if k&1 == 1 {
		return k/2 + 1
	}
	return -(k / 2)
}

// uvlc reads an AV1 uvlc() (§4.10.3). 32 or more leading zeros code
// 2^32-1 and read no value bits.
func (r *bitReader) uvlc() uint32 {
	zeros := 0
	for r.bit() == 0 {
		if r.failed {
			return 0
		}
		zeros++
	}
	if zeros >= 32 {
		return 1<<32 - 1
	}
	return r.bits(zeros) + (1<<zeros - 1)
}
