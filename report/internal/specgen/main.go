// Command specgen generates report/types_gen.go from the W3C webrtc-stats
// editors' draft and the webrtc-provisional-stats document.
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
