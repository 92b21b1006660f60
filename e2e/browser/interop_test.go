package browser

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/dscp"
	"github.com/rtcstats/rtcstats/internal/browserpeer"
	"github.com/rtcstats/rtcstats/report"
)

// mediaTime is how long both sides send before the checks: Chromium sends
// audio RTCP about every 5 s (video every 1 s), so 12 s gives each of our
// remote views two or more of its reports.
const mediaTime = 12 * time.Second

// sampleEvery is how often both sides' stats are sampled for the checks
// that need a value at the time of an RTCP report.
const sampleEvery = 100 * time.Millisecond

// nearWindow (ms) is how far from an RTCP report a sample may be to count
// as taken at the report: one and a half sampling intervals, since timers
// on a loaded machine fire late.
const nearWindow = 150.0

// ourDSCP is the pion side's marking: audio high (EF), video medium (AF42
// key frames, AF43 others), as examples/browser does.
func ourDSCP() rtcstats.Option {
	return rtcstats.WithDSCP(
		dscp.WithKindPriority(dscp.KindAudio, dscp.PriorityHigh),
		dscp.WithKindPriority(dscp.KindVideo, dscp.PriorityMedium),
	)
}

// interop is what one call gathered for the checks.
type interop struct {
	c *call
	// c1, ours, c2: Chromium's getStats, ours, Chromium's again, taken
	// back to back while media flows.
	c1, ours, c2 report.Report
	// Sampled every sampleEvery while media flowed.
	browserHist, ourHist []report.Report
	// After both sides stopped media and the last packets arrived.
	final, browserFinal report.Report
	browserJSON         []byte
	elapsed             float64 // ms of media before the sandwich
}

func runInterop(t *testing.T, cfg browserpeer.Config, before func(*call)) *interop {
	t.Helper()
	c := startCall(t, cfg, "priority=high", before)
	start := time.Now()
	c.recordBrowser(sampleEvery)
	rec := c.recordOurs(sampleEvery)
	time.Sleep(mediaTime)
	in := &interop{c: c, elapsed: float64(time.Since(start).Milliseconds())}
	in.browserJSON = c.browserJSON()
	in.c1 = mustLoad(t, in.browserJSON)
	in.ours = c.ours()
	in.c2 = c.browserAfter(at(in.ours, report.TypeInboundRTP))
	// The samplers go on a little, so that every RTCP report the
	// sandwich's reports carry has samples on both sides of it.
	time.Sleep(4 * sampleEvery)
	in.ourHist = rec.finish()
	in.browserHist = c.takeBrowser()

	// Stop media on both sides so that every counter settles.
	var ok bool
	c.eval(`window.stopMedia().then(() => true)`, &ok)
	c.sess.StopMedia()
	time.Sleep(time.Second)
	in.final = c.ours()
	in.browserFinal = c.browser()
	return in
}

// TestChromiumInterop calls Chromium and checks each side's numbers against
// the other side's getStats; the wire checks run when root.
func TestChromiumInterop(t *testing.T) {
	chromiumPath(t)
	var wc *wireCapture
	in := runInterop(t, browserpeer.Config{FactoryOptions: []rtcstats.Option{ourDSCP()}}, func(*call) {
		wc = startWireCapture(t)
	})
	t.Run("ChromiumSentWeReceived", in.chromiumSentWeReceived)
	t.Run("WeSentChromiumReceived", in.weSentChromiumReceived)
	t.Run("ChromiumRemoteInbound", in.chromiumRemoteInbound)
	t.Run("OurRemoteInbound", in.ourRemoteInbound)
	t.Run("OurRemoteOutbound", in.ourRemoteOutbound)
	t.Run("DataChannel", in.dataChannel)
	t.Run("ChromiumDumpValidates", in.chromiumValidates)
	t.Run("OurReportValidates", func(t *testing.T) {
		for _, v := range in.final.Validate() {
			t.Error(v)
		}
	})
	t.Run("ChromiumMarks", in.chromiumMarks)
	t.Run("OnTheWire", func(t *testing.T) {
		if wc == nil {
			t.Skip("needs root for the AF_PACKET capture")
		}
		in.onTheWire(t, wc)
	})
}

