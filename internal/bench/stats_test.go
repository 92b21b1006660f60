package bench

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/collectors"
	"github.com/rtcstats/rtcstats/internal/rtpx"
)

// SSRCs of the many-stream benchmarks: inbound streams count up from
// manyIn, outbound from manyOut.
const (
	manyIn  uint32 = 0x10000000
	manyOut uint32 = 0x20000000
)

// streams are n inbound and n outbound streams bound on one subject.
type streams struct {
	in    []interceptor.RTPReader
	out   []*sender
	ssrcs []uint32 // every SSRC, inbound then outbound
	buf   []byte

	// For rtcstats in statsEnv: the PeerConnection and factory of GetStats.
	pc      *webrtc.PeerConnection
	factory *rtcstats.Factory
}

// bindMany binds n inbound and n outbound VP8 streams on s, as pion binds
// them for n received and n sent tracks, and passes pktsEach packets through
// each. With rtcp, each pair of streams also exchanges one RTCP batch
// (through its own RTCP reader, as pion binds one per receiver), so every
// remote object and RTT exists.
func bindMany(tb testing.TB, s *subject, n int, rtcp bool) *streams {
	tb.Helper()
	return bindManyShared(tb, s, n, rtcp, newPackets(tb, 0, false), 4)
}

func bindManyShared(tb testing.TB, s *subject, n int, rtcp bool, pk *packets, pktsEach int) *streams {
	tb.Helper()
	st := &streams{buf: make([]byte, 1500)}
	var w interceptor.RTCPWriter
	var readers []interceptor.RTCPReader
	if rtcp {
		w = s.ic.BindRTCPWriter(rtcpSink)
	}
	for k := range n {
		in, out := manyIn+uint32(k), manyOut+uint32(k)
		r := s.ic.BindRemoteStream(videoInfo(in, false), &source{p: pk, ssrc: in})
		sd := &sender{p: pk, w: s.ic.BindLocalStream(videoInfo(out, false), sink), ssrc: out}
		st.in = append(st.in, r)
		st.out = append(st.out, sd)
		read := func() {
			if _, _, err := r.Read(st.buf, nil); err != nil {
				tb.Fatal(err)
			}
		}
		write := func() {
			if err := sd.write(); err != nil {
				tb.Fatal(err)
			}
		}
		s.waitRunning(tb, in, read)
		s.waitRunning(tb, out, write)
		for range pktsEach {
			read()
			write()
		}
		if rtcp {
			batch, outBatch := rtcpBatches(tb, []uint32{in}, []uint32{out})
			if _, err := w.Write(outBatch, nil); err != nil {
				tb.Fatal(err)
			}
			readers = append(readers, s.ic.BindRTCPReader(newRTCPSource(tb, batch, srCompactNTP(outBatch))))
		}
	}
	// The peer's reports arrive later than our SRs left plus their DLSR,
	// so that every outbound stream has an RTT sample.
	time.Sleep(2 * time.Millisecond)
	for _, r := range readers {
		if _, _, err := r.Read(st.buf, nil); err != nil {
			tb.Fatal(err)
		}
	}
	for k := range n {
		st.ssrcs = append(st.ssrcs, manyIn+uint32(k))
	}
	for k := range n {
		st.ssrcs = append(st.ssrcs, manyOut+uint32(k))
	}
	return st
}

// capture is an interceptor.Factory that hands pion an rtcstats interceptor
// and keeps it, so that streams can be bound on the very interceptor
// GetStats(pc) reads.
type capture struct {
	f   *rtcstats.Factory
	got interceptor.Interceptor
}

func (c *capture) NewInterceptor(id string) (interceptor.Interceptor, error) {
	i, err := c.f.NewInterceptor(id)
	c.got = i
	return i, err
}

