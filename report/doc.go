// Package report holds the W3C webrtc-stats dictionaries as Go types, and a
// Report of them as returned by getStats(): JSON in and out in the browser's
// shape, validation against the spec, and interval metrics between two
// reports.
//
// Every stats type of the editors' draft has a flat struct that embeds Base
// (timestamp, type, id) and holds the dictionary's members, including those
// inherited and those added by the provisional stats document; "csrc"
// (RTCRtpContributingSourceStats) comes from the provisional document. The
// structs and their member tables are generated from the spec by
// internal/specgen.
//
// Extension members: a few members that rtcstats measures and no W3C
// document defines, such as TransportStats.PerDSCPRTCPPacketsSent and the
// other per-DSCP counts of a transport's datagrams that are not RTP, are
// generated from internal/specgen/extensions.idl and follow the spec's
// members of the dictionary they extend. Their doc comments say "rtcstats
// extension, not in any W3C document" and their MemberInfo has Extension
// set; the generator refuses one whose name a spec member has. Validate and
// ValidateJSON accept them like spec members on the dictionary that declares
// them; WithoutExtensions reports them as unknown members instead.
//
// Absent and zero differ: optional members are pointers, nil when the
// member does not exist, so a counter that has not counted yet is a pointer
// to 0 and is written as 0. Kind-specific members (framesDecoded for video,
// concealedSamples for audio, ...) must be left nil for the other kind.
//
// Treat a Report you are given as read-only: objects of one report may
// share the storage of equal members (rtcstats' GetStats gives all RTP
// streams of a transport one transportId string, for instance), so writing
// through a member pointer can change other objects. Copy what you modify.
//
// Building and checking a report:
//
//	r := report.Report{}
//	r.Add(&report.OutboundRTPStreamStats{
//		Base:        report.Base{Timestamp: 1.7e12, Type: report.TypeOutboundRTP, ID: "OT01A1"},
//		SSRC:        1,
//		Kind:        "audio",
//		PacketsSent: new(uint64(0)),
//	})
//	for _, v := range r.Validate() {
//		log.Print(v)
//	}
//	data, err := json.Marshal(r)
//
// Reading a browser's dump and taking rates between two of them:
//
//	var prev, cur report.Report
//	err := json.Unmarshal(dump1, &prev) // typed; non-standard members dropped
//	...
//	iv := report.Delta(prev, cur)
//	for id, out := range iv.Outbound {
//		if out.Bitrate != nil {
//			fmt.Printf("%s: %.0f bit/s\n", id, *out.Bitrate)
//		}
//	}
//
// ValidateJSON checks a dump as JSON, which also catches misspelled or
// non-standard members and values of the wrong type.
//
//go:generate go run ./internal/specgen
package report
