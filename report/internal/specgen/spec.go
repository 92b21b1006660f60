package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// model is everything render needs, in spec order.
type model struct {
	EDSource, ProvSource string
	Types                []statsType
	Dicts                []*dict
	Enums                map[string][]string // enums some member uses
	Skipped              []string            // provisional dictionaries not modelled
}

type statsType struct{ Name, Const, Doc string }

type dict struct {
	IDL, GoName string
	Types       []string
	Kind        string   // "audio"/"video" for the media-source subdictionaries
	Inheritance []string // most derived first, RTCStats omitted
	Provisional bool     // the whole dictionary is provisional (csrc)
	Members     []member // timestamp, type and id first
}

type member struct {
	Name, IDL, DeclaredIn string
	Required, Nullable    bool
	Provisional           bool
	Extension             bool // from extensions.idl: rtcstats' own, not in any W3C document
	Doc                   string
	NotForKind            string // "audio" or "video"
	NotForRemote          bool   // MUST NOT exist for remote candidates
	Enum                  string // enum with known values, or ""
	GoType, JSONKind      string // Go type before optional-pointering; JSONKind constant name
}

// extensionsIDL declares the extension members: members rtcstats measures
// that no W3C document defines, as partial dictionaries with a "//" doc
// comment above each member.
//
//go:embed extensions.idl
var extensionsIDL string

// extensionsFile names extensionsIDL in messages and in the generated code.
const extensionsFile = "report/internal/specgen/extensions.idl"

// csrcType is the stats type of RTCRtpContributingSourceStats. The ED dropped
// it; the name comes from the 2018 draft's RTCStatsType, checked in loadModel.
const (
	csrcType = "csrc"
	csrcDict = "RTCRtpContributingSourceStats"
)

// sourceKinds tells the two "media-source" dictionaries apart by kind.
var sourceKinds = map[string]string{ //nolint:gochecknoglobals // read-only table
	"RTCAudioSourceStats": "audio",
	"RTCVideoSourceStats": "video",
}

// webrtcPCEnums are enums the stats members use but webrtc-pc defines, so
// they are not in the spec inputs. Hand-maintained from webrtc-pc.
var webrtcPCEnums = map[string][]string{ //nolint:gochecknoglobals // read-only table
	"RTCDataChannelState":           {"connecting", "open", "closing", "closed"},
	"RTCDtlsTransportState":         {"new", "connecting", "connected", "closed", "failed"},
	"RTCIceCandidateType":           {"host", "srflx", "prflx", "relay"},
	"RTCIceRole":                    {"unknown", "controlling", "controlled"},
	"RTCIceServerTransportProtocol": {"udp", "tcp", "tls"},
	"RTCIceTcpCandidateType":        {"active", "passive", "so"},
	"RTCIceTransportState":          {"new", "checking", "connected", "completed", "disconnected", "failed", "closed"},
}

// kindOverrides corrects the kind rule parsed from the prose, keyed
// "Dictionary.member", for definitions whose wording the parser does not
// catch. Empty while the parse is complete; TestKindRules pins the result.
var kindOverrides = map[string]string{} //nolint:gochecknoglobals // read-only table

type flatFile struct {
	Source string                `json:"source"`
	Enums  map[string][]string   `json:"enums"`
	Types  map[string][]flatDict `json:"types"`
}

type flatDict struct {
	Dictionary  string       `json:"dictionary"`
	Inheritance []string     `json:"inheritance"`
	Members     []flatMember `json:"members"`
}

type flatMember struct {
	Required   bool   `json:"required"`
	Type       string `json:"type"`
	Name       string `json:"name"`
	DeclaredIn string `json:"declaredIn"`
}

