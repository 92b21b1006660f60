// Command specgen generates report/types_gen.go from the W3C webrtc-stats
// editors' draft and the webrtc-provisional-stats document, plus rtcstats'
// own extension members.
//
// It is run from the report directory by go generate:
//
//	go run ./internal/specgen [-spec DIR] [-out FILE]
//
// Inputs, all read from the spec directory:
//   - webrtc-stats-ED-flattened.json: stats types, dictionaries, flattened members, enums;
//   - webrtc-stats-ED.txt: member prose (one-line meaning, "MUST NOT exist for audio/video");
//   - webrtc-provisional-stats.idl and .txt: provisional partial dictionaries and
//     RTCRtpContributingSourceStats;
//   - webrtc-stats-2018-05-19.idl: confirms "csrc" as the type of RTCRtpContributingSourceStats.
//
// The extension members, which rtcstats measures and no W3C document
// defines, come from extensions.idl in this directory (embedded): partial
// dictionaries with a "//" doc comment above each member. They are appended
// after the spec's members and marked as extensions in the doc comments and
// the member tables; one that collides with a spec member is an error.
package main
