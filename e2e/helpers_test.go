package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/mediafile"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

// call connects a pair, sends media for d, then waits for the last RTCP to
// cross and returns the settled reports of both peers and what each sent
// (offerer's, answerer's).
func call(t *testing.T, cfg peers.Config, d time.Duration, during ...func(*peers.Pair)) (*peers.Pair, report.Report, report.Report, [2]peers.Sent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pair, err := peers.New(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = pair.Close() })
	for _, f := range during {
		f(pair)
	}
	mctx, mcancel := context.WithTimeout(context.Background(), d)
	defer mcancel()
	offSent, ansSent, err := pair.SendMedia(mctx, []mediafile.Option{}...)
	if err != nil {
		t.Fatalf("send media: %v", err)
	}
	off, ans, err := pair.Settle(context.Background(), 5*time.Second)
	if err != nil {
		for name, r := range map[string]report.Report{"offerer": off, "answerer": ans} {
			for _, id := range r.IDs() {
				switch s := r[id].(type) {
				case *report.OutboundRTPStreamStats, *report.InboundRTPStreamStats,
					*report.RemoteInboundRTPStreamStats, *report.RemoteOutboundRTPStreamStats:
					b, err := json.Marshal(s)
					t.Logf("%s %s (%v)", name, b, err)
				}
			}
		}
		t.Fatalf("settle: %v", err)
	}
	return pair, off, ans, [2]peers.Sent{offSent, ansSent}
}

func outbound(t *testing.T, r report.Report, kind string) *report.OutboundRTPStreamStats {
	t.Helper()
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](r) {
		if o.Kind == kind {
			return o
		}
	}
	t.Fatalf("no %s outbound-rtp in report", kind)
	return nil
}

func inboundBySSRC(t *testing.T, r report.Report, ssrc uint32) *report.InboundRTPStreamStats {
	t.Helper()
	for _, in := range report.Filter[*report.InboundRTPStreamStats](r) {
		if in.SSRC == ssrc {
			return in
		}
	}
	t.Fatalf("no inbound-rtp for ssrc %d in report", ssrc)
	return nil
}

func remoteInbound(t *testing.T, r report.Report, o *report.OutboundRTPStreamStats) *report.RemoteInboundRTPStreamStats {
	t.Helper()
	return remote[*report.RemoteInboundRTPStreamStats](t, r, o.ID, o.RemoteID)
}

func remoteOutbound(t *testing.T, r report.Report, in *report.InboundRTPStreamStats) *report.RemoteOutboundRTPStreamStats {
	t.Helper()
	return remote[*report.RemoteOutboundRTPStreamStats](t, r, in.ID, in.RemoteID)
}

// remote resolves a local stream's remoteId, failing the test if it does not.
func remote[T report.Stats](t *testing.T, r report.Report, localID string, remoteID *string) T {
	t.Helper()
	if remoteID == nil {
		t.Fatalf("%s has no remoteId", localID)
	}
	v, ok := report.Lookup[T](r, *remoteID)
	if !ok {
		t.Fatalf("remoteId %s of %s does not resolve", *remoteID, localID)
	}
	return v
}

func noViolations(t *testing.T, name string, r report.Report) {
	t.Helper()
	for _, v := range r.Validate() {
		t.Errorf("%s: %v", name, v)
	}
}
