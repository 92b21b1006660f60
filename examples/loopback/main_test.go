package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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
	rec := filepath.Join(t.TempDir(), "r.jsonl")
	var log bytes.Buffer
	if err := run([]string{"-duration", "2s", "-interval", "500ms", "-o", out, "-peer", "answerer", "-record", rec}, &log); err != nil {
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
	for _, ty := range []report.Type{
		report.TypeCodec, report.TypeInboundRTP, report.TypeOutboundRTP,
		report.TypeRemoteInboundRTP, report.TypeRemoteOutboundRTP, report.TypeTransport,
		report.TypeCandidatePair, report.TypeLocalCandidate, report.TypeRemoteCandidate,
		report.TypeCertificate, report.TypePeerConnection, report.TypeDataChannel,
	} {
		if !have[ty] {
			t.Errorf("r.json has no %s", ty)
		}
	}
	// The recording plays back to one report per interval and, last, the
	// final report, identical to the JSON written by -o.
	f, err := os.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	pb := report.NewPlayback(f)
	var last report.Report
	n := 0
	for {
		r, err := pb.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last, n = r, n+1
	}
	if n < 3 {
		t.Errorf("%d recorded reports from a 2 s run at 500 ms, want ≥ 3", n)
	}
	if got, err := json.Marshal(last); err != nil || !bytes.Equal(got, mustCompact(t, b)) {
		t.Errorf("last recorded report differs from -o's (err %v)", err)
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

func mustCompact(t *testing.T, b []byte) []byte {
	t.Helper()
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
