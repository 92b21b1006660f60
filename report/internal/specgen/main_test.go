package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// specDir is the spec inputs as seen from this package's directory
// (report/internal/specgen); RTCSTATS_SPEC_DIR overrides it.
func specDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("RTCSTATS_SPEC_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "spec")
	}
	if _, err := os.Stat(filepath.Join(dir, "webrtc-stats-ED-flattened.json")); err != nil {
		t.Skipf("spec inputs not found in %s (set RTCSTATS_SPEC_DIR to check generated code): %v", dir, err)
	}
	return dir
}

func TestGeneratedTypesUpToDate(t *testing.T) {
	src, warnings, err := generate(specDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Error(w)
	}
	have, err := os.ReadFile(filepath.Join("..", "..", "types_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, src) {
		t.Fatal("types_gen.go is stale: run go generate in report/")
	}
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"rtxSsrc":                 "RTXSSRC",
		"perDscpPacketsSent":      "PerDSCPPacketsSent",
		"perDscpRtcpPacketsSent":  "PerDSCPRTCPPacketsSent",
		"perDscpStunPacketsSent":  "PerDSCPSTUNPacketsSent",
		"transportId":             "TransportID",
		"nackCount":               "NACKCount",
		"packetsReceivedWithEct1": "PacketsReceivedWithEct1",
		"dtlsState":               "DTLSState",
		"averageRtcpInterval":     "AverageRTCPInterval",
		"inboundRtpStreamId":      "InboundRTPStreamID",
		"base64Certificate":       "Base64Certificate",
		"psnrSum":                 "PSNRSum",
		"ccfbMessagesSent":        "CCFBMessagesSent",
		"dataChannelIdentifier":   "DataChannelIdentifier",
		"url":                     "URL",
		"qpSum":                   "QPSum",
	} {
		if got := goName(in); got != want {
			t.Errorf("goName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := typeConstName("remote-inbound-rtp"); got != "TypeRemoteInboundRTP" {
		t.Errorf("typeConstName = %q", got)
	}
	if got := dictGoName("RTCIceCandidatePairStats"); got != "ICECandidatePairStats" {
		t.Errorf("dictGoName = %q", got)
	}
}

func TestSummary(t *testing.T) {
	for in, want := range map[string]string{
		`MUST NOT [= map/exist =] for audio. It represents the total number of frames. More text.`: "It represents the total number of frames.",
		`The codec type, e.g. video/VP8. Next.`:                                                    "The codec type, e.g. video/VP8.",
		`Calculated as in [[!RFC3550]] section 6.4.1. of the spec.`:                                "Calculated as in RFC3550 section 6.4.1. of the spec.",
		`Samples are made up. {{synthesizedSamplesDuration}} is in seconds.`:                       "Samples are made up.",
		`Only exists for video. The bit depth.`:                                                    "The bit depth.",
		`{{RTCDtlsRole/"client"}} or "server", if [= map/exist | present =].`:                      `"client" or "server", if present.`,
	} {
		if got := summary(in); got != want {
			t.Errorf("summary(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestKindRules pins a sample of the existence rules read from the prose,
// from both wordings and both documents.
func TestKindRules(t *testing.T) {
	m, _, err := loadModel(specDir(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"RTCInboundRtpStreamStats.framesDecoded":        "audio",
		"RTCInboundRtpStreamStats.concealedSamples":     "video",
		"RTCInboundRtpStreamStats.playoutId":            "video",
		"RTCInboundRtpStreamStats.jitterBufferDelay":    "",
		"RTCOutboundRtpStreamStats.rid":                 "audio",
		"RTCOutboundRtpStreamStats.nackCount":           "",
		"RTCOutboundRtpStreamStats.totalSamplesSent":    "video", // "Only exists for audio."
		"RTCOutboundRtpStreamStats.frameBitDepth":       "audio", // "Only exists for video."
		"RTCReceivedRtpStreamStats.fullFramesLost":      "audio",
		"RTCIceCandidateStats.url":                      "remote-candidate",
		"RTCIceCandidateStats.address":                  "",
		"RTCRtpContributingSourceStats.audioLevel":      "",
		"RTCInboundRtpStreamStats.totalSamplesDuration": "video",
	}
	got := map[string]string{}
	counts := map[string]int{}
	for _, d := range m.Dicts {
		for _, mem := range d.Members {
			rule := mem.NotForKind
			if mem.NotForRemote {
				rule = "remote-candidate"
			}
			got[mem.DeclaredIn+"."+mem.Name] = rule
			if rule != "" && d.Types[0] != "remote-inbound-rtp" {
				counts[strings.Join(d.Types, ",")+" "+rule]++
			}
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: rule %q, want %q", k, got[k], w)
		}
	}
	// The ED has 25 audio-excluded and 10 video-excluded inbound members and
	// 22 audio-excluded outbound members; the provisional partials add more.
	for k, n := range map[string]int{"inbound-rtp audio": 25 + 4, "inbound-rtp video": 10 + 4, "outbound-rtp audio": 22 + 2, "outbound-rtp video": 4} {
		if counts[k] != n {
			t.Errorf("%s: %d rules, want %d", k, counts[k], n)
		}
	}
}
