// Package rtcstats gives pion/webrtc applications the W3C WebRTC statistics
// a browser gives JavaScript: getStats(), measured from the packets that pass
// a pion PeerConnection and returned as one report keyed by id, in the shape
// of Object.fromEntries(await pc.getStats()). It can also mark every packet
// with its RFC 8837 DSCP and count packets per DSCP in both directions.
//
// # How it fits into pion
//
// A Factory is a pion interceptor factory. Put it in the interceptor
// registry of the webrtc.API that builds the PeerConnections it should
// monitor; it then builds one Interceptor per PeerConnection, which sees
// every RTP and RTCP packet of it, in both directions, and keeps the
// per-stream counters (RFC 3550 loss, jitter and round-trip time on the
// monotonic clock; about 100 ns and no allocation per packet).
//
// Factory.NewRegistry (or Factory.RegisterDefaults on a registry of your
// own) adds the factory first and then pion's default interceptors: pion
// chains interceptors so that the first one added is innermost, the only
// position that sees the reports, NACKs and retransmissions the others
// write. If you build the registry yourself, Add the factory before
// anything else.
//
// pion hands incoming RTCP to interceptors only while the application reads
// it (RTPSender.Read, RTPReceiver.Read). Factory.DrainRTCP reads and discards
// it for every sender and receiver of a PeerConnection; call it after each
// negotiation unless the application reads RTCP itself. Without it the
// remote-inbound-rtp and remote-outbound-rtp objects and the round-trip
// times stay absent.
//
// Factory.GetStats returns a report.Report: the RTP objects (outbound-rtp,
// inbound-rtp, remote-inbound-rtp, remote-outbound-rtp, codec, csrc)
// measured here, plus the transport, ICE, certificate, data-channel and
// peer-connection objects converted from pion's own GetStats with their gaps
// fixed. Ids are stable, unique per PeerConnection and never reused; every
// *Id member resolves in the same report. A member that was not measured is
// absent, never a made-up zero. It may be called from any number of
// goroutines; close a PeerConnection with Factory.ClosePeerConnection
// instead of its Close when GetStats may be running, since pion's
// GetStats and Close race. Factory.Diagnostics says how many streams are
// measured and what was refused or ignored.
//
// # Options
//
// NewFactory validates its options up front; every error this package
// returns wraps one of its Err sentinels. WithLoggerFactory and WithClock
// inject pion's logging and the clock; WithMaxStreams bounds the streams a
// remote peer can make a PeerConnection measure; WithRTCPXR adds RFC 3611
// receiver reference time reports so remote-outbound-rtp objects get
// round-trip times; WithStatsEnded receives the final objects of each
// stream that ends, like the spec's statsended event.
//
// # DSCP
//
// WithDSCP turns on RFC 8837 marking and per-DSCP counting with the policy
// of package dscp's options (priorities per media kind, track and data
// channel). The marking happens at the sockets: give Factory.DSCPNet to
// webrtc.SettingEngine.SetNet, or wrap a UDPMux socket with
// Factory.DSCP().NewConn. Reports then carry perDscpPacketsSent and
// perDscpPacketsReceived on RTP streams and per-DSCP totals of RTCP, SCTP,
// DTLS and STUN on the transport; Factory.DSCP changes priorities at run
// time.
//
// # Where the types live
//
// Package report holds the spec's dictionaries as Go types, with JSON in and
// out, Report.Validate against the spec and report.Delta for bitrates and
// other rates between two reports. Package dscp holds the marking policy
// and the socket wrappers. Package prom exports reports as Prometheus
// metrics.
//
// # Usage
//
//	stats, err := rtcstats.NewFactory() // options: WithDSCP, WithRTCPXR, ...
//	m := &webrtc.MediaEngine{}
//	_ = m.RegisterDefaultCodecs()
//	reg, err := stats.NewRegistry(m) // rtcstats first, then pion's defaults
//	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg))
//	pc, err := api.NewPeerConnection(webrtc.Configuration{})
//	// ... negotiate ...
//	_ = stats.DrainRTCP(pc) // unless the application reads RTCP itself
//
//	r, err := stats.GetStats(pc)
//	for _, in := range report.Filter[*report.InboundRTPStreamStats](r) {
//		fmt.Println(in.Kind, *in.PacketsReceived, *in.PacketsLost) // counters: present from the start
//		if in.Jitter != nil { // absent until measured
//			fmt.Println("jitter", *in.Jitter, "s")
//		}
//	}
//	b, err := json.Marshal(r) // the browser's JSON shape
//
//	_ = stats.ClosePeerConnection(pc) // instead of pc.Close()
package rtcstats
