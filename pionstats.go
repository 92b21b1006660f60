package rtcstats

import (
	"crypto/sha256"
	"encoding/base64"
	"net/netip"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats/dscp"
	"github.com/rtcstats/rtcstats/internal/rtpx"
	"github.com/rtcstats/rtcstats/report"
)

// pionConverter turns pion's own StatsReport into report types and fills the
// gaps pion leaves where the information exists elsewhere in pion:
// transport iceRole, iceState, dtlsState, selectedCandidatePairId,
// certificate ids and packet counts; candidate and candidate-pair
// transportId; the remote certificate. pion's zero-time timestamps (the Go
// zero time, i.e. year 1) and never-measured zeros are dropped, not copied.
type pionConverter struct {
	i      *Interceptor
	pc     *webrtc.PeerConnection
	in     webrtc.StatsReport
	now    time.Time
	codecs []pionCodec // pion's codec objects, by payload type

	transportID string

	// Pointers shared by the RTP objects of one report (their members are
	// read-only values), and codec ids already worked out: with many
	// streams these were most of GetStats' allocations.
	transportIDPtr *string
	codecIDs       map[codecKey]*string
	lastCodec      codecKey // the key codecID answered last, and its answer
	lastCodecID    *string
	hasLastCodec   bool
}

// codecKey is what tells one codec object from another.
type codecKey struct {
	dir  direction
	pt   uint8
	info streamCodec
}

// pionCodec is what codec objects take from one of pion's.
type pionCodec struct {
	pt                 uint8
	channels           uint8
	clockRate          uint32
	mimeType, fmtpLine string
}

func newPionConverter(i *Interceptor, pc *webrtc.PeerConnection, in webrtc.StatsReport, now time.Time) *pionConverter {
	c := &pionConverter{i: i, pc: pc, in: in, now: now}
	for _, s := range in {
		switch v := s.(type) {
		case webrtc.CodecStats:
			c.setCodec(pionCodec{
				pt: uint8(v.PayloadType), channels: v.Channels, clockRate: v.ClockRate,
				mimeType: v.MimeType, fmtpLine: v.SDPFmtpLine,
			})
		case webrtc.TransportStats:
			c.transportID = v.ID
		}
	}
	if c.transportID != "" {
		c.transportIDPtr = new(c.transportID)
	}
	return c
}

// setCodec records pc, replacing a codec of the same payload type (the
// last of pion's wins, as a map assignment would).
func (c *pionConverter) setCodec(pc pionCodec) {
	for k := range c.codecs {
		if c.codecs[k].pt == pc.pt {
			c.codecs[k] = pc
			return
		}
	}
	c.codecs = append(c.codecs, pc)
}

// codecOf returns pion's codec of payload type pt.
func (c *pionConverter) codecOf(pt uint8) (pionCodec, bool) {
	for _, pc := range c.codecs {
		if pc.pt == pt {
			return pc, true
		}
	}
	return pionCodec{}, false
}

func (c *pionConverter) base(t report.Type, id string) report.Base {
	return report.Base{Timestamp: rtpx.UnixMillis(c.now), Type: t, ID: id}
}

// pionTime converts a pion StatsTimestamp (integer ms) and reports whether it
// is a real time: pion converts the Go zero time into a huge negative number.
func pionTime(ts webrtc.StatsTimestamp) (float64, bool) {
	v := float64(ts)
	return v, v > 0
}

// convert adds pion's objects to r. Each becomes its own object, so the
// order does not matter, except for the transport's localCertificateId:
// the certificate with the least id.
func (c *pionConverter) convert(r report.Report) {
	var pairs []*report.ICECandidatePairStats
	var localCertID string
	for _, s := range c.in {
		switch v := s.(type) {
		case webrtc.PeerConnectionStats:
			r[v.ID] = &report.PeerConnectionStats{
				Base:                  c.base(report.TypePeerConnection, v.ID),
				DataChannelsOpened:    new(v.DataChannelsOpened),
				DataChannelsClosed:    new(v.DataChannelsClosed),
				DataChannelsRequested: new(v.DataChannelsRequested),
				DataChannelsAccepted:  new(v.DataChannelsAccepted),
			}
		case webrtc.DataChannelStats:
			r[v.ID] = c.dataChannel(v)
		case webrtc.ICECandidatePairStats:
			if c.transportID == "" {
				continue // transportId is required and there is no transport to name
			}
			p := c.candidatePair(v)
			pairs = append(pairs, p)
			r[p.ID] = p
		case webrtc.ICECandidateStats:
			if c.transportID == "" {
				continue
			}
			r[v.ID] = c.candidate(v)
		case webrtc.CertificateStats:
			cs := &report.CertificateStats{
				Base:                 c.base(report.TypeCertificate, v.ID),
				Fingerprint:          v.Fingerprint,
				FingerprintAlgorithm: v.FingerprintAlgorithm,
				Base64Certificate:    v.Base64Certificate,
			}
			// pion puts the issuer's distinguished name (e.g.
			// "CN=WebRTC") in issuerCertificateId, which is not an id:
			// its certificates are self-signed, so the member is absent.
			r[v.ID] = cs
			if localCertID == "" || v.ID < localCertID {
				localCertID = v.ID
			}
		}
	}
	if c.transportID != "" {
		if t, ok := c.in[c.transportID].(webrtc.TransportStats); ok {
			r[t.ID] = c.transport(r, t, pairs, localCertID)
		}
	}
}

