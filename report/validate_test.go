package report

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

const ts = 1732200000000.25

func base(t Type, id string) Base { return Base{Timestamp: ts, Type: t, ID: id} }

// validReport is a small report that follows every rule: one audio stream
// each way with its remote view, on one transport with certificates and a
// candidate pair, plus a data channel and a contributing source.
func validReport() Report {
	r := Report{}
	r.Add(&TransportStats{
		Base: base(TypeTransport, "T"), DTLSState: "connected",
		BytesSent: new(uint64(1000)), BytesReceived: new(uint64(0)),
		SelectedCandidatePairID: new("CP"), LocalCertificateID: new("CFL"), RemoteCertificateID: new("CFR"),
		DTLSRole: new("client"), ICEState: new("connected"),
	})
	r.Add(&CertificateStats{Base: base(TypeCertificate, "CFL"), Fingerprint: "AA", FingerprintAlgorithm: "sha-256", Base64Certificate: "MII"})
	r.Add(&CertificateStats{Base: base(TypeCertificate, "CFR"), Fingerprint: "BB", FingerprintAlgorithm: "sha-256", Base64Certificate: "MII", IssuerCertificateID: new("CFL")})
	r.Add(&ICECandidatePairStats{
		Base: base(TypeCandidatePair, "CP"), TransportID: "T", LocalCandidateID: "IL", RemoteCandidateID: "IR",
		State: "succeeded", Nominated: new(true), CurrentRoundTripTime: new(0.01),
		LastPacketSentTimestamp: new(ts - 5),
	})
	r.Add(&ICECandidateStats{Base: base(TypeLocalCandidate, "IL"), TransportID: "T", CandidateType: "srflx", Address: new("203.0.113.7"), Port: new(int32(50000)), URL: new("stun:stun.example.org")})
	r.Add(&ICECandidateStats{Base: base(TypeRemoteCandidate, "IR"), TransportID: "T", CandidateType: "host", Address: nil, Port: new(int32(50001))})
	r.Add(&CodecStats{Base: base(TypeCodec, "C111"), PayloadType: 111, TransportID: "T", MimeType: "audio/opus", ClockRate: new(uint32(48000))})
	r.Add(&AudioSourceStats{Base: base(TypeMediaSource, "SA"), TrackIdentifier: "track-a", Kind: "audio", AudioLevel: new(0.5)})
	r.Add(&OutboundRTPStreamStats{
		Base: base(TypeOutboundRTP, "OA"), SSRC: 1111, Kind: "audio", TransportID: new("T"), CodecID: new("C111"),
		MediaSourceID: new("SA"), RemoteID: new("RIA"), PacketsSent: new(uint64(50)), BytesSent: new(uint64(8000)),
		PerDSCPPacketsSent: map[string]uint64{"46": 50, "0": 0},
	})
	r.Add(&RemoteInboundRTPStreamStats{
		Base: base(TypeRemoteInboundRTP, "RIA"), SSRC: 1111, Kind: "audio", TransportID: new("T"), CodecID: new("C111"),
		LocalID: new("OA"), PacketsLost: new(int64(-1)), FractionLost: new(0.0), RoundTripTimeMeasurements: new(uint64(0)),
	})
	r.Add(&InboundRTPStreamStats{
		Base: base(TypeInboundRTP, "IA"), SSRC: 2222, Kind: "audio", TrackIdentifier: "track-b", TransportID: new("T"),
		CodecID: new("C111"), RemoteID: new("ROA"), PlayoutID: new("AP"), PacketsReceived: new(uint64(0)),
		Jitter: new(0.0), LastPacketReceivedTimestamp: new(ts - 1), PerDSCPPacketsReceived: map[string]uint64{"46": 3},
	})
	r.Add(&RemoteOutboundRTPStreamStats{
		Base: base(TypeRemoteOutboundRTP, "ROA"), SSRC: 2222, Kind: "audio", TransportID: new("T"),
		LocalID: new("IA"), RemoteTimestamp: new(ts - 100),
	})
	r.Add(&AudioPlayoutStats{Base: base(TypeMediaPlayout, "AP"), Kind: "audio"})
	r.Add(&ContributingSourceStats{Base: base(TypeCSRC, "CS"), ContributorSSRC: 3333, InboundRTPStreamID: "IA", AudioLevel: new(1.0)})
	r.Add(&DataChannelStats{Base: base(TypeDataChannel, "D"), State: "open", Label: new("chat"), DataChannelIdentifier: new(uint16(0))})
	r.Add(&PeerConnectionStats{Base: base(TypePeerConnection, "P"), DataChannelsOpened: new(uint32(1))})
	return r
}