// loadModel reads the spec inputs in dir into the model render writes; the
// warnings name members the prose does not describe.
//
//nolint:gocognit,gocyclo,maintidx,cyclop // one pass over the spec inputs; its output, types_gen.go, is pinned by TestGeneratedTypesUpToDate
func loadModel(dir string) (*model, []string, error) {
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		return string(b), err
	}
	flatSrc, err := read("webrtc-stats-ED-flattened.json")
	if err != nil {
		return nil, nil, err
	}
	var flat flatFile
	if err := json.Unmarshal([]byte(flatSrc), &flat); err != nil {
		return nil, nil, fmt.Errorf("webrtc-stats-ED-flattened.json: %w", err)
	}
	edText, err := read("webrtc-stats-ED.txt")
	if err != nil {
		return nil, nil, err
	}
	provIDLSrc, err := read("webrtc-provisional-stats.idl")
	if err != nil {
		return nil, nil, err
	}
	provText, err := read("webrtc-provisional-stats.txt")
	if err != nil {
		return nil, nil, err
	}
	idl2018, err := read("webrtc-stats-2018-05-19.idl")
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(parseIDL(idl2018).Enums["RTCStatsType"], csrcType) {
		return nil, nil, fmt.Errorf("2018 RTCStatsType has no %q", csrcType)
	}
	prov := parseIDL(provIDLSrc)

	m := &model{
		EDSource:   flat.Source,
		ProvSource: firstLine(provIDLSrc),
		Enums:      map[string][]string{},
	}
	enums := map[string][]string{}
	for _, src := range []map[string][]string{webrtcPCEnums, flat.Enums, prov.Enums} {
		maps.Copy(enums, src)
	}

	// ED types and dictionaries, in RTCStatsType order.
	order := flat.Enums["RTCStatsType"]
	if len(order) != len(flat.Types) {
		return nil, nil, fmt.Errorf("RTCStatsType has %d values, types has %d", len(order), len(flat.Types))
	}
	var base []member // RTCStats members, shared by every dictionary
	byName := map[string]*dict{}
	for _, t := range order {
		fds, ok := flat.Types[t]
		if !ok || len(fds) == 0 {
			return nil, nil, fmt.Errorf("type %q has no dictionary", t)
		}
		var names []string
		for _, fd := range fds {
			names = append(names, fd.Dictionary)
			if d := byName[fd.Dictionary]; d != nil {
				d.Types = append(d.Types, t)
				continue
			}
			d := &dict{IDL: fd.Dictionary, GoName: dictGoName(fd.Dictionary), Types: []string{t}, Inheritance: fd.Inheritance}
			if len(fds) > 1 {
				if d.Kind = sourceKinds[fd.Dictionary]; d.Kind == "" {
					return nil, nil, fmt.Errorf("type %q has several dictionaries; no kind for %s", t, fd.Dictionary)
				}
			}
			for _, fm := range fd.Members {
				mem := member{Name: fm.Name, IDL: fm.Type, DeclaredIn: fm.DeclaredIn, Required: fm.Required}
				d.Members = append(d.Members, mem)
				if fm.DeclaredIn == "RTCStats" && len(base) < 3 {
					base = append(base, mem)
				}
			}
			byName[fd.Dictionary] = d
			m.Dicts = append(m.Dicts, d)
		}
		m.Types = append(m.Types, statsType{Name: t, Const: typeConstName(t), Doc: strings.Join(names, ", ")})
	}
	if len(base) != 3 {
		return nil, nil, fmt.Errorf("expected timestamp, type and id from RTCStats, got %d members", len(base))
	}

	// Provisional partial dictionaries extend the ED dictionary they name and,
	// through inheritance, every ED dictionary derived from it.
	used := map[string]bool{}
	for _, d := range m.Dicts {
		chain := slices.Clone(d.Inheritance)
		slices.Reverse(chain) // base first, so parents' members come first
		for _, anc := range chain {
			for _, pd := range prov.Dicts {
				if !pd.Partial || pd.Name != anc {
					continue
				}
				used[pd.Name] = true
				for _, pm := range pd.Members {
					if slices.ContainsFunc(d.Members, func(x member) bool { return x.Name == pm.Name }) {
						continue // the ED definition wins
					}
					d.Members = append(d.Members, member{Name: pm.Name, IDL: pm.Type, DeclaredIn: pd.Name, Required: pm.Required, Provisional: true})
				}
			}
		}
	}

	// RTCRtpContributingSourceStats is the one provisional-only dictionary modelled.
	for _, pd := range prov.Dicts {
		switch {
		case pd.Name == csrcDict && !pd.Partial:
			d := &dict{IDL: pd.Name, GoName: dictGoName(pd.Name), Types: []string{csrcType}, Inheritance: []string{pd.Name}, Provisional: true}
			d.Members = slices.Clone(base)
			for _, pm := range pd.Members {
				d.Members = append(d.Members, member{Name: pm.Name, IDL: pm.Type, DeclaredIn: pd.Name, Required: pm.Required, Provisional: true})
			}
			m.Dicts = append(m.Dicts, d)
			m.Types = append(m.Types, statsType{Name: csrcType, Const: typeConstName(csrcType), Doc: pd.Name + " (provisional; type name from the 2018 draft)"})
		case pd.Partial && used[pd.Name]:
		case pd.Partial:
			m.Skipped = append(m.Skipped, "partial "+pd.Name)
		default:
			m.Skipped = append(m.Skipped, pd.Name)
		}
	}

	if err := addExtensions(m, extensionsIDL); err != nil {
		return nil, nil, err
	}

	// Prose: meaning and existence rules of each member.
	edKnown, provKnown := map[string]map[string]bool{}, map[string]map[string]bool{}
	for _, d := range m.Dicts {
		for _, mem := range d.Members {
			if !mem.Provisional && !mem.Extension {
				addKnown(edKnown, mem.DeclaredIn, mem.Name)
			}
		}
	}
	for _, pd := range prov.Dicts {
		for _, pm := range pd.Members {
			addKnown(provKnown, pd.Name, pm.Name)
		}
	}
	edProse, provProse := parseProse(edText, edKnown), parseProse(provText, provKnown)

	var warnings []string
	for _, d := range m.Dicts {
		for i := range d.Members {
			mem := &d.Members[i]
			if mem.DeclaredIn == "RTCStats" || mem.Extension {
				continue
			}
			prose := edProse
			if mem.Provisional {
				prose = provProse
			}
			desc, ok := prose[mem.DeclaredIn][mem.Name]
			if !ok {
				warnings = append(warnings, fmt.Sprintf("no description for %s.%s", mem.DeclaredIn, mem.Name))
			}
			mem.Doc = summary(desc)
			mem.NotForKind = notForKind(desc)
			if k, ok := kindOverrides[mem.DeclaredIn+"."+mem.Name]; ok {
				mem.NotForKind = k
			}
			mem.NotForRemote = notForRemoteCandidate(desc)
		}
	}

	// Types, nullability and enums.
	for _, d := range m.Dicts {
		for i := range d.Members {
			mem := &d.Members[i]
			mem.Nullable = strings.HasSuffix(mem.IDL, "?")
			if mem.GoType, mem.JSONKind, err = goType(mem.IDL, enums); err != nil {
				return nil, warnings, fmt.Errorf("%s.%s: %w", d.IDL, mem.Name, err)
			}
			t := strings.TrimSuffix(mem.IDL, "?")
			if vals, ok := enums[t]; ok && t != "RTCStatsType" {
				mem.Enum = t
				m.Enums[t] = vals
			}
		}
	}
	return m, warnings, nil
}

