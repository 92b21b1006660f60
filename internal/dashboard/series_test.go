package dashboard_test

import (
	"encoding/json"
	"maps"
	"math"
	"testing"

	"github.com/rtcstats/rtcstats/internal/dashboard"
	"github.com/rtcstats/rtcstats/report"
)

// obj is one stats object as a browser's getStats JSON has it.
type obj map[string]any

// mkReport builds a report through its JSON, as a pushed one arrives.
func mkReport(t *testing.T, objs ...obj) report.Report {
	t.Helper()
	top := map[string]obj{}
	for _, o := range objs {
		top[o["id"].(string)] = o
	}
	b, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func base(ts float64, typ, id string, members obj) obj {
	o := obj{"timestamp": ts, "type": typ, "id": id}
	maps.Copy(o, members)
	return o
}

// The reports of one peer at t = 1 s, 3 s and 4 s. Every expected value
// below is worked out by hand from these numbers.
func reportA(t *testing.T) report.Report {
	t.Helper()
	return mkReport(t,
		base(1000, "inbound-rtp", "IV", obj{
			"ssrc": 1, "kind": "video", "trackIdentifier": "t", "codecId": "C",
			"bytesReceived": 1000, "headerBytesReceived": 120, "packetsReceived": 100, "packetsLost": 5,
			"jitter": 0.01, "perDscpPacketsReceived": obj{"36": 10},
		}),
		base(1000, "outbound-rtp", "OA", obj{
			"ssrc": 2, "kind": "audio", "bytesSent": 0, "packetsSent": 0,
			"perDscpPacketsSent": obj{"46": 0},
		}),
		base(1000, "remote-inbound-rtp", "RA", obj{
			"ssrc": 2, "kind": "audio", "localId": "OA",
			"packetsReceived": 0, "packetsLost": 0, "totalRoundTripTime": 0.1, "roundTripTimeMeasurements": 2, "jitter": 0.004,
		}),
		base(1000, "candidate-pair", "CP", obj{
			"transportId": "T", "localCandidateId": "L", "remoteCandidateId": "R",
			"state": "succeeded", "bytesSent": 500, "bytesReceived": 1000, "currentRoundTripTime": 0.001,
		}),
		base(1000, "data-channel", "D", obj{"state": "open", "messagesSent": 10, "messagesReceived": 4}),
		base(1000, "codec", "C", obj{"transportId": "T", "payloadType": 96, "mimeType": "video/VP8", "clockRate": 90000}),
		base(1000, "certificate", "X", obj{"fingerprint": "AA", "fingerprintAlgorithm": "sha-256", "base64Certificate": "AA"}),
	)
}

func reportB(t *testing.T) report.Report {
	t.Helper()
	return mkReport(t,
		base(3000, "inbound-rtp", "IV", obj{
			"ssrc": 1, "kind": "video", "trackIdentifier": "t", "codecId": "C",
			"bytesReceived": 251000, "headerBytesReceived": 2520, "packetsReceived": 300, "packetsLost": 15,
			"jitter": 0.02, "perDscpPacketsReceived": obj{"36": 110, "38": 50},
		}),
		base(3000, "outbound-rtp", "OA", obj{
			"ssrc": 2, "kind": "audio", "bytesSent": 16000, "packetsSent": 100,
			"perDscpPacketsSent": obj{"46": 100},
		}),
		base(3000, "remote-inbound-rtp", "RA", obj{
			"ssrc": 2, "kind": "audio", "localId": "OA",
			"packetsReceived": 95, "packetsLost": 5, "totalRoundTripTime": 0.35, "roundTripTimeMeasurements": 4, "jitter": 0.006,
		}),
		base(3000, "candidate-pair", "CP", obj{
			"transportId": "T", "localCandidateId": "L", "remoteCandidateId": "R",
			"state": "succeeded", "bytesSent": 2500, "bytesReceived": 5000, "currentRoundTripTime": 0.002,
		}),
		base(3000, "data-channel", "D", obj{"state": "open", "messagesSent": 30, "messagesReceived": 8}),
		base(3000, "codec", "C", obj{"transportId": "T", "payloadType": 96, "mimeType": "video/VP8", "clockRate": 90000}),
		// The certificate is gone.
	)
}

// reportC: nothing received, jitter and the per-DSCP record absent.
func reportC(t *testing.T) report.Report {
	t.Helper()
	return mkReport(t,
		base(4000, "inbound-rtp", "IV", obj{
			"ssrc": 1, "kind": "video", "trackIdentifier": "t",
			"bytesReceived": 251000, "headerBytesReceived": 2520, "packetsReceived": 300, "packetsLost": 15,
		}),
	)
}

func find(t *testing.T, st dashboard.State, peer, id string) dashboard.ObjectState {
	t.Helper()
	for _, p := range st.Peers {
		if p.Name != peer {
			continue
		}
		for _, o := range p.Objects {
			if o.ID == id {
				return o
			}
		}
	}
	t.Fatalf("no object %s/%s in state", peer, id)
	return dashboard.ObjectState{}
}

func seriesOf(t *testing.T, o dashboard.ObjectState, chart, label string) dashboard.Values {
	t.Helper()
	for _, c := range o.Charts {
		if c.Name != chart {
			continue
		}
		for _, s := range c.Series {
			if s.Label == label {
				return s.Values
			}
		}
	}
	t.Fatalf("%s: no series %q/%q; charts %+v", o.ID, chart, label, o.Charts)
	return nil
}

func hasSeries(o dashboard.ObjectState, chart, label string) bool {
	for _, c := range o.Charts {
		for _, s := range c.Series {
			if c.Name == chart && s.Label == label {
				return true
			}
		}
	}
	return false
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func wantValues(t *testing.T, what string, got dashboard.Values, want ...float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values %v, want %v", what, len(got), got, want)
		return
	}
	for i := range want {
		if math.IsNaN(want[i]) != math.IsNaN(got[i]) || !math.IsNaN(want[i]) && !near(got[i], want[i]) {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// roundTrip passes the state through its JSON, as the page reads it.
func roundTrip(t *testing.T, st dashboard.State) dashboard.State {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var out dashboard.State
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSeriesMath(t *testing.T) {
	d, err := dashboard.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []report.Report{reportA(t), reportB(t), reportC(t)} {
		if err := d.Push("p", r); err != nil {
			t.Fatal(err)
		}
	}
	nan := math.NaN()
	st := roundTrip(t, d.State())

	in := find(t, st, "p", "IV")
	wantValues(t, "inbound times", dashboard.Values(in.Times), 3000, 4000)
	// 250000 bytes in 2 s, then nothing in 1 s.
	wantValues(t, "inbound payload bitrate", seriesOf(t, in, "bitrate", "payload"), 250000*8/2.0, 0)
	wantValues(t, "inbound header bitrate", seriesOf(t, in, "bitrate", "header"), 2400*8/2.0, 0)
	wantValues(t, "inbound packet rate", seriesOf(t, in, "packet rate", "received"), 100, 0)
	wantValues(t, "inbound packets lost", seriesOf(t, in, "packets lost", "lost in interval"), 10, 0)
	// 10 lost of 10+200 expected; then none expected, which is 0 (RFC 3550 A.3).
	wantValues(t, "inbound fraction lost", seriesOf(t, in, "fraction lost", "lost/expected"), 10.0/210, 0)
	// Jitter is the current value; absent in C, so a gap, not 0.
	wantValues(t, "inbound jitter", seriesOf(t, in, "jitter", "jitter"), 0.02, nan)
	// A DSCP new in B counted 0 before; the record is absent in C.
	wantValues(t, "inbound AF42", seriesOf(t, in, "per-DSCP packet rate", "AF42 (36)"), 50, nan)
	wantValues(t, "inbound AF43", seriesOf(t, in, "per-DSCP packet rate", "AF43 (38)"), 25, nan)

	out := find(t, st, "p", "OA")
	if !out.Gone {
		t.Error("OA is not in C but not marked gone")
	}
	wantValues(t, "outbound bitrate", seriesOf(t, out, "bitrate", "payload"), 16000*8/2.0)
	wantValues(t, "outbound packet rate", seriesOf(t, out, "packet rate", "sent"), 50)
	wantValues(t, "outbound EF", seriesOf(t, out, "per-DSCP packet rate", "EF (46)"), 50)
	for _, absent := range [][2]string{{"bitrate", "retransmitted"}, {"bitrate", "header"}, {"packet rate", "retransmitted"}} {
		if hasSeries(out, absent[0], absent[1]) {
			t.Errorf("outbound has a %v series though the member was never reported", absent)
		}
	}

	ri := find(t, st, "p", "RA")
	// (0.35-0.1) s over 2 new measurements.
	wantValues(t, "remote-inbound RTT", seriesOf(t, ri, "round-trip time", "mean of new measurements"), 0.125)
	// 100 sent (local outbound), 95 received.
	wantValues(t, "remote-inbound fraction lost", seriesOf(t, ri, "fraction lost", "(sent-received)/sent"), 0.05)
	wantValues(t, "remote-inbound packets lost", seriesOf(t, ri, "packets lost", "lost in interval"), 5)
	wantValues(t, "remote-inbound jitter", seriesOf(t, ri, "jitter", "jitter"), 0.006)

	cp := find(t, st, "p", "CP")
	wantValues(t, "pair send bitrate", seriesOf(t, cp, "bitrate", "sent"), 2000*8/2.0)
	wantValues(t, "pair receive bitrate", seriesOf(t, cp, "bitrate", "received"), 4000*8/2.0)
	wantValues(t, "pair RTT", seriesOf(t, cp, "round-trip time", "currentRoundTripTime"), 0.002)

	dc := find(t, st, "p", "D")
	wantValues(t, "messages sent", seriesOf(t, dc, "message rate", "sent"), 10)
	wantValues(t, "messages received", seriesOf(t, dc, "message rate", "received"), 2)
	if hasSeries(dc, "bitrate", "sent") {
		t.Error("data channel bitrate charted though bytesSent was never reported")
	}

	codec := find(t, st, "p", "C")
	if len(codec.Charts) != 0 || len(codec.Times) != 0 {
		t.Errorf("codec has charts: %+v", codec)
	}
	var m map[string]any
	if err := json.Unmarshal(codec.Members, &m); err != nil || m["mimeType"] != "video/VP8" {
		t.Errorf("codec members %s (%v)", codec.Members, err)
	}
	if x := find(t, st, "p", "X"); !x.Gone {
		t.Error("certificate missing from B and C is not marked gone")
	}
	// Ordered for display: transport-level first, codecs and certificates last.
	var order []report.Type
	for _, o := range st.Peers[0].Objects {
		order = append(order, o.Type)
	}
	want := []report.Type{"candidate-pair", "outbound-rtp", "remote-inbound-rtp", "inbound-rtp", "data-channel", "codec", "certificate"}
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
}

// Bounded memory: the window keeps WithHistory points, series without a
// value left in it go, and a vanished object goes after that many reports.
func TestHistoryBounds(t *testing.T) {
	d, err := dashboard.New(dashboard.WithHistory(3))
	if err != nil {
		t.Fatal(err)
	}
	push := func(ts float64, bytes int, dscp obj, extra ...obj) {
		t.Helper()
		o := obj{"ssrc": 1, "kind": "audio", "trackIdentifier": "t", "bytesReceived": bytes}
		if dscp != nil {
			o["perDscpPacketsReceived"] = dscp
		}
		if err := d.Push("p", mkReport(t, append(extra, base(ts, "inbound-rtp", "I", o))...)); err != nil {
			t.Fatal(err)
		}
	}
	extra := base(1000, "data-channel", "D", obj{"state": "open"})
	push(1000, 0, obj{"46": 0}, extra)
	push(2000, 100, obj{"46": 10})
	push(3000, 300, nil)
	if o := find(t, d.State(), "p", "D"); !o.Gone {
		t.Error("D should be shown as gone for a while")
	}
	push(4000, 600, nil)
	push(5000, 1000, nil)
	st := roundTrip(t, d.State())
	in := find(t, st, "p", "I")
	wantValues(t, "times", dashboard.Values(in.Times), 3000, 4000, 5000)
	wantValues(t, "bitrate", seriesOf(t, in, "bitrate", "payload"), 1600, 2400, 3200)
	if hasSeries(in, "per-DSCP packet rate", "EF (46)") {
		t.Error("the EF series outlived its last value in the window")
	}
	for _, o := range st.Peers[0].Objects {
		if o.ID == "D" {
			t.Error("D is still there after missing 3 reports with history 3")
		}
	}
	// The same report again (or a clock going back) adds no point.
	push(5000, 1000, nil)
	push(4500, 1000, nil)
	wantValues(t, "times after repeats", dashboard.Values(find(t, d.State(), "p", "I").Times), 3000, 4000, 5000)
}

func TestValuesJSON(t *testing.T) {
	b, err := json.Marshal(dashboard.Values{1.5, math.NaN(), 1e6, math.Inf(1)})
	if err != nil || string(b) != "[1.5,null,1e+06,null]" {
		t.Fatalf("got %s, %v", b, err)
	}
	var v dashboard.Values
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	wantValues(t, "decoded", v, 1.5, math.NaN(), 1e6, math.NaN())
}

// Remote-inbound loss over an interval in which the receiver sent no new
// report is not a measurement: Delta's (sent-received)/sent would be 100 %.
func TestRemoteInboundLossNeedsNewReport(t *testing.T) {
	for _, withCount := range []bool{true, false} {
		d, err := dashboard.New()
		if err != nil {
			t.Fatal(err)
		}
		push := func(ts float64, sent, received, lost, reports int, frac float64) {
			t.Helper()
			ri := obj{"ssrc": 2, "kind": "audio", "localId": "OA", "packetsReceived": received, "packetsLost": lost, "fractionLost": frac}
			if withCount {
				ri["reportsReceived"] = reports
			}
			r := mkReport(t,
				base(ts, "outbound-rtp", "OA", obj{"ssrc": 2, "kind": "audio", "packetsSent": sent}),
				base(ts, "remote-inbound-rtp", "RA", ri))
			if err := d.Push("p", r); err != nil {
				t.Fatal(err)
			}
		}
		push(1000, 0, 0, 0, 1, 0)
		push(2000, 50, 0, 0, 1, 0)      // nothing new from the receiver
		push(3000, 100, 45, 5, 2, 0.25) // 5 of 50 lost
		ri := find(t, roundTrip(t, d.State()), "p", "RA")
		wantValues(t, "interval fraction lost", seriesOf(t, ri, "fraction lost", "(sent-received)/sent"), math.NaN(), 0.1)
		wantValues(t, "last report's fractionLost", seriesOf(t, ri, "fraction lost", "fractionLost of the last report"), 0, 0.25)
	}
}
