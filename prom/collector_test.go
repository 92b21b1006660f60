package prom_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rtcstats/rtcstats/prom"
	"github.com/rtcstats/rtcstats/report"
)

func base(t report.Type, id string) report.Base {
	return report.Base{Timestamp: 1.7e12, Type: t, ID: id}
}

// callReport is a hand-built report of one call: an audio and two video
// streams each way, remote views, a transport with per-DSCP extension
// members, two candidate pairs (one selected) and two data channels.
func callReport() report.Report {
	r := report.Report{}
	r.Add(&report.OutboundRTPStreamStats{
		Base: base(report.TypeOutboundRTP, "OA"), SSRC: 11, Kind: "audio",
		Mid: new("0"), PacketsSent: new(uint64(100)), BytesSent: new(uint64(1000)), HeaderBytesSent: new(uint64(1200)),
		RetransmittedPacketsSent: new(uint64(0)), NACKCount: new(uint32(0)), RemoteID: new("RIA"),
		PerDSCPPacketsSent: map[string]uint64{"46": 100},
	})
	r.Add(&report.OutboundRTPStreamStats{
		Base: base(report.TypeOutboundRTP, "OV1"), SSRC: 12, Kind: "video",
		Mid: new("1"), PacketsSent: new(uint64(10)), BytesSent: new(uint64(10000)), PLICount: new(uint32(2)),
		PerDSCPPacketsSent: map[string]uint64{"36": 3, "38": 7},
	})
	r.Add(&report.OutboundRTPStreamStats{
		Base: base(report.TypeOutboundRTP, "OV2"), SSRC: 13, Kind: "video",
		Mid: new("2"), PacketsSent: new(uint64(20)), BytesSent: new(uint64(20000)), PLICount: new(uint32(1)),
		PerDSCPPacketsSent: map[string]uint64{"36": 5, "38": 15, "046": 1, "64": 1},
	})
	// A kind the spec does not have: skipped, the kind label stays bounded.
	r.Add(&report.OutboundRTPStreamStats{
		Base: base(report.TypeOutboundRTP, "OX"), SSRC: 14, Kind: "screen",
		PacketsSent: new(uint64(5)),
	})
	r.Add(&report.InboundRTPStreamStats{
		Base: base(report.TypeInboundRTP, "IA"), SSRC: 21, Kind: "audio",
		Mid: new("0"), PacketsReceived: new(uint64(99)), PacketsLost: new(int64(-2)), Jitter: new(0.01),
		PerDSCPPacketsReceived: map[string]uint64{"46": 99},
	})
	r.Add(&report.InboundRTPStreamStats{
		Base: base(report.TypeInboundRTP, "IV1"), SSRC: 22, Kind: "video",
		Mid: new("1"), PacketsReceived: new(uint64(30)), PacketsLost: new(int64(3)), Jitter: new(0.02),
		HeaderBytesReceived: new(uint64(360)), NACKCount: new(uint32(4)),
	})
	r.Add(&report.InboundRTPStreamStats{
		Base: base(report.TypeInboundRTP, "IV2"), SSRC: 23, Kind: "video",
		Mid: new("2"), PacketsReceived: new(uint64(40)), PacketsLost: new(int64(4)), Jitter: new(0.05),
		NACKCount: new(uint32(1)),
	})
	r.Add(&report.RemoteInboundRTPStreamStats{
		Base: base(report.TypeRemoteInboundRTP, "RIA"), SSRC: 11, Kind: "audio",
		LocalID: new("OA"), PacketsLost: new(int64(1)), FractionLost: new(0.25), RoundTripTime: new(0.03),
		TotalRoundTripTime: new(0.09), RoundTripTimeMeasurements: new(uint64(3)),
	})
	r.Add(&report.RemoteOutboundRTPStreamStats{
		Base: base(report.TypeRemoteOutboundRTP, "ROA"), SSRC: 21, Kind: "audio",
		LocalID: new("IA"), PacketsSent: new(uint64(101)), BytesSent: new(uint64(1010)),
	})
	r.Add(&report.TransportStats{
		Base: base(report.TypeTransport, "T"), DTLSState: "connected",
		PacketsSent: new(uint64(500)), PacketsReceived: new(uint64(400)), BytesSent: new(uint64(50000)), BytesReceived: new(uint64(40000)),
		SelectedCandidatePairID:    new("CP1"),
		PerDSCPRTCPPacketsSent:     map[string]uint64{"46": 4, "36": 2},
		PerDSCPSTUNPacketsReceived: map[string]uint64{"0": 8},
	})
	r.Add(&report.ICECandidatePairStats{
		Base: base(report.TypeCandidatePair, "CP1"), TransportID: "T", State: "succeeded",
		CurrentRoundTripTime: new(0.001), TotalRoundTripTime: new(0.004), ResponsesReceived: new(uint64(4)),
	})
	r.Add(&report.ICECandidatePairStats{
		Base: base(report.TypeCandidatePair, "CP2"), TransportID: "T", State: "failed",
		CurrentRoundTripTime: new(9.0), TotalRoundTripTime: new(9.0), ResponsesReceived: new(uint64(1)),
	})
	r.Add(&report.DataChannelStats{
		Base: base(report.TypeDataChannel, "D1"), State: "open",
		MessagesSent: new(uint32(3)), MessagesReceived: new(uint32(4)), BytesSent: new(uint64(30)), BytesReceived: new(uint64(40)),
	})
	r.Add(&report.DataChannelStats{
		Base: base(report.TypeDataChannel, "D2"), State: "open",
		MessagesSent: new(uint32(5)), BytesSent: new(uint64(50)),
	})
	return r
}

