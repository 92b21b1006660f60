package dscp

import (
	"fmt"
	"strconv"
	"strings"
)

// CodePoint is a 6-bit Differentiated Services code point, 0..63.
type CodePoint uint8

// Code points used by RFC 8837 and its references (RFC 2474, RFC 2597,
// RFC 3246, RFC 5865, RFC 8622).
const (
	DF   CodePoint = 0
	LE   CodePoint = 1
	CS1  CodePoint = 8
	AF11 CodePoint = 10
	AF12 CodePoint = 12
	AF13 CodePoint = 14
	CS2  CodePoint = 16
	AF21 CodePoint = 18
	AF22 CodePoint = 20
	AF23 CodePoint = 22
	CS3  CodePoint = 24
	AF31 CodePoint = 26
	AF32 CodePoint = 28
	AF33 CodePoint = 30
	CS4  CodePoint = 32
	AF41 CodePoint = 34
	AF42 CodePoint = 36
	AF43 CodePoint = 38
	CS5  CodePoint = 40
	VA   CodePoint = 44
	EF   CodePoint = 46
	CS6  CodePoint = 48
	CS7  CodePoint = 56
)

const maxCodePoint = 63

// codePointNames holds the canonical name of each named code point; the
// empty string means the value is printed in decimal.
var codePointNames = [maxCodePoint + 1]string{ //nolint:gochecknoglobals // read-only table
	DF: "DF", LE: "LE", CS1: "CS1",
	AF11: "AF11", AF12: "AF12", AF13: "AF13", CS2: "CS2",
	AF21: "AF21", AF22: "AF22", AF23: "AF23", CS3: "CS3",
	AF31: "AF31", AF32: "AF32", AF33: "AF33", CS4: "CS4",
	AF41: "AF41", AF42: "AF42", AF43: "AF43", CS5: "CS5",
	VA: "VA", EF: "EF", CS6: "CS6", CS7: "CS7",
}

// String returns the code point's name, its decimal value when it has no
// name, or "invalid(n)" when it does not fit in 6 bits.
func (c CodePoint) String() string {
	if !c.Valid() {
		return "invalid(" + strconv.Itoa(int(c)) + ")"
	}
	if name := codePointNames[c]; name != "" {
		return name
	}

	return strconv.Itoa(int(c))
}

// Valid reports whether c fits in the 6 DSCP bits.
func (c CodePoint) Valid() bool { return c <= maxCodePoint }

// TOS returns the IPv4 TOS / IPv6 traffic class byte carrying c and the two
// ECN bits of ecn.
func (c CodePoint) TOS(ecn uint8) uint8 { return uint8(c)<<2 | ecn&3 }

// ParseCodePoint parses a code point name (case-insensitive, CS0 is accepted
// as DF) or a decimal value 0..63.
func ParseCodePoint(s string) (CodePoint, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "CS0") {
		return DF, nil
	}
	for c, name := range codePointNames {
		if name != "" && strings.EqualFold(t, name) {
			return CodePoint(c), nil
		}
	}
	// ParseUint rejects signs, so "-1" and "+1" fail here.
	if n, err := strconv.ParseUint(t, 10, 8); err == nil && n <= maxCodePoint {
		return CodePoint(n), nil
	}

	return 0, fmt.Errorf("%w: %q", ErrInvalidCodePoint, s)
}

// FlowType is a row of RFC 8837 Table 1.
type FlowType uint8

// Flow types of RFC 8837 Table 1. Video rows include any audio sent with it.
const (
	FlowAudio FlowType = iota
	FlowInteractiveVideo
	FlowNonInteractiveVideo
	FlowData
	numFlowTypes
)

var flowTypeNames = [numFlowTypes]string{ //nolint:gochecknoglobals // read-only table
	FlowAudio:               "audio",
	FlowInteractiveVideo:    "interactive-video",
	FlowNonInteractiveVideo: "non-interactive-video",
	FlowData:                "data",
}

// String returns the flow type's name as in RFC 8837 Table 1, lower case
// and hyphenated ("interactive-video").
func (f FlowType) String() string {
	if f >= numFlowTypes {
		return "invalid(" + strconv.Itoa(int(f)) + ")"
	}

	return flowTypeNames[f]
}

// ParseFlowType parses the names returned by FlowType.String,
// case-insensitively.
func ParseFlowType(s string) (FlowType, error) {
	t := strings.TrimSpace(s)
	for f, name := range flowTypeNames {
		if strings.EqualFold(t, name) {
			return FlowType(f), nil
		}
	}

	return 0, fmt.Errorf("%w: %q", ErrInvalidFlowType, s)
}

// Priority is a column of RFC 8837 Table 1, the application priority of a
// flow. Higher values are more important.
type Priority uint8

// Priorities, named as the W3C RTCPriorityType values.
const (
	PriorityVeryLow Priority = iota
	PriorityLow
	PriorityMedium
	PriorityHigh
	numPriorities
)

var priorityNames = [numPriorities]string{ //nolint:gochecknoglobals // read-only table
	PriorityVeryLow: "very-low",
	PriorityLow:     "low",
	PriorityMedium:  "medium",
	PriorityHigh:    "high",
}

// String returns the priority's name, the one ParsePriority accepts
// ("very-low", "low", "medium", "high").
func (p Priority) String() string {
	if p >= numPriorities {
		return "invalid(" + strconv.Itoa(int(p)) + ")"
	}

	return priorityNames[p]
}

// ParsePriority parses the RTCPriorityType strings case-insensitively; it
// also accepts "verylow" and "very_low".
func ParsePriority(s string) (Priority, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "verylow") || strings.EqualFold(t, "very_low") {
		return PriorityVeryLow, nil
	}
	for p, name := range priorityNames {
		if strings.EqualFold(t, name) {
			return Priority(p), nil
		}
	}

	return 0, fmt.Errorf("%w: %q", ErrInvalidPriority, s)
}

// Cell is one cell of RFC 8837 Table 1. Where the RFC gives two values, the
// first, with the lower drop precedence, is for packets of frames encoded
// without dependency on prior frames (Important); the second for all other
// packets. Single-value cells have Important == Other.
type Cell struct {
	Important CodePoint // packets of frames that do not depend on earlier ones
	Other     CodePoint // all other packets
}

// For returns the code point for an important or an other packet.
func (c Cell) For(important bool) CodePoint {
	if important {
		return c.Important
	}

	return c.Other
}

// table is RFC 8837 Table 1 indexed [flow][priority], columns very low,
// low, medium, high. Very low is LE, not CS1: the RFC asks implementations
// that used CS1 to move to LE.
var table = [numFlowTypes][numPriorities]Cell{ //nolint:gochecknoglobals // read-only table
	FlowAudio:               {{LE, LE}, {DF, DF}, {EF, EF}, {EF, EF}},
	FlowInteractiveVideo:    {{LE, LE}, {DF, DF}, {AF42, AF43}, {AF41, AF42}},
	FlowNonInteractiveVideo: {{LE, LE}, {DF, DF}, {AF32, AF33}, {AF31, AF32}},
	FlowData:                {{LE, LE}, {DF, DF}, {AF11, AF11}, {AF21, AF21}},
}

// Lookup returns the RFC 8837 Table 1 cell for a flow type and priority.
func Lookup(f FlowType, p Priority) (Cell, error) {
	if f >= numFlowTypes {
		return Cell{}, fmt.Errorf("%w: %d", ErrInvalidFlowType, f)
	}
	if p >= numPriorities {
		return Cell{}, fmt.Errorf("%w: %d", ErrInvalidPriority, p)
	}

	return table[f][p], nil
}
