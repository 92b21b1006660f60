package dashboard

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pion/logging"
	"github.com/rtcstats/rtcstats/report"
)

// Dashboard collects reports of named peers and serves the live page.
// Its methods are safe for concurrent use.
type Dashboard struct {
	cfg     config
	log     logging.LeveledLogger
	mux     *http.ServeMux
	running atomic.Bool
	// pushGuard refuses pushes a browser makes for a page of another
	// origin: any web site could otherwise post to a dashboard on
	// 127.0.0.1. The dashboard's own origin and non-browser clients pass.
	pushGuard *http.CrossOriginProtection

	mu    sync.Mutex
	peers map[string]*peer
	seq   uint64 // counts updates over all peers, to find the stalest
}

// peer is one named source of reports.
type peer struct {
	get     func() (report.Report, error) // nil when pushed
	prev    report.Report
	reports uint64
	updated uint64 // Dashboard.seq at the last report
	err     string // the last poll's error, until a poll succeeds
	objects map[string]*object
}

// object is one stats object of a peer.
type object struct {
	typ     report.Type
	members json.RawMessage // the object as last reported
	missing int             // consecutive reports without it
	win     window
}

// New makes a Dashboard.
func New(opts ...Option) (*Dashboard, error) {
	cfg := config{interval: DefaultInterval, history: DefaultHistory}
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
	d := &Dashboard{
		cfg:       cfg,
		log:       cfg.loggerFactory.NewLogger("dashboard"),
		peers:     map[string]*peer{},
		pushGuard: http.NewCrossOriginProtection(),
	}
	mux, err := d.routes()
	if err != nil {
		return nil, err
	}
	d.mux = mux
	return d, nil
}

