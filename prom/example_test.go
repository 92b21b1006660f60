package prom_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/prom"
	"github.com/rtcstats/rtcstats/report"
)

// A Collector over any source of reports: here one hand-made report with
// an audio and a video stream sent, scraped through a registry and printed
// in the text exposition format.
func ExampleCollector() {
	r := report.Report{}
	r.Add(&report.OutboundRTPStreamStats{
		Base: report.Base{Timestamp: 1.7e12, Type: report.TypeOutboundRTP, ID: "OT1"}, SSRC: 1, Kind: "audio",
		PacketsSent: new(uint64(500)), PerDSCPPacketsSent: map[string]uint64{"46": 500},
	})
	r.Add(&report.OutboundRTPStreamStats{
		Base: report.Base{Timestamp: 1.7e12, Type: report.TypeOutboundRTP, ID: "OT2"}, SSRC: 2, Kind: "video",
		PacketsSent: new(uint64(420)), PerDSCPPacketsSent: map[string]uint64{"36": 20, "38": 400},
	})

	c, err := prom.NewCollector()
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Add("call-1", func() (report.Report, error) { return r, nil }); err != nil {
		fmt.Println(err)
		return
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c) // and serve it: http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	mfs, _ := reg.Gather()
	var buf bytes.Buffer
	for _, mf := range mfs {
		_, _ = expfmt.MetricFamilyToText(&buf, mf)
	}
	for line := range strings.SplitSeq(buf.String(), "\n") {
		if strings.HasPrefix(line, "rtcstats_outbound_rtp_") {
			fmt.Println(line)
		}
	}
	// Output:
	// rtcstats_outbound_rtp_dscp_packets_sent_total{call="call-1",dscp="36",kind="video"} 20
	// rtcstats_outbound_rtp_dscp_packets_sent_total{call="call-1",dscp="38",kind="video"} 400
	// rtcstats_outbound_rtp_dscp_packets_sent_total{call="call-1",dscp="46",kind="audio"} 500
	// rtcstats_outbound_rtp_packets_sent_total{call="call-1",kind="audio"} 500
	// rtcstats_outbound_rtp_packets_sent_total{call="call-1",kind="video"} 420
}

// AddPeerConnection takes each scrape's report from Factory.GetStats; a
// closed PeerConnection leaves the collector at the next scrape.
func ExampleCollector_AddPeerConnection() {
	stats, err := rtcstats.NewFactory()
	if err != nil {
		fmt.Println(err)
		return
	}
	m := &webrtc.MediaEngine{}
	_ = m.RegisterDefaultCodecs()
	reg, err := stats.NewRegistry(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		fmt.Println(err)
		return
	}

	c, _ := prom.NewCollector(prom.WithoutCallLabel()) // one set of series for all calls
	if err := c.AddPeerConnection("call-1", stats, pc); err != nil {
		fmt.Println(err)
		return
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(c)
	fmt.Println(c.Calls())

	_ = stats.ClosePeerConnection(pc)
	_, _ = registry.Gather()
	fmt.Println(c.Calls())
	// Output:
	// [call-1]
	// []
}