// want is callReport's series, worked out by hand from the objects above:
// sums over a call's streams of a kind, the largest jitter/RTT, absent
// members absent.
func want(call string) map[string]float64 {
	c := `call="` + call + `"`
	return map[string]float64{
		`rtcstats_outbound_rtp_packets_sent_total{` + c + `,kind="audio"}`:                       100,
		`rtcstats_outbound_rtp_packets_sent_total{` + c + `,kind="video"}`:                       30,
		`rtcstats_outbound_rtp_bytes_sent_total{` + c + `,kind="audio"}`:                         1000,
		`rtcstats_outbound_rtp_bytes_sent_total{` + c + `,kind="video"}`:                         30000,
		`rtcstats_outbound_rtp_header_bytes_sent_total{` + c + `,kind="audio"}`:                  1200,
		`rtcstats_outbound_rtp_retransmitted_packets_sent_total{` + c + `,kind="audio"}`:         0,
		`rtcstats_outbound_rtp_nacks_received_total{` + c + `,kind="audio"}`:                     0,
		`rtcstats_outbound_rtp_plis_received_total{` + c + `,kind="video"}`:                      3,
		`rtcstats_outbound_rtp_dscp_packets_sent_total{` + c + `,dscp="46",kind="audio"}`:        100,
		`rtcstats_outbound_rtp_dscp_packets_sent_total{` + c + `,dscp="36",kind="video"}`:        8,
		`rtcstats_outbound_rtp_dscp_packets_sent_total{` + c + `,dscp="38",kind="video"}`:        22,
		`rtcstats_inbound_rtp_packets_received_total{` + c + `,kind="audio"}`:                    99,
		`rtcstats_inbound_rtp_packets_received_total{` + c + `,kind="video"}`:                    70,
		`rtcstats_inbound_rtp_packets_lost{` + c + `,kind="audio"}`:                              -2,
		`rtcstats_inbound_rtp_packets_lost{` + c + `,kind="video"}`:                              7,
		`rtcstats_inbound_rtp_jitter_seconds{` + c + `,kind="audio"}`:                            0.01,
		`rtcstats_inbound_rtp_jitter_seconds{` + c + `,kind="video"}`:                            0.05,
		`rtcstats_inbound_rtp_header_bytes_received_total{` + c + `,kind="video"}`:               360,
		`rtcstats_inbound_rtp_nacks_sent_total{` + c + `,kind="video"}`:                          5,
		`rtcstats_inbound_rtp_dscp_packets_received_total{` + c + `,dscp="46",kind="audio"}`:     99,
		`rtcstats_remote_inbound_rtp_packets_lost{` + c + `,kind="audio"}`:                       1,
		`rtcstats_remote_inbound_rtp_fraction_lost_ratio{` + c + `,kind="audio"}`:                0.25,
		`rtcstats_remote_inbound_rtp_round_trip_time_seconds{` + c + `,kind="audio"}`:            0.03,
		`rtcstats_remote_inbound_rtp_round_trip_time_seconds_total{` + c + `,kind="audio"}`:      0.09,
		`rtcstats_remote_inbound_rtp_round_trip_time_measurements_total{` + c + `,kind="audio"}`: 3,
		`rtcstats_remote_outbound_rtp_packets_sent_total{` + c + `,kind="audio"}`:                101,
		`rtcstats_remote_outbound_rtp_bytes_sent_total{` + c + `,kind="audio"}`:                  1010,
		`rtcstats_transport_packets_sent_total{` + c + `}`:                                       500,
		`rtcstats_transport_packets_received_total{` + c + `}`:                                   400,
		`rtcstats_transport_bytes_sent_total{` + c + `}`:                                         50000,
		`rtcstats_transport_bytes_received_total{` + c + `}`:                                     40000,
		`rtcstats_transport_dscp_packets_sent_total{` + c + `,class="rtcp",dscp="46"}`:           4,
		`rtcstats_transport_dscp_packets_sent_total{` + c + `,class="rtcp",dscp="36"}`:           2,
		`rtcstats_transport_dscp_packets_received_total{` + c + `,class="stun",dscp="0"}`:        8,
		`rtcstats_candidate_pair_current_round_trip_time_seconds{` + c + `}`:                     0.001,
		`rtcstats_candidate_pair_round_trip_time_seconds_total{` + c + `}`:                       0.004,
		`rtcstats_candidate_pair_responses_received_total{` + c + `}`:                            4,
		`rtcstats_data_channel_messages_sent_total{` + c + `}`:                                   8,
		`rtcstats_data_channel_messages_received_total{` + c + `}`:                               4,
		`rtcstats_data_channel_bytes_sent_total{` + c + `}`:                                      80,
		`rtcstats_data_channel_bytes_received_total{` + c + `}`:                                  40,
	}
}

