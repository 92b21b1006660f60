package prom

import (
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/pion/logging"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultNamespace prefixes every metric name unless WithNamespace says
// otherwise.
const DefaultNamespace = "rtcstats"

// DefaultConcurrency is how many sources Collect asks at once unless
// WithConcurrency says otherwise.
const DefaultConcurrency = 4

// MaxConcurrency is the largest value WithConcurrency accepts.
const MaxConcurrency = 1024

type config struct {
	namespace     string
	constLabels   prometheus.Labels
	perStream     bool
	callLabel     bool
	concurrency   int
	loggerFactory logging.LoggerFactory
}

// Option configures a Collector.
type Option func(*config) error

var nameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// WithNamespace replaces the "rtcstats" prefix of every metric name. It
// must match [a-zA-Z_][a-zA-Z0-9_]*.
func WithNamespace(ns string) Option {
	return func(c *config) error {
		if !nameRE.MatchString(ns) {
			return fmt.Errorf("%w: WithNamespace(%q): not a metric name prefix", ErrInvalidOption, ns)
		}
		c.namespace = ns
		return nil
	}
}

// WithConstLabels adds labels with fixed values to every metric, such as
// the instance's region. Their names must be valid label names other than
// the ones the collector sets itself (call, kind, ssrc, mid, dscp, class)
// and not start with "__".
func WithConstLabels(l prometheus.Labels) Option {
	return func(c *config) error {
		for name := range l {
			if !nameRE.MatchString(name) || len(name) >= 2 && name[:2] == "__" || slices.Contains(ownLabels, name) {
				return fmt.Errorf("%w: WithConstLabels: label name %q", ErrInvalidOption, name)
			}
		}
		c.constLabels = prometheus.Labels{}
		maps.Copy(c.constLabels, l)
		return nil
	}
}

// WithPerStream adds the labels ssrc and mid to every RTP stream metric, so
// that each stream has its own series instead of being summed with the
// call's other streams of its kind. SSRCs are random per call: use it where
// the number of streams scraped is small (a test bed, a handful of calls).
func WithPerStream() Option {
	return func(c *config) error {
		c.perStream = true
		return nil
	}
}

// WithoutCallLabel drops the call label: every series sums (or, for the
// gauges documented as such, takes the largest value over) all calls'
// objects, so the number of series no longer grows with the number of
// calls. Counters stay monotonic when calls end (see the package
// documentation).
func WithoutCallLabel() Option {
	return func(c *config) error {
		c.callLabel = false
		return nil
	}
}

// WithConcurrency sets how many sources Collect asks for their report at
// once (1..MaxConcurrency; default DefaultConcurrency).
func WithConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 || n > MaxConcurrency {
			return fmt.Errorf("%w: WithConcurrency(%d): want 1..%d", ErrInvalidOption, n, MaxConcurrency)
		}
		c.concurrency = n
		return nil
	}
}

// WithLoggerFactory sets the pion logger factory; scope "rtcstats-prom".
// A source whose get function fails is logged at warning level when it
// starts failing and at debug level while it goes on failing.
func WithLoggerFactory(f logging.LoggerFactory) Option {
	return func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: WithLoggerFactory(nil)", ErrInvalidOption)
		}
		c.loggerFactory = f
		return nil
	}
}
