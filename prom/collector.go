package prom

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/report"
)

// MaxCallLength is the longest call name Add accepts, in bytes.
const MaxCallLength = 256

// Collector is a prometheus.Collector over the reports of any number of
// calls (PeerConnections or anything else that yields a report.Report).
// Register it with a prometheus.Registerer; each scrape asks every call for
// a fresh report. It is safe for concurrent use.
type Collector struct {
	cfg          config
	log          logging.LeveledLogger
	descs        [numMetrics]*prometheus.Desc
	callsDesc    *prometheus.Desc
	getErrorDesc *prometheus.Desc

	mu      sync.Mutex
	sources map[string]*source

	// stateMu serializes the part of Collect that turns reports into
	// series, and guards what it keeps from one scrape to the next.
	stateMu sync.Mutex
	last    map[string]contribution // counter value per object, last scrape
	base    map[string]float64      // per series: counts of objects that left

	getErrors atomic.Uint64
}

type source struct {
	call    string
	get     func() (report.Report, error)
	failing bool // guarded by Collector.stateMu
}

// NewCollector returns a Collector configured by opts. An invalid option is
// an error wrapping ErrInvalidOption.
func NewCollector(opts ...Option) (*Collector, error) {
	cfg := config{namespace: DefaultNamespace, callLabel: true, concurrency: DefaultConcurrency}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.loggerFactory == nil {
		cfg.loggerFactory = logging.NewDefaultLoggerFactory()
	}
	c := &Collector{
		cfg:     cfg,
		log:     cfg.loggerFactory.NewLogger("rtcstats-prom"),
		sources: map[string]*source{},
		last:    map[string]contribution{},
		base:    map[string]float64{},
	}
	for m, d := range defs {
		c.descs[m] = prometheus.NewDesc(cfg.namespace+"_"+d.name, d.help,
			labelNames(d.fam, cfg.callLabel, cfg.perStream), cfg.constLabels)
	}
	c.callsDesc = prometheus.NewDesc(cfg.namespace+"_collector_calls",
		"Calls the collector holds now.", nil, cfg.constLabels)
	c.getErrorDesc = prometheus.NewDesc(cfg.namespace+"_collector_get_errors_total",
		"Scrapes at which a call's report could not be taken (its counters kept their last values).", nil, cfg.constLabels)
	return c, nil
}

// Add makes a call's report part of every scrape: get is called once per
// scrape, possibly concurrently with other calls' (WithConcurrency), and
// must return promptly. If its error wraps ErrSourceDone the call is
// removed; any other error is counted and logged, and the call's counters
// keep the values of its last report for that scrape.
//
// call is the value of the call label (unless WithoutCallLabel) and the
// key for Remove: non-empty UTF-8 of at most MaxCallLength bytes, not
// already added. Every call adds its own series, so the number of series
// grows with the number of calls; see the package documentation.
func (c *Collector) Add(call string, get func() (report.Report, error)) error {
	if get == nil {
		return fmt.Errorf("%w: Add(%q, nil)", ErrNilArgument, call)
	}
	if call == "" || len(call) > MaxCallLength || !utf8.ValidString(call) {
		return fmt.Errorf("%w: %q: want 1..%d bytes of UTF-8", ErrInvalidCall, call, MaxCallLength)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sources[call]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicateCall, call)
	}
	c.sources[call] = &source{call: call, get: get}
	return nil
}

// AddPeerConnection adds pc, monitored by f, as a call: each scrape takes
// f.GetStats(pc). Once pc is closed the call removes itself at the next
// scrape. A pc that f does not monitor is refused with f's
// rtcstats.ErrUnknownPeerConnection.
func (c *Collector) AddPeerConnection(call string, f *rtcstats.Factory, pc *webrtc.PeerConnection) error {
	if f == nil || pc == nil {
		return fmt.Errorf("%w: AddPeerConnection(%q) needs a factory and a peer connection", ErrNilArgument, call)
	}
	if _, err := f.Diagnostics(pc); err != nil {
		return fmt.Errorf("prom: call %q: %w", call, err)
	}
	return c.Add(call, func() (report.Report, error) {
		r, err := f.GetStats(pc)
		if errors.Is(err, rtcstats.ErrPeerConnectionClosed) || errors.Is(err, rtcstats.ErrUnknownPeerConnection) {
			return nil, fmt.Errorf("%w: %w", ErrSourceDone, err)
		}
		return r, err
	})
}

