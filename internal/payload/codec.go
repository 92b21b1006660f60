package payload

import "strings"

// Codec is a video payload format that KeyFrames understands.
type Codec uint8

// Known codecs. CodecUnknown makes KeyFrames report every packet as not key.
const (
	CodecUnknown Codec = iota
	CodecVP8
	CodecVP9
	CodecH264
	CodecAV1
)

// CodecFromMime maps a codec MIME type as WebRTC reports it ("video/VP8",
// "video/VP9", "video/H264", "video/AV1") to a Codec. Media type names are
// case-insensitive (RFC 6838 §4.2), so the comparison is too; any other
// string, including one with parameters, is CodecUnknown.
func CodecFromMime(mime string) Codec {
	switch {
	case strings.EqualFold(mime, "video/VP8"):
		return CodecVP8
	case strings.EqualFold(mime, "video/VP9"):
		return CodecVP9
	case strings.EqualFold(mime, "video/H264"):
		return CodecH264
	case strings.EqualFold(mime, "video/AV1"):
		return CodecAV1
	}
	return CodecUnknown
}

// String returns the codec's MIME subtype, or "unknown".
func (c Codec) String() string {
	switch c {
	case CodecVP8:
		return "VP8"
	case CodecVP9:
		return "VP9"
	case CodecH264:
		return "H264"
	case CodecAV1:
		return "AV1"
	default:
		return "unknown"
	}
}