// samples gathers reg and returns every sample as name{labels} → value,
// with the labels sorted by name, and the families' types.
func samples(t *testing.T, reg prometheus.Gatherer) (map[string]float64, map[string]dto.MetricType) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	return flatten(mfs)
}

func flatten(mfs []*dto.MetricFamily) (map[string]float64, map[string]dto.MetricType) {
	out, types := map[string]float64{}, map[string]dto.MetricType{}
	for _, mf := range mfs {
		types[mf.GetName()] = mf.GetType()
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			slices.Sort(ls)
			v := m.GetGauge().GetValue()
			if mf.GetType() == dto.MetricType_COUNTER {
				v = m.GetCounter().GetValue()
			}
			out[mf.GetName()+"{"+strings.Join(ls, ",")+"}"] = v
		}
	}
	return out, types
}

func newRegistry(t *testing.T, opts ...prom.Option) (*prom.Collector, *prometheus.Registry) {
	t.Helper()
	c, err := prom.NewCollector(opts...)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	return c, reg
}

func static(r report.Report) func() (report.Report, error) {
	return func() (report.Report, error) { return r, nil }
}

// withoutCollector drops the collector's own series from m and returns it.
func withoutCollector(m map[string]float64) map[string]float64 {
	maps.DeleteFunc(m, func(k string, _ float64) bool { return strings.HasPrefix(k, "rtcstats_collector_") })
	return m
}

func diff(t *testing.T, got, want map[string]float64) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("missing %s (want %v)", k, want[k])
		case g != want[k]:
			t.Errorf("%s = %v, want %v", k, g, want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s = %v", k, got[k])
		}
	}
}

func TestSeriesFromReport(t *testing.T) {
	c, reg := newRegistry(t)
	if err := c.Add("a", static(callReport())); err != nil {
		t.Fatal(err)
	}
	if err := c.Add("b", static(callReport())); err != nil {
		t.Fatal(err)
	}
	got, types := samples(t, reg)
	if got[`rtcstats_collector_calls{}`] != 2 || got[`rtcstats_collector_get_errors_total{}`] != 0 {
		t.Errorf("collector series: calls %v, errors %v", got[`rtcstats_collector_calls{}`], got[`rtcstats_collector_get_errors_total{}`])
	}
	w := want("a")
	maps.Copy(w, want("b"))
	diff(t, withoutCollector(got), w)
	for name, ty := range types {
		if counter := strings.HasSuffix(name, "_total"); counter != (ty == dto.MetricType_COUNTER) {
			t.Errorf("%s is a %v", name, ty)
		}
	}
}