// Remove removes a call and reports whether it was there. Its series leave
// the next scrape; without the call label its counts stay in the sums.
func (c *Collector) Remove(call string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.sources[call]
	delete(c.sources, call)
	return ok
}

// removeSource removes s if it is still the source registered for its call.
func (c *Collector) removeSource(s *source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sources[s.call] == s {
		delete(c.sources, s.call)
	}
}

// Calls returns the names of the calls the collector holds, sorted.
func (c *Collector) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := make([]string, 0, len(c.sources))
	for name := range c.sources {
		calls = append(calls, name)
	}
	slices.Sort(calls)
	return calls
}

// Describe sends the descriptors of every metric the collector can emit.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
	ch <- c.callsDesc
	ch <- c.getErrorDesc
}

type fetched struct {
	r   report.Report
	err error
}

// Collect takes every call's report and sends the series they make.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	srcs := make([]*source, 0, len(c.sources))
	for _, s := range c.sources {
		srcs = append(srcs, s)
	}
	c.mu.Unlock()
	slices.SortFunc(srcs, func(a, b *source) int {
		if a.call < b.call {
			return -1
		}
		if a.call > b.call {
			return 1
		}
		return 0
	})
	got := c.fetch(srcs)

	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	acc := newAccumulator()
	failed := map[string]bool{}
	live := 0
	for i, s := range srcs {
		if err := got[i].err; err != nil {
			if errors.Is(err, ErrSourceDone) {
				c.removeSource(s)
				c.log.Debugf("call %q is done and leaves the collector: %v", s.call, err)
				continue
			}
			c.getErrors.Add(1)
			failed[s.call] = true
			live++
			if !s.failing {
				c.log.Warnf("call %q: no report: %v", s.call, err)
			} else {
				c.log.Debugf("call %q: no report: %v", s.call, err)
			}
			s.failing = true
			continue
		}
		live++
		s.failing = false
		x := extractor{acc: acc, call: s.call, r: got[i].r, callLabel: c.cfg.callLabel, perStream: c.cfg.perStream}
		x.run()
	}
	for key, cb := range c.last {
		if failed[cb.call] {
			acc.carry(key, cb)
		}
	}
	c.settle(acc)
	for key, s := range acc.series {
		t := prometheus.GaugeValue
		if defs[s.m].counter {
			t = prometheus.CounterValue
		}
		m, err := prometheus.NewConstMetric(c.descs[s.m], t, s.value+c.base[key], s.labels...)
		if err != nil {
			c.log.Warnf("series %s dropped: %v", defs[s.m].name, err)
			continue
		}
		ch <- m
	}
	ch <- prometheus.MustNewConstMetric(c.callsDesc, prometheus.GaugeValue, float64(live))
	ch <- prometheus.MustNewConstMetric(c.getErrorDesc, prometheus.CounterValue, float64(c.getErrors.Load()))
}

// settle keeps summed counters monotonic. An object that left a series
// which still has others (a call that ended, without the call label; a
// stream that ended, in a call that goes on) leaves its last count in the
// series' base; so does an object whose counter went backwards, which
// starts again from its new value. A series with no object left goes away
// with its base.
func (c *Collector) settle(acc *accumulator) {
	for key, old := range c.last {
		cur, ok := acc.contrib[key]
		if ok && cur.value >= old.value {
			continue
		}
		if _, live := acc.series[old.series]; live {
			c.base[old.series] += old.value
		}
	}
	for key := range c.base {
		if _, live := acc.series[key]; !live {
			delete(c.base, key)
		}
	}
	c.last = acc.contrib
}

// fetch calls the sources' get functions, at most WithConcurrency at once.
func (c *Collector) fetch(srcs []*source) []fetched {
	out := make([]fetched, len(srcs))
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= len(srcs) {
				return
			}
			out[i].r, out[i].err = srcs[i].get()
		}
	}
	n := min(c.cfg.concurrency, len(srcs))
	if n <= 1 {
		work()
		return out
	}
	var wg sync.WaitGroup
	for range n {
		wg.Go(work)
	}
	wg.Wait()
	return out
}
