package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rtcstats/rtcstats/report"
)

// sample is an outbound video stream and its remote-inbound view as
// GetStats would return them at time ms.
func sample(ms float64, packets, bytes uint64, remoteReceived uint64, rttCount uint64, rttTotal float64) report.Report {
	r := report.Report{}
	r.Add(&report.OutboundRTPStreamStats{
		Base:        report.Base{Timestamp: ms, Type: report.TypeOutboundRTP, ID: "OT01"},
		SSRC:        1234,
		Kind:        "video",
		PacketsSent: new(packets),
		BytesSent:   new(bytes),
		RemoteID:    new("RI01"),
		PerDSCPPacketsSent: map[string]uint64{
			"36": packets / 10, "38": packets - packets/10,
		},
	})
	r.Add(&report.RemoteInboundRTPStreamStats{
		Base:                      report.Base{Timestamp: ms, Type: report.TypeRemoteInboundRTP, ID: "RI01"},
		SSRC:                      1234,
		Kind:                      "video",
		LocalID:                   new("OT01"),
		PacketsReceived:           new(remoteReceived),
		PacketsLost:               new(int64(packets - remoteReceived)),
		RoundTripTimeMeasurements: new(rttCount),
		TotalRoundTripTime:        new(rttTotal),
	})
	return r
}

// Delta turns two reports of one PeerConnection into rates over the
// interval between them, per DSCP too, and into the loss and mean RTT the
// remote receiver reported in between.
func ExampleDelta_lossAndRTT() {
	prev := sample(1_700_000_000_000, 1000, 1_000_000, 1000, 4, 0.080)
	cur := sample(1_700_000_002_000, 1200, 1_250_000, 1190, 6, 0.130)

	iv := report.Delta(prev, cur)
	out := iv.Outbound["OT01"]
	fmt.Printf("over %.0f s: %.0f kbit/s, %.0f packets/s, AF43 %.0f packets/s\n",
		out.Duration, *out.Bitrate/1000, *out.PacketRate, out.PerDSCPPacketRate["38"])
	ri := iv.RemoteInbound["RI01"]
	fmt.Printf("loss %.1f %%, mean RTT %.0f ms\n", *ri.FractionLost*100, *ri.RoundTripTime*1000)
	// Output:
	// over 2 s: 1000 kbit/s, 100 packets/s, AF43 90 packets/s
	// loss 5.0 %, mean RTT 25 ms
}

// Filter picks the objects of one type, ordered by id; Lookup follows a
// reference.
func ExampleFilter() {
	r := sample(1_700_000_000_000, 1000, 1_000_000, 990, 4, 0.080)
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](r) {
		ri, ok := report.Lookup[*report.RemoteInboundRTPStreamStats](r, *o.RemoteID)
		fmt.Println(o.Kind, o.SSRC, *o.PacketsSent, ok, *ri.PacketsLost)
	}
	// Output: video 1234 1000 true 10
}

// A report marshals to the browser's JSON shape, absent members left out,
// and loads back into typed objects.
func ExampleReport_json() {
	r := report.Report{}
	r.Add(&report.InboundRTPStreamStats{
		Base:            report.Base{Timestamp: 1_700_000_000_000.5, Type: report.TypeInboundRTP, ID: "IT01"},
		SSRC:            5678,
		Kind:            "audio",
		TrackIdentifier: "mic",
		PacketsReceived: new(uint64(0)), // counted, and 0
		// Jitter is nil: not measured yet, so absent.
	})
	b, err := json.Marshal(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))

	var back report.Report
	if err := json.Unmarshal(b, &back); err != nil {
		fmt.Println(err)
	}
	in := back["IT01"].(*report.InboundRTPStreamStats)
	fmt.Println(*in.PacketsReceived, in.Jitter == nil)
	// Output:
	// {"IT01":{"timestamp":1700000000000.5,"type":"inbound-rtp","id":"IT01","ssrc":5678,"kind":"audio","packetsReceived":0,"trackIdentifier":"mic"}}
	// 0 true
}

// Validate checks a report against the spec: here a reference that does
// not resolve and a member audio streams must not have.
func ExampleReport_Validate() {
	r := report.Report{}
	r.Add(&report.InboundRTPStreamStats{
		Base:            report.Base{Timestamp: 1_700_000_000_000, Type: report.TypeInboundRTP, ID: "IT01"},
		SSRC:            5678,
		Kind:            "audio",
		TrackIdentifier: "mic",
		CodecID:         new("CI99"),
		FramesDecoded:   new(uint32(3)),
	})
	for _, v := range r.Validate() {
		fmt.Println(v.Member, v.Rule)
	}
	// Output:
	// codecId reference
	// framesDecoded forbidden-member
}

// ValidateJSON checks a dump as JSON, which also catches misspelled
// members.
func ExampleValidateJSON() {
	dump := []byte(`{"T01":{"timestamp":1700000000000,"type":"transport","id":"T01","dtlsState":"connected","bytesSnt":5}}`)
	_, violations, err := report.ValidateJSON(dump)
	if err != nil {
		fmt.Println(err)
	}
	for _, v := range violations {
		fmt.Println(v.Member, v.Rule)
	}
	// Output: bytesSnt unknown-member
}

// A Recorder writes a call's reports as JSON Lines, the first in full and
// then only what changed; a Playback rebuilds every report.
func ExampleRecorder() {
	var file bytes.Buffer
	rec := report.NewRecorder(&file)
	for i := range uint64(3) {
		_ = rec.Record(sample(1_700_000_000_000+float64(i)*1000, 100*i, 100_000*i, 100*i, i, 0.02*float64(i)))
	}
	lines := strings.Split(strings.TrimSpace(file.String()), "\n")
	fmt.Println(len(lines), "lines; the last:")
	fmt.Println(lines[2])

	p := report.NewPlayback(&file)
	for {
		r, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		o := r["OT01"].(*report.OutboundRTPStreamStats)
		fmt.Println(p.Line(), *o.PacketsSent, o.PerDSCPPacketsSent)
	}
	// Output:
	// 3 lines; the last:
	// {"v":1,"timestamp":1700000002000,"patch":{"OT01":{"bytesSent":200000,"packetsSent":200,"perDscpPacketsSent":{"36":20,"38":180},"timestamp":1700000002000},"RI01":{"packetsReceived":200,"roundTripTimeMeasurements":2,"timestamp":1700000002000,"totalRoundTripTime":0.04}}}
	// 1 0 map[36:0 38:0]
	// 2 100 map[36:10 38:90]
	// 3 200 map[36:20 38:180]
}