// addExtensions appends the extension members declared in src (the text of
// extensions.idl) to the dictionary each partial dictionary names and to
// every dictionary inheriting from it, after the spec's members. Every
// extension dictionary must be partial and name a modelled dictionary, and
// every member needs a doc comment; a member that collides with a spec
// member (by name or by Go field name) or another extension is an error.
//
//nolint:gocognit // checks as it goes, each with its own error
func addExtensions(m *model, src string) error {
	ext := parseIDL(src)
	declared := map[string]bool{}
	for _, ed := range ext.Dicts {
		if !ed.Partial {
			return fmt.Errorf("%s: dictionary %s: extensions must be partial dictionaries", extensionsFile, ed.Name)
		}
		if !slices.ContainsFunc(m.Dicts, func(d *dict) bool { return slices.Contains(d.Inheritance, ed.Name) }) {
			return fmt.Errorf("%s: partial dictionary %s extends no modelled dictionary", extensionsFile, ed.Name)
		}
		for _, em := range ed.Members {
			switch {
			case em.Doc == "":
				return fmt.Errorf("%s: %s.%s has no doc comment", extensionsFile, ed.Name, em.Name)
			case em.Required:
				return fmt.Errorf("%s: %s.%s: extension members cannot be required", extensionsFile, ed.Name, em.Name)
			case declared[ed.Name+"."+em.Name]:
				return fmt.Errorf("%s: %s.%s is declared twice", extensionsFile, ed.Name, em.Name)
			}
			declared[ed.Name+"."+em.Name] = true
		}
	}
	for _, d := range m.Dicts {
		chain := slices.Clone(d.Inheritance)
		slices.Reverse(chain) // base first, so parents' members come first
		for _, anc := range chain {
			for _, ed := range ext.Dicts {
				if ed.Name != anc {
					continue
				}
				for _, em := range ed.Members {
					if i := slices.IndexFunc(d.Members, func(x member) bool {
						return x.Name == em.Name || goName(x.Name) == goName(em.Name)
					}); i >= 0 {
						x := d.Members[i]
						what, hint := "an ED member", "; drop the extension now that a spec defines it"
						switch {
						case x.Extension:
							what, hint = "an extension member", ""
						case x.Provisional:
							what = "a provisional member"
						}
						return fmt.Errorf("%s: extension %s.%s collides with %s: %s.%s (Go name %s)%s",
							extensionsFile, ed.Name, em.Name, what, x.DeclaredIn, x.Name, goName(x.Name), hint)
					}
					d.Members = append(d.Members, member{Name: em.Name, IDL: em.Type, DeclaredIn: ed.Name, Extension: true, Doc: em.Doc})
				}
			}
		}
	}
	return nil
}

