package browser

import (
	"encoding/json"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/rtcstats/rtcstats/report"
)

// ssrcOf returns the ssrc of an RTP stream object.
func ssrcOf(s report.Stats) (uint32, bool) {
	switch x := s.(type) {
	case *report.InboundRTPStreamStats:
		return x.SSRC, true
	case *report.OutboundRTPStreamStats:
		return x.SSRC, true
	case *report.RemoteInboundRTPStreamStats:
		return x.SSRC, true
	case *report.RemoteOutboundRTPStreamStats:
		return x.SSRC, true
	}
	return 0, false
}

// bySSRC finds the object of type T with this ssrc.
func bySSRC[T report.Stats](r report.Report, ssrc uint32) (T, bool) {
	for _, s := range report.Filter[T](r) {
		if v, ok := ssrcOf(s); ok && v == ssrc {
			return s, true
		}
	}
	var zero T
	return zero, false
}

// outboundKind finds the outbound-rtp stream of this kind.
func outboundKind(r report.Report, kind string) (*report.OutboundRTPStreamStats, bool) {
	for _, o := range report.Filter[*report.OutboundRTPStreamStats](r) {
		if o.Kind == kind {
			return o, true
		}
	}
	return nil, false
}

// at returns the timestamp of r's first object of type t, or NaN.
func at(r report.Report, t report.Type) float64 {
	for _, id := range r.IDs() {
		if r[id].StatsType() == t {
			return r[id].StatsTimestamp()
		}
	}
	return math.NaN()
}

func u64(p *uint64) float64 {
	if p == nil {
		return math.NaN()
	}
	return float64(*p)
}

func i64(p *int64) float64 {
	if p == nil {
		return math.NaN()
	}
	return float64(*p)
}

func f64(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func sum(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// point is one value of a stream member at the time a report was taken.
type point struct{ t, v float64 }

// series extracts get(r) from every sample that has it, with the sample's
// timestamp (that of the object get read, reported through its second
// result).
func series(h []report.Report, get func(report.Report) (t, v float64, ok bool)) []point {
	var out []point
	for _, r := range h {
		if t, v, ok := get(r); ok && !math.IsNaN(v) {
			out = append(out, point{t, v})
		}
	}
	return out
}

// bracket returns the last point at or before t-early and the first at or
// after t+late.
func bracket(ps []point, t, early, late float64) (lo, hi point, ok bool) {
	var haveLo, haveHi bool
	for _, p := range ps {
		if p.t <= t-early {
			lo, haveLo = p, true
		}
		if p.t >= t+late && !haveHi {
			hi, haveHi = p, true
		}
	}
	return lo, hi, haveLo && haveHi
}

// near returns the smallest and largest value of the points within
// nearWindow of t, and how many there are.
func near(ps []point, t float64) (lo, hi float64, n int) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range ps {
		if math.Abs(p.t-t) <= nearWindow {
			lo, hi, n = math.Min(lo, p.v), math.Max(hi, p.v), n+1
		}
	}
	return lo, hi, n
}

// recorder samples our GetStats every interval until stopped.
type recorder struct {
	mu      sync.Mutex
	samples []report.Report
	stop    chan struct{}
	done    chan struct{}
}

func (c *call) recordOurs(interval time.Duration) *recorder {
	rec := &recorder{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(rec.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-rec.stop:
				return
			case <-t.C:
			}
			r, err := c.sess.Stats()
			if err != nil {
				continue
			}
			rec.mu.Lock()
			rec.samples = append(rec.samples, r)
			rec.mu.Unlock()
		}
	}()
	return rec
}

func (rec *recorder) finish() []report.Report {
	close(rec.stop)
	<-rec.done
	return rec.samples
}

// recordBrowser starts the page's own getStats sampler (the RTP objects
// only) every interval.
func (c *call) recordBrowser(interval time.Duration) {
	c.t.Helper()
	var ok bool
	c.eval(`(window.rtcstatsRecord(`+jsonNum(interval.Milliseconds())+`), true)`, &ok)
}

// takeBrowser returns and clears what the page's sampler recorded.
func (c *call) takeBrowser() []report.Report {
	c.t.Helper()
	var s string
	c.eval(`JSON.stringify(window.rtcstatsTake())`, &s)
	var raws []json.RawMessage
	if err := json.Unmarshal([]byte(s), &raws); err != nil {
		c.t.Fatal(err)
	}
	out := make([]report.Report, 0, len(raws))
	for _, raw := range raws {
		var r report.Report
		if err := json.Unmarshal(raw, &r); err != nil {
			c.t.Fatalf("a recorded Chromium report does not load: %v", err)
		}
		out = append(out, r)
	}
	return out
}

func jsonNum(n int64) string {
	return strconv.FormatInt(n, 10) // what json.Marshal writes for an int64
}
