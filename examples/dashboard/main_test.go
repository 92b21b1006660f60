package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/dashboard"
	"github.com/rtcstats/rtcstats/report"
)

// A short run serves the page, both peers' inbound streams get charted
// bitrates above zero, and the command stops by itself at -duration.
func TestDashboardServesLivePeers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 4 s call")
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-duration", "4s", "-interval", "250ms"}, pw)
		_ = pw.Close() // a pipe's writer closes without error
		done <- err
	}()
	lines := bufio.NewScanner(pr)
	var url string
	for url == "" && lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "dashboard: "); ok {
			url = u
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("no URL printed (got %q)", url)
	}

	deadline := time.Now().Add(15 * time.Second)
	var st dashboard.State
	for !livePeers(st) {
		if time.Now().After(deadline) {
			b, err := json.Marshal(st)
			t.Fatalf("no live inbound bitrate for both peers; state %.2000s (%v)", b, err)
		}
		time.Sleep(200 * time.Millisecond)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"api/state", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // the call may be over already: judged by the deadline
		}
		st = dashboard.State{}
		_ = json.NewDecoder(resp.Body).Decode(&st)
		_ = resp.Body.Close()
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not stop after -duration")
	}
}

// livePeers: offerer and answerer each have an inbound-rtp stream whose
// newest payload bitrate is above zero.
func livePeers(st dashboard.State) bool {
	live := map[string]bool{}
	for _, p := range st.Peers {
		for _, o := range p.Objects {
			if o.Type != "inbound-rtp" {
				continue
			}
			for _, c := range o.Charts {
				for _, s := range c.Series {
					if c.Name == "bitrate" && s.Label == "payload" && len(s.Values) > 0 && s.Values[len(s.Values)-1] > 0 {
						live[p.Name] = true
					}
				}
			}
		}
	}
	return live["offerer"] && live["answerer"]
}

func TestFlagsRejectBadValues(t *testing.T) {
	for _, args := range [][]string{{"-duration", "-1s"}, {"-interval", "0s"}, {"-history", "1"}, {"-nope"}, {"extra"}, {"-addr", "not an address"}} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// -replay shows a recording: three reports 1 s apart whose inbound stream
// got 125 000 payload bytes each second chart as 1 Mbit/s, by hand.
func TestReplayShowsARecording(t *testing.T) {
	path := filepath.Join(t.TempDir(), "call.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := report.NewRecorder(f)
	for k := range 3 {
		r := report.Report{}
		r.Add(&report.InboundRTPStreamStats{
			Base: report.Base{Timestamp: 1.7e12 + float64(k)*1000, Type: report.TypeInboundRTP, ID: "IT1"},
			SSRC: 1, Kind: "audio", TrackIdentifier: "a",
			PacketsReceived: new(uint64(100 * k)), BytesReceived: new(uint64(125000 * k)),
		})
		if err := rec.Record(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := dashboard.New()
	if err != nil {
		t.Fatal(err)
	}
	n, err := replay(d, path)
	if err != nil || n != 3 {
		t.Fatalf("replayed %d reports: %v", n, err)
	}
	var got []float64
	for _, p := range d.State().Peers {
		if p.Name != "call" {
			continue
		}
		for _, o := range p.Objects {
			for _, c := range o.Charts {
				for _, s := range c.Series {
					if o.ID == "IT1" && c.Name == "bitrate" && s.Label == "payload" {
						got = s.Values
					}
				}
			}
		}
	}
	if len(got) != 2 || got[0] != 1e6 || got[1] != 1e6 {
		t.Fatalf("payload bitrate %v, want [1e6 1e6]", got)
	}
	if _, err := replay(d, filepath.Join(t.TempDir(), "missing.jsonl")); err == nil {
		t.Fatal("a missing recording replayed")
	}
}
