package payload

// OBU types (AV1 specification §6.2.2) and header bits (§5.3.2):
// |forbidden|type:4|extension_flag|has_size_field|reserved|.
const (
	obuSequenceHeader    = 1
	obuTemporalDelimiter = 2
	obuFrameHeader       = 3
	obuFrame             = 6

	obuForbidden = 0x80
	obuExtension = 0x04
	obuHasSize   = 0x02
)

// AV1 frame header values (§6.8.2, §6.4.2).
const (
	av1KeyFrame          = 0
	av1SwitchFrame       = 3
	av1SelectTools       = 2 // SELECT_SCREEN_CONTENT_TOOLS, SELECT_INTEGER_MV
	av1MaxOperatingPoint = 32
	av1LevelTierFrom     = 8 // seq_tier is coded for seq_level_idx > 7
	av1AllFrames         = 0xff
	av1NumRefFrames      = 8
)

// av1Sequence holds the fields of the last sequence header OBU that the
// frame header syntax depends on, up to the frame size (§5.5, §5.9.2).
type av1Sequence struct {
	valid            bool
	reducedStill     bool
	decoderModelInfo bool
	equalInterval    bool
	enableOrderHint  bool
	frameIDNumbers   bool
	presentationLen  int // frame_presentation_time_length_minus_1 + 1
	removalLen       int // buffer_removal_time_length_minus_1 + 1
	opDelayLen       int // buffer_delay_length_minus_1 + 1
	idLen            int
	orderHintBits    int
	widthBits        int
	heightBits       int
	forceSCT         uint32 // seq_force_screen_content_tools
	forceIntegerMV   uint32 // seq_force_integer_mv
	maxWidth         uint32
	maxHeight        uint32
	ops              int
	opModel          uint32 // bit i: decoder_model_present_for_this_op[i]
	opIDC            [av1MaxOperatingPoint]uint16
}

// av1Frame fills f from an RTP AV1 payload (AV1 RTP payload format §4.4,
// §4.5), updating seq from any sequence header OBU it carries.
//
// Start is N=1: the first packet of a coded video sequence, which opens
// with a temporal unit whose first frame is a key frame (so Key too). Any
// other packet can only be the first of its temporal unit when it begins
// with a whole OBU (Z=0) that can lead one: a temporal delimiter, sequence
// header, frame header or frame OBU; that is MayStart. Key is also set by a
// frame header (alone or in a frame OBU) with frame_type KEY_FRAME, which
// needs the sequence header to read; the size is that key frame's
// UpscaledWidth x FrameHeight from frame_size() (§5.9.5): the frame
// size override when coded, else the sequence header's maximum. That is the
// size of the frame the decoder outputs, before render_size(). MediaBytes
// counts the OBU elements without the aggregation header and their length
// fields.
func av1Frame(p []byte, seq *av1Sequence, f *FrameInfo) {
	if len(p) < 2 || !av1ElementsValid(p) {
		return
	}
	z, n := p[0]&av1Z != 0, p[0]&av1N != 0
	if z && n {
		return // forbidden by §4.4
	}
	f.Valid = true
	f.Start, f.MayStart, f.Key = n, n, n
	w := int(p[0] >> av1WShift & av1WMask)
	rest := p[1:]
	for i := 1; len(rest) > 0; i++ {
		var elem []byte
		if i == w {
			elem, rest = rest, nil
		} else {
			size, k := av1LEB128(rest) // validated above
			elem, rest = rest[k:k+int(size)], rest[k+int(size):]
		}
		f.MediaBytes += len(elem)
		if i == 1 && z {
			continue // the tail of an OBU begun in an earlier packet
		}
		t := av1OBU(elem, seq, f)
		if i == 1 && (t == obuTemporalDelimiter || t == obuSequenceHeader || t == obuFrameHeader || t == obuFrame) {
			f.MayStart = true
		}
	}
}

