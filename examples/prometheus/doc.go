// Command prometheus serves the loopback call's statistics for Prometheus:
// two pion PeerConnections in one process, connected over 127.0.0.1 and
// sending each other Opus, VP8 and data-channel messages with RFC 8837
// DSCP marks (the loopback example's policy), each added to a prom.Collector
// as a call ("offerer", "answerer") whose metrics /metrics serves.
//
//	go run ./examples/prometheus -duration 60s
//	curl -s http://127.0.0.1:9464/metrics | grep rtcstats_outbound_rtp_packets_sent_total
//
// With -record FILE it also writes the offerer's report every -interval as
// a JSON Lines recording (see report.Recorder) that report.Playback reads
// back.
package main
