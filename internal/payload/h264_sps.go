package payload

// Limits from the H.264 SPS semantics (§7.4.2.1.1), used to reject
// garbage early.
const (
	spsMaxID          = 31  // seq_parameter_set_id
	spsMaxLog2Minus4  = 12  // log2_max_frame_num_minus4, log2_max_pic_order_cnt_lsb_minus4
	spsMaxPOCCycle    = 255 // num_ref_frames_in_pic_order_cnt_cycle
	spsMaxChromaIDC   = 3
	spsMaxBitDepthExt = 6 // bit_depth_luma_minus8, bit_depth_chroma_minus8
	mbSize            = 16
)

// h264HighProfile reports the profile_idc values whose SPS carries
// chroma_format_idc, bit depths and scaling matrices (§7.3.2.1.1).
func h264HighProfile(profile uint32) bool {
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		return true
	}
	return false
}

// h264SPSSize returns the cropped frame size coded in a sequence parameter
// set, given the NAL unit's payload after its one-byte header, with
// emulation prevention bytes still in it. It walks
// seq_parameter_set_data() (§7.3.2.1.1) up to frame_crop_bottom_offset and
// applies §7.4.2.1.1:
//
//	width  = PicWidthInMbs*16 - CropUnitX*(left+right)
//	height = (2-frame_mbs_only_flag)*PicHeightInMapUnits*16 - CropUnitY*(top+bottom)
//
// where CropUnitX/Y are 1 and 2-frame_mbs_only_flag for monochrome or
// separately coded colour planes, else SubWidthC and
// SubHeightC*(2-frame_mbs_only_flag) (Table 6-1). ok is false for a
// truncated or inconsistent SPS.
func h264SPSSize(body []byte) (width, height uint32, ok bool) {
	r := bitReader{p: body, epb: true}
	profile := r.bits(8)
	r.skip(16) // constraint_set flags, reserved_zero_2bits, level_idc
	if r.ue() > spsMaxID {
		return 0, 0, false
	}
	chroma, separate := uint32(1), false // 4:2:0 unless signalled
	if h264HighProfile(profile) {
		if chroma, separate, ok = h264HighProfileFields(&r); !ok {
			return 0, 0, false
		}
	}
	if r.ue() > spsMaxLog2Minus4 { // log2_max_frame_num_minus4
		return 0, 0, false
	}
	if !h264SkipPicOrderCount(&r) {
		return 0, 0, false
	}
	r.ue()    // max_num_ref_frames
	r.skip(1) // gaps_in_frame_num_value_allowed_flag
	widthMbs := uint64(r.ue()) + 1
	heightMapUnits := uint64(r.ue()) + 1
	frameMbsOnly := r.flag()
	if !frameMbsOnly {
		r.skip(1) // mb_adaptive_frame_field_flag
	}
	r.skip(1) // direct_8x8_inference_flag
	var left, right, top, bottom uint64
	if r.flag() { // frame_cropping_flag
		left, right, top, bottom = uint64(r.ue()), uint64(r.ue()), uint64(r.ue()), uint64(r.ue())
	}
	if r.failed {
		return 0, 0, false
	}
	fields := uint64(2) // 2 - frame_mbs_only_flag
	if frameMbsOnly {
		fields = 1
	}
	cropX, cropY := uint64(1), fields
	if !separate && chroma != 0 {
		subW, subH := uint64(2), uint64(2) // 4:2:0
		switch chroma {
		case 2: // 4:2:2
			subH = 1
		case 3: // 4:4:4
			subW, subH = 1, 1
		}
		cropX, cropY = subW, subH*fields
	}
	w := widthMbs * mbSize
	h := fields * heightMapUnits * mbSize
	cw, ch := cropX*(left+right), cropY*(top+bottom)
	if cw >= w || ch >= h || w-cw > 1<<32-1 || h-ch > 1<<32-1 {
		return 0, 0, false
	}
	return uint32(w - cw), uint32(h - ch), true
}

// h264HighProfileFields reads the members of seq_parameter_set_data() that
// only the high profiles carry (§7.3.2.1.1), chroma_format_idc through the
// scaling matrices, and returns chroma_format_idc and
// separate_colour_plane_flag. ok is false for a value out of its range.
func h264HighProfileFields(r *bitReader) (chroma uint32, separate, ok bool) {
	if chroma = r.ue(); chroma > spsMaxChromaIDC {
		return 0, false, false
	}
	if chroma == 3 {
		separate = r.flag()
	}
	// Both are read before either is checked, as the syntax has them.
	lumaDepth, chromaDepth := r.ue(), r.ue() // bit_depth_luma_minus8, bit_depth_chroma_minus8
	if lumaDepth > spsMaxBitDepthExt || chromaDepth > spsMaxBitDepthExt {
		return 0, false, false
	}
	r.skip(1)     // qpprime_y_zero_transform_bypass_flag
	if r.flag() { // seq_scaling_matrix_present_flag
		lists := 8
		if chroma == 3 {
			lists = 12
		}
		for i := range lists {
			if r.flag() { // seq_scaling_list_present_flag[i]
				size := 16
				if i >= 6 {
					size = 64
				}
				skipScalingList(r, size)
			}
		}
	}
	return chroma, separate, true
}

// h264SkipPicOrderCount walks pic_order_cnt_type and the members it
// selects (§7.3.2.1.1). It is false for a value out of its range or a
// truncated cycle of offsets.
func h264SkipPicOrderCount(r *bitReader) bool {
	switch r.ue() { // pic_order_cnt_type
	case 0:
		return r.ue() <= spsMaxLog2Minus4 // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		r.skip(1) // delta_pic_order_always_zero_flag
		r.se()    // offset_for_non_ref_pic
		r.se()    // offset_for_top_to_bottom_field
		n := r.ue()
		if n > spsMaxPOCCycle {
			return false
		}
		for range n {
			r.se() // offset_for_ref_frame[i]
			if r.failed {
				return false
			}
		}
		return true
	case 2:
		return true
	default:
		return false
	}
}

// skipScalingList walks scaling_list() (§7.3.2.1.1.1): delta_scale values
// until nextScale becomes 0 or size entries are done.
func skipScalingList(r *bitReader, size int) {
	last, next := int64(8), int64(8)
	for range size {
		if next != 0 {
			delta := r.se()
			if r.failed {
				return
			}
			next = ((last+delta)%256 + 256) % 256
		}
		if next != 0 {
			last = next
		}
	}
}