func TestPerStreamLabels(t *testing.T) {
	c, reg := newRegistry(t, prom.WithPerStream(), prom.WithoutCallLabel())
	if err := c.Add("a", static(callReport())); err != nil {
		t.Fatal(err)
	}
	got, _ := samples(t, reg)
	for k, v := range map[string]float64{
		`rtcstats_outbound_rtp_packets_sent_total{kind="video",mid="1",ssrc="12"}`:                10,
		`rtcstats_outbound_rtp_packets_sent_total{kind="video",mid="2",ssrc="13"}`:                20,
		`rtcstats_outbound_rtp_dscp_packets_sent_total{dscp="38",kind="video",mid="2",ssrc="13"}`: 15,
		`rtcstats_inbound_rtp_jitter_seconds{kind="video",mid="1",ssrc="22"}`:                     0.02,
		`rtcstats_remote_inbound_rtp_round_trip_time_seconds{kind="audio",mid="0",ssrc="11"}`:     0.03, // mid of its local outbound
		`rtcstats_remote_outbound_rtp_packets_sent_total{kind="audio",mid="0",ssrc="21"}`:         101,
		`rtcstats_transport_packets_sent_total{}`:                                                 500,
		`rtcstats_transport_dscp_packets_sent_total{class="rtcp",dscp="46"}`:                      4,
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for k := range got {
		if strings.Contains(k, `call=`) {
			t.Errorf("call label without the call label: %s", k)
		}
	}
}

// mutable is a source whose report the test changes between scrapes.
type mutable struct {
	mu  sync.Mutex
	r   report.Report
	err error
}

func (m *mutable) get() (report.Report, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.r, m.err
}

func (m *mutable) set(r report.Report, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.r, m.err = r, err
}

func outboundOnly(id string, kind string, packets uint64) report.Report {
	r := report.Report{}
	r.Add(&report.OutboundRTPStreamStats{Base: base(report.TypeOutboundRTP, id), SSRC: 1, Kind: kind, PacketsSent: new(packets)})
	return r
}

// Summed counters stay monotonic when a summed object leaves or restarts,
// and a series whose objects all left goes away.
func TestCountersStayMonotonic(t *testing.T) {
	const video = `rtcstats_outbound_rtp_packets_sent_total{kind="video"}`
	c, reg := newRegistry(t, prom.WithoutCallLabel())
	a, b := &mutable{r: outboundOnly("X", "video", 100)}, &mutable{r: outboundOnly("X", "video", 50)}
	_ = c.Add("a", a.get)
	_ = c.Add("b", b.get)
	steps := []struct {
		do   func()
		want float64
	}{
		{func() {}, 150},
		{func() { a.set(outboundOnly("X", "video", 110), nil) }, 160},
		{func() { c.Remove("b") }, 160},                               // b's 50 stay counted
		{func() { a.set(outboundOnly("X", "video", 115), nil) }, 165}, // and a goes on from there
		{func() { a.set(outboundOnly("X", "video", 5), nil) }, 170},   // a's stream restarted: +5, not a reset
		{func() { a.set(outboundOnly("Y", "video", 7), nil) }, 177},   // another stream replaced it
		{func() { a.set(outboundOnly("Y", "audio", 7), nil) }, -1},    // no video object left: the series goes
		{func() { a.set(outboundOnly("Y", "video", 8), nil) }, 8},     // and comes back without history
	}
	for i, s := range steps {
		s.do()
		got, _ := samples(t, reg)
		v, ok := got[video]
		if s.want < 0 {
			if ok {
				t.Errorf("step %d: %s = %v, want absent", i, video, v)
			}
			continue
		}
		if v != s.want {
			t.Errorf("step %d: %s = %v, want %v", i, video, v, s.want)
		}
	}
}

// With the call label a call that ends takes its series with it, and a
// stream that leaves a call that goes on leaves its count in the call's sum.
func TestCallLabelSeriesLeave(t *testing.T) {
	c, reg := newRegistry(t)
	two := outboundOnly("X", "video", 100)
	two.Add(&report.OutboundRTPStreamStats{Base: base(report.TypeOutboundRTP, "Z"), SSRC: 2, Kind: "video", PacketsSent: new(uint64(20))})
	a := &mutable{r: two}
	_ = c.Add("a", a.get)
	_ = c.Add("b", static(outboundOnly("X", "video", 1)))
	got, _ := samples(t, reg)
	if v := got[`rtcstats_outbound_rtp_packets_sent_total{call="a",kind="video"}`]; v != 120 {
		t.Errorf("call a: %v, want 120", v)
	}
	a.set(outboundOnly("X", "video", 101), nil)
	c.Remove("b")
	got, _ = samples(t, reg)
	if v := got[`rtcstats_outbound_rtp_packets_sent_total{call="a",kind="video"}`]; v != 121 {
		t.Errorf("call a after its stream Z left: %v, want 121", v)
	}
	if v, ok := got[`rtcstats_outbound_rtp_packets_sent_total{call="b",kind="video"}`]; ok {
		t.Errorf("removed call b still exported: %v", v)
	}
}

// A call whose report fails keeps its counters, loses its gauges, and is
// counted; a call whose source is done leaves.
func TestGetErrors(t *testing.T) {
	c, reg := newRegistry(t)
	a := &mutable{r: callReport()}
	_ = c.Add("a", a.get)
	done := &mutable{r: callReport()}
	_ = c.Add("done", done.get)
	samples(t, reg)

	a.set(nil, errors.New("pc busy"))
	done.set(nil, fmt.Errorf("closed: %w", prom.ErrSourceDone))
	got, _ := samples(t, reg)
	counters := map[string]float64{}
	for k, v := range want("a") {
		if strings.Contains(k, "_total{") {
			counters[k] = v
		}
	}
	if got[`rtcstats_collector_get_errors_total{}`] != 1 || got[`rtcstats_collector_calls{}`] != 1 {
		t.Errorf("errors %v calls %v, want 1 and 1", got[`rtcstats_collector_get_errors_total{}`], got[`rtcstats_collector_calls{}`])
	}
	diff(t, withoutCollector(got), counters)
	if calls := c.Calls(); !slices.Equal(calls, []string{"a"}) {
		t.Errorf("calls %v, want [a]", calls)
	}
	a.set(callReport(), nil)
	got, _ = samples(t, reg)
	diff(t, withoutCollector(got), want("a"))
}

func TestOptionsAndArgumentsValidated(t *testing.T) {
	for name, opt := range map[string]prom.Option{
		"namespace":       prom.WithNamespace("9x"),
		"empty namespace": prom.WithNamespace(""),
		"const label":     prom.WithConstLabels(prometheus.Labels{"call": "x"}),
		"reserved label":  prom.WithConstLabels(prometheus.Labels{"__x": "x"}),
		"concurrency 0":   prom.WithConcurrency(0),
		"concurrency big": prom.WithConcurrency(prom.MaxConcurrency + 1),
		"logger":          prom.WithLoggerFactory(nil),
		"nil":             nil,
	} {
		if _, err := prom.NewCollector(opt); !errors.Is(err, prom.ErrInvalidOption) {
			t.Errorf("%s: %v, want ErrInvalidOption", name, err)
		}
	}
	c, err := prom.NewCollector()
	if err != nil {
		t.Fatal(err)
	}
	get := static(report.Report{})
	for _, call := range []string{"", "\xff", strings.Repeat("x", prom.MaxCallLength+1)} {
		if err := c.Add(call, get); !errors.Is(err, prom.ErrInvalidCall) {
			t.Errorf("Add(%q): %v, want ErrInvalidCall", call, err)
		}
	}
	if err := c.Add("x", nil); !errors.Is(err, prom.ErrNilArgument) {
		t.Errorf("Add(nil): %v", err)
	}
	if err := c.Add("x", get); err != nil {
		t.Fatal(err)
	}
	if err := c.Add("x", get); !errors.Is(err, prom.ErrDuplicateCall) {
		t.Errorf("second Add: %v", err)
	}
	if err := c.AddPeerConnection("y", nil, nil); !errors.Is(err, prom.ErrNilArgument) {
		t.Errorf("AddPeerConnection(nil): %v", err)
	}
	if !c.Remove("x") || c.Remove("x") {
		t.Error("Remove should report whether the call was there")
	}
}

// The exposition passes Prometheus' own linter and its text parser, with
// namespace and constant labels applied.
func TestExpositionLints(t *testing.T) {
	c, reg := newRegistry(t, prom.WithNamespace("webrtc"), prom.WithConstLabels(prometheus.Labels{"region": "eu"}))
	_ = c.Add("a", static(callReport()))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	problems, err := promlint.New(bytes.NewReader(buf.Bytes())).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	parsed, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := flatten(slices.Collect(maps.Values(parsed)))
	if v := got[`webrtc_outbound_rtp_packets_sent_total{call="a",kind="video",region="eu"}`]; v != 30 {
		t.Errorf("parsed exposition: video packets %v, want 30", v)
	}
}

// Concurrent scrapes with -race.
func TestConcurrentScrapes(t *testing.T) {
	c, reg := newRegistry(t, prom.WithConcurrency(3))
	for i := range 8 {
		_ = c.Add(fmt.Sprint("call", i), static(callReport()))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got, _ := samples(t, reg)
			if v := got[`rtcstats_outbound_rtp_packets_sent_total{call="call7",kind="audio"}`]; v != 100 {
				t.Errorf("call7 audio: %v", v)
			}
		})
	}
	wg.Go(func() { c.Remove("call0") })
	wg.Wait()
}