func mustLoad(t *testing.T, b []byte) report.Report {
	t.Helper()
	r, _, err := report.ValidateJSON(b)
	if err != nil {
		t.Fatalf("Chromium's getStats does not load: %v", err)
	}
	return r
}

// slack is how many of a stream's packets (or bytes) may be counted by the
// sender and not yet by the receiver's application when both reports are
// read a few ms apart: what the stream sends in 100 ms at its average rate,
// plus two packets. On loopback a packet arrives in well under 1 ms, but
// pion reads it after SRTP, the interceptors and the application's read
// loop, on two cores shared with Chromium's encoder and the race detector.
func slack(total, elapsedMs, per float64) float64 {
	return math.Ceil(total/elapsedMs*100) + 2*per
}

// sandwich checks lo <= v <= hi + slack (v was read between lo and hi; the
// slack covers what was sent before lo but not yet counted at v).
func sandwich(t *testing.T, what string, lo, v, hi, slack float64) {
	t.Helper()
	switch {
	case math.IsNaN(lo) || math.IsNaN(v) || math.IsNaN(hi):
		t.Errorf("%s: missing (%v ≤ %v ≤ %v)", what, lo, v, hi)
	case v < lo-slack || v > hi:
		t.Errorf("%s: %v is not within [%v - %v, %v]", what, v, lo, slack, hi)
	default:
		t.Logf("%s: %v ≤ %v ≤ %v (slack %v)", what, lo, v, hi, slack)
	}
}

// chromiumSentWeReceived: Chromium's outbound-rtp packetsSent/bytesSent
// against our inbound-rtp, read between two reads of Chromium's.
//
// What matches exactly, and why not all of it does:
//   - packetsSent counts every datagram of the stream, padding-only BWE
//     probes on the RTX SSRC included, so it equals the sum of our
//     perDscpPacketsReceived (datagrams counted at the socket, RTX folded
//     into its primary).
//   - our packetsReceived leaves padding-only probes out (they carry no
//     original packet and repair nothing), so for video it is at most that;
//     for audio (no RTX, no padding) it equals packetsSent.
//   - Chromium counts the 2-byte original sequence number of each RTX
//     packet as payload, we do not: bytesSent = our bytesReceived +
//     2 × retransmittedPacketsReceived. Chromium's RTX packets here are BWE
//     probes that re-send recent packets; it does not count them in
//     retransmittedPacketsSent, we count them in
//     retransmittedPacketsReceived. Both are true to their definitions.
func (in *interop) chromiumSentWeReceived(t *testing.T) {
	for _, kind := range []string{"audio", "video"} {
		o1, ok1 := outboundKind(in.c1, kind)
		o2, ok2 := outboundKind(in.c2, kind)
		if !ok1 || !ok2 {
			t.Fatalf("Chromium has no %s outbound-rtp", kind)
		}
		ours, ok := bySSRC[*report.InboundRTPStreamStats](in.ours, o1.SSRC)
		if !ok {
			t.Fatalf("we have no inbound-rtp for Chromium's %s SSRC %d", kind, o1.SSRC)
		}
		pk := slack(u64(o2.PacketsSent), in.elapsed, 1)
		by := slack(u64(o2.BytesSent), in.elapsed, 1200)
		datagrams := float64(sum(ours.PerDSCPPacketsReceived))
		sandwich(t, kind+" packetsSent vs our datagrams", u64(o1.PacketsSent), datagrams, u64(o2.PacketsSent), pk)
		rtx := u64(ours.RetransmittedPacketsReceived)
		if kind == "audio" {
			sandwich(t, kind+" packetsSent vs packetsReceived", u64(o1.PacketsSent), u64(ours.PacketsReceived), u64(o2.PacketsSent), pk)
			rtx = 0
		} else if got := u64(ours.PacketsReceived); got > datagrams {
			t.Errorf("video packetsReceived %v exceeds the datagrams that arrived, %v", got, datagrams)
		} else {
			t.Logf("video: %v padding-only RTX probes (datagrams %v, packetsReceived %v, of them %v RTX)",
				datagrams-got, datagrams, got, rtx)
		}
		sandwich(t, kind+" bytesSent vs bytesReceived + 2×RTX", u64(o1.BytesSent), u64(ours.BytesReceived)+2*rtx, u64(o2.BytesSent), by)
	}
}

