package mediafile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// SendOpus plays the Opus Ogg file at path into w (normally a
// *webrtc.TrackLocalStaticSample with an Opus codec), loops times over;
// loops == 0 repeats until ctx is done. Each Opus packet is one sample,
// paced in real time unless WithoutPacing is given. Stopping and errors
// behave as for SendVP8: a done ctx returns the stats so far and nil.
//
// The file must carry one Opus packet per Ogg page (pion's oggreader is
// page-oriented); ffmpeg does that with -page_duration 20000 for 20 ms
// packets. A sample's duration is its page's granule position delta at
// 48 kHz (20 ms for testdata/audio.ogg). Where that delta is not a packet
// duration — the end-trimmed last page, or a stream not starting at
// granule 0 — the duration coded in the packet's TOC byte is used instead.
func SendOpus(ctx context.Context, w SampleWriter, path string, loops int, opts ...Option) (Stats, error) {
	samples, err := readOpus(path)
	if err != nil {
		return Stats{}, err
	}
	return play(ctx, w, samples, loops, opts)
}

// opusGranuleRate is the Ogg Opus granule position rate (RFC 7845 §4).
const opusGranuleRate = 48000

func granuleDuration(g uint64) time.Duration {
	return time.Duration(g * uint64(time.Second) / opusGranuleRate)
}

// readOpus parses every audio packet of an Opus Ogg file.
func readOpus(path string) ([]sample, error) {
	f, err := os.Open(path) //nolint:gosec // G304: the caller names the file
	if err != nil {
		return nil, fmt.Errorf("mediafile: %w", err)
	}
	defer func() { _ = f.Close() }()

	// NewWith reads and checks the OpusHead page.
	r, _, err := oggreader.NewWith(f)
	if err != nil {
		return nil, fmt.Errorf("mediafile: %s: %w", path, err)
	}

	var (
		out     []sample
		granule uint64 // granule position of the previous page
	)
	for page := 1; ; page++ {
		payload, hdr, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("mediafile: %s: page %d: %w", path, page, err)
		}
		if t, ok := hdr.HeaderType(payload); ok && t == oggreader.HeaderOpusTags {
			continue
		}
		if len(payload) == 0 {
			continue
		}
		if hdr.GranulePosition == ^uint64(0) {
			return nil, fmt.Errorf("mediafile: %s: page %d: packet continues on next page (unsupported)", path, page)
		}

		toc, tocOK := opusPacketDuration(payload)
		var dur time.Duration
		if hdr.GranulePosition > granule {
			dur = granuleDuration(hdr.GranulePosition - granule)
		}
		switch {
		case !tocOK && dur <= 0:
			return nil, fmt.Errorf("mediafile: %s: page %d: cannot tell packet duration", path, page)
		case !tocOK || dur == toc:
			// The granule delta is the duration.
		case dur > toc && len(out) > 0:
			return nil, fmt.Errorf("mediafile: %s: page %d: spans %v but packet is %v; one Opus packet per Ogg page is required", path, page, dur, toc)
		default:
			dur = toc
		}
		granule = hdr.GranulePosition
		out = append(out, sample{data: payload, duration: dur})
	}
	return out, nil
}

// opusPacketDuration returns the audio duration of an Opus packet from its
// TOC byte (RFC 6716 §3.1).
func opusPacketDuration(packet []byte) (time.Duration, bool) {
	if len(packet) == 0 {
		return 0, false
	}
	toc := packet[0]
	config := toc >> 3
	var frame time.Duration
	switch {
	case config < 12: // SILK-only: 10, 20, 40, 60 ms
		frame = time.Duration([4]int{10, 20, 40, 60}[config%4]) * time.Millisecond
	case config < 16: // Hybrid: 10, 20 ms
		frame = time.Duration([2]int{10, 20}[config%2]) * time.Millisecond
	default: // CELT-only: 2.5, 5, 10, 20 ms
		frame = time.Duration([4]int{2500, 5000, 10000, 20000}[config%4]) * time.Microsecond
	}
	var frames int
	switch toc & 0x03 {
	case 0:
		frames = 1
	case 1, 2:
		frames = 2
	default:
		if len(packet) < 2 {
			return 0, false
		}
		frames = int(packet[1] & 0x3f)
	}
	if frames == 0 {
		return 0, false
	}
	return time.Duration(frames) * frame, true
}
