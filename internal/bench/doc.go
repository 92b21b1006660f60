// Package bench holds comparative benchmarks: rtcstats against pion's own
// stats interceptor (github.com/pion/interceptor/pkg/stats), both driven
// through the interceptor API exactly as pion's PeerConnection drives them,
// on identical prepared packet sequences. The package has no code outside
// its tests.
//
// Sub-benchmark names end in /impl=pion, /impl=rtcstats and, where a floor
// is useful, /impl=none (pion's NoOp interceptor: the harness alone), so
// benchstat can pivot on the implementation:
//
//	go test -run '^$' -bench . -count 10 ./internal/bench/ > bench.txt
//	benchstat -col /impl bench.txt
//
// The columns are ordered as they first appear (pion, rtcstats, none); the
// delta column next to rtcstats is rtcstats relative to pion. benchstat's
// ratio counts the harness in both implementations; cmd/ratios also prints
// each ratio net of impl=none from the same run (the time each interceptor
// adds) and by CPU time:
//
//	go run ./internal/bench/cmd/ratios bench.txt
//
// Run scripts/bench.sh for the whole set (this package, the root,
// collectors, rtpx and dscp benchmarks, benchstat summaries, ratios).
//
// What is measured:
//
//   - BenchmarkInbound, BenchmarkOutbound: one RTP packet (1200-byte VP8-ish
//     payload, sequence number and timestamp advancing) read through the
//     reader BindRemoteStream returned, or written through the writer
//     BindLocalStream returned. Variants: plain (no header extensions), ext3
//     (sdes:mid, abs-send-time and transport-wide-cc negotiated in the
//     StreamInfo and present in every packet) and rtcp (plain, plus one
//     incoming and one outgoing compound RTCP batch — SR and RR with report
//     blocks, and a NACK — every 100 packets, amortised per packet).
//     exact-allocs/op and exact-B/op repeat allocs/op and B/op as exact
//     fractions (the testing package truncates those to integers, which
//     rounds the amortised RTCP allocations away). cpu-ns/op is the
//     process's CPU time (getrusage) per packet: sec/op is the wall time of
//     the benchmark's goroutine, and the garbage collector's background
//     workers collect what an allocating implementation leaves on the other
//     core, which only CPU time counts.
//   - BenchmarkRTCP: one compound batch (SR + RR with report blocks + NACK)
//     through BindRTCPReader (in) or BindRTCPWriter (out), with 1 and 100
//     streams of each direction bound.
//   - BenchmarkGetStatsPC: the whole GetStats of a real PeerConnection
//     connected over UDP on 127.0.0.1 that sends N and receives N video
//     tracks: rtcstats' Factory.GetStats(pc) against pion's
//     PeerConnection.GetStats() with pion's stats interceptor registered
//     (webrtc.ConfigureStatsInterceptor). tracks=N = 1, 100, 500, 1000
//     tracks each way (2N RTP streams); building the 1000-track pair takes
//     a few seconds per run.
//   - BenchmarkGetStats: the same without negotiation: rtcstats'
//     Factory.GetStats on an unconnected PeerConnection whose interceptor has
//     N inbound and N outbound streams bound through the interceptor API
//     (the inbound objects are snapshotted but left out of the report: an
//     unnegotiated PeerConnection has no track for them); for pion,
//     Getter.Get for each of the 2N SSRCs. BenchmarkCollectorsSnapshot is
//     the per-stream snapshot work alone, through the public collectors API.
//   - BenchmarkMemory: heap retained per bound stream (B/stream).
//   - BenchmarkPacketLatency: p50/p99 of single packet reads or writes, with
//     and without a goroutine taking snapshots continuously.
//
// TestE2ECost (only with RTCSTATS_E2E_COST=1) measures process CPU time for a
// fixed number of packets between two in-process PeerConnections with
// rtcstats, pion's stats interceptor, or neither registered.
package bench