// av1OBU reads one OBU that starts at the head of elem (it may be cut short
// at the end of the packet) and returns its type, or 0 when the header is
// malformed.
func av1OBU(elem []byte, seq *av1Sequence, f *FrameInfo) byte {
	if len(elem) == 0 || elem[0]&obuForbidden != 0 {
		return 0
	}
	t := elem[0] >> 3 & 0x0f
	body := elem[1:]
	var tid, sid uint8
	if elem[0]&obuExtension != 0 {
		if len(body) == 0 {
			return 0
		}
		tid, sid = body[0]>>5, body[0]>>3&0x03
		body = body[1:]
	}
	if elem[0]&obuHasSize != 0 {
		size, k := av1LEB128(body)
		if k == 0 {
			return 0
		}
		body = body[k:]
		if size < uint64(len(body)) {
			body = body[:size]
		}
	}
	switch t {
	case obuSequenceHeader:
		seq.parse(body)
	case obuFrameHeader, obuFrame:
		if !seq.valid {
			break
		}
		if key, w, h, ok := seq.keyFrameSize(body, tid, sid); key {
			f.Key = true
			if ok {
				f.Width, f.Height, f.HasSize = w, h, true
			}
		}
	}
	return t
}

// parse reads sequence_header_obu() (§5.5.1) up to order_hint_bits_minus_1.
// A header that cannot be read invalidates the previous one, since frame
// headers would then be read with the wrong layout.
func (s *av1Sequence) parse(d []byte) {
	*s = av1Sequence{}
	r := bitReader{p: d}
	r.skip(4) // seq_profile, still_picture
	s.reducedStill = r.flag()
	s.forceSCT, s.forceIntegerMV = av1SelectTools, av1SelectTools
	if s.reducedStill {
		r.skip(5) // seq_level_idx[0]
		s.ops = 1
	} else if !s.parseOperatingPoints(&r) {
		return
	}
	s.widthBits = int(r.bits(4)) + 1
	s.heightBits = int(r.bits(4)) + 1
	s.maxWidth = r.bits(s.widthBits) + 1
	s.maxHeight = r.bits(s.heightBits) + 1
	if !s.reducedStill {
		s.frameIDNumbers = r.flag()
	}
	if s.frameIDNumbers {
		delta := int(r.bits(4)) + 2
		s.idLen = int(r.bits(3)) + 1 + delta
	}
	r.skip(3) // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
	if !s.reducedStill {
		s.parseInterTools(&r)
	}
	s.valid = !r.failed
}

// parseOperatingPoints reads the part of sequence_header_obu() that a
// header without reduced_still_picture_header has, from
// timing_info_present_flag through the operating points. It is false when
// the data ends among the operating points.
func (s *av1Sequence) parseOperatingPoints(r *bitReader) bool {
	if r.flag() { // timing_info_present_flag: timing_info()
		s.parseTimingInfo(r)
	}
	initialDelay := r.flag()
	s.ops = int(r.bits(5)) + 1
	for i := range s.ops {
		s.opIDC[i] = uint16(r.bits(12))
		if r.bits(5) >= av1LevelTierFrom {
			r.skip(1) // seq_tier
		}
		if s.decoderModelInfo && r.flag() {
			s.opModel |= 1 << i
			// operating_parameters_info(): two delays and low_delay_mode_flag
			r.skip(2*s.opDelayLen + 1)
		}
		if initialDelay && r.flag() {
			r.skip(4) // initial_display_delay_minus_1
		}
		if r.failed {
			return false
		}
	}
	return true
}

// parseTimingInfo reads timing_info() and, if present, decoder_model_info().
func (s *av1Sequence) parseTimingInfo(r *bitReader) {
	r.skip(64) // num_units_in_display_tick, time_scale
	if s.equalInterval = r.flag(); s.equalInterval {
		r.uvlc() // num_ticks_per_picture_minus_1
	}
	if s.decoderModelInfo = r.flag(); s.decoderModelInfo {
		// decoder_model_info()
		delayLen := int(r.bits(5)) + 1 // buffer_delay_length_minus_1 + 1
		r.skip(32)                     // num_units_in_decoding_tick
		s.removalLen = int(r.bits(5)) + 1
		s.presentationLen = int(r.bits(5)) + 1
		s.opDelayLen = delayLen
	}
}