// statsEnv builds a subject with n streams of each direction bound and
// with RTCP exchanged, and returns the streams and the call that reads all their stats: for
// rtcstats Factory.GetStats on a real PeerConnection built with a registry
// holding the factory (not connected: the RTP streams are bound through the
// interceptor API instead of by negotiation), for pion Getter.Get on every
// SSRC. snap is nil for impl=none.
func statsEnv(tb testing.TB, im impl, n int) (st *streams, snap func()) {
	tb.Helper()
	var s *subject
	var pcOf *webrtc.PeerConnection
	switch im.name {
	case "rtcstats":
		f, err := rtcstats.NewFactory()
		if err != nil {
			tb.Fatal(err)
		}
		c := &capture{f: f}
		m := &webrtc.MediaEngine{}
		if err := m.RegisterDefaultCodecs(); err != nil {
			tb.Fatal(err)
		}
		reg := &interceptor.Registry{}
		reg.Add(c)
		pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg)).
			NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = pc.Close() })
		pcOf = pc
		s = &subject{ic: c.got, rtcstats: f}
		snap = func() {
			if _, err := f.GetStats(pc); err != nil {
				panic(err) //nolint:forbidigo // snap runs in timed loops and goroutines, without a tb
			}
		}
	case "pion":
		s = open(tb, im)
		snap = func() {
			for _, ssrc := range st.ssrcs { // st is assigned below
				if s.pion.Get(ssrc) == nil {
					panic("pion has no stats for a bound ssrc") //nolint:forbidigo // as above
				}
			}
		}
	default:
		s = open(tb, im)
	}
	st = bindMany(tb, s, n, true)
	if s.rtcstats != nil {
		st.pc, st.factory = pcOf, s.rtcstats
	}
	return st, snap
}

// BenchmarkGetStats is the cost of reading the stats of N inbound and N
// outbound streams (one op = one GetStats, or 2N pion Get calls).
func BenchmarkGetStats(b *testing.B) {
	for _, n := range []int{0, 1, 100, 1000} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			for _, im := range pionAndRTCStats {
				b.Run("impl="+im.name, func(b *testing.B) {
					st, snap := statsEnv(b, im, n)
					b.ReportAllocs()
					for b.Loop() {
						snap()
					}
					if st.pc != nil {
						r, err := st.factory.GetStats(st.pc)
						if err != nil {
							b.Fatal(err)
						}
						b.ReportMetric(float64(len(r)), "objects")
						reportPionShare(b, st.pc)
					}
				})
			}
		})
	}
}

// reportPionShare reports pion-ns/op for rtcstats' GetStats on pc: the time
// of pion's own PeerConnection.GetStats on pc, which rtcstats' GetStats
// calls once and converts (the part of its ns/op that is pion's). Called
// after the timed loop.
func reportPionShare(b *testing.B, pc *webrtc.PeerConnection) {
	b.Helper()
	n := max(1, min(b.N, 200))
	start := time.Now()
	for range n {
		_ = pc.GetStats()
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(n), "pion-ns/op")
}

// BenchmarkCollectorsSnapshot is the per-stream part of rtcstats' GetStats
// alone: Snapshot of N inbound and N outbound collectors, through the public
// collectors API.
func BenchmarkCollectorsSnapshot(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			pk := newPackets(b, 0, false)
			now := time.Now()
			var ins []*collectors.Inbound
			var outs []*collectors.Outbound
			for k := range n {
				in := collectors.NewInbound(collectors.InboundConfig{
					ID: fmt.Sprintf("IT-%d", k), RemoteID: fmt.Sprintf("RO-%d", k),
					SSRC: manyIn + uint32(k), Kind: "video", ClockRate: 90000,
				})
				out := collectors.NewOutbound(collectors.OutboundConfig{
					ID: fmt.Sprintf("OT-%d", k), RemoteID: fmt.Sprintf("RI-%d", k),
					SSRC: manyOut + uint32(k), Kind: "video", ClockRate: 90000,
				})
				for j := range 4 {
					var h rtpx.Header
					if err := rtpx.ParseHeader(pk.wire[j], &h); err != nil {
						b.Fatal(err)
					}
					in.OnPacket(collectors.InstantOf(time.Time{}, now), &h, nil)
					out.OnPacket(collectors.InstantOf(time.Time{}, now), out.Config().SSRC, uint16(j), 96, h.HeaderLen, h.PayloadLen, 0, nil)
				}
				ntp := ntpNow()
				in.OnSenderReport(now, ntp, 1000, 1200000)
				out.OnSenderReportSent(now, ntp)
				out.OnReceptionReport(now.Add(time.Millisecond), collectors.ReceptionReport{ExtHighest: 3, LSR: compactNTP(ntp), DLSR: 1})
				ins, outs = append(ins, in), append(outs, out)
			}
			b.ReportAllocs()
			for b.Loop() {
				now := time.Now()
				for _, s := range outs {
					_ = s.Snapshot(now)
				}
				for _, s := range ins {
					_ = s.Snapshot(now)
				}
			}
		})
	}
}

