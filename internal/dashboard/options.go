package dashboard

import (
	"errors"
	"fmt"
	"time"

	"github.com/pion/logging"
)

// Sentinel errors. Every error this package returns wraps one of them.
var (
	// ErrInvalidOption is returned by New for a bad option value.
	ErrInvalidOption = errors.New("dashboard: invalid option")
	// ErrInvalidPeer is returned for a bad peer name, a nil getter, a name
	// already added, or a push to a peer that is polled.
	ErrInvalidPeer = errors.New("dashboard: invalid peer")
	// ErrInvalidReport is returned by Push for a nil report or one with
	// more than MaxObjects objects.
	ErrInvalidReport = errors.New("dashboard: invalid report")
	// ErrTooManyPeers is returned when MaxPeers peers are polled already.
	ErrTooManyPeers = errors.New("dashboard: too many peers")
)

// Defaults and limits.
const (
	DefaultInterval = time.Second
	DefaultHistory  = 300
	// MinInterval and MaxInterval bound WithInterval.
	MinInterval = 10 * time.Millisecond
	MaxInterval = time.Hour
	// MaxHistory bounds WithHistory.
	MaxHistory = 100_000
	// MaxPeers is how many peers a Dashboard shows; a push for a new peer
	// beyond it evicts the pushed peer updated least recently.
	MaxPeers = 32
	// MaxObjects is the most stats objects one report may hold.
	MaxObjects = 2000
	// MaxPeerName is the longest peer name, in bytes.
	MaxPeerName = 64
	// MaxBodyBytes is the largest body POST api/push accepts.
	MaxBodyBytes = 8 << 20
)

type config struct {
	interval      time.Duration
	history       int
	loggerFactory logging.LoggerFactory
}

// Option configures a Dashboard.
type Option func(*config) error

// WithInterval sets how often Run polls the peers added with AddPeer
// (default 1 s), between MinInterval and MaxInterval.
func WithInterval(d time.Duration) Option {
	return func(c *config) error {
		if d < MinInterval || d > MaxInterval {
			return fmt.Errorf("%w: WithInterval(%v) is outside [%v, %v]", ErrInvalidOption, d, MinInterval, MaxInterval)
		}
		c.interval = d
		return nil
	}
}

// WithHistory sets how many points each series keeps (default 300), and
// for how many of its peer's reports a vanished object stays on the page.
func WithHistory(n int) Option {
	return func(c *config) error {
		if n < 2 || n > MaxHistory {
			return fmt.Errorf("%w: WithHistory(%d) is outside [2, %d]", ErrInvalidOption, n, MaxHistory)
		}
		c.history = n
		return nil
	}
}

// WithLoggerFactory sets the pion logger factory; scope "dashboard".
func WithLoggerFactory(f logging.LoggerFactory) Option {
	return func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: WithLoggerFactory(nil)", ErrInvalidOption)
		}
		c.loggerFactory = f
		return nil
	}
}
