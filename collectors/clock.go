package collectors

import "time"

// millis converts a wall-clock time to a DOMHighResTimeStamp: milliseconds
// since the Unix epoch with sub-millisecond precision.
func millis(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e6
}

// kindIsVideo reports whether video-only members may be emitted.
func kindIsVideo(kind string) bool { return kind == "video" }
