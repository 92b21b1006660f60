package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/prom"
	"github.com/rtcstats/rtcstats/report"
)

// promSample is one sample of a scrape: a metric name and its labels.
type promSample struct {
	name   string
	labels map[string]string
	value  float64
}

// promScrape fetches /metrics over HTTP and parses it with Prometheus' own
// text parser.
func promScrape(t *testing.T, url string) []promSample {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %v\n%s", resp.StatusCode, err, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, body)
	}
	var out []promSample
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			s := promSample{name: name, labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				s.labels[l.GetName()] = l.GetValue()
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				s.value = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				s.value = m.GetGauge().GetValue()
			default:
				t.Fatalf("%s is a %v", name, mf.GetType())
			}
			out = append(out, s)
		}
	}
	return out
}

// promValue returns the value of the one sample with this name whose labels
// include want, or false.
func promValue(t *testing.T, samples []promSample, name string, want map[string]string) (float64, bool) {
	t.Helper()
	var v float64
	n := 0
	for _, s := range samples {
		if s.name != name {
			continue
		}
		match := true
		for k, w := range want {
			if s.labels[k] != w {
				match = false
			}
		}
		if match {
			v, n = s.value, n+1
		}
	}
	if n > 1 {
		t.Fatalf("%d samples of %s%v", n, name, want)
	}
	return v, n == 1
}

// promDSCPs returns the dscp label values (and their values) of a family
// for one call and kind or class.
func promDSCPs(samples []promSample, name string, match map[string]string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range samples {
		if s.name != name {
			continue
		}
		ok := true
		for k, w := range match {
			if s.labels[k] != w {
				ok = false
			}
		}
		if ok {
			out[s.labels["dscp"]] = s.value
		}
	}
	return out
}

// promCount is a counter's value, 0 when absent.
func promCount(p *uint64) uint64 {
	if p == nil {
		return 0
	}
	return *p
}

// promKindSum is a counter of a report summed over its RTP streams of one
// kind, the way the collector's default series are made, worked out here
// from the report's objects.
func promKindSum(r report.Report, kind string, out bool) (packets, bytes uint64, dscp map[string]uint64) {
	dscp = map[string]uint64{}
	if out {
		for _, o := range report.Filter[*report.OutboundRTPStreamStats](r) {
			if o.Kind == kind {
				packets += promCount(o.PacketsSent)
				bytes += promCount(o.BytesSent)
				for k, v := range o.PerDSCPPacketsSent {
					dscp[k] += v
				}
			}
		}
		return
	}
	for _, in := range report.Filter[*report.InboundRTPStreamStats](r) {
		if in.Kind == kind {
			packets += promCount(in.PacketsReceived)
			bytes += promCount(in.BytesReceived)
			for k, v := range in.PerDSCPPacketsReceived {
				dscp[k] += v
			}
		}
	}
	return
}

// promBetween checks a scraped counter against the reports taken just
// before and just after the scrape: packets keep flowing in between, so
// the scrape must lie within the two.
func promBetween(t *testing.T, what string, got float64, before, after uint64) {
	t.Helper()
	if got < float64(before) || got > float64(after) {
		t.Errorf("%s: scraped %v, GetStats %d before and %d after the scrape", what, got, before, after)
	}
}

