// Package rtpx holds the allocation-free wire arithmetic shared by the
// interceptor, the collectors and the DSCP socket layer: a minimal RTP header
// reader, header-extension lookup, sequence-number and timestamp unwrapping,
// and NTP time conversion. Nothing here allocates or keeps global state.
package rtpx
