package e2e

import (
	"sync"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/impairnet"
	"github.com/rtcstats/rtcstats/internal/peers"
)

func TestH11TmpBurstLag(t *testing.T) {
	inet, err := impairnet.New()
	if err != nil {
		t.Fatal(err)
	}
	var audioSSRC uint32
	var mu sync.Mutex
	var first, lastDrop, lastPkt time.Time
	var nDrop, nPkt int
	mod := impairnet.SeqMod(10, 3)
	rec := func(seq uint16) bool {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if first.IsZero() {
			first = now
		}
		lastPkt = now
		nPkt++
		if mod(seq) && nDrop < 15 {
			nDrop++
			lastDrop = now
			return true
		}
		return false
	}
	p, _, ans, _ := call(t, peers.Config{OffererNet: inet}, 4*time.Second, func(p *peers.Pair) {
		audioSSRC = senderSSRC(t, p.Offerer, "audio")
		inet.AddDropRTP(audioSSRC, afterFirst(5, rec), 15)
	})
	settled := time.Now()
	ai := inboundBySSRC(t, ans, audioSSRC)
	mu.Lock()
	t.Logf("lastDrop %v lastPkt %v settle %v (after first pkt) npkt %d: count %v lost %v rate %v", lastDrop.Sub(first), lastPkt.Sub(first), settled.Sub(first), nPkt, deref(ai.BurstLossCount), deref(ai.BurstPacketsLost), deref(ai.BurstLossRate))
	mu.Unlock()
	time.Sleep(1200 * time.Millisecond)
	_, ans2, _ := p.Stats()
	ai = inboundBySSRC(t, ans2, audioSSRC)
	t.Logf("later: count %v lost %v rate %v", deref(ai.BurstLossCount), deref(ai.BurstPacketsLost), deref(ai.BurstLossRate))
	if *ai.BurstPacketsLost != 15 {
		t.Errorf("still wrong later")
	}
}
