// Package peers builds two pion PeerConnections in one process, connected
// over real UDP on 127.0.0.1 and monitored by one rtcstats Factory, each
// sending the other audio (Opus) and video (VP8) from the repository's
// testdata plus a data channel. The loopback example and the end-to-end
// tests share it.
package peers
