package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rtcstats/rtcstats/dscp"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

// table prints one line per RTP stream per peer, with rates computed from
// the previous report of the same peer.
type table struct {
	w    io.Writer
	prev map[string]report.Report
}

func newTable(w io.Writer) *table { return &table{w: w, prev: map[string]report.Report{}} }

func (t *table) print(pair *peers.Pair) error {
	tw := tabwriter.NewWriter(t.w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "peer\tdir\tkind\tssrc\tpackets\tkbit/s\tlost\tloss %\tjitter ms\tRTT ms\tDSCP: packets\tDSCP: pkt/s\t")
	for _, p := range []*peers.Peer{pair.Offerer, pair.Answerer} {
		r, err := pair.Factory.GetStats(p.PC)
		if err != nil {
			return err
		}
		iv := report.Delta(t.prev[p.Name], r)
		t.prev[p.Name] = r
		var rows []row
		for _, o := range report.Filter[*report.OutboundRTPStreamStats](r) {
			x := row{
				peer: p.Name, dir: "out", kind: o.Kind, ssrc: o.SSRC, packets: *o.PacketsSent, rate: "-", lost: "-", loss: "-", jitter: "-", rtt: "-",
				dscp: perDSCP(o.PerDSCPPacketsSent), dscpRate: "-",
			}
			if d, ok := iv.Outbound[o.ID]; ok {
				x.rate = kbps(d.Bitrate)
				x.dscpRate = perDSCP(d.PerDSCPPacketRate)
			}
			var ri *report.RemoteInboundRTPStreamStats
			if o.RemoteID != nil {
				ri, _ = report.Lookup[*report.RemoteInboundRTPStreamStats](r, *o.RemoteID)
			}
			if ri != nil {
				x.lost = fmt.Sprint(*ri.PacketsLost)
				if ri.Jitter != nil {
					x.jitter = fmt.Sprintf("%.2f", *ri.Jitter*1000)
				}
				if ri.RoundTripTime != nil {
					x.rtt = fmt.Sprintf("%.2f", *ri.RoundTripTime*1000)
				}
			}
			rows = append(rows, x)
		}
		for _, in := range report.Filter[*report.InboundRTPStreamStats](r) {
			x := row{
				peer: p.Name, dir: "in", kind: in.Kind, ssrc: in.SSRC, packets: *in.PacketsReceived, rate: "-",
				lost: fmt.Sprint(*in.PacketsLost), loss: "-", jitter: "-", rtt: "-",
				dscp: perDSCP(in.PerDSCPPacketsReceived), dscpRate: "-",
			}
			if d, ok := iv.Inbound[in.ID]; ok {
				x.rate = kbps(d.Bitrate)
				x.dscpRate = perDSCP(d.PerDSCPPacketRate)
				if d.FractionLost != nil {
					x.loss = fmt.Sprintf("%.1f", *d.FractionLost*100)
				}
			}
			if in.Jitter != nil {
				x.jitter = fmt.Sprintf("%.2f", *in.Jitter*1000)
			}
			rows = append(rows, x)
		}
		sort.Slice(rows, func(a, b int) bool {
			if rows[a].dir != rows[b].dir {
				return rows[a].dir > rows[b].dir
			}
			return rows[a].kind < rows[b].kind
		})
		for _, x := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", x.peer, x.dir, x.kind, x.ssrc, x.packets, x.rate, x.lost, x.loss, x.jitter, x.rtt, x.dscp, x.dscpRate)
		}
	}
	fmt.Fprintln(tw)
	return tw.Flush()
}

type row struct {
	peer, dir, kind               string
	ssrc                          uint32
	packets                       uint64
	rate, lost, loss, jitter, rtt string
	dscp, dscpRate                string
}

// perDSCP formats a per-DSCP record (counts or rates) as "EF=150 AF42=16",
// in DSCP order.
func perDSCP[V uint64 | float64](m map[string]V) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range dscpKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%.0f", dscpName(k), float64(m[k])))
	}
	return strings.Join(parts, " ")
}

func dscpKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		x, _ := strconv.Atoi(keys[a])
		y, _ := strconv.Atoi(keys[b])
		return x < y
	})
	return keys
}

func dscpName(key string) string {
	if cp, err := dscp.ParseCodePoint(key); err == nil {
		return cp.String()
	}
	return key
}

func kbps(bitrate *float64) string {
	if bitrate == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *bitrate/1000)
}