// weSentChromiumReceived is the other direction: our outbound-rtp read
// between two reads of Chromium's inbound-rtp. pion sends no RTX and no
// padding on a loss-free path, so packets and bytes match exactly up to
// what is in flight.
func (in *interop) weSentChromiumReceived(t *testing.T) {
	for _, kind := range []string{"audio", "video"} {
		o, ok := outboundKind(in.ours, kind)
		if !ok {
			t.Fatalf("we have no %s outbound-rtp", kind)
		}
		i1, ok1 := bySSRC[*report.InboundRTPStreamStats](in.c1, o.SSRC)
		i2, ok2 := bySSRC[*report.InboundRTPStreamStats](in.c2, o.SSRC)
		if !ok1 || !ok2 {
			t.Fatalf("Chromium has no inbound-rtp for our %s SSRC %d", kind, o.SSRC)
		}
		// Reversed: what Chromium received at c1 we had sent by our read;
		// what we had sent reached Chromium by c2, up to the slack.
		pk := slack(u64(o.PacketsSent), in.elapsed, 1)
		by := slack(u64(o.BytesSent), in.elapsed, 1200)
		sandwich(t, kind+" packetsReceived ≤ our packetsSent", u64(i1.PacketsReceived), u64(o.PacketsSent), u64(i2.PacketsReceived)+pk, pk)
		sandwich(t, kind+" bytesReceived ≤ our bytesSent", u64(i1.BytesReceived), u64(o.BytesSent), u64(i2.BytesReceived)+by, by)
	}
}

// jitterTolerance is how far a jitter carried in an RTCP report (whole
// RTP timestamp units, truncated) may differ from the receiver's own
// value sampled within sampleEvery of the report: one unit of truncation,
// plus what the RFC 3550 filter (gain 1/16) moves in the packets between
// the report and the nearest samples, taken as 25 % of the larger value,
// plus extra for a receiver that reports in coarser units.
func jitterTolerance(clockRate, v, extra float64) float64 {
	return 1/clockRate + 0.25*v + extra
}

var clockRates = map[string]float64{"audio": 48000, "video": 90000}

// chromiumRemoteInbound: Chromium's remote-inbound-rtp is built from pion's
// receiver reports; it must agree with our inbound-rtp around the time the
// report arrived. pion's report interceptor and rtcstats compute loss and
// jitter independently from the same packets (RFC 3550 A.3 and A.8).
//
// Loss: pion's RR counts sequence numbers of the primary SSRC never seen;
// our packetsLost counts RTX packets as received too (RFC 3550: duplicates
// can make it negative), so RR lost = our packetsLost +
// retransmittedPacketsReceived.
func (in *interop) chromiumRemoteInbound(t *testing.T) {
	for _, kind := range []string{"audio", "video"} {
		o, _ := outboundKind(in.c2, kind)
		if o == nil || o.RemoteID == nil {
			t.Fatalf("Chromium's %s outbound-rtp has no remote-inbound-rtp", kind)
		}
		ri, ok := report.Lookup[*report.RemoteInboundRTPStreamStats](in.c2, *o.RemoteID)
		if !ok {
			t.Fatalf("Chromium's %s remoteId does not resolve", kind)
		}
		jit := series(in.ourHist, func(r report.Report) (float64, float64, bool) {
			s, ok := bySSRC[*report.InboundRTPStreamStats](r, o.SSRC)
			if !ok {
				return 0, 0, false
			}
			return s.Timestamp, f64(s.Jitter), true
		})
		lo, hi, n := near(jit, ri.Timestamp)
		if n == 0 {
			t.Fatalf("%s: none of our samples within %v ms of Chromium's last RR (%.0f)", kind, nearWindow, ri.Timestamp)
		}
		tol := jitterTolerance(clockRates[kind], hi, 0)
		got := f64(ri.Jitter)
		if got < lo-tol || got > hi+tol {
			t.Errorf("%s jitter: Chromium's remote-inbound %.6f s, ours %.6f..%.6f s around it (tolerance %.6f)", kind, got, lo, hi, tol)
		} else {
			t.Logf("%s jitter: Chromium's remote-inbound %.6f s, ours %.6f..%.6f s (%d samples)", kind, got, lo, hi, n)
		}
		lost := series(in.ourHist, func(r report.Report) (float64, float64, bool) {
			s, ok := bySSRC[*report.InboundRTPStreamStats](r, o.SSRC)
			if !ok {
				return 0, 0, false
			}
			v := i64(s.PacketsLost)
			if s.RetransmittedPacketsReceived != nil {
				v += float64(*s.RetransmittedPacketsReceived)
			}
			return s.Timestamp, v, true
		})
		llo, lhi, _ := near(lost, ri.Timestamp)
		if g := i64(ri.PacketsLost); g < llo || g > lhi {
			t.Errorf("%s packetsLost: Chromium's remote-inbound %v, our packetsLost + retransmittedPacketsReceived %v..%v", kind, g, llo, lhi)
		}
	}
}

