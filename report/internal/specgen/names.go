package main

import (
	"strings"
	"unicode"
)

// acronyms replaces whole camel-case words in Go identifiers, following Go's
// initialism convention. Csrc is only used by the type constant TypeCSRC.
var acronyms = map[string]string{ //nolint:gochecknoglobals // read-only table
	"Id": "ID", "Ssrc": "SSRC", "Csrc": "CSRC", "Url": "URL", "Rtp": "RTP", "Rtcp": "RTCP",
	"Rtx": "RTX", "Fec": "FEC", "Nack": "NACK", "Fir": "FIR", "Pli": "PLI", "Sli": "SLI",
	"Dtls": "DTLS", "Tls": "TLS", "Srtp": "SRTP", "Ice": "ICE", "Sctp": "SCTP",
	"Dscp": "DSCP", "Qp": "QP", "Psnr": "PSNR", "Mtu": "MTU", "Ccfb": "CCFB", "Stun": "STUN",
}

// dictGoNames holds the struct names that do not follow from the IDL name.
var dictGoNames = map[string]string{ //nolint:gochecknoglobals // read-only table
	"RTCRtpContributingSourceStats": "ContributingSourceStats",
}

// goName turns a spec identifier (camelCase) into an exported Go identifier:
// first letter upper-cased, split at lower-to-upper boundaries, each word
// passed through acronyms. Digits stay with the word before them.
func goName(s string) string {
	var b strings.Builder
	for _, w := range camelWords(s) {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		w = string(r)
		if a, ok := acronyms[w]; ok {
			w = a
		}
		b.WriteString(w)
	}
	return b.String()
}

func camelWords(s string) []string {
	var words []string
	start := 0
	r := []rune(s)
	for i := 1; i < len(r); i++ {
		prev := r[i-1]
		if unicode.IsUpper(r[i]) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
			words = append(words, string(r[start:i]))
			start = i
		}
	}
	return append(words, string(r[start:]))
}

// typeConstName names the constant for a stats type: "inbound-rtp" → TypeInboundRTP.
func typeConstName(t string) string {
	var b strings.Builder
	b.WriteString("Type")
	for w := range strings.SplitSeq(t, "-") {
		b.WriteString(goName(w))
	}
	return b.String()
}

// dictGoName names the struct for an IDL dictionary: RTCInboundRtpStreamStats → InboundRTPStreamStats.
func dictGoName(idl string) string {
	if n, ok := dictGoNames[idl]; ok {
		return n
	}
	return goName(strings.TrimPrefix(idl, "RTC"))
}