// TestPrometheusLoopback: a real registry scraped through promhttp on
// 127.0.0.1 during a DSCP-marked loopback call and once the call settled.
// Every RTP packet and byte counter lies between the GetStats values taken
// just before and just after the scrape, per call, kind and DSCP; the DSCP
// families carry exactly the code points the policy gives (see dscpConfig).
// The offerer's reports, taken at each scrape, are also recorded as JSON
// Lines and played back identical.
func TestPrometheusLoopback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pair, err := peers.New(ctx, dscpConfig())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = pair.Close() })

	c, err := prom.NewCollector()
	if err != nil {
		t.Fatal(err)
	}
	var recording bytes.Buffer
	rec := report.NewRecorder(&recording)
	var recorded []report.Report
	var recMu sync.Mutex
	// The offerer is added through Add, recording each report the scrape
	// takes; the answerer through AddPeerConnection.
	if err := c.Add("offerer", func() (report.Report, error) {
		r, err := pair.Factory.GetStats(pair.Offerer.PC)
		if err == nil {
			recMu.Lock()
			defer recMu.Unlock()
			recorded = append(recorded, r)
			err = rec.Record(r)
		}
		return r, err
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddPeerConnection("answerer", pair.Factory, pair.Answerer.PC); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	url := "http://" + ln.Addr().String() + "/metrics"

	mctx, mcancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer mcancel()
	sent := make(chan error, 1)
	go func() {
		_, _, err := pair.SendMedia(mctx)
		sent <- err
	}()

	check := func(phase string, offBefore, ansBefore report.Report, samples []promSample, offAfter, ansAfter report.Report) {
		t.Helper()
		for _, p := range []struct {
			call          string
			before, after report.Report
		}{{"offerer", offBefore, offAfter}, {"answerer", ansBefore, ansAfter}} {
			for _, kind := range []string{"audio", "video"} {
				for _, dir := range []struct {
					out                        bool
					packets, bytes, dscpFamily string
				}{
					{true, "rtcstats_outbound_rtp_packets_sent_total", "rtcstats_outbound_rtp_bytes_sent_total", "rtcstats_outbound_rtp_dscp_packets_sent_total"},
					{false, "rtcstats_inbound_rtp_packets_received_total", "rtcstats_inbound_rtp_bytes_received_total", "rtcstats_inbound_rtp_dscp_packets_received_total"},
				} {
					tag := fmt.Sprintf("%s: %s %s %s", phase, p.call, kind, dir.packets)
					lbl := map[string]string{"call": p.call, "kind": kind}
					bp, bb, bd := promKindSum(p.before, kind, dir.out)
					ap, ab, ad := promKindSum(p.after, kind, dir.out)
					got, ok := promValue(t, samples, dir.packets, lbl)
					if !ok || got == 0 {
						t.Errorf("%s: %v (present %v), want packets", tag, got, ok)
					}
					promBetween(t, tag, got, bp, ap)
					got, _ = promValue(t, samples, dir.bytes, lbl)
					promBetween(t, tag+" bytes", got, bb, ab)
					// A code point seen before the scrape is in it, and
					// the scrape has none the report after lacks.
					scraped := promDSCPs(samples, dir.dscpFamily, lbl)
					for k := range bd {
						if _, ok := scraped[k]; !ok {
							t.Errorf("%s: dscp %s missing from %v", tag, k, scraped)
						}
					}
					for k, v := range scraped {
						if _, ok := ad[k]; !ok {
							t.Errorf("%s: dscp %s scraped, not in the report after: %v", tag, k, ad)
						}
						promBetween(t, tag+" dscp "+k, v, bd[k], ad[k])
					}
				}
			}
		}
		// The DSCP families against the policy of dscpConfig, worked by
		// hand there: what each peer sends, and what the other receives.
		for _, w := range []struct {
			family, call, kind string
			dscps              []string
		}{
			{"rtcstats_outbound_rtp_dscp_packets_sent_total", "offerer", "audio", []string{"46"}},
			{"rtcstats_outbound_rtp_dscp_packets_sent_total", "offerer", "video", []string{"36", "38"}},
			{"rtcstats_outbound_rtp_dscp_packets_sent_total", "answerer", "audio", []string{"46"}},
			{"rtcstats_outbound_rtp_dscp_packets_sent_total", "answerer", "video", []string{"34", "36"}},
			{"rtcstats_inbound_rtp_dscp_packets_received_total", "answerer", "video", []string{"36", "38"}},
			{"rtcstats_inbound_rtp_dscp_packets_received_total", "offerer", "video", []string{"34", "36"}},
			{"rtcstats_inbound_rtp_dscp_packets_received_total", "offerer", "audio", []string{"46"}},
		} {
			got := slices.Sorted(maps.Keys(promDSCPs(samples, w.family, map[string]string{"call": w.call, "kind": w.kind})))
			if !slices.Equal(got, w.dscps) {
				t.Errorf("%s: %s %s %s: dscp labels %v, want %v", phase, w.family, w.call, w.kind, got, w.dscps)
			}
		}
		for _, call := range []string{"offerer", "answerer"} {
			for _, w := range []struct {
				family, class string
				dscps         []string
			}{
				{"rtcstats_transport_dscp_packets_sent_total", "sctp", []string{"10"}},
				{"rtcstats_transport_dscp_packets_received_total", "sctp", []string{"10"}},
				{"rtcstats_transport_dscp_packets_sent_total", "stun", []string{"0"}},
				{"rtcstats_transport_dscp_packets_sent_total", "dtls", []string{"0"}},
			} {
				got := slices.Sorted(maps.Keys(promDSCPs(samples, w.family, map[string]string{"call": call, "class": w.class})))
				if !slices.Equal(got, w.dscps) {
					t.Errorf("%s: %s %s class %s: dscp labels %v, want %v", phase, w.family, call, w.class, got, w.dscps)
				}
			}
			rtcp := promDSCPs(samples, "rtcstats_transport_dscp_packets_sent_total", map[string]string{"call": call, "class": "rtcp"})
			for k := range rtcp {
				if !slices.Contains([]string{"46", "36", "34"}, k) {
					t.Errorf("%s: %s RTCP sent under DSCP %s", phase, call, k)
				}
			}
			if v, ok := promValue(t, samples, "rtcstats_data_channel_messages_sent_total", map[string]string{"call": call}); !ok || v == 0 {
				t.Errorf("%s: %s data channel messages sent %v (present %v)", phase, call, v, ok)
			}
			if v, ok := promValue(t, samples, "rtcstats_candidate_pair_current_round_trip_time_seconds", map[string]string{"call": call}); !ok || v <= 0 || v > 1 {
				t.Errorf("%s: %s candidate pair RTT %v (present %v)", phase, call, v, ok)
			}
		}
		if v, _ := promValue(t, samples, "rtcstats_collector_calls", nil); v != 2 {
			t.Errorf("%s: collector_calls %v, want 2", phase, v)
		}
		if v, _ := promValue(t, samples, "rtcstats_collector_get_errors_total", nil); v != 0 {
			t.Errorf("%s: collector_get_errors_total %v, want 0", phase, v)
		}
	}

	// During the call: once media has flowed for a while.
	time.Sleep(1500 * time.Millisecond)
	offBefore, ansBefore, err := pair.Stats()
	if err != nil {
		t.Fatal(err)
	}
	samples := promScrape(t, url)
	offAfter, ansAfter, err := pair.Stats()
	if err != nil {
		t.Fatal(err)
	}
	check("during the call", offBefore, ansBefore, samples, offAfter, ansAfter)

	if err := <-sent; err != nil {
		t.Fatalf("send media: %v", err)
	}
	off, ans, err := pair.Settle(context.Background(), 5*time.Second)
	if err != nil {
		t.Fatalf("settle: %v", err)
	}
	samples = promScrape(t, url)
	offAfter, ansAfter, err = pair.Stats()
	if err != nil {
		t.Fatal(err)
	}
	check("settled", off, ans, samples, offAfter, ansAfter)
	// Settled, RTP has stopped: the RTP counters are exact.
	for _, call := range []struct {
		name     string
		r, after report.Report
	}{{"offerer", off, offAfter}, {"answerer", ans, ansAfter}} {
		for _, o := range report.Filter[*report.OutboundRTPStreamStats](call.r) {
			got, _ := promValue(t, samples, "rtcstats_outbound_rtp_packets_sent_total", map[string]string{"call": call.name, "kind": o.Kind})
			if got != float64(*o.PacketsSent) {
				t.Errorf("settled %s %s: scraped %v packets sent, GetStats %d", call.name, o.Kind, got, *o.PacketsSent)
			}
			// RTCP goes on after media stopped: a Receiver Report may
			// arrive between the settled report and the scrape.
			// On a loaded machine the first report answering one of our
			// SRs (the first RTT) may come that late too.
			rtt := remoteInbound(t, call.r, o).RoundTripTime
			later := remoteInbound(t, call.after, outbound(t, call.after, o.Kind)).RoundTripTime
			v, ok := promValue(t, samples, "rtcstats_remote_inbound_rtp_round_trip_time_seconds", map[string]string{"call": call.name, "kind": o.Kind})
			matches := func(x *float64) bool { return x != nil && ok && v == *x }
			if !matches(rtt) && !matches(later) && (ok || rtt != nil) {
				t.Errorf("settled %s %s: scraped RTT %v (present %v), reports %v before and %v after", call.name, o.Kind, v, ok, deref(rtt), deref(later))
			}
		}
	}

	// The recording holds the offerer's report of each scrape.
	recMu.Lock()
	want := slices.Clone(recorded)
	data := slices.Clone(recording.Bytes())
	recMu.Unlock()
	if len(want) != 2 {
		t.Errorf("%d offerer reports recorded, want one per scrape (2)", len(want))
	}
	p := report.NewPlayback(bytes.NewReader(data))
	for i, w := range want {
		got, err := p.Next()
		if err != nil {
			t.Fatalf("playback %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("playback %d differs from the report recorded", i)
		}
	}
	if _, err := p.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last report: %v", err)
	}
	if lines := strings.Count(string(data), "\n"); lines != len(want) || !strings.Contains(strings.SplitN(string(data), "\n", 2)[1], `"patch":`) {
		t.Errorf("recording of %d lines:\n%.400s", lines, data)
	}

	// A closed PeerConnection leaves the collector by itself.
	if err := pair.Factory.ClosePeerConnection(pair.Answerer.PC); err != nil {
		t.Fatal(err)
	}
	samples = promScrape(t, url)
	if v, _ := promValue(t, samples, "rtcstats_collector_calls", nil); v != 1 {
		t.Errorf("after the answerer closed: collector_calls %v, want 1", v)
	}
	if _, ok := promValue(t, samples, "rtcstats_transport_packets_sent_total", map[string]string{"call": "answerer"}); ok {
		t.Error("the closed answerer is still exported")
	}
	if calls := c.Calls(); !slices.Equal(calls, []string{"offerer"}) {
		t.Errorf("calls %v, want [offerer]", calls)
	}
}
