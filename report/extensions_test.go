package report

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// transportExtensions are the rtcstats extension members of RTCTransportStats.
var transportExtensions = []string{
	"perDscpRtcpPacketsSent", "perDscpRtcpPacketsReceived",
	"perDscpSctpPacketsSent", "perDscpSctpPacketsReceived",
	"perDscpDtlsPacketsSent", "perDscpDtlsPacketsReceived",
	"perDscpStunPacketsSent", "perDscpStunPacketsReceived",
}

// withTransportExtensions is validReport with every extension of its
// transport set.
func withTransportExtensions() Report {
	r := validReport()
	tr := r["T"].(*TransportStats)
	tr.PerDSCPRTCPPacketsSent = map[string]uint64{"46": 12, "0": 1}
	tr.PerDSCPRTCPPacketsReceived = map[string]uint64{"46": 10}
	tr.PerDSCPSCTPPacketsSent = map[string]uint64{"10": 7}
	tr.PerDSCPSCTPPacketsReceived = map[string]uint64{"0": 5}
	tr.PerDSCPDTLSPacketsSent = map[string]uint64{"0": 4}
	tr.PerDSCPDTLSPacketsReceived = map[string]uint64{"0": 3}
	tr.PerDSCPSTUNPacketsSent = map[string]uint64{"46": 30}
	tr.PerDSCPSTUNPacketsReceived = map[string]uint64{"46": 29, "0": 1}
	return r
}

// extensionRecord returns the record field of the transport's extension name.
func extensionRecord(tr *TransportStats, name string) map[string]uint64 {
	v := reflect.ValueOf(tr).Elem()
	for i := range v.NumField() {
		if n, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); n == name {
			return v.Field(i).Interface().(map[string]uint64)
		}
	}
	return nil
}

func TestMembersMarkExtensions(t *testing.T) {
	var got []string
	for _, m := range Members(TypeTransport, "") {
		if !m.Extension {
			continue
		}
		got = append(got, m.Name)
		if m.DeclaredIn != "RTCTransportStats" || m.Kind != JSONRecord || m.IDLType != "record<USVString, unsigned long long>" ||
			m.Required || m.Nullable || m.Provisional {
			t.Errorf("%s: %+v", m.Name, m)
		}
	}
	if !slices.Equal(got, transportExtensions) {
		t.Errorf("transport extensions = %q, want %q", got, transportExtensions)
	}
	// The spec's own members are not extensions, and no other type has any yet.
	for _, d := range dictionaries {
		for _, m := range d.Members {
			if m.Extension != (d == dictTransportStats && slices.Contains(transportExtensions, m.Name)) {
				t.Errorf("%s.%s: Extension = %v", d.Name, m.Name, m.Extension)
			}
		}
	}
}

func TestValidateExtensions(t *testing.T) {
	r := withTransportExtensions()
	if vs := r.Validate(); len(vs) != 0 {
		t.Errorf("extensions by default: %v", vs)
	}

	vs := r.Validate(WithoutExtensions())
	var unknown []string
	for _, v := range vs {
		if v.ID != "T" || v.Rule != RuleUnknownMember || !strings.Contains(v.Detail, "rtcstats extension") {
			t.Errorf("WithoutExtensions: unexpected %v", v)
			continue
		}
		unknown = append(unknown, v.Member)
	}
	want := slices.Sorted(slices.Values(transportExtensions))
	if !slices.Equal(unknown, want) {
		t.Errorf("WithoutExtensions: unknown members %q, want %q", unknown, want)
	}

	// Extensions that are absent are not reported, and WithAllowedMembers
	// accepts them again.
	if got := validReport().Validate(WithoutExtensions()); len(got) != 0 {
		t.Errorf("WithoutExtensions without extensions: %v", got)
	}
	if got := r.Validate(WithoutExtensions(), WithAllowedMembers(TypeTransport, transportExtensions...)); len(got) != 0 {
		t.Errorf("WithoutExtensions, allowed: %v", got)
	}

	// ValidateJSON judges them the same way.
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := ValidateJSON(data); err != nil || len(got) != 0 {
		t.Errorf("ValidateJSON: %v %v", got, err)
	}
	_, vs, err = ValidateJSON(data, WithoutExtensions())
	if err != nil {
		t.Fatal(err)
	}
	unknown = nil
	for _, v := range vs {
		if v.ID == "T" && v.Rule == RuleUnknownMember {
			unknown = append(unknown, v.Member)
		}
	}
	if len(vs) != len(want) || !slices.Equal(unknown, want) {
		t.Errorf("ValidateJSON WithoutExtensions: %v", vs)
	}
}

