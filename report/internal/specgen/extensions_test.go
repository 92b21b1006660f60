package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseIDLDocComments(t *testing.T) {
	f := parseIDL(`// file header; not a doc {}
partial dictionary RTCFooStats {
    // One line.
    unsigned long a;
    // Two lines; with punctuation } that
    // must not end the dictionary.
    record<USVString,
           unsigned long long> b;
    // Orphan, separated by a blank line.

    DOMString c; // trailing, dropped
    // Above d only.
    required double d;
    boolean e;
};
enum RTCBarEnum { "x", // comment with "quotes"
  "y" };
`)
	if len(f.Dicts) != 1 {
		t.Fatalf("dicts: %+v", f.Dicts)
	}
	want := []idlMember{
		{Name: "a", Type: "unsigned long", Doc: "One line."},
		{Name: "b", Type: "record<USVString, unsigned long long>", Doc: "Two lines; with punctuation } that must not end the dictionary."},
		{Name: "c", Type: "DOMString"},
		{Name: "d", Type: "double", Required: true, Doc: "Above d only."},
		{Name: "e", Type: "boolean"},
	}
	if d := f.Dicts[0]; d.Name != "RTCFooStats" || !d.Partial || !slices.Equal(d.Members, want) {
		t.Errorf("got %+v\nwant %+v", d, want)
	}
	if got := f.Enums["RTCBarEnum"]; !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("enum: %q", got)
	}
}

func TestTransportExtensions(t *testing.T) {
	m, _, err := loadModel(specDir(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range m.Dicts {
		for i, mem := range d.Members {
			if !mem.Extension {
				continue
			}
			got = append(got, goName(mem.Name))
			if d.IDL != "RTCTransportStats" || mem.DeclaredIn != "RTCTransportStats" || mem.Provisional || mem.GoType != "map[string]uint64" {
				t.Errorf("%s.%s: %+v", d.IDL, mem.Name, mem)
			}
			if slices.ContainsFunc(d.Members[i:], func(x member) bool { return !x.Extension }) {
				t.Errorf("%s.%s: spec members after an extension", d.IDL, mem.Name)
			}
			for _, s := range []string{"per DSCP", "counted at the socket", "decimal strings", "TURN ChannelData"} {
				if !strings.Contains(mem.Doc, s) {
					t.Errorf("%s doc lacks %q: %s", mem.Name, s, mem.Doc)
				}
			}
			doc := fieldDoc(mem)
			if last := doc[len(doc)-1]; last != "[rtcstats extension, not in any W3C document; extends RTCTransportStats]" {
				t.Errorf("%s: doc ends with %q", mem.Name, last)
			}
		}
	}
	want := []string{
		"PerDSCPRTCPPacketsSent", "PerDSCPRTCPPacketsReceived",
		"PerDSCPSCTPPacketsSent", "PerDSCPSCTPPacketsReceived",
		"PerDSCPDTLSPacketsSent", "PerDSCPDTLSPacketsReceived",
		"PerDSCPSTUNPacketsSent", "PerDSCPSTUNPacketsReceived",
	}
	if !slices.Equal(got, want) {
		t.Errorf("extension fields %q, want %q", got, want)
	}
}

// specModel is the model without the extensions of extensions.idl.
func specModel(t *testing.T) *model {
	t.Helper()
	m, _, err := loadModel(specDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Dicts {
		d.Members = slices.DeleteFunc(d.Members, func(x member) bool { return x.Extension })
	}
	return m
}

func TestExtensionsInherit(t *testing.T) {
	m := specModel(t)
	if err := addExtensions(m, "partial dictionary RTCRtpStreamStats {\n// Doc.\nunsigned long fooCount;\n};"); err != nil {
		t.Fatal(err)
	}
	var with []string
	for _, d := range m.Dicts {
		if i := slices.IndexFunc(d.Members, func(x member) bool { return x.Name == "fooCount" }); i >= 0 {
			with = append(with, d.IDL)
			if i != len(d.Members)-1 || !d.Members[i].Extension || d.Members[i].DeclaredIn != "RTCRtpStreamStats" || d.Members[i].Doc != "Doc." {
				t.Errorf("%s: %+v at %d of %d", d.IDL, d.Members[i], i, len(d.Members))
			}
		}
	}
	slices.Sort(with)
	if want := []string{"RTCInboundRtpStreamStats", "RTCOutboundRtpStreamStats", "RTCRemoteInboundRtpStreamStats", "RTCRemoteOutboundRtpStreamStats"}; !slices.Equal(with, want) {
		t.Errorf("extended %q, want %q", with, want)
	}
}

func TestExtensionErrors(t *testing.T) {
	for _, c := range []struct{ name, src, err string }{
		{"ED member", "partial dictionary RTCTransportStats {\n// d\nunsigned long long bytesSent;\n};", "collides with an ED member: RTCTransportStats.bytesSent"},
		{"provisional member", "partial dictionary RTCTransportStats {\n// d\nDOMString tlsGroup;\n};", "collides with a provisional member"},
		{"inherited ED member", "partial dictionary RTCOutboundRtpStreamStats {\n// d\nunsigned long ssrc;\n};", "RTCRtpStreamStats.ssrc"},
		{"member of a derived dictionary", "partial dictionary RTCRtpStreamStats {\n// d\nunsigned long long packetsSent;\n};", "RTCSentRtpStreamStats.packetsSent"},
		{"Go name", "partial dictionary RTCTransportStats {\n// d\nunsigned long long BytesSent;\n};", "Go name BytesSent"},
		{"two extensions", "partial dictionary RTCRtpStreamStats {\n// d\nunsigned long x;\n};\npartial dictionary RTCInboundRtpStreamStats {\n// d\nunsigned long x;\n};", "collides with an extension member"},
		{"twice", "partial dictionary RTCTransportStats {\n// d\nunsigned long x;\n// d\nunsigned long x;\n};", "declared twice"},
		{"no doc", "partial dictionary RTCTransportStats {\nunsigned long x;\n};", "no doc comment"},
		{"required", "partial dictionary RTCTransportStats {\n// d\nrequired unsigned long x;\n};", "cannot be required"},
		{"not partial", "dictionary RTCFooStats {\n// d\nunsigned long x;\n};", "must be partial"},
		{"unknown dictionary", "partial dictionary RTCSctpTransportStats {\n// d\nunsigned long x;\n};", "extends no modelled dictionary"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := addExtensions(specModel(t), c.src)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("err = %v, want one containing %q", err, c.err)
			}
		})
	}
}
