package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"testing"
)

// reportSeeds are the inputs both report fuzz targets start from: the
// Chromium dump, one object of every modelled type with every member
// present, and JSON that is malformed or lies about types and ranges.
func reportSeeds(f *testing.F) {
	f.Helper()
	if data, err := os.ReadFile("testdata/chromium-dump.json"); err == nil {
		f.Add(data)
	}
	all := Report{}
	for _, d := range dictionaries {
		for _, typ := range d.Types {
			s := newStats(typ, d.Kind)
			id := string(typ) + "/" + d.GoName
			reflect.ValueOf(s).Elem().Field(0).Set(reflect.ValueOf(Base{Timestamp: 1732200000123.5, Type: typ, ID: id}))
			if d.Kind != "" {
				reflect.ValueOf(s).Elem().FieldByName("Kind").SetString(d.Kind)
			}
			fill(s)
			all[id] = s
		}
	}
	if data, err := json.Marshal(all); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"a":1}`, `{"a":null}`, `{"a":[]}`, `{"a":{}} {}`, `{"a":{}}x`,
		`{"x":{"id":"y","type":"inbound-rtp","timestamp":1,"ssrc":1,"kind":"video"}}`,
		`{"x":{"id":"x","type":"inbound-rtp","ssrc":"1","packetsReceived":-1,"jitter":"NaN"}}`,
		`{"x":{"id":"x","type":"outbound-rtp","ssrc":1e3,"packetsSent":1.5,"bytesSent":18446744073709551616}}`,
		`{"x":{"type":"inbound-rtp","ssrc":4294967296,"packetsLost":-9223372036854775809,"jitter":1e400}}`,
		`{"x":{"type":"inbound-rtp","packetsLost":-9223372036854775808,"ssrc":4294967295.0,"jitter":-0}}`,
		`{"x":{"type":"outbound-rtp","perDscpPacketsSent":{"46":1,"-1":2,"64":1e3,"x":"y","0":null}}}`,
		`{"x":{"type":"media-source","kind":"screen"},"y":{"type":"bogus","timestamp":"now","id":7}}`,
		`{"x":{"type":"remote-inbound-rtp","localId":"x","codecId":"nope","transportId":{"a":1}}}`,
		`{"x":{"type":"codec","payloadType":true,"mimeType":5,"channels":[1,2]}}`,
		`{"x":{"type":"candidate-pair","timestamp":1e14,"state":"maybe"},"x":{"type":"transport"}}`,
		`{"\u0000":{"type":"inbound-rtp","id":"\ud800","kind":"audio\u0000"}}`,
		"{\"\xff\":{\"type\":\"peer-connection\"}}",
		`{"a":{"type":"inbound-rtp","remoteId":"b","ssrc":1},"b":{"type":"remote-outbound-rtp","localId":"a","ssrc":2}}`,
		`{"a":{"type":"outbound-rtp","timestamp":-6.2e13,"retransmittedBytesSent":1E+2}}`,
		`{"a":{"type":"transport","perDscpRtcpPacketsSent":{"46":1}}}`,
		`{"a":{"type":"inbound-rtp","framesDecoded":1e-400,"totalDecodeTime":1e-400}}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzUnmarshalReport loads any bytes as a Report. It must never panic; a
// report it accepts must marshal, and marshalling must be a fixed point:
// the JSON of the reloaded report is the same bytes. Validate and Delta
// must take whatever it loads.
func FuzzUnmarshalReport(f *testing.F) {
	reportSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var direct Report
		derr := direct.UnmarshalJSON(data)
		var r Report
		err := json.Unmarshal(data, &r)
		if err != nil {
			if derr == nil && json.Valid(data) {
				t.Fatalf("encoding/json fails (%v) where UnmarshalJSON succeeds", err)
			}
			if derr != nil && !errors.Is(derr, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", derr)
			}
			return
		}
		if derr != nil {
			t.Fatalf("UnmarshalJSON fails (%v) where encoding/json succeeds", derr)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("loaded report does not marshal: %v", err)
		}
		var again Report
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("marshalled report does not load: %v\n%s", err, out)
		}
		out2, err := json.Marshal(again)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("not a fixed point (%v):\n%s\n%s", err, out, out2)
		}
		for id, s := range r {
			if s == nil {
				t.Fatalf("object %q is nil", id)
			}
		}
		_ = r.Validate()
		_ = r.Validate(WithoutExtensions())
		_ = Delta(r, again)
		_ = Delta(nil, r)
		_ = Delta(r, nil)
	})
}