func addKnown(k map[string]map[string]bool, dict, name string) {
	if k[dict] == nil {
		k[dict] = map[string]bool{}
	}
	k[dict][name] = true
}

// goType maps an IDL type to its Go type (without the pointer that optional
// members get) and its JSON kind.
func goType(idl string, enums map[string][]string) (typ, kind string, err error) {
	t := strings.TrimSuffix(idl, "?")
	switch t {
	case "DOMHighResTimeStamp", "double":
		return "float64", "JSONNumber", nil
	case "DOMString", "USVString":
		return "string", "JSONString", nil
	case "unsigned short":
		return "uint16", "JSONInteger", nil
	case "unsigned long":
		return "uint32", "JSONInteger", nil
	case "unsigned long long":
		return "uint64", "JSONInteger", nil
	case "long":
		return "int32", "JSONInteger", nil
	case "long long":
		return "int64", "JSONInteger", nil
	case "boolean":
		return "bool", "JSONBool", nil
	}
	if rest, ok := strings.CutPrefix(t, "record<"); ok {
		_, val, _ := strings.Cut(strings.TrimSuffix(rest, ">"), ",")
		switch strings.TrimSpace(val) {
		case "double":
			return "map[string]float64", "JSONRecord", nil
		case "unsigned long long":
			return "map[string]uint64", "JSONRecord", nil
		}
	}
	if _, ok := enums[t]; ok {
		return "string", "JSONString", nil
	}
	return "", "", fmt.Errorf("unsupported IDL type %q", idl)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	line = strings.TrimSpace(strings.TrimPrefix(line, "//"))
	return strings.TrimPrefix(line, "Extracted from ")
}
