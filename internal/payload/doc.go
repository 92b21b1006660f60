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
package payload
