//go:build linux

package wirecap_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// tcpdump is a reference capture of the same flow, read back with tshark,
// so the test does not only trust wirecap's own parser.
type tcpdump struct {
	cmd  *exec.Cmd
	file string

	mu     sync.Mutex
	stderr bytes.Buffer
}

type dsfield struct{ dscp, ecn uint8 }

// startTcpdump returns nil and a reason when tcpdump or tshark is missing.
// It returns once tcpdump is capturing.
func startTcpdump(t *testing.T, port uint16) (*tcpdump, string) {
	t.Helper()
	for _, tool := range []string{"tcpdump", "tshark"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, tool + " not on PATH: no cross-check with tcpdump/tshark"
		}
	}
	td := &tcpdump{file: filepath.Join(t.TempDir(), "lo.pcap")}
	// Immediate mode and -U: every packet reaches the file promptly, so
	// stop can wait for the file instead of racing tcpdump's buffering.
	// Immediate mode sizes ring slots by the snap length: the default
	// (256 KiB) leaves a handful of slots and a burst is dropped.
	td.cmd = exec.CommandContext(t.Context(), "tcpdump", "-i", "lo", "-n", "-U", "--immediate-mode", "-s", "256", "-B", "16384", "-Z", "root",
		"-w", td.file, "udp port "+strconv.Itoa(int(port)))
	pipe, err := td.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := td.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = td.cmd.Process.Kill(); _ = td.cmd.Wait() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pipe)
		for started := false; sc.Scan(); {
			td.mu.Lock()
			fmt.Fprintln(&td.stderr, sc.Text())
			td.mu.Unlock()
			if !started && strings.Contains(sc.Text(), "listening on") {
				started = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatalf("tcpdump did not start: %s", td.log())
	}
	return td, ""
}

func (td *tcpdump) log() string {
	td.mu.Lock()
	defer td.mu.Unlock()
	return td.stderr.String()
}

// stop waits until the file reaches size bytes (or 10 s), stops tcpdump,
// checks it dropped nothing and returns tshark's DSCP/ECN per packet.
func (td *tcpdump) stop(t *testing.T, size int) []dsfield {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if fi, err := os.Stat(td.file); err == nil && fi.Size() >= int64(size) {
			break
		}
	}
	_ = td.cmd.Process.Signal(os.Interrupt)
	if err := td.cmd.Wait(); err != nil {
		t.Fatalf("tcpdump: %v: %s", err, td.log())
	}
	m := regexp.MustCompile(`(\d+) packets dropped by kernel`).FindStringSubmatch(td.log())
	if m == nil || m[1] != "0" {
		t.Fatalf("tcpdump dropped packets or printed no statistics: %s", td.log())
	}

	out, err := exec.CommandContext(t.Context(), "tshark", "-r", td.file, "-T", "fields", "-e", "ip.dsfield.dscp", "-e", "ip.dsfield.ecn").Output()
	if err != nil {
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		t.Fatalf("tshark: %v", err)
	}
	var fields []dsfield
	for line := range strings.Lines(string(out)) {
		var f dsfield
		if _, err := fmt.Sscanf(line, "%d\t%d", &f.dscp, &f.ecn); err != nil {
			t.Fatalf("tshark line %q: %v", line, err)
		}
		fields = append(fields, f)
	}
	return fields
}
