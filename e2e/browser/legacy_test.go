package browser

import "github.com/rtcstats/rtcstats/report"

// chromiumLegacy lists the members Chromium's getStats writes that no
// webrtc-stats document (ED or provisional) defines. Chromium 156 writes
// exactly these; each is declared, with the reason, in libwebrtc's
// api/stats/rtcstats_objects.h:
//
//   - RTP stream objects' mediaType: "Obsolete ... renamed to kind".
//   - candidate-pair priority: "Obsolete: priority" (dropped from the spec).
//   - candidate-pair writable: "does not exist in the spec"
//     (crbug.com/webrtc/14171).
//   - local/remote-candidate isRemote: "Obsolete: is_remote" (the type
//     says it).
//   - local/remote-candidate ip: the spec renamed it address; libwebrtc
//     declares both and fills both.
func chromiumLegacy() []report.ValidateOption {
	var opts []report.ValidateOption
	for _, t := range []report.Type{
		report.TypeInboundRTP, report.TypeOutboundRTP,
		report.TypeRemoteInboundRTP, report.TypeRemoteOutboundRTP,
	} {
		opts = append(opts, report.WithAllowedMembers(t, "mediaType"))
	}
	return append(opts,
		report.WithAllowedMembers(report.TypeCandidatePair, "priority", "writable"),
		report.WithAllowedMembers(report.TypeLocalCandidate, "ip", "isRemote"),
		report.WithAllowedMembers(report.TypeRemoteCandidate, "ip", "isRemote"),
	)
}

// chromiumTrue are violations our validator reports in Chromium's dump
// where Chromium is right and a rule of ours is too strict for the member
// (reported so report/validate.go can be fixed, not hidden).
type chromiumTrue struct {
	typ    report.Type
	member string
	rule   string
	why    string
}

var chromiumTrueValues = []chromiumTrue{
	{
		report.TypeDataChannel, "protocol", report.RuleEmptyString,
		"RTCDataChannel.protocol is the empty string when no subprotocol was negotiated (webrtc-pc), and the stats member copies it",
	},
	{
		report.TypeMediaSource, "echoReturnLoss", report.RuleNegative,
		"echo return loss is in dB (G.168) and is negative when the echo is louder than the far-end signal, as with fake devices",
	},
	{
		report.TypeMediaSource, "echoReturnLossEnhancement", report.RuleNegative,
		"in dB like echoReturnLoss; an echo canceller can make things worse",
	},
}

// acceptedByChromium returns why v is one of chromiumTrueValues, or "".
func acceptedByChromium(r report.Report, v report.Violation) string {
	s := r[v.ID]
	if s == nil {
		return ""
	}
	for _, a := range chromiumTrueValues {
		if s.StatsType() == a.typ && v.Member == a.member && v.Rule == a.rule {
			return a.why
		}
	}
	return ""
}
