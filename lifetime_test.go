package rtcstats

import (
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/rtcstats/rtcstats/report"
)

// A stream's final stats go to WithStatsEnded when pion unbinds it; a new
// stream on the same SSRC starts from zero under new ids, and no id is
// ever handed out twice.
func TestStatsEndedAndSSRCReuse(t *testing.T) {
	var ended []EndedStats
	clk := &fakeClock{t: time.Unix(1700000000, 0)}
	f, err := NewFactory(WithClock(clk), WithStatsEnded(func(e EndedStats) { ended = append(ended, e) }))
	if err != nil {
		t.Fatal(err)
	}
	ic, err := f.NewInterceptor("pc-1")
	if err != nil {
		t.Fatal(err)
	}
	i := ic.(*Interceptor)
	info := &interceptor.StreamInfo{SSRC: 5, MimeType: "audio/opus", ClockRate: 48000}
	outInfo := &interceptor.StreamInfo{SSRC: 6, MimeType: "audio/opus", ClockRate: 48000}

	receive := func(n int, seq0 uint16) {
		t.Helper()
		q := &queueReader{}
		for k := range n {
			q.pkts = append(q.pkts, marshalRTP(t, rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq0 + uint16(k), Timestamp: uint32(k) * 960, SSRC: 5}, make([]byte, 50)))
		}
		r := i.BindRemoteStream(info, q)
		i.inbound[5].col.SetTrackIdentifier("track-a") // what GetStats learns from pion's receivers
		buf := make([]byte, 1500)
		for range n {
			clk.t = clk.t.Add(20 * time.Millisecond)
			if _, _, err := r.Read(buf, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	send := func(n int) {
		t.Helper()
		w := i.BindLocalStream(outInfo, interceptor.RTPWriterFunc(func(h *rtp.Header, p []byte, _ interceptor.Attributes) (int, error) {
			return len(p), nil
		}))
		for k := range n {
			if _, err := w.Write(&rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(k), SSRC: 6}, make([]byte, 40), nil); err != nil {
				t.Fatal(err)
			}
		}
	}

	receive(3, 100)
	send(4)
	if len(ended) != 0 {
		t.Fatalf("%d ended before any unbind", len(ended))
	}
	i.UnbindRemoteStream(info)
	i.UnbindLocalStream(outInfo)
	if len(ended) != 2 {
		t.Fatalf("%d ended, want 2", len(ended))
	}
	in1 := onlyOf[*report.InboundRTPStreamStats](t, ended[0].Report)
	out1 := onlyOf[*report.OutboundRTPStreamStats](t, ended[1].Report)
	if ended[0].PeerConnectionID != "pc-1" || *in1.PacketsReceived != 3 || *in1.BytesReceived != 150 || in1.TrackIdentifier != "track-a" {
		t.Fatalf("ended inbound: pc %q packets %d bytes %d track %q", ended[0].PeerConnectionID, *in1.PacketsReceived, *in1.BytesReceived, in1.TrackIdentifier)
	}
	if *out1.PacketsSent != 4 || *out1.BytesSent != 160 {
		t.Fatalf("ended outbound: packets %d bytes %d", *out1.PacketsSent, *out1.BytesSent)
	}
	if _, ok := i.inbound[5]; ok {
		t.Fatal("the ended inbound stream is still monitored")
	}

	// The same SSRCs again: fresh ids, counters from zero.
	receive(2, 40000)
	send(1)
	if i.inbound[5].col.Config().ID == in1.ID || i.outbound[6].col.Config().ID == out1.ID {
		t.Fatal("an id was reused")
	}
	// Rebinding an SSRC that is still bound ends the old stream too.
	receive(1, 7)
	if len(ended) != 3 {
		t.Fatalf("%d ended after a rebind, want 3", len(ended))
	}
	in2 := onlyOf[*report.InboundRTPStreamStats](t, ended[2].Report)
	if *in2.PacketsReceived != 2 || in2.ID == in1.ID {
		t.Fatalf("the re-used SSRC's stream: packets %d id %s (first %s)", *in2.PacketsReceived, in2.ID, in1.ID)
	}
	// Close ends what is left.
	if err := i.Close(); err != nil {
		t.Fatal(err)
	}
	if len(ended) != 5 {
		t.Fatalf("%d ended after Close, want 5", len(ended))
	}
	seen := map[string]bool{}
	for _, e := range ended {
		for id := range e.Report {
			if seen[id] {
				t.Errorf("id %s ended twice", id)
			}
			seen[id] = true
		}
	}
}

func TestWithStatsEndedRejectsNil(t *testing.T) {
	if _, err := NewFactory(WithStatsEnded(nil)); err == nil {
		t.Fatal("WithStatsEnded(nil) accepted")
	}
}

func onlyOf[T report.Stats](t *testing.T, r report.Report) T {
	t.Helper()
	got := report.Filter[T](r)
	if len(got) != 1 {
		var zero T
		t.Fatalf("%d objects of type %T in %v", len(got), zero, r.IDs())
	}
	return got[0]
}
