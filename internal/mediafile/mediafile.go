package mediafile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4/pkg/media"
)

// Names of the sample files in the repository's testdata directory.
const (
	VideoFile = "video.ivf" // VP8, 320x240, 30 fps, 90 frames, key frames at 0, 30, 60
	AudioFile = "audio.ogg" // Opus, 48 kHz mono, 151 packets of 20 ms
)

// SampleWriter receives the samples. *webrtc.TrackLocalStaticSample
// implements it; tests can pass a recorder.
type SampleWriter interface {
	WriteSample(s media.Sample) error // writes one encoded sample
}

// Stats counts what was written to the SampleWriter.
type Stats struct {
	Frames    int           // samples written: VP8 frames or Opus packets
	KeyFrames int           // VP8 key frames written (always 0 for Opus)
	Bytes     int64         // payload bytes written
	Duration  time.Duration // sum of the written samples' durations (media time)
	Loops     int           // complete passes over the file
}

// Option configures SendVP8 and SendOpus.
type Option func(*config)

type config struct {
	pace bool
}

// WithoutPacing writes samples as fast as the writer accepts them instead of
// at real-time pace. Sample durations are unchanged. Meant for tests; with
// loops == 0 the send then spins until ctx is done.
func WithoutPacing() Option {
	return func(c *config) { c.pace = false }
}

// sample is one parsed frame or packet, ready to be written.
type sample struct {
	data     []byte
	duration time.Duration
	key      bool
}

// maxLag is how far behind schedule the sender may fall (e.g. because the
// writer blocked) before it resynchronises to the wall clock instead of
// bursting to catch up.
const maxLag = 200 * time.Millisecond

var errEmptyFile = errors.New("mediafile: file holds no media samples")

// play writes samples to w, loops times (0 = until ctx is done). Sample i is
// written at start + sum(duration[0..i-1]): the first immediately, then one
// duration after the previous one, like a ticker but drift-free and able to
// follow varying durations. A done ctx ends the loop with a nil error.
func play(ctx context.Context, w SampleWriter, samples []sample, loops int, opts []Option) (Stats, error) {
	cfg := config{pace: true}
	for _, o := range opts {
		o(&cfg)
	}

	var st Stats
	if len(samples) == 0 {
		return st, errEmptyFile
	}
	if loops < 0 {
		return st, fmt.Errorf("mediafile: negative loops %d", loops)
	}

	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C

	next := time.Now()
	for loops == 0 || st.Loops < loops {
		for _, s := range samples {
			if cfg.pace {
				wait := time.Until(next)
				if wait < -maxLag {
					next = time.Now()
				} else if wait > 0 {
					timer.Reset(wait)
					select {
					case <-ctx.Done():
						return st, nil
					case <-timer.C:
					}
				}
			}
			if ctx.Err() != nil {
				return st, nil
			}
			if err := w.WriteSample(media.Sample{Data: s.data, Duration: s.duration}); err != nil {
				return st, fmt.Errorf("mediafile: write sample %d: %w", st.Frames, err)
			}
			st.Frames++
			if s.key {
				st.KeyFrames++
			}
			st.Bytes += int64(len(s.data))
			st.Duration += s.duration
			next = next.Add(s.duration)
		}
		st.Loops++
	}
	return st, nil
}
