// Package e2e holds rtcstats' end-to-end tests: real pion PeerConnections
// exchanging real media over UDP on 127.0.0.1, with the numbers of one peer
// checked against the other peer's, the application's own packet counts and
// impairments injected with known values. Nothing here needs root.
package e2e
