package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtcstats/rtcstats/report"
)

// The bar: a short run exits 0 and the written report holds every
// required type with zero spec violations, checked on the JSON as written.
func TestLoopbackWritesValidReport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 2 s call")
	}
	out := filepath.Join(t.TempDir(), "r.json")
	var log bytes.Buffer
	if err := run([]string{"-duration", "2s", "-interval", "500ms", "-o", out, "-peer", "answerer"}, &log); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r, violations, err := report.ValidateJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		t.Errorf("violation: %v", v)
	}
	have := map[report.Type]bool{}
	for _, s := range r {
		have[s.StatsType()] = true
	}
	for _, ty := range []report.Type{report.TypeCodec, report.TypeInboundRTP, report.TypeOutboundRTP,
		report.TypeRemoteInboundRTP, report.TypeRemoteOutboundRTP, report.TypeTransport,
		report.TypeCandidatePair, report.TypeLocalCandidate, report.TypeRemoteCandidate,
		report.TypeCertificate, report.TypePeerConnection, report.TypeDataChannel} {
		if !have[ty] {
			t.Errorf("r.json has no %s", ty)
		}
	}
	if !strings.Contains(log.String(), "RTT ms") || !strings.Contains(log.String(), "EF=") || strings.Contains(log.String(), "warning") {
		t.Errorf("unexpected output:\n%s", log.String())
	}
}

func TestFlagsRejectBadValues(t *testing.T) {
	for _, args := range [][]string{{"-peer", "both"}, {"-duration", "0s"}, {"-interval", "-1s"}, {"-nope"}} {
		if err := run(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