func TestValidateExtensionDSCPKeys(t *testing.T) {
	for _, name := range transportExtensions {
		for _, key := range []string{"64", "ef", "EF", "046", "-1"} {
			r := withTransportExtensions()
			extensionRecord(r["T"].(*TransportStats), name)[key] = 1
			vs := r.Validate()
			if len(vs) != 1 || vs[0].ID != "T" || vs[0].Member != name || vs[0].Rule != RuleDSCP || !strings.Contains(vs[0].Detail, `"`+key+`"`) {
				t.Errorf("%s[%q]: %v", name, key, vs)
			}
		}
	}
	// The same in JSON.
	in := `{"T":{"id":"T","timestamp":1732200000000,"type":"transport","dtlsState":"connected","perDscpStunPacketsReceived":{"46":1,"ef":2}}}`
	_, vs, err := ValidateJSON([]byte(in))
	if err != nil || len(vs) != 1 || vs[0].Member != "perDscpStunPacketsReceived" || vs[0].Rule != RuleDSCP {
		t.Errorf("JSON: %v %v", vs, err)
	}
}

func TestExtensionsRoundTrip(t *testing.T) {
	r := withTransportExtensions()
	data, err := json.Marshal(Report{"T": r["T"]})
	if err != nil {
		t.Fatal(err)
	}
	obj := decodeObject(t, data)["T"].(map[string]any)
	for _, name := range transportExtensions {
		if _, ok := obj[name].(map[string]any); !ok {
			t.Errorf("JSON lacks %s: %s", name, data)
		}
	}
	if got := obj["perDscpStunPacketsReceived"].(map[string]any); got["46"] != 29.0 || got["0"] != 1.0 || len(got) != 2 {
		t.Errorf("perDscpStunPacketsReceived = %v", got)
	}

	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back["T"], r["T"]) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back["T"], r["T"])
	}

	// Absent extensions stay absent.
	data, err = json.Marshal(Report{"T": validReport()["T"]})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range transportExtensions {
		if strings.Contains(string(data), name) {
			t.Errorf("absent %s written: %s", name, data)
		}
	}
}

func TestDeltaTransportExtensions(t *testing.T) {
	rep := func(ms float64, n uint64) Report {
		r := Report{}
		r.Add(&TransportStats{
			Base: at(ms, TypeTransport, "T"), DTLSState: "connected",
			PerDSCPRTCPPacketsSent:     map[string]uint64{"46": n},
			PerDSCPRTCPPacketsReceived: map[string]uint64{"46": n / 2},
			PerDSCPSCTPPacketsSent:     map[string]uint64{"10": 2 * n},
			PerDSCPSCTPPacketsReceived: map[string]uint64{"0": 3 * n},
			PerDSCPDTLSPacketsSent:     map[string]uint64{"0": 4},
			PerDSCPDTLSPacketsReceived: map[string]uint64{"0": 4},
			PerDSCPSTUNPacketsSent:     map[string]uint64{"46": n / 10},
		})
		return r
	}
	prev, cur := rep(0, 100), rep(2000, 300) // Δn = 200 over 2 s
	cur["T"].(*TransportStats).PerDSCPSTUNPacketsSent["0"] = 6
	tr := Delta(prev, cur).Transports["T"]
	if tr.Duration != 2 {
		t.Errorf("Duration = %v", tr.Duration)
	}
	for name, c := range map[string]struct{ got, want map[string]float64 }{
		"RTCPSend":    {tr.PerDSCPRTCPSendPacketRate, map[string]float64{"46": 100}},
		"RTCPReceive": {tr.PerDSCPRTCPReceivePacketRate, map[string]float64{"46": 50}},
		"SCTPSend":    {tr.PerDSCPSCTPSendPacketRate, map[string]float64{"10": 200}},
		"SCTPReceive": {tr.PerDSCPSCTPReceivePacketRate, map[string]float64{"0": 300}},
		"DTLSSend":    {tr.PerDSCPDTLSSendPacketRate, map[string]float64{"0": 0}},
		"DTLSReceive": {tr.PerDSCPDTLSReceivePacketRate, map[string]float64{"0": 0}},
		"STUNSend":    {tr.PerDSCPSTUNSendPacketRate, map[string]float64{"46": 10, "0": 3}}, // "0" appeared: counted from 0
		"STUNReceive": {tr.PerDSCPSTUNReceivePacketRate, nil},                               // absent in both
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("PerDSCP%sPacketRate = %v, want %v", name, c.got, c.want)
		}
	}
}
