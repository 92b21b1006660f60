package payload

// FU-A and STAP-A framing sizes, RFC 6184 §5.7.1 and §5.8.
const (
	fuHeaderLen   = 2 // FU indicator + FU header
	stapHeaderLen = 1 // STAP-A NAL header
	stapSizeLen   = 2 // NAL unit size in front of each aggregated unit
)

// h264Frame fills f from an RTP H.264 payload in packetization mode 0 or 1
// (single NAL unit, STAP-A, FU-A; RFC 6184 §6.2, §6.3).
//
// H.264 has no bit that marks the first packet of an access unit. Start is
// set only when the payload proves it: its first NAL unit is an access unit
// delimiter, which §7.4.1.2.3 puts first in an access unit. MayStart is the
// weaker h264OpensAU test of [H264KeyFrame]. Key is set when the packet
// carries (a fragment of) a coded slice of an IDR picture, nal_unit_type 5:
// an IDR access unit is a key frame, and parameter sets alone are not. An
// FU-A header names the fragmented unit's type in every fragment, so any
// fragment of an IDR slice shows it. The size comes from a sequence
// parameter set carried whole in the packet or starting in an FU-A start
// fragment (h264SPSSize; it fails if the fragment ends too early).
//
// MediaBytes counts the NAL units as a decoder gets them without start
// codes: a single NAL unit whole, each STAP-A unit without its size field,
// and an FU-A fragment without FU indicator and header, plus one byte for
// the NAL header that the start fragment stands for.
func h264Frame(p []byte, f *FrameInfo) {
	if len(p) < 2 || p[0]&nalForbidden != 0 {
		return
	}
	switch t := p[0] & nalTypeMask; {
	case t >= nalSlice && t <= nalMaxSingle:
		f.Valid = true
		f.MediaBytes = len(p)
		f.Start = t == nalAUD
		f.MayStart = h264OpensAU(t, p[1:])
		h264NAL(t, p[1:], f)
	case t == nalSTAPA:
		h264STAPAFrame(p[stapHeaderLen:], f)
	case t == nalFUA:
		fu := p[1]
		if fu&fuStart != 0 && fu&fuEnd != 0 {
			return // invalid (§5.8)
		}
		f.Valid = true
		f.MediaBytes = len(p) - fuHeaderLen
		ft := fu & nalTypeMask
		if fu&fuStart != 0 {
			f.MediaBytes++
			f.Start = ft == nalAUD
			f.MayStart = h264OpensAU(ft, p[fuHeaderLen:])
			h264NAL(ft, p[fuHeaderLen:], f)
		} else {
			f.Key = ft == nalIDR
		}
	}
}

// h264STAPAFrame walks the aggregation units of a STAP-A body; a malformed
// one leaves f invalid and empty.
func h264STAPAFrame(p []byte, f *FrameInfo) {
	var g FrameInfo
	g.Valid = true
	first := true
	for len(p) > 0 {
		if len(p) < stapSizeLen {
			return
		}
		size := int(p[0])<<8 | int(p[1])
		p = p[stapSizeLen:]
		if size == 0 || size > len(p) || p[0]&nalForbidden != 0 {
			return
		}
		nal := p[:size]
		p = p[size:]
		t := nal[0] & nalTypeMask
		if first {
			g.Start = t == nalAUD
			g.MayStart = h264OpensAU(t, nal[1:])
			first = false
		}
		g.MediaBytes += size
		h264NAL(t, nal[1:], &g)
	}
	if first {
		return // no units at all
	}
	*f = g
}

// h264NAL records what one NAL unit (type t, payload body) says.
func h264NAL(t byte, body []byte, f *FrameInfo) {
	switch t {
	case nalIDR:
		f.Key = true
	case nalSPS:
		if w, h, ok := h264SPSSize(body); ok {
			f.Width, f.Height, f.HasSize = w, h, true
		}
	}
}