// ourRemoteInbound: our remote-inbound-rtp is built from Chromium's receiver
// reports about our streams; it must agree with Chromium's inbound-rtp
// around the time the report was made. Chromium's inbound-rtp jitter has a
// resolution of 1 ms (libwebrtc keeps jitter_ms), so the jitter check allows
// 1 ms more; on loopback jitter stays under a millisecond, so it is a weak
// check there and the packet counts carry the weight.
func (in *interop) ourRemoteInbound(t *testing.T) {
	for _, kind := range []string{"audio", "video"} {
		o, _ := outboundKind(in.ours, kind)
		if o == nil || o.RemoteID == nil {
			t.Fatalf("our %s outbound-rtp has no remote-inbound-rtp", kind)
		}
		ri, found := report.Lookup[*report.RemoteInboundRTPStreamStats](in.ours, *o.RemoteID)
		if !found {
			t.Fatalf("our %s remoteId does not resolve", kind)
		}
		chrome := func(get func(*report.InboundRTPStreamStats) float64) []point {
			return series(in.browserHist, func(r report.Report) (float64, float64, bool) {
				s, ok := bySSRC[*report.InboundRTPStreamStats](r, o.SSRC)
				if !ok {
					return 0, 0, false
				}
				return s.Timestamp, get(s), true
			})
		}
		jit := chrome(func(s *report.InboundRTPStreamStats) float64 { return f64(s.Jitter) })
		lo, hi, n := near(jit, ri.Timestamp)
		if n == 0 {
			t.Fatalf("%s: no Chromium sample within %v ms of its last RR (%.0f)", kind, nearWindow, ri.Timestamp)
		}
		tol := jitterTolerance(clockRates[kind], hi, 0.001)
		if got := f64(ri.Jitter); got < lo-tol || got > hi+tol {
			t.Errorf("%s jitter: our remote-inbound %.6f s, Chromium's inbound %.3f..%.3f s (tolerance %.6f)", kind, got, lo, hi, tol)
		} else {
			t.Logf("%s jitter: our remote-inbound %.6f s, Chromium's inbound %.3f..%.3f s", kind, got, lo, hi)
		}
		// The RR was made before it arrived (ri.Timestamp): within 50 ms on
		// loopback even on a busy machine. Chromium's counts before that
		// and at arrival bracket what it reported.
		recv := chrome(func(s *report.InboundRTPStreamStats) float64 { return u64(s.PacketsReceived) })
		blo, bhi, ok := bracket(recv, ri.Timestamp, 50, 0)
		if !ok {
			t.Fatalf("%s: Chromium's samples do not bracket its RR at %.0f", kind, ri.Timestamp)
		}
		sandwich(t, kind+" remote-inbound packetsReceived", blo.v, u64(ri.PacketsReceived), bhi.v, 0)
		lost := chrome(func(s *report.InboundRTPStreamStats) float64 { return i64(s.PacketsLost) })
		llo, lhi, _ := near(lost, ri.Timestamp)
		if g := i64(ri.PacketsLost); g < llo || g > lhi {
			t.Errorf("%s packetsLost: our remote-inbound %v, Chromium's inbound %v..%v", kind, g, llo, lhi)
		}
	}
}

