package prom

import "errors"

// Sentinel errors. Every error returned by this package wraps one of them
// (AddPeerConnection may also wrap rtcstats' own), so callers can use
// errors.Is.
var (
	// ErrInvalidOption is returned by NewCollector for a bad option value.
	ErrInvalidOption = errors.New("prom: invalid option")
	// ErrInvalidCall is returned by Add for a call name that cannot be a
	// label value: empty, longer than MaxCallLength bytes or not UTF-8.
	ErrInvalidCall = errors.New("prom: invalid call name")
	// ErrDuplicateCall is returned by Add for a call name already added.
	ErrDuplicateCall = errors.New("prom: call already added")
	// ErrNilArgument is returned when a required argument is nil.
	ErrNilArgument = errors.New("prom: nil argument")
	// ErrSourceDone, wrapped in the error of a source's get function, says
	// that the source will never report again: the collector removes it.
	// AddPeerConnection's source returns it once the PeerConnection closed.
	ErrSourceDone = errors.New("prom: source is done")
)
