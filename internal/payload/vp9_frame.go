package payload

// VP9 uncompressed header constants (VP9 bitstream specification v0.6,
// §6.2 and §7.2).
const (
	vp9FrameMarker = 2        // frame_marker, 2 bits
	vp9SyncCode    = 0x498342 // frame_sync_code, 24 bits
	vp9CSRGB       = 7        // color_space CS_RGB
	vp9KeyFrame    = 0        // frame_type KEY_FRAME
	vp9Profile3    = 3        // profile 3 carries a reserved_zero bit
)

// Scalability structure first byte, RFC 9628 §4.2.1: |N_S:3|Y|G|-:3|.
const (
	vp9SSY        = 0x10 // Y: a width and height per spatial layer follow
	vp9SSLayersSh = 5    // N_S: spatial layers - 1
)

// vp9Frame fills f from an RTP VP9 payload (RFC 9628).
//
// Start is B=1 on spatial layer 0, the first packet of a picture. Key and
// the size come from the VP9 uncompressed header that follows the
// descriptor of that packet: frame_type KEY_FRAME (§7.2) and frame_size()
// (frame_width_minus_1 + 1, frame_height_minus_1 + 1). A scalability
// structure with Y=1 (RFC 9628 §4.2.1) gives the size too, on any packet
// that carries it; it lists every spatial layer and the last, the largest,
// is taken because that is the picture a receiver of all layers decodes.
// When both are present the structure wins for that reason.
func vp9Frame(p []byte, f *FrameInfo) {
	n, sid, ss := vp9Descriptor(p)
	if n == 0 || n >= len(p) {
		return
	}
	f.Valid = true
	f.MediaBytes = len(p) - n
	if ss != 0 && p[ss]&vp9SSY != 0 {
		last := ss + 1 + 4*int(p[ss]>>vp9SSLayersSh)
		w := uint32(p[last])<<8 | uint32(p[last+1])
		h := uint32(p[last+2])<<8 | uint32(p[last+3])
		if w > 0 && h > 0 {
			f.Width, f.Height, f.HasSize = w, h, true
		}
	}
	if p[0]&vp9B == 0 || sid != 0 {
		return
	}
	f.Start, f.MayStart = true, true
	key, w, h, ok := vp9KeyFrameHeader(p[n:])
	f.Key = key
	if ok && !f.HasSize {
		f.Width, f.Height, f.HasSize = w, h, true
	}
}

// vp9KeyFrameHeader reads the start of a VP9 uncompressed header (§6.2):
//
//	frame_marker f(2) profile_low_bit f(1) profile_high_bit f(1)
//	[reserved_zero f(1) if profile 3] show_existing_frame f(1)
//	frame_type f(1) show_frame f(1) error_resilient_mode f(1)
//	KEY_FRAME: frame_sync_code f(24) color_config() frame_size()
//
// key is true for frame_type KEY_FRAME followed by the sync code; the size
// is only read for such a frame, and ok is false when it could not be.
func vp9KeyFrameHeader(d []byte) (key bool, width, height uint32, ok bool) {
	r := bitReader{p: d}
	if r.bits(2) != vp9FrameMarker {
		return false, 0, 0, false
	}
	profile := r.bit() | r.bit()<<1
	if profile == vp9Profile3 {
		r.skip(1)
	}
	if r.flag() { // show_existing_frame: no frame is coded here
		return false, 0, 0, false
	}
	if r.bit() != vp9KeyFrame || r.failed {
		return false, 0, 0, false
	}
	r.skip(2) // show_frame, error_resilient_mode
	if r.bits(24) != vp9SyncCode {
		return false, 0, 0, false
	}
	// color_config() (§6.2.2)
	if profile >= 2 {
		r.skip(1) // ten_or_twelve_bit
	}
	if r.bits(3) != vp9CSRGB {
		r.skip(1) // color_range
		if profile == 1 || profile == 3 {
			r.skip(3) // subsampling_x, subsampling_y, reserved_zero
		}
	} else if profile == 1 || profile == 3 {
		r.skip(1) // reserved_zero
	}
	width = r.bits(16) + 1
	height = r.bits(16) + 1
	if r.failed {
		return true, 0, 0, false
	}
	return true, width, height, true
}
