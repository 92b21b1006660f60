package mediafile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// Facts about the committed files; see testdata/README.md.
const (
	videoFrames     = 90
	videoWidth      = 320
	videoHeight     = 240
	videoFrameDur   = time.Second / 30
	videoFrameBytes = 103284
	opusPackets     = 151
	opusPacketDur   = 20 * time.Millisecond
)

var videoKeyFrames = []int{0, 30, 60}

var _ SampleWriter = (*webrtc.TrackLocalStaticSample)(nil)

type recorder struct {
	samples []media.Sample
	err     error // returned from every WriteSample if set
}

func (r *recorder) WriteSample(s media.Sample) error {
	if r.err != nil {
		return r.err
	}
	r.samples = append(r.samples, s)
	return nil
}

func testdataPath(t *testing.T, name string) string {
	t.Helper()
	dir, err := TestdataDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

func TestTestdataDir(t *testing.T) {
	dir, err := TestdataDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{VideoFile, AudioFile, "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "go.mod")); err != nil {
		t.Errorf("testdata parent has no go.mod: %v", err)
	}
}

// TestVideoFile checks the IVF file directly with pion's ivfreader.
func TestVideoFile(t *testing.T) {
	f, err := os.Open(testdataPath(t, VideoFile))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	r, hdr, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	if hdr.FourCC != "VP80" || hdr.Width != videoWidth || hdr.Height != videoHeight {
		t.Errorf("header: FourCC %q %dx%d, want VP80 %dx%d", hdr.FourCC, hdr.Width, hdr.Height, videoWidth, videoHeight)
	}
	if hdr.TimebaseNumerator != 1 || hdr.TimebaseDenominator != 30 || hdr.NumFrames != videoFrames {
		t.Errorf("header: timebase %d/%d, %d frames; want 1/30, %d frames",
			hdr.TimebaseNumerator, hdr.TimebaseDenominator, hdr.NumFrames, videoFrames)
	}

	var keys []int
	n, bytes := 0, 0
	for ; ; n++ {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		bytes += len(frame)
		w, h, ok := VP8KeyFrameSize(frame)
		if ok != IsVP8KeyFrame(frame) {
			t.Errorf("frame %d: key frame %v but header parse ok=%v", n, IsVP8KeyFrame(frame), ok)
		}
		if IsVP8KeyFrame(frame) {
			keys = append(keys, n)
			if w != int(hdr.Width) || h != int(hdr.Height) {
				t.Errorf("key frame %d: %dx%d, IVF header says %dx%d", n, w, h, hdr.Width, hdr.Height)
			}
		}
	}
	if n != videoFrames || bytes != videoFrameBytes {
		t.Errorf("%d frames, %d bytes; want %d, %d", n, bytes, videoFrames, videoFrameBytes)
	}
	if !slices.Equal(keys, videoKeyFrames) {
		t.Errorf("key frames at %v, want %v", keys, videoKeyFrames)
	}
}

func TestSendVP8(t *testing.T) {
	var rec recorder
	st, err := SendVP8(t.Context(), &rec, testdataPath(t, VideoFile), 2, WithoutPacing())
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{
		Frames:    2 * videoFrames,
		KeyFrames: 2 * len(videoKeyFrames),
		Bytes:     2 * videoFrameBytes,
		Duration:  2 * videoFrames * videoFrameDur,
		Loops:     2,
	}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	if len(rec.samples) != st.Frames {
		t.Fatalf("recorded %d samples, stats say %d", len(rec.samples), st.Frames)
	}
	for i, s := range rec.samples {
		if s.Duration != videoFrameDur {
			t.Errorf("sample %d: duration %v", i, s.Duration)
		}
		if key := slices.Contains(videoKeyFrames, i%videoFrames); IsVP8KeyFrame(s.Data) != key {
			t.Errorf("sample %d: key frame %v, want %v", i, !key, key)
		}
	}
}

// TestOpusFile checks the Ogg file's identification header with pion's oggreader.
func TestOpusFile(t *testing.T) {
	f, err := os.Open(testdataPath(t, AudioFile))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	_, head, err := oggreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	if head.Channels != 1 || head.SampleRate != 48000 || head.PreSkip != 312 {
		t.Errorf("OpusHead: %d channels, %d Hz, pre-skip %d; want 1, 48000, 312",
			head.Channels, head.SampleRate, head.PreSkip)
	}
}

func TestSendOpus(t *testing.T) {
	var rec recorder
	st, err := SendOpus(t.Context(), &rec, testdataPath(t, AudioFile), 2, WithoutPacing())
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != 2*opusPackets || st.KeyFrames != 0 || st.Loops != 2 ||
		st.Duration != 2*opusPackets*opusPacketDur || st.Bytes == 0 {
		t.Errorf("stats %+v, want %d frames of %v in 2 loops", st, 2*opusPackets, opusPacketDur)
	}
	var bytes int64
	for i, s := range rec.samples {
		bytes += int64(len(s.Data))
		if s.Duration != opusPacketDur {
			t.Errorf("packet %d: duration %v", i, s.Duration)
		}
		if d, ok := opusPacketDuration(s.Data); !ok || d != opusPacketDur {
			t.Errorf("packet %d: TOC says %v, %v", i, d, ok)
		}
	}
	if bytes != st.Bytes {
		t.Errorf("recorded %d bytes, stats say %d", bytes, st.Bytes)
	}
}

// TestPacing plays Opus in real time for a short while and checks both the
// pace and that cancellation stops promptly with a nil error.
func TestPacing(t *testing.T) {
	const run = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), run)
	defer cancel()
	var rec recorder
	start := time.Now()
	st, err := SendOpus(ctx, &rec, testdataPath(t, AudioFile), 0)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("err %v, want nil on ctx done", err)
	}
	if elapsed > run+100*time.Millisecond {
		t.Errorf("returned %v after start, ctx ended at %v", elapsed, run)
	}
	// 300 ms at 20 ms per packet: 15 intervals, so about 16 packets.
	if n := st.Frames; n < 10 || n > 17 {
		t.Errorf("%d packets in %v, want about %d", n, run, run/opusPacketDur+1)
	}
	if st.Loops != 0 {
		t.Errorf("loops %d, want 0", st.Loops)
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var rec recorder
	st, err := SendVP8(ctx, &rec, testdataPath(t, VideoFile), 1)
	if err != nil || st.Frames != 0 || len(rec.samples) != 0 {
		t.Errorf("got %+v, %v, %d samples; want nothing written and nil error", st, err, len(rec.samples))
	}
}

