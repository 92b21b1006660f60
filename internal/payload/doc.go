// Package payload reads just enough of an RTP video payload (the bytes after
// the RTP header and before padding, in the clear, i.e. before SRTP) to tell
// whether a packet belongs to a frame that decodes without any earlier
// frame: a VP8 or VP9 key frame, an H.264 IDR access unit, or the start of
// an AV1 coded video sequence. RFC 8837 §5 gives interactive video two DSCP
// values of the same class; the one with the lower drop precedence is meant
// for those packets, because losing one stalls the receiver until the next
// key frame.
//
// The codec parsers ([VP8KeyFrame], [VP9KeyFrame], [H264KeyFrame],
// [AV1KeyFrame]) are pure functions of one payload. [KeyFrames] adds the
// per-stream state that carries the decision taken on the packet starting a
// frame over to the rest of that frame. Nothing here allocates, keeps global
// state or panics on malformed input; malformed payloads are never key.
//
// [Parser] reads more from each payload, as [FrameInfo]: whether the packet
// begins its frame, whether the frame is a key frame, the frame size coded
// in it (VP8 key frame header, RFC 6386 §9.1; VP9 scalability structure,
// RFC 9628 §4.2.1, or uncompressed header; H.264 sequence parameter set,
// §7.3.2.1.1; AV1 sequence and frame headers, §5.5 and §5.9), and how many
// bytes of encoded video it carries. collectors.FrameTracker builds the
// frame members of the stats on it.
package payload