// ourRemoteOutbound: our remote-outbound-rtp holds Chromium's last Sender
// Report. Its packet and octet counts must lie between Chromium's
// outbound-rtp samples taken just before and just after the report's NTP
// time (remoteTimestamp; both clocks are this machine's, 5 ms allowed for
// the NTP conversion and for Chromium stamping its stats before reading
// the counters). No slack: libwebrtc fills the SR counts from the same
// counters as outbound-rtp, RTX and padding included (its SR sums the
// media and RTX streams), which the samples confirm: a sample taken at the
// SR's time shows exactly the SR's counts.
func (in *interop) ourRemoteOutbound(t *testing.T) {
	for _, kind := range []string{"audio", "video"} {
		co, _ := outboundKind(in.c2, kind)
		if co == nil {
			t.Fatalf("Chromium has no %s outbound-rtp", kind)
		}
		ours, ok := bySSRC[*report.InboundRTPStreamStats](in.ours, co.SSRC)
		if !ok || ours.RemoteID == nil {
			t.Fatalf("no remote-outbound-rtp for Chromium's %s", kind)
		}
		ro, ok := report.Lookup[*report.RemoteOutboundRTPStreamStats](in.ours, *ours.RemoteID)
		if !ok || ro.RemoteTimestamp == nil {
			t.Fatalf("%s remote-outbound-rtp missing or without remoteTimestamp", kind)
		}
		for _, m := range []struct {
			name string
			sr   float64
			get  func(*report.OutboundRTPStreamStats) float64
		}{
			{"packetsSent", u64(ro.PacketsSent), func(s *report.OutboundRTPStreamStats) float64 { return u64(s.PacketsSent) }},
			{"bytesSent", u64(ro.BytesSent), func(s *report.OutboundRTPStreamStats) float64 { return u64(s.BytesSent) }},
		} {
			ps := series(in.browserHist, func(r report.Report) (float64, float64, bool) {
				s, ok := bySSRC[*report.OutboundRTPStreamStats](r, co.SSRC)
				if !ok {
					return 0, 0, false
				}
				return s.Timestamp, m.get(s), true
			})
			lo, hi, ok := bracket(ps, *ro.RemoteTimestamp, 5, 5)
			if !ok {
				t.Errorf("%s: Chromium's samples do not bracket its SR at %.1f", kind, *ro.RemoteTimestamp)
				continue
			}
			what := fmt.Sprintf("%s SR %s (SR at %.1f, samples at %.1f and %.1f)", kind, m.name, *ro.RemoteTimestamp, lo.t, hi.t)
			sandwich(t, what, lo.v, m.sr, hi.v, 0)
		}
	}
}

// dataChannel: Chromium's data-channel messagesSent against ours received,
// and the other way round, with the same sandwich (one message a second,
// so it is exact unless one is in flight).
func (in *interop) dataChannel(t *testing.T) {
	dc := func(r report.Report) *report.DataChannelStats {
		for _, d := range report.Filter[*report.DataChannelStats](r) {
			return d
		}
		t.Fatal("no data-channel object")
		return nil
	}
	d1, d2, ours := dc(in.c1), dc(in.c2), dc(in.ours)
	m := func(p *uint32) float64 {
		if p == nil {
			return math.NaN()
		}
		return float64(*p)
	}
	sandwich(t, "messages Chromium sent, we received", m(d1.MessagesSent), m(ours.MessagesReceived), m(d2.MessagesSent), 1)
	sandwich(t, "messages we sent, Chromium received", m(d1.MessagesReceived), m(ours.MessagesSent), m(d2.MessagesReceived)+1, 1)
	if m(ours.MessagesReceived) < 5 {
		t.Errorf("only %v messages from Chromium in %v", m(ours.MessagesReceived), mediaTime)
	}
}

// chromiumValidates: Chromium's getStats JSON loads into our types and
// passes ValidateJSON except the members it documents as legacy
// (chromiumLegacy) and values our rules are too strict for
// (chromiumTrueValues), each listed with its reason.
func (in *interop) chromiumValidates(t *testing.T) {
	r, vs, err := report.ValidateJSON(in.browserJSON, chromiumLegacy()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if why := acceptedByChromium(r, v); why != "" {
			t.Logf("accepted: %v (%s)", v, why)
			continue
		}
		t.Error(v)
	}
	types := map[report.Type]int{}
	for _, s := range r {
		types[s.StatsType()]++
	}
	t.Logf("Chromium's report: %d objects %v", len(r), types)
	if types[report.TypeInboundRTP] != 2 || types[report.TypeOutboundRTP] != 2 {
		t.Errorf("want 2 inbound-rtp and 2 outbound-rtp, got %v", types)
	}
}
