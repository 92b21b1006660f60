package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

// recordAll records reports and returns the recording.
func recordAll(t *testing.T, reports ...Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	rec := NewRecorder(&buf)
	for i, r := range reports {
		if err := rec.Record(r); err != nil {
			t.Fatalf("Record %d: %v", i, err)
		}
	}
	return buf.Bytes()
}

// playAll reads a recording to its end.
func playAll(t *testing.T, data []byte) []Report {
	t.Helper()
	p := NewPlayback(bytes.NewReader(data))
	var out []Report
	for {
		r, err := p.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next after %d reports: %v", len(out), err)
		}
		out = append(out, r)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameReports compares reports object by object: typed objects with
// reflect.DeepEqual (every pointer, every number bit for bit), unknown ones
// by their JSON (their numbers come back as json.Number).
func sameReports(t *testing.T, i int, got, want Report) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("report %d: %d objects, want %d", i, len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("report %d: %s missing", i, id)
		case isUnknown(w):
			if a, b := mustJSON(t, g), mustJSON(t, w); a != b {
				t.Errorf("report %d: %s\n got %s\nwant %s", i, id, a, b)
			}
		case !reflect.DeepEqual(g, w):
			t.Errorf("report %d: %s\n got %s\nwant %s", i, id, mustJSON(t, g), mustJSON(t, w))
		}
	}
}

func isUnknown(s Stats) bool {
	_, ok := s.(*UnknownStats)
	return ok
}

// handMade is a sequence in which objects appear and disappear, members
// and record keys become absent and come back, an unknown object's nested
// members change, a report repeats and one is empty.
func handMade() []Report {
	out := func(ts float64, sent uint64, dscp map[string]uint64) *OutboundRTPStreamStats {
		return &OutboundRTPStreamStats{
			Base: Base{Timestamp: ts, Type: TypeOutboundRTP, ID: "OT1"}, SSRC: 7, Kind: "video",
			PacketsSent: new(sent), BytesSent: new(sent * 1000), PerDSCPPacketsSent: dscp,
		}
	}
	in := func(ts float64, jitter *float64) *InboundRTPStreamStats {
		return &InboundRTPStreamStats{
			Base: Base{Timestamp: ts, Type: TypeInboundRTP, ID: "IT2"}, SSRC: 8, Kind: "audio",
			TrackIdentifier: "t", PacketsReceived: new(uint64(ts)), PacketsLost: new(int64(-1)), Jitter: jitter,
		}
	}
	unknown := func(ts float64, nested map[string]any) *UnknownStats {
		return &UnknownStats{
			Base:    Base{Timestamp: ts, Type: "track", ID: "X"},
			Members: map[string]any{"nested": nested, "list": []any{json.Number("1"), "a"}, "n": json.Number("12345678901234567890")},
		}
	}
	r0 := Report{}
	r0.Add(out(1000.5, 1, map[string]uint64{"46": 1}))
	r0.Add(in(1000.5, new(0.25)))
	r0.Add(unknown(1000.5, map[string]any{"a": json.Number("1"), "b": "x"}))
	r1 := Report{}
	r1.Add(out(2000.25, 3, map[string]uint64{"46": 1, "38": 2})) // record key appears
	r1.Add(in(2000.25, nil))                                     // jitter becomes absent
	r1.Add(unknown(1000.5, map[string]any{"a": json.Number("2")}))
	r1.Add(&RemoteInboundRTPStreamStats{
		Base: Base{Timestamp: 1999, Type: TypeRemoteInboundRTP, ID: "RI3"}, SSRC: 7, Kind: "video",
		LocalID: new("OT1"), RoundTripTime: new(0.012),
	}) // object appears
	r2 := Report{}
	r2.Add(out(3000, 4, map[string]uint64{"38": 3})) // record key leaves; IT2 leaves
	r2.Add(unknown(1000.5, map[string]any{"a": json.Number("2")}))
	r2.Add(r1["RI3"])
	r3 := Report{} // the same again: an empty patch
	maps.Copy(r3, r2)
	r4 := Report{} // empty
	r5 := Report{}
	r5.Add(out(5000, 5, nil))              // the record becomes absent
	r5.Add(in(5000, new(math.MaxFloat64))) // an id comes back
	return []Report{r0, r1, r2, r3, r4, r5}
}

