package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rtcstats/rtcstats/report"
)

// A short run serves metrics with packets counted, and its recording plays
// back as valid reports.
func TestServesMetricsAndRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 2 s call")
	}
	out := filepath.Join(t.TempDir(), "r.jsonl")
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var log bytes.Buffer
	go func() {
		done <- run(context.Background(), []string{"-listen", "127.0.0.1:0", "-duration", "2s", "-interval", "400ms", "-record", out}, &log, ready)
	}()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	time.Sleep(time.Second)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	mf := mfs["rtcstats_outbound_rtp_packets_sent_total"]
	if mf == nil || len(mf.GetMetric()) != 4 { // 2 calls × audio, video
		t.Fatalf("packets sent: %v", mf)
	}
	for _, m := range mf.GetMetric() {
		if m.GetCounter().GetValue() == 0 {
			t.Errorf("no packets: %v", m)
		}
	}
	if mfs["rtcstats_outbound_rtp_dscp_packets_sent_total"] == nil {
		t.Error("no DSCP family")
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}

	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	pb := report.NewPlayback(f)
	n := 0
	for {
		r, err := pb.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, v := range r.Validate() {
			t.Errorf("report %d: %v", n, v)
		}
	}
	if n < 3 || !strings.Contains(log.String(), "recorded") {
		t.Errorf("%d reports recorded\n%s", n, log.String())
	}
}

func TestFlagsRejectBadValues(t *testing.T) {
	for _, args := range [][]string{{"-duration", "-1s"}, {"-interval", "0s"}, {"-nope"}, {"extra"}} {
		if err := run(context.Background(), args, &bytes.Buffer{}, nil); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