func TestValidReport(t *testing.T) {
	for _, v := range validReport().Validate() {
		t.Error(v)
	}
}

func TestValidateRules(t *testing.T) {
	zeroTime := float64(time.Time{}.UnixNano()) / 1e6 // the classic zero-time conversion
	cases := []struct {
		name         string
		mutate       func(Report)
		id, member   string
		rule         string
		detailSubstr string
	}{
		{"key", func(r Report) { r["other"] = r["P"] }, "other", "id", RuleKey, `"P"`},
		{"unknown type", func(r Report) { r.Add(&UnknownStats{Base: base("track", "X")}) }, "X", "type", RuleType, "unknown"},
		{"type of struct", func(r Report) { r["OA"].(*OutboundRTPStreamStats).Type = TypeInboundRTP }, "OA", "type", RuleType, "OutboundRTPStreamStats"},
		{"nil", func(r Report) { r["N"] = nil }, "N", "", RuleType, "nil"},
		{"required string", func(r Report) { r["C111"].(*CodecStats).MimeType = "" }, "C111", "mimeType", RuleRequired, "empty"},
		{"required id", func(r Report) { r["P"].(*PeerConnectionStats).ID = "" }, "P", "id", RuleRequired, "empty"},
		{"reference missing", func(r Report) { r["OA"].(*OutboundRTPStreamStats).CodecID = new("C0") }, "OA", "codecId", RuleReference, `"C0"`},
		{"reference type", func(r Report) { r["OA"].(*OutboundRTPStreamStats).TransportID = new("C111") }, "OA", "transportId", RuleReference, `want "transport"`},
		{"reference csrc", func(r Report) { r["CS"].(*ContributingSourceStats).InboundRTPStreamID = "OA" }, "CS", "inboundRtpStreamId", RuleReference, "inbound-rtp"},
		{"reference certificate", func(r Report) { r["T"].(*TransportStats).LocalCertificateID = new("IL") }, "T", "localCertificateId", RuleReference, "certificate"},
		{"reference candidate", func(r Report) { r["CP"].(*ICECandidatePairStats).RemoteCandidateID = "IL" }, "CP", "remoteCandidateId", RuleReference, "remote-candidate"},
		{"pair not mutual", func(r Report) { r["RIA"].(*RemoteInboundRTPStreamStats).LocalID = nil }, "OA", "remoteId", RulePair, "absent"},
		{"pair not mutual, remote side", func(r Report) { r["IA"].(*InboundRTPStreamStats).RemoteID = nil }, "ROA", "localId", RulePair, "does not point back"},
		{"pair ssrc", func(r Report) { r["RIA"].(*RemoteInboundRTPStreamStats).SSRC = 9 }, "OA", "remoteId", RulePair, "ssrc"},
		{"kind value", func(r Report) { r["OA"].(*OutboundRTPStreamStats).Kind = "audi" }, "OA", "kind", RuleKind, "audi"},
		{"kind of source struct", func(r Report) { r["SA"].(*AudioSourceStats).Kind = "video" }, "SA", "kind", RuleKind, "AudioSourceStats"},
		{"kind of playout", func(r Report) { r["AP"].(*AudioPlayoutStats).Kind = "video" }, "AP", "kind", RuleKind, "audio only"},
		{"video member on audio", func(r Report) { r["OA"].(*OutboundRTPStreamStats).FramesEncoded = new(uint32(0)) }, "OA", "framesEncoded", RuleForbiddenMember, "audio"},
		{"audio member on video", func(r Report) {
			in := r["IA"].(*InboundRTPStreamStats)
			in.Kind, in.PlayoutID = "video", nil
			r["ROA"].(*RemoteOutboundRTPStreamStats).Kind = "video"
			in.ConcealedSamples = new(uint64(0))
		}, "IA", "concealedSamples", RuleForbiddenMember, "video"},
		{"url on remote candidate", func(r Report) { r["IR"].(*ICECandidateStats).URL = new("stun:x") }, "IR", "url", RuleForbiddenMember, "remote-candidate"},
		{"NaN", func(r Report) { r["IA"].(*InboundRTPStreamStats).Jitter = new(math.NaN()) }, "IA", "jitter", RuleFinite, "NaN"},
		{"Inf", func(r Report) { r["CP"].(*ICECandidatePairStats).CurrentRoundTripTime = new(math.Inf(1)) }, "CP", "currentRoundTripTime", RuleFinite, "Inf"},
		{"NaN in unknown", func(r Report) {
			r.Add(&UnknownStats{Base: base("track", "X"), Members: map[string]any{"level": math.NaN()}})
		}, "X", "level", RuleFinite, ""},
		{"negative", func(r Report) { r["IA"].(*InboundRTPStreamStats).Jitter = new(-0.001) }, "IA", "jitter", RuleNegative, "-0.001"},
		{"negative long", func(r Report) { r["IL"].(*ICECandidateStats).Port = new(int32(-1)) }, "IL", "port", RuleNegative, "-1"},
		{"fractionLost", func(r Report) { r["RIA"].(*RemoteInboundRTPStreamStats).FractionLost = new(1.5) }, "RIA", "fractionLost", RuleRange, "1.5"},
		{"audioLevel", func(r Report) { r["SA"].(*AudioSourceStats).AudioLevel = new(2.0) }, "SA", "audioLevel", RuleRange, "2"},
		{"empty optional string", func(r Report) { r["OA"].(*OutboundRTPStreamStats).Mid = new("") }, "OA", "mid", RuleEmptyString, "empty"},
		{"empty nullable string", func(r Report) { r["IL"].(*ICECandidateStats).Address = new("") }, "IL", "address", RuleEmptyString, "empty"},
		{"empty reference", func(r Report) { r["OA"].(*OutboundRTPStreamStats).CodecID = new("") }, "OA", "codecId", RuleEmptyString, "empty"},
		{"zero time", func(r Report) { r["P"].(*PeerConnectionStats).Timestamp = zeroTime }, "P", "timestamp", RuleTimestamp, "1970"},
		{"zero timestamp member", func(r Report) { r["CP"].(*ICECandidatePairStats).LastPacketSentTimestamp = new(0.0) }, "CP", "lastPacketSentTimestamp", RuleTimestamp, "1970"},
		{"microseconds", func(r Report) { r["ROA"].(*RemoteOutboundRTPStreamStats).RemoteTimestamp = new(ts * 1000) }, "ROA", "remoteTimestamp", RuleTimestamp, "unit"},
		{"dscp out of range", func(r Report) { r["OA"].(*OutboundRTPStreamStats).PerDSCPPacketsSent["64"] = 1 }, "OA", "perDscpPacketsSent", RuleDSCP, `"64"`},
		{"dscp not decimal", func(r Report) { r["IA"].(*InboundRTPStreamStats).PerDSCPPacketsReceived["EF"] = 1 }, "IA", "perDscpPacketsReceived", RuleDSCP, `"EF"`},
		{"dscp leading zero", func(r Report) { r["IA"].(*InboundRTPStreamStats).PerDSCPPacketsReceived["046"] = 1 }, "IA", "perDscpPacketsReceived", RuleDSCP, `"046"`},
		{"negative record value", func(r Report) {
			r["OA"].(*OutboundRTPStreamStats).QualityLimitationDurations = map[string]float64{"none": -1}
			r["OA"].(*OutboundRTPStreamStats).Kind = "video"
			r["RIA"].(*RemoteInboundRTPStreamStats).Kind = "video"
		}, "OA", "qualityLimitationDurations", RuleNegative, `"none"`},
		{"enum", func(r Report) { r["T"].(*TransportStats).DTLSState = "up" }, "T", "dtlsState", RuleEnum, `"up"`},
		{"enum of provisional", func(r Report) { r["C111"].(*CodecStats).CodecType = new("both") }, "C111", "codecType", RuleEnum, `"both"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := validReport()
			c.mutate(r)
			vs := r.Validate()
			found := slices.ContainsFunc(vs, func(v Violation) bool {
				return v.ID == c.id && v.Member == c.member && v.Rule == c.rule && strings.Contains(v.Detail, c.detailSubstr)
			})
			if !found {
				t.Errorf("want %s %q.%s containing %q; got %v", c.rule, c.id, c.member, c.detailSubstr, vs)
			}
		})
	}
}

// ownStats is a caller's Stats type: Validate judges it by its JSON.
type ownStats struct {
	Base
	Extra float64 `json:"extra"`
}

func TestValidateOwnStatsType(t *testing.T) {
	r := Report{"P": &ownStats{Base: base(TypePeerConnection, "P"), Extra: 1}}
	if got := violationStrings(r.Validate()); len(got) != 1 || !strings.Contains(got[0], "unknown-member") {
		t.Errorf("own type: %v", got)
	}
	r = Report{"P": &ownStats{Base: base(TypePeerConnection, "P"), Extra: math.NaN()}}
	if got := r.Validate(); len(got) != 1 || got[0].Rule != RuleJSONType {
		t.Errorf("own type with NaN: %v", got)
	}
}

func TestPacketsLostMayBeNegative(t *testing.T) {
	r := validReport()
	r["RIA"].(*RemoteInboundRTPStreamStats).PacketsLost = new(int64(-5))
	for _, v := range r.Validate() {
		t.Error(v)
	}
}

func TestValidateJSON(t *testing.T) {
	const obj = `"id":"o","timestamp":1732200000000,"type":"outbound-rtp","kind":"video"`
	cases := []struct {
		name, json     string
		member, rule   string
		detailContains string
	}{
		{"misspelled", `{"o":{` + obj + `,"ssrc":1,"packetSent":3}}`, "packetSent", RuleUnknownMember, "RTCOutboundRtpStreamStats"},
		{"string for integer", `{"o":{` + obj + `,"ssrc":1,"packetsSent":"3"}}`, "packetsSent", RuleJSONType, "string"},
		{"fraction for integer", `{"o":{` + obj + `,"ssrc":1,"nackCount":1.5}}`, "nackCount", RuleJSONType, "integer"},
		{"out of range", `{"o":{` + obj + `,"ssrc":4294967296}}`, "ssrc", RuleJSONType, "range"},
		{"negative unsigned", `{"o":{` + obj + `,"ssrc":1,"packetsSent":-1}}`, "packetsSent", RuleJSONType, "range"},
		{"number for string", `{"o":{` + obj + `,"ssrc":1,"mid":0}}`, "mid", RuleJSONType, "want string"},
		{"number for bool", `{"o":{` + obj + `,"ssrc":1,"active":1}}`, "active", RuleJSONType, "want boolean"},
		{"null", `{"o":{` + obj + `,"ssrc":1,"jitter":null}}`, "", "", ""}, // jitter is not an outbound member
		{"null number", `{"o":{` + obj + `,"ssrc":1,"targetBitrate":null}}`, "targetBitrate", RuleJSONType, "null"},
		{"bad record", `{"o":{` + obj + `,"ssrc":1,"perDscpPacketsSent":{"46":1.5}}}`, "perDscpPacketsSent", RuleJSONType, `"46"`},
		{"missing required", `{"o":{` + obj + `}}`, "ssrc", RuleRequired, "missing"},
		{"missing type", `{"o":{"id":"o","timestamp":1732200000000}}`, "type", RuleRequired, "missing"},
		{"bad timestamp", `{"o":{"id":"o","timestamp":"now","type":"peer-connection"}}`, "timestamp", RuleJSONType, "want number"},
		{"not an object", `{"o":3}`, "", RuleJSONType, "want object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, vs, err := ValidateJSON([]byte(c.json))
			if err != nil {
				t.Fatal(err)
			}
			if c.rule == "" {
				return
			}
			if !slices.ContainsFunc(vs, func(v Violation) bool {
				return v.ID == "o" && v.Member == c.member && v.Rule == c.rule && strings.Contains(v.Detail, c.detailContains)
			}) {
				t.Errorf("want %s on %q containing %q; got %v", c.rule, c.member, c.detailContains, vs)
			}
			// A mistyped optional member is left out of the typed report.
			if c.rule == RuleJSONType && r["o"] != nil && !isRequired(r["o"].StatsType(), c.member) {
				if m, _ := toMembers(r["o"]); m[c.member] != nil {
					t.Errorf("mistyped member %q kept in the report: %v", c.member, m[c.member])
				}
			}
		})
	}

	// A null remote address is what the spec asks for.
	_, vs, err := ValidateJSON([]byte(`{"c":{"id":"c","timestamp":1732200000000,"type":"remote-candidate","transportId":"T","candidateType":"host","address":null},
		"T":{"id":"T","timestamp":1732200000000,"type":"transport","dtlsState":"new"}}`))
	if err != nil || len(vs) != 0 {
		t.Errorf("null address: %v %v", vs, err)
	}

	// WithAllowedMembers accepts named extras for that type only.
	in := `{"o":{` + obj + `,"ssrc":1,"googFoo":1},"p":{"id":"p","timestamp":1732200000000,"type":"peer-connection","googFoo":1}}`
	_, vs, _ = ValidateJSON([]byte(in), WithAllowedMembers(TypeOutboundRTP, "googFoo"))
	if len(vs) != 1 || vs[0].ID != "p" || vs[0].Rule != RuleUnknownMember {
		t.Errorf("allowed members: %v", vs)
	}

	for _, bad := range []string{`[1]`, `{"o":`, `{} {}`} {
		if _, _, err := ValidateJSON([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v", bad, err)
		}
	}
}

// chromiumExtras are the non-standard members Chromium writes that the
// testdata dump carries.
var chromiumExtras = []ValidateOption{
	WithAllowedMembers(TypeCandidatePair, "priority", "writable"),
	WithAllowedMembers(TypeLocalCandidate, "ip", "isRemote", "networkAdapterType", "vpn"),
	WithAllowedMembers(TypeRemoteCandidate, "ip", "isRemote"),
	WithAllowedMembers(TypeInboundRTP, "googTimingFrameInfo", "minPlayoutDelay", "interruptionCount",
		"totalInterruptionDuration", "jitterBufferFlushes"),
}

func TestValidateChromiumDump(t *testing.T) {
	data := loadChromium(t)
	r, vs, err := ValidateJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	var unknown []string
	for _, v := range vs {
		if v.Rule == RuleUnknownMember {
			unknown = append(unknown, v.Member)
		}
	}
	if len(unknown) != 13 {
		t.Errorf("unknown members %v", unknown)
	}

	// What remains is Chromium's real deviation: the legacy "track" type.
	// (Its data channel's empty protocol is the channel's attribute value,
	// not a placeholder.)
	want := []string{
		`"DEPRECATED_TI1".type: type: unknown type "track"`,
	}
	_, vs, _ = ValidateJSON(data, chromiumExtras...)
	if got := violationStrings(vs); !slices.Equal(got, want) {
		t.Errorf("ValidateJSON:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := violationStrings(r.Validate()); !slices.Equal(got, want) {
		t.Errorf("Validate:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func isRequired(t Type, member string) bool {
	ms := Members(t, "video")
	i := slices.IndexFunc(ms, func(m MemberInfo) bool { return m.Name == member })
	return i >= 0 && ms[i].Required
}

func violationStrings(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.String())
	}
	return out
}

// Every *Id member the spec defines must have its target type in refTarget.
func TestRefTargetsCoverEveryIDMember(t *testing.T) {
	for _, d := range dictionaries {
		for _, m := range d.Members {
			if !strings.HasSuffix(m.Name, "Id") {
				continue
			}
			for _, typ := range d.Types {
				if _, ok := refTarget(typ, m.Name); !ok {
					t.Errorf("%s.%s (type %s) has no reference target", d.Name, m.Name, typ)
				}
			}
		}
	}
}

func TestMembers(t *testing.T) {
	ms := Members(TypeMediaSource, "video")
	if len(ms) == 0 || !slices.ContainsFunc(ms, func(m MemberInfo) bool { return m.Name == "width" }) {
		t.Errorf("video source members: %v", ms)
	}
	if Members("track", "") != nil {
		t.Error("members of an unknown type")
	}
	in := Members(TypeInboundRTP, "")
	i := slices.IndexFunc(in, func(m MemberInfo) bool { return m.Name == "framesDecoded" })
	if i < 0 || in[i].NotForKind != "audio" || in[i].Kind != JSONInteger || in[i].Required {
		t.Errorf("framesDecoded: %+v", in[i])
	}
	if !TypeCSRC.Known() || Type("track").Known() {
		t.Error("Known")
	}
}

// Values the spec allows that look like mistakes: negative echo losses in
// dB, and the empty label and protocol of a data channel.
func TestValidateAllowsNegativeEchoLossAndEmptyChannelProtocol(t *testing.T) {
	js := `{
 "S1": {"id": "S1", "type": "media-source", "timestamp": 1.7e12, "trackIdentifier": "a", "kind": "audio",
        "echoReturnLoss": -12.5, "echoReturnLossEnhancement": -3},
 "D1": {"id": "D1", "type": "data-channel", "timestamp": 1.7e12, "label": "", "protocol": "", "state": "open"},
 "S2": {"id": "S2", "type": "media-source", "timestamp": 1.7e12, "trackIdentifier": "b", "kind": "audio", "totalSamplesDuration": -1}
}`
	_, violations, err := ValidateJSON([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if len(violations) != 1 || violations[0].ID != "S2" || violations[0].Rule != RuleNegative {
		t.Fatalf("violations %v, want only S2's negative totalSamplesDuration", violations)
	}
}
