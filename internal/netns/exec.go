//go:build linux

package netns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// ErrToolMissing is wrapped by errors about a command not found on PATH.
var ErrToolMissing = errors.New("tool not found on PATH")

// RequireRoot skips the test unless it runs as root.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root (network namespaces, nftables, packet capture)")
	}
}

// Require skips the test unless every tool is on PATH.
func Require(tb testing.TB, tools ...string) {
	tb.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		tb.Skipf("needs %s on PATH", strings.Join(missing, ", "))
	}
}

// Run runs a command inside the namespace and returns its combined output.
// A failure's error includes that output.
func (ns *NS) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return run(exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)) //nolint:gosec // G204: test tooling; the test chooses the command
}

// NFT loads an nftables ruleset (`nft -f -` syntax) inside the namespace.
// It returns an error wrapping [ErrToolMissing] when nft is not installed.
func (ns *NS) NFT(ctx context.Context, ruleset string) error {
	if _, err := exec.LookPath("nft"); err != nil {
		return fmt.Errorf("netns: %w: nft", ErrToolMissing)
	}
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns.Name, "nft", "-f", "-") //nolint:gosec // G204: ns.Name is ours
	cmd.Stdin = strings.NewReader(ruleset)
	_, err := run(cmd)
	return err
}

func ip(args ...string) error {
	_, err := run(exec.Command("ip", args...)) //nolint:gosec,noctx // G204: arguments built by this package; ip runs briefly
	return err
}

func run(cmd *exec.Cmd) ([]byte, error) {
	out, err := cmd.CombinedOutput()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			err = fmt.Errorf("%w: %w", ErrToolMissing, err)
		}
		return out, fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}