// FuzzValidateJSON checks any bytes as a stats dump. It must never panic;
// it fails only on bytes that are not one JSON object (which UnmarshalJSON
// rejects too), and otherwise returns a report with one entry per member
// that is an object, which marshals, and violations that name a key, a
// known rule and a detail.
func FuzzValidateJSON(f *testing.F) {
	reportSeeds(f)
	rules := map[string]bool{}
	for _, r := range []string{
		RuleKey, RuleType, RuleJSONType, RuleUnknownMember, RuleRequired, RuleReference,
		RulePair, RuleKind, RuleForbiddenMember, RuleFinite, RuleNegative, RuleRange, RuleEmptyString,
		RuleTimestamp, RuleDSCP, RuleEnum,
	} {
		rules[r] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, violations, err := ValidateJSON(data)
		var u Report
		uerr := u.UnmarshalJSON(data)
		if err != nil {
			if uerr == nil {
				t.Fatalf("ValidateJSON fails (%v) on what UnmarshalJSON loads", err)
			}
			if !errors.Is(err, ErrMalformed) || r != nil || violations != nil {
				t.Fatalf("error %v with report %v and %d violations", err, r, len(violations))
			}
			return
		}
		var top map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&top); err != nil {
			t.Fatalf("ValidateJSON accepts what encoding/json rejects: %v", err)
		}
		objects := 0
		for _, x := range top {
			if _, ok := x.(map[string]any); ok {
				objects++
			}
		}
		if objects != len(r) {
			t.Fatalf("%d objects, %d in the report", objects, len(r))
		}
		for _, v := range violations {
			if _, ok := top[v.ID]; !ok || !rules[v.Rule] || v.Detail == "" {
				t.Fatalf("violation %+v", v)
			}
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("validated report does not marshal: %v", err)
		}
		if uerr == nil {
			// UnmarshalJSON rejects mistyped members of modelled types;
			// an UnknownStats keeps them.
			for _, v := range violations {
				if _, unknown := u[v.ID].(*UnknownStats); v.Rule == RuleJSONType && !unknown {
					t.Fatalf("UnmarshalJSON loads what ValidateJSON calls mistyped: %v", v)
				}
			}
		}
		_, _, _ = ValidateJSON(data, WithoutExtensions(), WithAllowedMembers(TypeInboundRTP, "googFoo"))
	})
}

// TestIntegerBoundsAgree pins what FuzzValidateJSON found: ValidateJSON
// judged integers through float64, so it rejected 2^64-1 as an unsigned
// long long (it rounds to 2^64) and accepted 2^63 as a long long (it rounds
// to 2^63-1's float64), where UnmarshalJSON, reading them exactly, did the
// opposite.
func TestIntegerBoundsAgree(t *testing.T) {
	for _, tc := range []struct {
		member, value string
		ok            bool
	}{
		{"packetsReceived", "18446744073709551615", true},
		{"packetsReceived", "18446744073709551616", false},
		{"packetsReceived", "1.8446744073709551615e19", false}, // 2^64 as float64
		{"packetsReceived", "-0", true},
		{"packetsReceived", "-1", false},
		{"packetsLost", "9223372036854775807", true},
		{"packetsLost", "9223372036854775808", false},
		{"packetsLost", "9.223372036854775807e18", false}, // 2^63 as float64
		{"packetsLost", "-9223372036854775808", true},
		{"packetsLost", "-9223372036854775809", true}, // beyond int64: read as float64, -2^63
		{"ssrc", "4294967295", true},
		{"ssrc", "4294967296", false},
		{"ssrc", "4.294967295e9", true},
	} {
		data := []byte(`{"a":{"type":"inbound-rtp","id":"a","timestamp":1,"kind":"audio","ssrc":1,"` +
			tc.member + `":` + tc.value + `}}`)
		if tc.member == "ssrc" {
			data = []byte(`{"a":{"type":"inbound-rtp","id":"a","timestamp":1,"kind":"audio","ssrc":` + tc.value + `}}`)
		}
		var r Report
		uerr := r.UnmarshalJSON(data)
		_, violations, err := ValidateJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		mistyped := slices.ContainsFunc(violations, func(v Violation) bool { return v.Rule == RuleJSONType })
		if (uerr == nil) != tc.ok || mistyped == tc.ok {
			t.Errorf("%s %s: UnmarshalJSON %v, ValidateJSON json-type violation %v; want ok=%v", tc.member, tc.value, uerr, mistyped, tc.ok)
		}
	}
}
