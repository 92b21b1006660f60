package mediafile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
)

// SendVP8 plays the VP8 IVF file at path into w (normally a
// *webrtc.TrackLocalStaticSample with a VP8 codec), loops times over; loops
// == 0 repeats until ctx is done. Each frame is written as one sample whose
// duration is the IVF timebase (1/30 s for testdata/video.ivf), paced in
// real time unless WithoutPacing is given.
//
// When ctx is done, SendVP8 stops before the next write and returns the
// stats so far with a nil error: cancelling ctx is the normal way to stop an
// endless send. Check ctx.Err() if you need to tell a stop from completion.
// Errors are returned for unreadable or non-VP8 files and failed writes.
func SendVP8(ctx context.Context, w SampleWriter, path string, loops int, opts ...Option) (Stats, error) {
	samples, err := readVP8(path)
	if err != nil {
		return Stats{}, err
	}
	return play(ctx, w, samples, loops, opts)
}

// readVP8 parses every frame of a VP8 IVF file.
func readVP8(path string) ([]sample, error) {
	f, err := os.Open(path) //nolint:gosec // G304: the caller names the file
	if err != nil {
		return nil, fmt.Errorf("mediafile: %w", err)
	}
	defer func() { _ = f.Close() }()

	r, hdr, err := ivfreader.NewWith(f)
	if err != nil {
		return nil, fmt.Errorf("mediafile: %s: %w", path, err)
	}
	if hdr.FourCC != "VP80" {
		return nil, fmt.Errorf("mediafile: %s: FourCC %q, want VP80", path, hdr.FourCC)
	}
	// Frame duration = one timebase tick (numerator/denominator seconds);
	// pion names the IVF rate field TimebaseDenominator.
	frameDur := time.Duration(uint64(time.Second) * uint64(hdr.TimebaseNumerator) / uint64(hdr.TimebaseDenominator))
	if frameDur <= 0 {
		return nil, fmt.Errorf("mediafile: %s: bad timebase %d/%d", path, hdr.TimebaseNumerator, hdr.TimebaseDenominator)
	}

	var out []sample
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("mediafile: %s: frame %d: %w", path, len(out), err)
		}
		if len(frame) == 0 {
			continue
		}
		out = append(out, sample{data: frame, duration: frameDur, key: IsVP8KeyFrame(frame)})
	}
	if len(out) == 0 || !out[0].key {
		return nil, fmt.Errorf("mediafile: %s: does not start with a VP8 key frame", path)
	}
	return out, nil
}

// IsVP8KeyFrame reports whether frame (a VP8 frame, starting with the frame
// tag) is a key frame: bit 0 of the first byte is 0 for key frames
// (RFC 6386 §9.1).
func IsVP8KeyFrame(frame []byte) bool {
	return len(frame) > 0 && frame[0]&0x01 == 0
}

// VP8KeyFrameSize returns the width and height coded in a VP8 key frame
// header (bytes 6–9, 14 bits each, after the 0x9d 0x01 0x2a start code).
// ok is false for inter frames and malformed input.
func VP8KeyFrameSize(frame []byte) (width, height int, ok bool) {
	if len(frame) < 10 || !IsVP8KeyFrame(frame) ||
		frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	width = int(uint16(frame[6])|uint16(frame[7])<<8) & 0x3fff
	height = int(uint16(frame[8])|uint16(frame[9])<<8) & 0x3fff
	return width, height, true
}
