// Package collectors turns the packets of one RTP stream into the
// webrtc-stats dictionaries that describe it. Each monitored object (an
// outbound stream with its remote-inbound view, an inbound stream with its
// remote-outbound view) is one state struct with its own mutex: the packet
// path locks only its own stream, and Snapshot copies the state out under
// the same lock, so building a report never blocks other streams.
//
// The arithmetic follows RFC 3550: sequence extension, restart detection
// with probation and loss (A.1, A.3; see Inbound.Snapshot for packetsLost
// across a restart), interarrival jitter (A.8, from consecutive
// differences of arrival times and of timestamps taken as signed 32-bit
// steps, so a 2^32 wrap is harmless; re-based when the source restarts),
// and round-trip time from LSR/DLSR (6.4.1) measured on the
// monotonic clock. Wall-clock time is used only for the members that are
// timestamps, and a Sender Report is judged newer by its packet count, not
// its NTP time, so a stepped wall clock moves timestamps and nothing else.
// Members that cannot be measured from packets are left nil (absent), never
// filled with placeholder zeros.
//
// Nothing here knows about PeerConnections: callers pass parsed header
// fields and the time of the event. Packet paths take that time as an
// Instant, nanoseconds on the monotonic clock after the stream's
// Config.Epoch (one clock read and integer arithmetic per packet, see
// InstantOf); RTCP and snapshots take a time.Time, whose wall part the
// timestamps come from.
package collectors