func (c *pionConverter) dataChannel(v webrtc.DataChannelStats) *report.DataChannelStats {
	d := &report.DataChannelStats{
		Base:             c.base(report.TypeDataChannel, v.ID),
		State:            v.State.String(),
		MessagesSent:     new(v.MessagesSent),
		BytesSent:        new(v.BytesSent),
		MessagesReceived: new(v.MessagesReceived),
		BytesReceived:    new(v.BytesReceived),
	}
	if v.Label != "" {
		d.Label = new(v.Label)
	}
	if v.Protocol != "" {
		d.Protocol = new(v.Protocol)
	}
	// pion reports id 0 both for "stream 0" and for "no id yet"; an id is
	// assigned by the time the channel leaves the connecting state.
	if v.State != webrtc.DataChannelStateConnecting && v.DataChannelIdentifier >= 0 && v.DataChannelIdentifier <= 65535 {
		d.DataChannelIdentifier = new(uint16(v.DataChannelIdentifier))
	}
	return d
}

func (c *pionConverter) candidatePair(v webrtc.ICECandidatePairStats) *report.ICECandidatePairStats {
	p := &report.ICECandidatePairStats{
		Base:                c.base(report.TypeCandidatePair, v.ID),
		TransportID:         c.transportID,
		LocalCandidateID:    v.LocalCandidateID,
		RemoteCandidateID:   v.RemoteCandidateID,
		State:               string(v.State),
		Nominated:           new(v.Nominated),
		PacketsSent:         new(uint64(v.PacketsSent)),
		PacketsReceived:     new(uint64(v.PacketsReceived)),
		BytesSent:           new(v.BytesSent),
		BytesReceived:       new(v.BytesReceived),
		TotalRoundTripTime:  new(v.TotalRoundTripTime),
		RequestsReceived:    new(v.RequestsReceived),
		RequestsSent:        new(v.RequestsSent),
		ResponsesReceived:   new(v.ResponsesReceived),
		ResponsesSent:       new(v.ResponsesSent),
		ConsentRequestsSent: new(v.ConsentRequestsSent),
	}
	if v.ResponsesReceived > 0 {
		p.CurrentRoundTripTime = new(v.CurrentRoundTripTime)
	}
	if t, ok := pionTime(v.LastPacketSentTimestamp); ok {
		p.LastPacketSentTimestamp = new(t)
	}
	if t, ok := pionTime(v.LastPacketReceivedTimestamp); ok {
		p.LastPacketReceivedTimestamp = new(t)
	}
	if t, ok := pionTime(v.FirstRequestTimestamp); ok {
		p.FirstRequestTimestamp = new(t)
	}
	if t, ok := pionTime(v.LastRequestTimestamp); ok {
		p.LastRequestTimestamp = new(t)
	}
	if t, ok := pionTime(v.LastResponseTimestamp); ok {
		p.LastResponseTimestamp = new(t)
	}
	// availableOutgoingBitrate/availableIncomingBitrate are never
	// estimated by pion's ICE agent (always 0): left absent.
	return p
}

func (c *pionConverter) candidate(v webrtc.ICECandidateStats) *report.ICECandidateStats {
	t := report.TypeLocalCandidate
	if v.Type == webrtc.StatsTypeRemoteCandidate {
		t = report.TypeRemoteCandidate
	}
	cs := &report.ICECandidateStats{
		Base:          c.base(t, v.ID),
		TransportID:   c.transportID,
		CandidateType: v.CandidateType.String(),
		Port:          new(v.Port),
		Priority:      new(v.Priority),
	}
	if v.IP != "" {
		cs.Address = new(v.IP)
	}
	if v.Protocol != "" {
		cs.Protocol = new(strings.ToLower(v.Protocol))
	}
	if v.URL != "" {
		cs.URL = new(v.URL)
	}
	if v.RelayProtocol != "" {
		cs.RelayProtocol = new(v.RelayProtocol)
	}
	return cs
}