// BenchmarkMemory measures the heap retained per bound stream: N=1000
// streams of one direction are bound on a fresh interceptor and 4 packets
// pass through each; the live heap after a GC, minus the live heap before,
// divided by N, is B/stream. The reader or writer pion would hold is kept
// alive. ns/op is the time to bind the 1000 streams and pass their packets
// (GC excluded; for pion it includes waiting for its recorder goroutines).
func BenchmarkMemory(b *testing.B) {
	const n = 1000
	for _, dir := range []string{"in", "out"} {
		b.Run(dir, func(b *testing.B) {
			for _, im := range pionAndRTCStats {
				b.Run("impl="+im.name, func(b *testing.B) {
					pk := newPackets(b, 0, false)
					buf := make([]byte, 1500)
					var total float64
					iters := 0
					for b.Loop() {
						b.StopTimer()
						s := im.build(b)
						keep := make([]any, 0, n)
						before := liveHeap()
						b.StartTimer()
						for k := range n {
							ssrc := manyIn + uint32(k)
							var drive func()
							if dir == "in" {
								r := s.ic.BindRemoteStream(videoInfo(ssrc, false), &source{p: pk, ssrc: ssrc})
								keep = append(keep, r)
								drive = func() {
									if _, _, err := r.Read(buf, nil); err != nil {
										b.Fatal(err)
									}
								}
							} else {
								sd := &sender{p: pk, w: s.ic.BindLocalStream(videoInfo(ssrc, false), sink), ssrc: ssrc}
								keep = append(keep, sd.w)
								drive = func() {
									if err := sd.write(); err != nil {
										b.Fatal(err)
									}
								}
							}
							s.waitRunning(b, ssrc, drive)
							for range 4 {
								drive()
							}
						}
						b.StopTimer()
						after := liveHeap()
						runtime.KeepAlive(keep)
						total += float64(after-before) / n
						iters++
						_ = s.ic.Close()
						b.StartTimer()
					}
					b.ReportMetric(total/float64(iters), "B/stream")
				})
			}
		})
	}
}

func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// latencyStreams is the number of streams of each direction bound in
// BenchmarkPacketLatency; packets go round-robin over them.
const latencyStreams = 100

// BenchmarkPacketLatency is the distribution of single packet reads (in) or
// writes (out), round-robin over 100 streams of that direction, while
// another goroutine takes snapshots of all 200 streams back to back
// (snapshots=on: rtcstats GetStats(pc), pion Get per SSRC) or not
// (snapshots=off). Each packet is timed with time.Now; impl=none is the
// floor (harness and clock reads). Reported: p50-ns, p99-ns, p99.9-ns and,
// with snapshots, snapshots/s (how often they ran).
func BenchmarkPacketLatency(b *testing.B) {
	for _, dir := range []string{"in", "out"} {
		for _, snapshots := range []string{"off", "on"} {
			b.Run(fmt.Sprintf("%s/snapshots=%s", dir, snapshots), func(b *testing.B) {
				for _, im := range impls {
					if im.name == "none" && snapshots == "on" {
						continue // nothing to snapshot
					}
					b.Run("impl="+im.name, func(b *testing.B) {
						st, snap := statsEnv(b, im, latencyStreams)
						var stop atomic.Bool
						var snaps atomic.Int64
						var wg sync.WaitGroup
						if snapshots == "on" {
							wg.Go(func() {
								for !stop.Load() {
									snap()
									snaps.Add(1)
								}
							})
						}
						h := &histogram{}
						k := 0
						start := time.Now()
						for b.Loop() {
							t0 := time.Now()
							if dir == "in" {
								if _, _, err := st.in[k].Read(st.buf, nil); err != nil {
									b.Fatal(err)
								}
							} else if err := st.out[k].write(); err != nil {
								b.Fatal(err)
							}
							h.add(time.Since(t0))
							if k++; k == latencyStreams {
								k = 0
							}
						}
						elapsed := time.Since(start)
						stop.Store(true)
						wg.Wait()
						b.ReportMetric(h.quantile(0.50), "p50-ns")
						b.ReportMetric(h.quantile(0.99), "p99-ns")
						b.ReportMetric(h.quantile(0.999), "p99.9-ns")
						if snapshots == "on" {
							b.ReportMetric(float64(snaps.Load())/elapsed.Seconds(), "snapshots/s")
						}
					})
				}
			})
		}
	}
}

// histogram counts durations at 1 ns resolution up to 1 ms, allocation-free.
type histogram struct {
	counts [1_000_000]uint32
	over   uint64
	n      uint64
}

func (h *histogram) add(d time.Duration) {
	h.n++
	if d >= 0 && d < time.Duration(len(h.counts)) {
		h.counts[d]++
		return
	}
	h.over++
}

func (h *histogram) quantile(q float64) float64 {
	want := uint64(math.Ceil(q * float64(h.n)))
	var seen uint64
	for ns, c := range h.counts {
		seen += uint64(c)
		if seen >= want {
			return float64(ns)
		}
	}
	return math.Inf(1)
}
