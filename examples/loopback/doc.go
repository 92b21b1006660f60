// Command loopback is rtcstats' main job: two pion PeerConnections in one
// process, connected over real UDP on 127.0.0.1, each sending the other Opus
// audio and VP8 video from the repository's testdata plus data-channel
// messages, marking every packet with its RFC 8837 DSCP. Every interval it prints a compact table of both peers' RTP
// streams; at the end it lets the last RTCP reports cross, validates the
// chosen peer's final report against the spec and optionally writes it as
// JSON.
//
//	go run ./examples/loopback -duration 5s -o r.json
package main
