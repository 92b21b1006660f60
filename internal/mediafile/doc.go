// Package mediafile plays small encoded media files (VP8 in IVF, Opus in Ogg)
// into pion tracks, looping them at real-time pace. It exists so examples and
// end-to-end tests can send real media without a camera or microphone; see
// the repository's testdata/README.md for the committed sample files.
//
// Typical use:
//
//	dir, err := mediafile.TestdataDir()
//	...
//	go mediafile.SendVP8(ctx, videoTrack, filepath.Join(dir, mediafile.VideoFile), 0)
//	go mediafile.SendOpus(ctx, audioTrack, filepath.Join(dir, mediafile.AudioFile), 0)
//
// The whole file is parsed before the first sample is written, so a broken
// or missing file is reported immediately and nothing is sent.
package mediafile