// The package documentation's table names exactly the metrics Describe
// announces.
func TestDocListsEveryMetric(t *testing.T) {
	c, err := prom.NewCollector()
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *prometheus.Desc, 100)
	c.Describe(ch)
	close(ch)
	re := regexp.MustCompile(`fqName: "rtcstats_([a-z_]+)"`)
	var described []string
	for d := range ch {
		m := re.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("unexpected desc %s", d)
		}
		described = append(described, m[1])
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^//\t([a-z_]+) +(counter|gauge)`)
	var documented []string
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, m[1])
	}
	slices.Sort(described)
	slices.Sort(documented)
	if !slices.Equal(described, documented) {
		t.Errorf("described %v\ndocumented %v", described, documented)
	}
}

// Reports from a caller's source may hold anything: nil objects, a
// selected pair that is missing or nil, non-finite numbers, a mid that is
// not UTF-8. None of it panics or breaks the scrape; what is not a number
// gives no sample.
func TestOddReportsDoNotPanic(t *testing.T) {
	c, reg := newRegistry(t, prom.WithPerStream())
	r := report.Report{
		"nilOut": (*report.OutboundRTPStreamStats)(nil),
		"nilIn":  (*report.InboundRTPStreamStats)(nil),
		"nilRI":  (*report.RemoteInboundRTPStreamStats)(nil),
		"nilRO":  (*report.RemoteOutboundRTPStreamStats)(nil),
		"nilDC":  (*report.DataChannelStats)(nil),
		"nilTr":  (*report.TransportStats)(nil),
		"nilCP":  (*report.ICECandidatePairStats)(nil),
		"nil":    nil,
	}
	r.Add(&report.InboundRTPStreamStats{
		Base: base(report.TypeInboundRTP, "IA"), SSRC: 1, Kind: "audio",
		Mid: new("\xff\xfe"), Jitter: new(math.NaN()), PacketsReceived: new(uint64(3)),
	})
	r.Add(&report.RemoteInboundRTPStreamStats{
		Base: base(report.TypeRemoteInboundRTP, "RI"), SSRC: 2, Kind: "audio",
		LocalID: new("nilOut"), RoundTripTime: new(math.Inf(1)),
	})
	r.Add(&report.TransportStats{Base: base(report.TypeTransport, "T1"), SelectedCandidatePairID: new("nilCP")})
	r.Add(&report.TransportStats{Base: base(report.TypeTransport, "T2"), SelectedCandidatePairID: new("missing")})
	if err := c.Add("a", static(r)); err != nil {
		t.Fatal(err)
	}
	got, _ := samples(t, reg)
	diff(t, withoutCollector(got), map[string]float64{
		// A run of invalid bytes becomes one U+FFFD.
		`rtcstats_inbound_rtp_packets_received_total{call="a",kind="audio",mid="` + "\ufffd" + `",ssrc="1"}`: 3,
	})
}
