package dscp

import "net/netip"

// Totals is the number of datagrams per DSCP (decimal string keys) for each
// class, in one direction, over some sockets.
type Totals [NumClasses]map[string]uint64

// Traffic is what sockets counted in both directions.
type Traffic struct {
	Sent, Received Totals // per direction, over the matched sockets
	// Sockets is how many sockets matched.
	Sockets int
}

// Traffic sums the per-class counters of the sockets wrapped for m whose
// local address satisfies match. Sockets from NewConn (a UDPMux shared by
// many PeerConnections) are left out unless shared is true: their counts
// cannot be split by PeerConnection.
func (m *Marker) Traffic(match func(local netip.AddrPort) bool, shared bool) Traffic {
	var t Traffic
	for i := range t.Sent {
		t.Sent[i], t.Received[i] = map[string]uint64{}, map[string]uint64{}
	}
	if m == nil {
		return t
	}
	m.connsMu.Lock()
	defer m.connsMu.Unlock()
	for c := range m.conns {
		if !c.marking || (c.shared && !shared) || !match(c.local) {
			continue
		}
		t.Sockets++
		for cls := range t.Sent {
			c.sent[cls].addTo(t.Sent[cls])
			c.recv[cls].addTo(t.Received[cls])
		}
	}
	return t
}
