// Command specgen generates report/types_gen.go from the W3C webrtc-stats
// editors' draft and the webrtc-provisional-stats document, plus rtcstats'
// own extension members.
//
// It is run from the report directory by go generate:
//
//	go run ./internal/specgen [-spec DIR] [-out FILE]
//
// Inputs, all read from the spec directory:
//   - webrtc-stats-ED-flattened.json: stats types, dictionaries, flattened members, enums;
//   - webrtc-stats-ED.txt: member prose (one-line meaning, "MUST NOT exist for audio/video");
//   - webrtc-provisional-stats.idl and .txt: provisional partial dictionaries and
//     RTCRtpContributingSourceStats;
//   - webrtc-stats-2018-05-19.idl: confirms "csrc" as the type of RTCRtpContributingSourceStats.
//
// The extension members, which rtcstats measures and no W3C document
// defines, come from extensions.idl in this directory (embedded): partial
// dictionaries with a "//" doc comment above each member. They are appended
// after the spec's members and marked as extensions in the doc comments and
// the member tables; one that collides with a spec member is an error.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	specDir := flag.String("spec", "../../shared/spec", "directory holding the spec inputs")
	out := flag.String("out", "types_gen.go", "file to write")
	flag.Parse()

	src, warnings, err := generate(*specDir)
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "specgen: warning:", w)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

// generate reads the spec inputs in dir and returns the formatted source of
// types_gen.go, plus warnings about prose it could not attach to a member.
func generate(dir string) ([]byte, []string, error) {
	m, warnings, err := loadModel(dir)
	if err != nil {
		return nil, warnings, err
	}
	src, err := render(m)
	return src, warnings, err
}
