package bench

import (
	"fmt"
	"testing"
)

// variant is a kind of packet sequence.
type variant struct {
	name string
	exts bool // sdes:mid, abs-send-time, transport-wide-cc
	rtcp bool // an RTCP exchange every rtcpEvery packets
}

var variants = []variant{
	{name: "plain"},
	{name: "ext3", exts: true},
	{name: "rtcp", rtcp: true},
}

// BenchmarkInbound is the cost of one received RTP packet: a Read through
// the reader BindRemoteStream returned, as pion's TrackRemote.Read does.
func BenchmarkInbound(b *testing.B) {
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			for _, im := range impls {
				b.Run("impl="+im.name, func(b *testing.B) {
					p := bindPair(b, open(b, im), v.exts)
					k := 0
					b.ReportAllocs()
					done := perOp(b)
					for b.Loop() {
						p.readRTP(b)
						if v.rtcp {
							if k++; k == rtcpEvery {
								k = 0
								p.exchangeRTCP(b)
							}
						}
					}
					done()
				})
			}
		})
	}
}

// BenchmarkOutbound is the cost of one sent RTP packet: a Write through the
// writer BindLocalStream returned, as pion's track writer does.
func BenchmarkOutbound(b *testing.B) {
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			for _, im := range impls {
				b.Run("impl="+im.name, func(b *testing.B) {
					p := bindPair(b, open(b, im), v.exts)
					k := 0
					b.ReportAllocs()
					done := perOp(b)
					for b.Loop() {
						p.writeRTP(b)
						if v.rtcp {
							if k++; k == rtcpEvery {
								k = 0
								p.exchangeRTCP(b)
							}
						}
					}
					done()
				})
			}
		})
	}
}

// BenchmarkRTCP is the cost of one compound RTCP batch (SR and RR with a
// report block each, and a NACK, per stream reported on) read through
// BindRTCPReader (in) or written through BindRTCPWriter (out), with the given
// number of inbound and outbound streams bound. The batch reports on one
// stream of each direction.
func BenchmarkRTCP(b *testing.B) {
	for _, dir := range []string{"in", "out"} {
		for _, streams := range []int{1, 100} {
			b.Run(fmt.Sprintf("%s/streams=%d", dir, streams), func(b *testing.B) {
				for _, im := range impls {
					b.Run("impl="+im.name, func(b *testing.B) {
						s := open(b, im)
						p := bindPair(b, s, false)
						bindMany(b, s, streams-1, false)
						b.ReportAllocs()
						for b.Loop() {
							if dir == "in" {
								if _, _, err := p.rtcpIn.Read(p.buf, nil); err != nil {
									b.Fatal(err)
								}
							} else if _, err := p.rtcpOut.Write(p.outBatch, nil); err != nil {
								b.Fatal(err)
							}
						}
					})
				}
			})
		}
	}
}
