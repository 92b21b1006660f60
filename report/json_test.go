package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fill sets every optional field of a generated struct to a present zero:
// pointers to 0, "" or false, and records with one zero entry.
func fill(s Stats) {
	v := reflect.ValueOf(s).Elem()
	for i := 1; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Map:
			m := reflect.MakeMap(f.Type())
			m.SetMapIndex(reflect.ValueOf("0"), reflect.New(f.Type().Elem()).Elem())
			f.Set(m)
		default: // generated members are pointers or records
		}
	}
}

func decodeObject(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRoundTripEveryType(t *testing.T) {
	for _, d := range dictionaries {
		for _, typ := range d.Types {
			t.Run(string(typ)+"/"+d.GoName, func(t *testing.T) {
				base := Base{Timestamp: 1732200000123.5, Type: typ, ID: "x"}
				for _, present := range []bool{false, true} {
					s := newStats(typ, d.Kind)
					if s == nil {
						t.Fatalf("newStats(%q, %q) = nil", typ, d.Kind)
					}
					if dictOf(s) != d {
						t.Fatalf("dictOf(%T) is not %s", s, d.Name)
					}
					reflect.ValueOf(s).Elem().Field(0).Set(reflect.ValueOf(base))
					if d.Kind != "" {
						reflect.ValueOf(s).Elem().FieldByName("Kind").SetString(d.Kind)
					}
					if present {
						fill(s)
					}
					data, err := json.Marshal(Report{"x": s})
					if err != nil {
						t.Fatal(err)
					}
					obj := decodeObject(t, data)["x"].(map[string]any)
					for _, m := range d.Members {
						_, got := obj[m.Name]
						if want := present || m.Required; got != want {
							t.Errorf("present=%v: member %q in JSON = %v, want %v", present, m.Name, got, want)
						}
						if got && m.Kind == JSONInteger && obj[m.Name] != 0.0 {
							t.Errorf("member %q = %v, want 0", m.Name, obj[m.Name])
						}
					}
					if len(obj) != map[bool]int{true: len(d.Members), false: requiredCount(d)}[present] {
						t.Errorf("present=%v: %d members in JSON: %v", present, len(obj), obj)
					}
					var back Report
					if err := json.Unmarshal(data, &back); err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(back["x"], s) {
						t.Errorf("present=%v: round trip\n got %#v\nwant %#v", present, back["x"], s)
					}
				}
			})
		}
	}
}

func requiredCount(d *dictionary) int {
	n := 0
	for _, m := range d.Members {
		if m.Required {
			n++
		}
	}
	return n
}

func TestEveryStructImplementsStats(t *testing.T) {
	for _, d := range dictionaries {
		s := newStats(d.Types[0], d.Kind)
		if got := reflect.TypeOf(s).Elem().Name(); got != d.GoName {
			t.Errorf("%s: struct %s", d.GoName, got)
		}
		if _, ok := reflect.TypeAssert[Stats](reflect.ValueOf(s).Elem()); !ok {
			t.Errorf("%s value does not implement Stats", d.GoName)
		}
	}
}

func TestUnmarshalIntegers(t *testing.T) {
	var r Report
	err := json.Unmarshal([]byte(`{"o":{"id":"o","timestamp":1.7e12,"type":"outbound-rtp","ssrc":4294967295.0,"kind":"video",
		"packetsSent":1.5e3,"framesSent":12.0,"nackCount":null}}`), &r)
	if err != nil {
		t.Fatal(err)
	}
	o := r["o"].(*OutboundRTPStreamStats)
	if o.SSRC != 4294967295 || *o.PacketsSent != 1500 || *o.FramesSent != 12 || o.NACKCount != nil || o.Timestamp != 1.7e12 {
		t.Errorf("got %+v", o)
	}
	for _, bad := range []string{
		`{"o":{"type":"outbound-rtp","packetsSent":1.5}}`,
		`{"o":{"type":"outbound-rtp","packetsSent":-1}}`,
		`{"o":{"type":"outbound-rtp","ssrc":4294967296}}`,
		`{"o":{"type":"outbound-rtp","kind":3}}`,
		`{"o":{"type":"outbound-rtp","timestamp":"now"}}`,
		`{"o":{"type":"outbound-rtp","qualityLimitationDurations":{"cpu":"x"}}}`,
		`{"o":[]}`,
		`[]`,
	} {
		var r Report
		if err := json.Unmarshal([]byte(bad), &r); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestUnknownStatsRoundTrip(t *testing.T) {
	in := `{"t":{"id":"t","timestamp":1732200000000.5,"type":"track","ended":false,"jitterBufferDelay":4.70,"big":18446744073709551615}}`
	var r Report
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	u, ok := r["t"].(*UnknownStats)
	if !ok || u.Type != "track" || u.ID != "t" || u.Timestamp != 1732200000000.5 || len(u.Members) != 3 {
		t.Fatalf("got %#v", r["t"])
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"jitterBufferDelay":4.70`, `"big":18446744073709551615`, `"ended":false`, `"type":"track"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("%s lacks %s", out, want)
		}
	}
	// A media-source of unknown kind is kept too.
	if err := json.Unmarshal([]byte(`{"s":{"id":"s","type":"media-source","kind":"haptic"}}`), &r); err != nil {
		t.Fatal(err)
	}
	if _, ok := r["s"].(*UnknownStats); !ok {
		t.Errorf("media-source of kind haptic: %T", r["s"])
	}
}

func loadChromium(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/chromium-dump.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestChromiumDump(t *testing.T) {
	data := loadChromium(t)
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, s := range r {
		counts[reflect.TypeOf(s).Elem().Name()]++
	}
	want := map[string]int{
		"AudioPlayoutStats": 1, "CertificateStats": 2, "CodecStats": 4, "ICECandidatePairStats": 1,
		"DataChannelStats": 1, "UnknownStats": 1, "ICECandidateStats": 2, "InboundRTPStreamStats": 2,
		"OutboundRTPStreamStats": 2, "PeerConnectionStats": 1, "RemoteInboundRTPStreamStats": 2,
		"RemoteOutboundRTPStreamStats": 1, "AudioSourceStats": 1, "VideoSourceStats": 1, "TransportStats": 1,
	}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("types: %v\nwant %v", counts, want)
	}

	in := Filter[*InboundRTPStreamStats](r)
	if len(in) != 2 || in[0].ID != "IT01A2736401962" || in[1].ID != "IT01V1183459033" {
		t.Fatalf("Filter inbound: %v", in)
	}
	audio, video := in[0], in[1]
	if *audio.PlayoutID != "AP" || *audio.PacketsLost != 2 || audio.FramesDecoded != nil || *audio.TotalSamplesReceived != 480960 {
		t.Errorf("audio inbound: %+v", audio)
	}
	if *video.FramesDecoded != 300 || *video.PacketsReceived != 1135 || video.SSRC != 1183459033 || video.PlayoutID != nil {
		t.Errorf("video inbound: %+v", video)
	}
	if dc, ok := Lookup[*DataChannelStats](r, "D1"); !ok || *dc.DataChannelIdentifier != 1 || dc.State != "open" {
		t.Errorf("data channel: %+v", dc)
	}
	if src, ok := Lookup[*VideoSourceStats](r, "SV2"); !ok || *src.Width != 640 {
		t.Errorf("video source: %+v", src)
	}
	if c, ok := Lookup[*ICECandidateStats](r, "IqXn3W5bK"); !ok || *c.NetworkType != "ethernet" || c.CandidateType != "host" {
		t.Errorf("local candidate: %+v", c)
	}
	if _, ok := Lookup[*InboundRTPStreamStats](r, "SV2"); ok {
		t.Error("Lookup of the wrong type succeeded")
	}
	if got := r.Get("P").StatsType(); got != TypePeerConnection {
		t.Errorf("Get(P) type %q", got)
	}
	if ids := r.IDs(); !slices.IsSorted(ids) || len(ids) != len(r) {
		t.Errorf("IDs: %v", ids)
	}

	// The typed report marshals back to a dump that loads to the same report.
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var again Report
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, again) {
		t.Error("re-marshalled dump loads differently")
	}
	if strings.Contains(string(out), "googTimingFrameInfo") {
		t.Error("non-standard member survived the typed load")
	}
}