// AddPeer adds a peer whose report Run takes every interval by calling get
// (for example a closure over Factory.GetStats). Names are unique.
func (d *Dashboard) AddPeer(name string, get func() (report.Report, error)) error {
	if err := checkName(name); err != nil {
		return err
	}
	if get == nil {
		return fmt.Errorf("%w: AddPeer(%q) with a nil getter", ErrInvalidPeer, name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.peers[name]; ok {
		return fmt.Errorf("%w: peer %q exists already", ErrInvalidPeer, name)
	}
	if len(d.peers) >= MaxPeers && !d.evictPushed() {
		return fmt.Errorf("%w: %d peers are polled already", ErrTooManyPeers, MaxPeers)
	}
	d.peers[name] = &peer{get: get, objects: map[string]*object{}}
	return nil
}

// Push adds r as the newest report of the named peer, which is created on
// its first push; the interval metrics are computed against the report
// pushed before. The Dashboard keeps r until the next one: do not modify it
// afterwards. A name added with AddPeer cannot be pushed to.
func (d *Dashboard) Push(name string, r report.Report) error {
	if err := checkName(name); err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("%w: nil report", ErrInvalidReport)
	}
	if len(r) > MaxObjects {
		return fmt.Errorf("%w: %d objects, more than %d", ErrInvalidReport, len(r), MaxObjects)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.peers[name]
	if p != nil && p.get != nil {
		return fmt.Errorf("%w: peer %q is polled, not pushed", ErrInvalidPeer, name)
	}
	if p == nil {
		if len(d.peers) >= MaxPeers && !d.evictPushed() {
			return fmt.Errorf("%w: %d peers are polled already", ErrTooManyPeers, MaxPeers)
		}
		p = &peer{objects: map[string]*object{}}
		d.peers[name] = p
	}
	d.ingest(p, r)
	return nil
}

// Run polls the peers added with AddPeer now and then every interval until
// ctx is done. Call it once; a second concurrent call returns at once.
func (d *Dashboard) Run(ctx context.Context) {
	if !d.running.CompareAndSwap(false, true) {
		d.log.Warn("Run is already running")
		return
	}
	defer d.running.Store(false)
	t := time.NewTicker(d.cfg.interval)
	defer t.Stop()
	for {
		d.poll()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll takes one report of every polled peer. The getters run without the
// lock: GetStats can take a while.
func (d *Dashboard) poll() {
	type job struct {
		name string
		get  func() (report.Report, error)
	}
	var jobs []job
	d.mu.Lock()
	for name, p := range d.peers {
		if p.get != nil {
			jobs = append(jobs, job{name, p.get})
		}
	}
	d.mu.Unlock()
	slices.SortFunc(jobs, func(a, b job) int { return cmp.Compare(a.name, b.name) })
	for _, j := range jobs {
		r, err := j.get()
		if err == nil && r == nil {
			err = fmt.Errorf("%w: the getter returned no report", ErrInvalidReport)
		}
		if err == nil && len(r) > MaxObjects {
			err = fmt.Errorf("%w: %d objects, more than %d", ErrInvalidReport, len(r), MaxObjects)
		}
		d.mu.Lock()
		if p := d.peers[j.name]; p != nil {
			if err != nil {
				p.err = err.Error()
				d.log.Warnf("peer %q: %v", j.name, err)
			} else {
				d.ingest(p, r)
			}
		}
		d.mu.Unlock()
	}
}

// ingest adds cur as p's newest report. d.mu is held.
func (d *Dashboard) ingest(p *peer, cur report.Report) {
	var iv report.Interval
	if p.prev != nil {
		iv = report.Delta(p.prev, cur)
	}
	for id, s := range cur {
		if s == nil {
			continue
		}
		o := p.objects[id]
		if o == nil || o.typ != s.StatsType() {
			o = &object{typ: s.StatsType()}
			p.objects[id] = o
		}
		o.missing = 0
		b, err := json.Marshal(s)
		if err != nil {
			d.log.Warnf("object %q: %v", id, err)
			b = nil
		}
		o.members = b
		if ss, ok := samples(p.prev, iv, id, s); ok {
			o.win.add(s.StatsTimestamp(), ss, d.cfg.history)
		}
	}
	for id, o := range p.objects {
		if s, ok := cur[id]; ok && s != nil {
			continue
		}
		// Gone from the report: shown greyed until its points would have
		// scrolled out of the window.
		if o.missing++; o.missing >= d.cfg.history {
			delete(p.objects, id)
		}
	}
	if len(p.objects) > 2*MaxObjects {
		d.dropGone(p)
	}
	p.prev = cur
	p.reports++
	d.seq++
	p.updated = d.seq
	p.err = ""
}

// dropGone deletes p's vanished objects, longest gone first, until it holds
// at most 2*MaxObjects: a peer whose ids change on every report cannot grow
// without bound.
func (d *Dashboard) dropGone(p *peer) {
	type gone struct {
		id      string
		missing int
	}
	var gs []gone
	for id, o := range p.objects {
		if o.missing > 0 {
			gs = append(gs, gone{id, o.missing})
		}
	}
	slices.SortFunc(gs, func(a, b gone) int { return b.missing - a.missing })
	for _, g := range gs {
		if len(p.objects) <= 2*MaxObjects {
			return
		}
		delete(p.objects, g.id)
	}
}

// evictPushed deletes the pushed peer updated least recently, reporting
// whether there was one. d.mu is held.
func (d *Dashboard) evictPushed() bool {
	victim, oldest := "", uint64(0)
	for name, p := range d.peers {
		if p.get == nil && (victim == "" || p.updated < oldest) {
			victim, oldest = name, p.updated
		}
	}
	if victim == "" {
		return false
	}
	d.log.Infof("dropping pushed peer %q: more than %d peers", victim, MaxPeers)
	delete(d.peers, victim)
	return true
}

// checkName accepts 1 to MaxPeerName bytes of UTF-8 without control
// characters.
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty name", ErrInvalidPeer)
	case len(name) > MaxPeerName:
		return fmt.Errorf("%w: name longer than %d bytes", ErrInvalidPeer, MaxPeerName)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: name is not UTF-8", ErrInvalidPeer)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: name %q holds a control character", ErrInvalidPeer, name)
		}
	}
	return nil
}
