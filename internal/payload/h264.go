package payload

// NAL unit types (H.264 Table 7-1) and the RTP packet types built on the
// same field (RFC 6184 §5.2, Table 1).
const (
	nalSlice     = 1  // coded slice of a non-IDR picture
	nalSliceA    = 2  // slice data partition A (begins with a slice header)
	nalSliceC    = 4  // slice data partition C, last non-IDR VCL type
	nalIDR       = 5  // coded slice of an IDR picture
	nalSEI       = 6  // supplemental enhancement information
	nalSPS       = 7  // sequence parameter set
	nalPPS       = 8  // picture parameter set
	nalAUD       = 9  // access unit delimiter
	nalPrefix    = 14 // prefix NAL unit; 14..18 may open an access unit
	nalReserved  = 18 // last of them (§7.4.1.2.3)
	nalMaxSingle = 23 // highest type sent as a single NAL unit packet
	nalSTAPA     = 24 // single-time aggregation packet (RFC 6184 §5.7.1)
	nalFUA       = 28 // fragmentation unit without DON (RFC 6184 §5.8)
)

const (
	nalForbidden = 0x80 // F bit, RFC 6184 §5.3
	nalTypeMask  = 0x1f
	fuStart      = 0x80 // FU header S bit
	fuEnd        = 0x40 // FU header E bit
)

// H264KeyFrame reads an RTP H.264 payload in packetization mode 0 or 1
// (RFC 6184 §6.2, §6.3): single NAL unit packets (types 1..23), STAP-A (24)
// and FU-A (28). STAP-B, MTAP and FU-B belong to the interleaved mode, which
// WebRTC does not negotiate, and give false, false like reserved types.
//
// H.264 has no start-of-frame bit: every packet of an access unit shares
// the RTP timestamp and [KeyFrames] treats a new timestamp as the start.
// start here is what one packet can tell: its first NAL unit is one that can
// open an access unit (H.264 §7.4.1.2.3: AUD, SPS, PPS, SEI, types 14..18,
// or a slice with first_mb_in_slice = 0, cf. §7.4.1.2.4). A packet starting
// with a PPS whose SPS went in the previous packet still reports start.
//
// key is true when the packet begins an IDR slice (type 5), or carries an
// SPS or PPS with no slice beside it or beside an IDR slice. Parameter sets
// aggregated with a non-IDR slice are not key, since all slices of a
// picture share IDR-ness (nal_unit_type semantics, §7.4.1). Parameter sets
// without a slice are reported key because encoders send them in front of
// IDR pictures, which follow in later packets. FU-A fragments other than
// the first report nothing, so a key frame whose first fragment was lost is
// not recognised from its tail. F=1 or a malformed aggregate gives false,
// false.
func H264KeyFrame(payload []byte) (start, key bool) {
	if len(payload) < 2 || payload[0]&nalForbidden != 0 {
		return false, false
	}
	switch t := payload[0] & nalTypeMask; {
	case t >= nalSlice && t <= nalMaxSingle:
		return h264OpensAU(t, payload[1:]), h264KeyType(t)
	case t == nalSTAPA:
		return h264STAPA(payload[1:])
	case t == nalFUA:
		if len(payload) < 3 {
			return false, false
		}
		fu := payload[1]
		if fu&fuStart == 0 || fu&fuEnd != 0 { // S and E both set is invalid (§5.8)
			return false, false
		}
		// The FU header carries the fragmented NAL unit's type; its payload
		// starts right after.
		ft := fu & nalTypeMask
		return h264OpensAU(ft, payload[2:]), h264KeyType(ft)
	}
	return false, false
}

// h264STAPA walks the aggregation units of a STAP-A body (after the STAP-A
// NAL header): each is a 16-bit size followed by that many bytes of NAL
// unit (RFC 6184 §5.7.1). Units must fill the body exactly.
func h264STAPA(p []byte) (start, key bool) {
	var idr, params, nonIDR, seen bool
	for len(p) > 0 {
		if len(p) < 2 {
			return false, false
		}
		size := int(p[0])<<8 | int(p[1])
		p = p[2:]
		if size == 0 || size > len(p) || p[0]&nalForbidden != 0 {
			return false, false
		}
		nal := p[:size]
		p = p[size:]
		t := nal[0] & nalTypeMask
		if !seen {
			start, seen = h264OpensAU(t, nal[1:]), true
		}
		switch {
		case t == nalIDR:
			idr = true
		case t == nalSPS || t == nalPPS:
			params = true
		case t >= nalSlice && t <= nalSliceC:
			nonIDR = true
		}
	}
	return start, idr || params && !nonIDR
}

// h264KeyType reports the NAL unit types that mark a key access unit.
func h264KeyType(t byte) bool {
	return t == nalIDR || t == nalSPS || t == nalPPS
}

// h264OpensAU reports whether a NAL unit of type t whose payload (after the
// NAL header) begins with body can be the first of an access unit. A slice
// header begins with first_mb_in_slice as ue(v), whose value 0 is coded as
// the single bit 1 (H.264 §9.1).
func h264OpensAU(t byte, body []byte) bool {
	switch {
	case t == nalSEI || t == nalSPS || t == nalPPS || t == nalAUD:
		return true
	case t >= nalPrefix && t <= nalReserved:
		return true
	case t == nalSlice || t == nalSliceA || t == nalIDR:
		return len(body) > 0 && body[0]&0x80 != 0
	}
	return false
}