func TestRecordRoundTripHandMade(t *testing.T) {
	seq := handMade()
	data := recordAll(t, seq...)
	got := playAll(t, data)
	if len(got) != len(seq) {
		t.Fatalf("%d reports back, want %d", len(got), len(seq))
	}
	for i := range seq {
		sameReports(t, i, got[i], seq[i])
	}

	// The lines, written out by hand from RFC 7386: only what changed.
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	want := []string{
		`{"v":1,"timestamp":2000.25,"patch":{"IT2":{"jitter":null,"packetsReceived":2000,"timestamp":2000.25},` +
			`"OT1":{"bytesSent":3000,"packetsSent":3,"perDscpPacketsSent":{"38":2},"timestamp":2000.25},` +
			`"RI3":{"id":"RI3","kind":"video","localId":"OT1","roundTripTime":0.012,"ssrc":7,"timestamp":1999,"type":"remote-inbound-rtp"},` +
			`"X":{"nested":{"a":2,"b":null}}}}`,
		`{"v":1,"timestamp":3000,"patch":{"IT2":null,"OT1":{"bytesSent":4000,"packetsSent":4,"perDscpPacketsSent":{"38":3,"46":null},"timestamp":3000}}}`,
		`{"v":1,"timestamp":3000,"patch":{}}`,
		`{"v":1,"patch":{"OT1":null,"RI3":null,"X":null}}`,
	}
	if len(lines) != 6 || !strings.HasPrefix(lines[0], `{"v":1,"timestamp":1000.5,"report":{"IT2":{`) {
		t.Fatalf("recording:\n%s", data)
	}
	for i, w := range want {
		if lines[i+1] != w {
			t.Errorf("line %d:\n got %s\nwant %s", i+2, lines[i+1], w)
		}
	}
}

// A real report (a Chromium dump, with its unknown "track" objects and its
// non-standard members dropped on load) evolving over several steps.
func TestRecordRoundTripChromium(t *testing.T) {
	data, err := os.ReadFile("testdata/chromium-dump.json")
	if err != nil {
		t.Fatal(err)
	}
	var seq []Report
	for step := range 5 {
		var r Report
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
		for id, s := range r {
			switch o := s.(type) {
			case *InboundRTPStreamStats:
				o.Timestamp += float64(step) * 1000
				if o.PacketsReceived != nil {
					*o.PacketsReceived += uint64(step * 50)
				}
				if step == 3 {
					o.Jitter = nil
				}
			case *OutboundRTPStreamStats:
				o.Timestamp += float64(step) * 1000
				if step >= 2 {
					o.PerDSCPPacketsSent = map[string]uint64{"46": uint64(step)}
				}
			case *CertificateStats:
				if step == 4 {
					delete(r, id)
				}
			}
		}
		seq = append(seq, r)
	}
	got := playAll(t, recordAll(t, seq...))
	if len(got) != len(seq) {
		t.Fatalf("%d reports back, want %d", len(got), len(seq))
	}
	for i := range seq {
		sameReports(t, i, got[i], seq[i])
	}
}

// Reports handed back do not change when later lines are applied, even if
// the caller changes them.
func TestPlaybackReportsIndependent(t *testing.T) {
	seq := handMade()
	p := NewPlayback(bytes.NewReader(recordAll(t, seq...)))
	first, err := p.Next()
	if err != nil {
		t.Fatal(err)
	}
	before := mustJSON(t, first)
	first["X"].(*UnknownStats).Members["nested"].(map[string]any)["a"] = "changed"
	second, err := p.Next()
	if err != nil {
		t.Fatal(err)
	}
	sameReports(t, 1, second, seq[1])
	first["X"].(*UnknownStats).Members["nested"].(map[string]any)["a"] = json.Number("1")
	if mustJSON(t, first) != before {
		t.Error("the first report changed while the second was read")
	}
}