// parseInterTools reads the tool flags of sequence_header_obu() that follow
// enable_intra_edge_filter in a header without
// reduced_still_picture_header, through order_hint_bits_minus_1.
func (s *av1Sequence) parseInterTools(r *bitReader) {
	r.skip(4) // interintra, masked compound, warped motion, dual filter
	if s.enableOrderHint = r.flag(); s.enableOrderHint {
		r.skip(2) // enable_jnt_comp, enable_ref_frame_mvs
	}
	if !r.flag() { // seq_choose_screen_content_tools
		s.forceSCT = r.bit()
	}
	if s.forceSCT > 0 {
		if !r.flag() { // seq_choose_integer_mv
			s.forceIntegerMV = r.bit()
		}
	}
	if s.enableOrderHint {
		s.orderHintBits = int(r.bits(3)) + 1
	}
}

// keyFrameSize reads uncompressed_header() (§5.9.2) of a frame header OBU
// payload as far as frame_size() and reports whether the frame is a
// KEY_FRAME (show_existing_frame = 0) and, for one, its size. tid and sid
// are the OBU's temporal_id and spatial_id, which select the operating
// points whose buffer_removal_time is coded.
func (s *av1Sequence) keyFrameSize(d []byte, tid, sid uint8) (key bool, width, height uint32, ok bool) {
	r := bitReader{p: d}
	frameType, show, errorResilient := uint32(av1KeyFrame), true, true
	if !s.reducedStill {
		var existing bool
		if existing, frameType, show, errorResilient = s.readFrameType(&r); existing {
			return false, 0, 0, false
		}
	}
	if r.failed || frameType != av1KeyFrame {
		return false, 0, 0, false
	}
	r.skip(1) // disable_cdf_update
	sct := s.forceSCT
	if sct == av1SelectTools {
		sct = r.bit() // allow_screen_content_tools
	}
	if sct != 0 && s.forceIntegerMV == av1SelectTools {
		r.skip(1) // force_integer_mv
	}
	if s.frameIDNumbers {
		r.skip(s.idLen) // current_frame_id
	}
	override := false
	if !s.reducedStill {
		override = r.flag() // frame_size_override_flag
	}
	r.skip(s.orderHintBits)             // order_hint; primary_ref_frame is not coded for intra frames
	if s.decoderModelInfo && r.flag() { // buffer_removal_time_present_flag
		s.skipBufferRemovalTimes(&r, tid, sid)
	}
	refresh := uint32(av1AllFrames)
	if !show {
		refresh = r.bits(8) // refresh_frame_flags
	}
	if refresh != av1AllFrames && errorResilient && s.enableOrderHint {
		r.skip(av1NumRefFrames * s.orderHintBits) // ref_order_hint[i]
	}
	width, height = s.maxWidth, s.maxHeight
	if override {
		width = r.bits(s.widthBits) + 1
		height = r.bits(s.heightBits) + 1
	}
	if r.failed {
		return true, 0, 0, false
	}
	return true, width, height, true
}

// readFrameType reads the start of uncompressed_header() in a sequence without
// reduced_still_picture_header: show_existing_frame (existing; nothing else
// is read when it is set), frame_type, show_frame and error_resilient_mode
// (true where the syntax implies it).
func (s *av1Sequence) readFrameType(r *bitReader) (existing bool, frameType uint32, show, errorResilient bool) {
	if r.flag() { // show_existing_frame
		return true, 0, false, false
	}
	frameType = r.bits(2)
	show = r.flag()
	if show && s.decoderModelInfo && !s.equalInterval {
		r.skip(s.presentationLen) // temporal_point_info()
	}
	if !show {
		r.skip(1) // showable_frame
	}
	errorResilient = true
	if frameType != av1SwitchFrame && (frameType != av1KeyFrame || !show) {
		errorResilient = r.flag()
	}
	return false, frameType, show, errorResilient
}

// skipBufferRemovalTimes skips buffer_removal_time of each operating point
// with a decoder model that the OBU's temporal_id tid and spatial_id sid
// belong to (§5.9.2).
func (s *av1Sequence) skipBufferRemovalTimes(r *bitReader, tid, sid uint8) {
	for op := range s.ops {
		if s.opModel&(1<<op) == 0 {
			continue
		}
		idc := uint32(s.opIDC[op])
		inTemporal := idc>>tid&1 != 0
		inSpatial := idc>>(uint32(sid)+8)&1 != 0
		if idc == 0 || inTemporal && inSpatial {
			r.skip(s.removalLen) // buffer_removal_time[op]
		}
	}
}