func TestRealTrack(t *testing.T) {
	track, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "mediafile")
	if err != nil {
		t.Fatal(err)
	}
	st, err := SendVP8(t.Context(), track, testdataPath(t, VideoFile), 1, WithoutPacing())
	if err != nil || st.Frames != videoFrames {
		t.Errorf("got %+v, %v", st, err)
	}
}

func TestErrors(t *testing.T) {
	video, audio := testdataPath(t, VideoFile), testdataPath(t, AudioFile)

	writeErr := errors.New("boom")
	st, err := SendOpus(t.Context(), &recorder{err: writeErr}, audio, 1, WithoutPacing())
	if !errors.Is(err, writeErr) || st.Frames != 0 {
		t.Errorf("write error: got %+v, %v", st, err)
	}

	if _, err := SendVP8(t.Context(), &recorder{}, filepath.Join(t.TempDir(), "missing.ivf"), 1); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := SendVP8(t.Context(), &recorder{}, audio, 1); err == nil {
		t.Error("Ogg file read as IVF: no error")
	}
	if _, err := SendOpus(t.Context(), &recorder{}, video, 1); err == nil {
		t.Error("IVF file read as Ogg: no error")
	}
	if _, err := SendVP8(t.Context(), &recorder{}, video, -1); err == nil {
		t.Error("negative loops: no error")
	}
}

func TestVP8Helpers(t *testing.T) {
	// 320x240 key frame header: tag, start code, width, height.
	key := []byte{0x70, 0x70, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}
	if w, h, ok := VP8KeyFrameSize(key); !ok || w != 320 || h != 240 {
		t.Errorf("key frame size %d x %d, %v", w, h, ok)
	}
	inter := slices.Clone(key)
	inter[0] |= 1
	for name, b := range map[string][]byte{"inter": inter, "short": key[:9], "empty": nil} {
		if _, _, ok := VP8KeyFrameSize(b); ok {
			t.Errorf("%s: size parsed", name)
		}
	}
	if IsVP8KeyFrame(nil) || IsVP8KeyFrame(inter) || !IsVP8KeyFrame(key) {
		t.Error("IsVP8KeyFrame wrong")
	}
}

func TestOpusPacketDuration(t *testing.T) {
	for _, tc := range []struct {
		packet []byte
		want   time.Duration
		ok     bool
	}{
		{[]byte{0x78}, 20 * time.Millisecond, true},       // hybrid FB 20 ms
		{[]byte{0x00}, 10 * time.Millisecond, true},       // SILK NB 10 ms
		{[]byte{0x18}, 60 * time.Millisecond, true},       // SILK NB 60 ms
		{[]byte{0x80}, 2500 * time.Microsecond, true},     // CELT 2.5 ms
		{[]byte{0xf9}, 40 * time.Millisecond, true},       // CELT 20 ms, two frames
		{[]byte{0xfb, 0x03}, 60 * time.Millisecond, true}, // CELT 20 ms, code 3, three frames
		{[]byte{0xfb}, 0, false},                          // code 3 without count byte
		{[]byte{0xfb, 0x00}, 0, false},                    // zero frames
		{nil, 0, false},                                   // empty
	} {
		got, ok := opusPacketDuration(tc.packet)
		if got != tc.want || ok != tc.ok {
			t.Errorf("% x: %v, %v; want %v, %v", tc.packet, got, ok, tc.want, tc.ok)
		}
	}
}