func TestRecorderResetAndConcatenation(t *testing.T) {
	seq := handMade()
	var buf bytes.Buffer
	rec := NewRecorder(&buf)
	for i, r := range seq {
		if i == 3 {
			rec.Reset()
		}
		if err := rec.Record(r); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	for i, l := range lines {
		if full := strings.Contains(l, `"report":`); full != (i == 0 || i == 3) {
			t.Errorf("line %d full=%v: %s", i+1, full, l)
		}
	}
	// Two recordings one after the other, with blank lines between, read as one.
	both := append(append(buf.Bytes(), "\n\r\n"...), recordAll(t, seq...)...)
	got := playAll(t, both)
	if len(got) != 2*len(seq) {
		t.Fatalf("%d reports, want %d", len(got), 2*len(seq))
	}
	for i := range got {
		sameReports(t, i, got[i], seq[i%len(seq)])
	}
}

func TestPlaybackCorruptLines(t *testing.T) {
	good := recordAll(t, handMade()[:2]...)
	for name, line := range map[string]string{
		"not JSON":         `{"v":1,"patch":`,
		"not an object":    `[1]`,
		"version":          `{"v":2,"patch":{}}`,
		"no version":       `{"patch":{}}`,
		"neither":          `{"v":1}`,
		"both":             `{"v":1,"report":{},"patch":{}}`,
		"patch not object": `{"v":1,"patch":[]}`,
		"object not obj":   `{"v":1,"patch":{"OT1":5}}`,
		"wrong type":       `{"v":1,"patch":{"OT1":{"packetsSent":"many"}}}`,
		"trailing data":    `{"v":1,"patch":{}} {}`,
	} {
		data := append(append([]byte{}, good...), line+"\n"+`{"v":1,"patch":{}}`+"\n"...)
		p := NewPlayback(bytes.NewReader(data))
		for i := range 2 {
			if _, err := p.Next(); err != nil {
				t.Fatalf("%s: report %d: %v", name, i, err)
			}
		}
		_, err := p.Next()
		if !errors.Is(err, ErrCorruptRecording) || !strings.Contains(err.Error(), "line 3:") {
			t.Errorf("%s: %v, want ErrCorruptRecording at line 3", name, err)
		}
		if _, again := p.Next(); again != err { //nolint:errorlint // the very same error value
			t.Errorf("%s: Next after an error returned %v", name, again)
		}
	}
	// A patch with nothing to patch.
	_, err := NewPlayback(strings.NewReader("\n" + `{"v":1,"patch":{}}` + "\n")).Next()
	if !errors.Is(err, ErrCorruptRecording) || !strings.Contains(err.Error(), "line 2:") || !strings.Contains(err.Error(), "before the first full report") {
		t.Errorf("patch first: %v", err)
	}
	// A recording cut in the middle of its last line, as a crash leaves it.
	data := recordAll(t, handMade()...)
	cut := data[:len(data)-10]
	p := NewPlayback(bytes.NewReader(cut))
	n := 0
	for {
		_, err := p.Next()
		if err != nil {
			if !errors.Is(err, ErrCorruptRecording) || !strings.Contains(err.Error(), "line 6:") {
				t.Errorf("cut recording: %v, want line 6", err)
			}
			break
		}
		n++
	}
	if n != 5 {
		t.Errorf("cut recording: %d reports before the cut, want 5", n)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(b []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(b), nil
}

func TestRecorderErrors(t *testing.T) {
	seq := handMade()
	var buf bytes.Buffer
	rec := NewRecorder(&buf)
	if err := rec.Record(seq[0]); err != nil {
		t.Fatal(err)
	}
	n := buf.Len()
	bad := Report{}
	bad.Add(&InboundRTPStreamStats{Base: Base{Timestamp: 1, Type: TypeInboundRTP, ID: "IT2"}, Kind: "audio", Jitter: new(math.NaN())})
	if err := rec.Record(bad); !errors.Is(err, ErrInvalidReport) {
		t.Errorf("NaN: %v, want ErrInvalidReport", err)
	}
	for _, s := range []Stats{nil, (*OutboundRTPStreamStats)(nil)} {
		if err := rec.Record(Report{"x": s}); !errors.Is(err, ErrInvalidReport) {
			t.Errorf("nil object %T: %v, want ErrInvalidReport", s, err)
		}
	}
	if buf.Len() != n {
		t.Error("a failed Record wrote")
	}
	if err := rec.Record(seq[1]); err != nil {
		t.Fatal(err)
	}
	got := playAll(t, buf.Bytes())
	if len(got) != 2 {
		t.Fatalf("%d reports", len(got))
	}
	sameReports(t, 1, got[1], seq[1])

	rec = NewRecorder(&failWriter{n: 1})
	if err := rec.Record(seq[0]); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := rec.Record(seq[1]); !errors.Is(err, ErrRecorderFailed) {
			t.Errorf("after a failed write: %v", err)
		}
	}
}

// RFC 7386 Appendix A, every example.
func TestMergePatchRFC7386(t *testing.T) {
	for _, c := range [][3]string{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	} {
		var target, patch any
		if err := json.Unmarshal([]byte(c[0]), &target); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(c[1]), &patch); err != nil {
			t.Fatal(err)
		}
		before := mustJSON(t, target)
		if got := mustJSON(t, mergePatch(target, patch)); got != c[2] {
			t.Errorf("MergePatch(%s, %s) = %s, want %s", c[0], c[1], got, c[2])
		}
		if mustJSON(t, target) != before {
			t.Errorf("MergePatch(%s, %s) changed its target", c[0], c[1])
		}
	}
}
