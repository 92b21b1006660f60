package collectors

// kindIsVideo reports whether video-only members may be emitted.
func kindIsVideo(kind string) bool { return kind == "video" }
