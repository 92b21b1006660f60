package dscp

import (
	"errors"
	"fmt"
	"maps"

	"github.com/pion/logging"
)

// ErrInvalidOption is wrapped by every error about a bad option or setting.
var ErrInvalidOption = errors.New("dscp: invalid option")

// Kind is the media kind of an RTP stream: "audio" or "video".
type Kind uint8

// Media kinds. Their default flow types are FlowAudio and
// FlowInteractiveVideo (RFC 8837 §5: WebRTC video is interactive unless the
// application says otherwise).
const (
	KindAudio Kind = iota
	KindVideo
	numKinds
)

// Names of the kinds, as in the SDP media line and RTCRtpStreamStats.kind.
const (
	kindAudio = "audio"
	kindVideo = "video"
)

// String returns "audio" or "video", the name ParseKind accepts.
func (k Kind) String() string {
	switch k {
	case KindAudio:
		return kindAudio
	case KindVideo:
		return kindVideo
	default:
		return fmt.Sprintf("Kind(%d)", uint8(k))
	}
}

// ParseKind accepts "audio" and "video".
func ParseKind(s string) (Kind, error) {
	switch s {
	case kindAudio:
		return KindAudio, nil
	case kindVideo:
		return KindVideo, nil
	}
	return 0, fmt.Errorf("%w: kind %q (want audio or video)", ErrInvalidOption, s)
}

// settings is the marking policy. It is immutable once published: a change
// builds a new one, so the packet path reads it without a lock.
type settings struct {
	marking        bool
	kindPriority   [numKinds]Priority
	trackPriority  map[string]Priority
	nonInteractive map[string]bool
	dataPriority   map[string]Priority // by data channel label
	dataDefault    Priority
	handshake      CodePoint

	// derived by finish, so packets read them without a map walk
	dataCP CodePoint
	tcpCP  CodePoint
}

func defaultSettings() *settings {
	// "low" is the W3C default of RTCRtpEncodingParameters.networkPriority.
	return &settings{
		marking:        true,
		kindPriority:   [numKinds]Priority{PriorityLow, PriorityLow},
		trackPriority:  map[string]Priority{},
		nonInteractive: map[string]bool{},
		dataPriority:   map[string]Priority{},
		dataDefault:    PriorityLow,
		handshake:      DF,
	}
}

// finish derives the values every packet of a class shares.
func (s *settings) finish() *settings {
	s.dataCP = s.dataCodePoint()
	s.tcpCP = s.tcpCodePoint()
	return s
}

func (s *settings) clone() *settings {
	c := *s
	c.trackPriority = maps.Clone(s.trackPriority)
	c.nonInteractive = maps.Clone(s.nonInteractive)
	c.dataPriority = maps.Clone(s.dataPriority)
	return &c
}

// cell returns the Table 1 cell of an RTP stream.
func (s *settings) cell(kind Kind, trackID string) Cell {
	p, ok := s.trackPriority[trackID]
	if !ok || trackID == "" {
		p = s.kindPriority[kind]
	}
	f := FlowAudio
	if kind == KindVideo {
		f = FlowInteractiveVideo
		if s.nonInteractive[trackID] {
			f = FlowNonInteractiveVideo
		}
	}
	c, _ := Lookup(f, p) // f and p are valid by construction
	return c
}

// dataCodePoint is the one value of every packet of the SCTP association:
// that of the highest priority among its data channels (RFC 8837 §5).
func (s *settings) dataCodePoint() CodePoint {
	c, _ := Lookup(FlowData, s.associationPriority())
	return c.Other
}

// tcpCodePoint is the one value of a TCP connection, which carries every
// flow of its 5-tuple: that of the highest priority requested for them (RFC
// 8837 §5), from the lower-drop-precedence column. Flows compare by
// priority; on a tie audio goes before video before data. Per-track
// priorities count as video (a track's kind is unknown until it is bound).
func (s *settings) tcpCodePoint() CodePoint {
	best, bestP := FlowAudio, s.kindPriority[KindAudio]
	consider := func(f FlowType, p Priority) {
		if p > bestP {
			best, bestP = f, p
		}
	}
	consider(FlowInteractiveVideo, s.kindPriority[KindVideo])
	for id, p := range s.trackPriority {
		f := FlowInteractiveVideo
		if s.nonInteractive[id] {
			f = FlowNonInteractiveVideo
		}
		consider(f, p)
	}
	consider(FlowData, s.associationPriority())
	c, _ := Lookup(best, bestP)
	return c.Important
}

