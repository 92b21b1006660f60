package dscp

import "errors"

var (
	// ErrInvalidCodePoint is returned for a DSCP name or number that is not
	// a 6-bit code point.
	ErrInvalidCodePoint = errors.New("dscp: invalid code point")
	// ErrInvalidFlowType is returned for an unknown RFC 8837 flow type.
	ErrInvalidFlowType = errors.New("dscp: invalid flow type")
	// ErrInvalidPriority is returned for an unknown RTCPriorityType.
	ErrInvalidPriority = errors.New("dscp: invalid priority")
	// ErrUnsupported is returned by the socket helpers where the OS has no
	// per-packet traffic class control that this package implements.
	ErrUnsupported = errors.New("dscp: per-packet marking is not supported on this OS")
)