func (c *pionConverter) transport(r report.Report, v webrtc.TransportStats, pairs []*report.ICECandidatePairStats, localCertID string) *report.TransportStats {
	t := &report.TransportStats{
		Base:          c.base(report.TypeTransport, v.ID),
		BytesSent:     new(v.BytesSent),
		BytesReceived: new(v.BytesReceived),
	}
	// pion leaves packetsSent/packetsReceived at 0; its ICE agent counts
	// them per candidate pair, and the transport carries all of its pairs.
	var sent, recv uint64
	for _, p := range pairs {
		sent += *p.PacketsSent
		recv += *p.PacketsReceived
	}
	t.PacketsSent, t.PacketsReceived = new(sent), new(recv)

	dtls := c.pc.SCTP().Transport()
	t.DTLSState = dtls.State().String()
	if ice := dtls.ICETransport(); ice != nil {
		switch role := ice.Role(); role {
		case webrtc.ICERoleControlling, webrtc.ICERoleControlled:
			t.ICERole = new(role.String())
		default: // unknown before ICE starts: the member stays absent
		}
		if st := ice.State(); st != webrtc.ICETransportStateUnknown {
			t.ICEState = new(st.String())
		}
		if sel, ok := ice.GetSelectedCandidatePairStats(); ok {
			if _, present := r[sel.ID]; present {
				t.SelectedCandidatePairID = new(sel.ID)
			}
		}
	}
	if localCertID != "" {
		t.LocalCertificateID = new(localCertID)
	}
	c.dscpTraffic(t)
	if der := dtls.GetRemoteCertificate(); len(der) > 0 {
		sum := sha256.Sum256(der)
		id := c.i.stableID("CR", "certificate/"+string(sum[:])) // stable for a given certificate
		r[id] = &report.CertificateStats{
			Base:                 c.base(report.TypeCertificate, id),
			Fingerprint:          fingerprint(sum),
			FingerprintAlgorithm: "sha-256",
			Base64Certificate:    base64.StdEncoding.EncodeToString(der),
		}
		t.RemoteCertificateID = new(id)
	}
	return t
}

// fingerprint formats a certificate's SHA-256 as RFC 8122 does: upper-case
// hex pairs separated by colons.
func fingerprint(sum [sha256.Size]byte) string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, 0, 3*len(sum)-1)
	for i, x := range sum {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[x>>4], digits[x&0x0f])
	}
	return string(b)
}

// dscpTraffic fills the transport's per-DSCP totals of its non-RTP
// datagrams from the sockets of its host candidates (server-reflexive and
// peer-reflexive candidates share those sockets). Sockets under a UDPMux
// carry many PeerConnections and are left out.
func (c *pionConverter) dscpTraffic(t *report.TransportStats) {
	m := c.i.factory.marker
	if m == nil {
		return
	}
	locals := map[netip.AddrPort]bool{}
	for _, v := range c.in {
		cs, ok := v.(webrtc.ICECandidateStats)
		if !ok || cs.Type != webrtc.StatsTypeLocalCandidate || cs.CandidateType != webrtc.ICECandidateTypeHost {
			continue
		}
		if a, err := netip.ParseAddr(cs.IP); err == nil {
			locals[netip.AddrPortFrom(a.Unmap(), uint16(cs.Port))] = true
		}
	}
	tr := m.Traffic(func(a netip.AddrPort) bool { return locals[a] }, false)
	if tr.Sockets == 0 {
		return
	}
	t.PerDSCPRTCPPacketsSent, t.PerDSCPRTCPPacketsReceived = tr.Sent[dscp.ClassRTCP], tr.Received[dscp.ClassRTCP]
	t.PerDSCPSCTPPacketsSent, t.PerDSCPSCTPPacketsReceived = tr.Sent[dscp.ClassSCTP], tr.Received[dscp.ClassSCTP]
	t.PerDSCPDTLSPacketsSent, t.PerDSCPDTLSPacketsReceived = tr.Sent[dscp.ClassDTLS], tr.Received[dscp.ClassDTLS]
	t.PerDSCPSTUNPacketsSent, t.PerDSCPSTUNPacketsReceived = tr.Sent[dscp.ClassSTUN], tr.Received[dscp.ClassSTUN]
}