func (s *settings) associationPriority() Priority {
	p := s.dataDefault
	if len(s.dataPriority) > 0 {
		p = PriorityVeryLow
		for _, q := range s.dataPriority {
			p = max(p, q)
		}
	}
	return p
}

func validPriority(p Priority) error {
	if p > PriorityHigh {
		return fmt.Errorf("%w: %w: %d", ErrInvalidOption, ErrInvalidPriority, uint8(p))
	}
	return nil
}

type config struct {
	loggerFactory logging.LoggerFactory
	settings      *settings
	maxPending    int
}

// Option configures a Marker.
type Option func(*config) error

// WithLoggerFactory sets the pion logger factory; scope "dscp".
func WithLoggerFactory(f logging.LoggerFactory) Option {
	return func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: WithLoggerFactory(nil)", ErrInvalidOption)
		}
		c.loggerFactory = f
		return nil
	}
}

// WithKindPriority sets the priority of every RTP stream of kind that has no
// priority of its own (see WithTrackPriority). The default is PriorityLow.
func WithKindPriority(k Kind, p Priority) Option {
	return func(c *config) error {
		if k >= numKinds {
			return fmt.Errorf("%w: kind %d", ErrInvalidOption, uint8(k))
		}
		if err := validPriority(p); err != nil {
			return err
		}
		c.settings.kindPriority[k] = p
		return nil
	}
}

// WithTrackPriority sets the priority of the streams that carry the track
// with this id (MediaStreamTrack.id; webrtc.TrackLocal.ID()).
func WithTrackPriority(trackID string, p Priority) Option {
	return func(c *config) error {
		if trackID == "" {
			return fmt.Errorf("%w: WithTrackPriority: empty track id", ErrInvalidOption)
		}
		if err := validPriority(p); err != nil {
			return err
		}
		c.settings.trackPriority[trackID] = p
		return nil
	}
}

// WithNonInteractive declares video tracks that are not interactive (a
// playback or recording feed): they use the AF3x values of RFC 8837 Table 1.
// A browser must not do this; a non-browser endpoint may.
func WithNonInteractive(trackIDs ...string) Option {
	return func(c *config) error {
		for _, id := range trackIDs {
			if id == "" {
				return fmt.Errorf("%w: WithNonInteractive: empty track id", ErrInvalidOption)
			}
			c.settings.nonInteractive[id] = true
		}
		return nil
	}
}

// WithDataChannelPriority sets the priority of data-channel traffic when no
// channel has a priority of its own (see Marker.SetDataChannelPriority).
// The default is PriorityLow.
func WithDataChannelPriority(p Priority) Option {
	return func(c *config) error {
		if err := validPriority(p); err != nil {
			return err
		}
		c.settings.dataDefault = p
		return nil
	}
}

// WithHandshakeCodePoint sets the value of STUN and DTLS handshake packets.
// The default is DF.
func WithHandshakeCodePoint(cp CodePoint) Option {
	return func(c *config) error {
		if !cp.Valid() {
			return fmt.Errorf("%w: %w: %d", ErrInvalidOption, ErrInvalidCodePoint, uint8(cp))
		}
		c.settings.handshake = cp
		return nil
	}
}

// WithoutMarking leaves every packet's traffic class as the socket has it
// while still counting packets per DSCP in both directions.
func WithoutMarking() Option {
	return func(c *config) error {
		c.settings.marking = false
		return nil
	}
}

// WithMaxPendingStreams bounds how many RTP streams that nobody has bound
// yet (packets that arrive before pion binds their SSRC) are counted
// separately. Packets of further unknown SSRCs are counted as unattributed.
// The default is 256.
func WithMaxPendingStreams(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: WithMaxPendingStreams(%d)", ErrInvalidOption, n)
		}
		c.maxPending = n
		return nil
	}
}
