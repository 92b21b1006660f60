// Package prom exports rtcstats reports to Prometheus: a
// prometheus.Collector over the reports of any number of calls, scraped
// through the application's own registry.
//
//	c, err := prom.NewCollector()
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(c)
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//	...
//	err = c.AddPeerConnection("call-42", stats, pc) // or c.Add(name, getFunc)
//
// Each scrape asks every call for a fresh report (Factory.GetStats for a
// PeerConnection) and turns it into constant metrics; nothing is sampled
// in between, and nothing runs between scrapes.
//
// # Metrics
//
// Names carry the namespace (WithNamespace, default "rtcstats") and follow
// the Prometheus conventions: base units (seconds, bytes), _total on
// counters, a ratio as _ratio. Each help text names the spec member it comes
// from. A member absent from every object of a series gives no sample:
// rtcstats leaves out what it did not measure, and so does this package.
//
//	name (after rtcstats_)                                     type    labels besides call
//	outbound_rtp_packets_sent_total                            counter kind
//	outbound_rtp_bytes_sent_total                              counter kind
//	outbound_rtp_header_bytes_sent_total                       counter kind
//	outbound_rtp_retransmitted_packets_sent_total              counter kind
//	outbound_rtp_retransmitted_bytes_sent_total                counter kind
//	outbound_rtp_nacks_received_total                          counter kind
//	outbound_rtp_plis_received_total                           counter kind
//	outbound_rtp_firs_received_total                           counter kind
//	outbound_rtp_dscp_packets_sent_total                       counter kind, dscp
//	inbound_rtp_packets_received_total                         counter kind
//	inbound_rtp_bytes_received_total                           counter kind
//	inbound_rtp_header_bytes_received_total                    counter kind
//	inbound_rtp_packets_lost                                   gauge   kind
//	inbound_rtp_jitter_seconds                                 gauge   kind
//	inbound_rtp_packets_duplicated_total                       counter kind
//	inbound_rtp_retransmitted_packets_received_total           counter kind
//	inbound_rtp_retransmitted_bytes_received_total             counter kind
//	inbound_rtp_nacks_sent_total                               counter kind
//	inbound_rtp_plis_sent_total                                counter kind
//	inbound_rtp_firs_sent_total                                counter kind
//	inbound_rtp_dscp_packets_received_total                    counter kind, dscp
//	remote_inbound_rtp_packets_lost                            gauge   kind
//	remote_inbound_rtp_fraction_lost_ratio                     gauge   kind
//	remote_inbound_rtp_jitter_seconds                          gauge   kind
//	remote_inbound_rtp_round_trip_time_seconds                 gauge   kind
//	remote_inbound_rtp_round_trip_time_seconds_total           counter kind
//	remote_inbound_rtp_round_trip_time_measurements_total      counter kind
//	remote_outbound_rtp_packets_sent_total                     counter kind
//	remote_outbound_rtp_bytes_sent_total                       counter kind
//	remote_outbound_rtp_round_trip_time_seconds                gauge   kind
//	remote_outbound_rtp_round_trip_time_seconds_total          counter kind
//	remote_outbound_rtp_round_trip_time_measurements_total     counter kind
//	transport_packets_sent_total                               counter
//	transport_packets_received_total                           counter
//	transport_bytes_sent_total                                 counter
//	transport_bytes_received_total                             counter
//	transport_dscp_packets_sent_total                          counter class, dscp
//	transport_dscp_packets_received_total                      counter class, dscp
//	candidate_pair_current_round_trip_time_seconds             gauge
//	candidate_pair_round_trip_time_seconds_total               counter
//	candidate_pair_responses_received_total                    counter
//	data_channel_messages_sent_total                           counter
//	data_channel_messages_received_total                       counter
//	data_channel_bytes_sent_total                              counter
//	data_channel_bytes_received_total                          counter
//	collector_calls                                            gauge   (none, not even call)
//	collector_get_errors_total                                 counter (none, not even call)
//
// Labels: call is the name given to Add; kind is "audio" or "video" (objects
// of another kind are skipped); dscp is the decimal code point, "0".."63",
// as in the report's perDscp records (other keys are skipped); class is
// rtcp, sctp, dtls or stun, the transport's per-DSCP extension members for
// the datagrams that are not RTP. The direction is in the name
// (outbound_rtp, inbound_rtp, ...), not in a label. candidate_pair_* are
// those of each transport's selected pair. The remote_* series are what the
// peer said in its last RTCP report, not what it says now.
//
// packetsLost is a gauge, not a counter: RFC 3550 computes it as expected
// minus received, so duplicates make it go down and even below zero. The
// round-trip times come both as the latest value (a gauge) and as a sum
// with a count (counters), so that rate(..._seconds_total) /
// rate(..._measurements_total) is the mean over any range.
//
// # Cardinality
//
// By default a call's streams of one kind are summed into one series (and
// the gauges marked so in their help text take the largest value), so a
// call costs at most about 90 series: 2 kinds × 30 stream metrics, one per
// kind, direction and code point in use, one per direction, class and code
// point in use, and 11 per call (the loopback example's calls, an audio
// and a video stream each way with DSCP marking, have 75 each). Thousands of calls make hundreds of thousands of series: scrape
// them from several collectors, or use WithoutCallLabel, which sums all
// calls into one set of series whose size does not grow with the number
// of calls. WithPerStream adds ssrc and mid labels, one series per stream;
// SSRCs are random, so keep it for small deployments and test beds.
//
// # Counters when objects leave
//
// A series keeps counting when an object it sums leaves while others stay
// (a stream removed in a renegotiation; a call that ends, without the call
// label): the object's last count stays in the series. A series none of
// whose objects is left disappears, and when a call is removed (Remove,
// or its PeerConnection closed) its series disappear; Prometheus' rate and
// increase handle series that end. Counts a call made before its first
// scrape appear in the interval of that scrape. When a call's report cannot
// be taken, its counters keep their last values for that scrape, its gauges
// are left out, and collector_get_errors_total counts the failure.
package prom
