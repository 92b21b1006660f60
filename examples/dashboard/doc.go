// Command dashboard runs the loopback pair of examples/loopback (two pion
// PeerConnections on 127.0.0.1 sending each other Opus, VP8 and data-channel
// messages, every packet marked with its RFC 8837 DSCP) and serves a live
// page in the spirit of chrome://webrtc-internals: one card per stats object
// of each peer, with charts of bitrates, packet rates, loss, jitter, RTT and
// per-DSCP packet rates, built from report.Delta between consecutive reports.
//
//	go run ./examples/dashboard -addr 127.0.0.1:8080 -duration 2m
//
// Browsers can add their own peers to the same page by posting
// JSON.stringify(Object.fromEntries(await pc.getStats())) to
// api/push?peer=NAME.
package main
