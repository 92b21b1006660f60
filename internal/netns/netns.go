//go:build linux

package netns

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Pair is two namespaces whose veth endpoints are on the same subnet.
type Pair struct {
	A, B   *NS          // the two namespaces, A on the subnet's first host address
	Subnet netip.Prefix // the veth link's subnet
}

// NS is one namespace of a [Pair].
type NS struct {
	Name   string     // name under /var/run/netns
	Addr   netip.Addr // address of the veth endpoint inside this namespace
	IfName string     // name of that veth endpoint
	mac    string
}

// Option configures [New].
type Option func(*config)

type config struct {
	subnet netip.Prefix
}

// WithSubnet sets the subnet of the veth link; A gets its first host
// address and B the second. Default 10.201.0.0/30. Because each pair lives
// in its own namespaces, pairs may share a subnet.
func WithSubnet(p netip.Prefix) Option {
	return func(c *config) { c.subnet = p }
}

// Fixed MACs let New install permanent neighbour entries: no ARP/NDP on the
// wire and no packets queued (or dropped) behind an unresolved neighbour
// when a test starts with a burst.
const macA, macB = "02:72:74:63:00:0a", "02:72:74:63:00:0b"

// New creates the pair and registers a t.Cleanup that deletes both
// namespaces (which destroys the veth). A socket still open keeps its
// namespace alive, unnamed, until closed; register closes after New so
// they run first. It skips the test unless running
// as root with `ip` on PATH. For an IPv4 subnet, IPv6 is disabled inside
// the namespaces so that the veth address is the only usable address
// there (no link-local candidates for ICE).
func New(tb testing.TB, opts ...Option) *Pair {
	tb.Helper()
	RequireRoot(tb)
	Require(tb, "ip")
	cfg := config{subnet: netip.MustParsePrefix("10.201.0.0/30")}
	for _, o := range opts {
		o(&cfg)
	}
	p, err := newPair(tb, cfg.subnet.Masked())
	if err != nil {
		tb.Fatalf("netns: %v", err)
	}
	return p
}

func newPair(tb testing.TB, subnet netip.Prefix) (*Pair, error) {
	tb.Helper()
	a := subnet.Addr().Next()
	b := a.Next()
	if !subnet.IsValid() || !subnet.Contains(b) {
		return nil, fmt.Errorf("subnet %v has no room for two hosts", subnet)
	}
	// Random rather than a package counter: unique across parallel tests
	// and test binaries without global state.
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	base := fmt.Sprintf("rtcs-%d-%s-", os.Getpid(), hex.EncodeToString(rnd[:]))
	p := &Pair{
		Subnet: subnet,
		A:      &NS{Name: base + "a", Addr: a, IfName: "veth-a", mac: macA},
		B:      &NS{Name: base + "b", Addr: b, IfName: "veth-b", mac: macB},
	}
	for _, ns := range []*NS{p.A, p.B} {
		if err := ip("netns", "add", ns.Name); err != nil {
			return nil, err
		}
		tb.Cleanup(func() {
			if err := ns.remove(); err != nil {
				tb.Errorf("netns: cleanup: %v", err)
			}
		})
		if a.Is4() {
			if err := ns.Do(disableIPv6); err != nil {
				return nil, err
			}
		}
	}
	// Created directly inside the namespaces: the veth never appears in
	// the root namespace, so names cannot clash there.
	if err := ip("link", "add", p.A.IfName, "netns", p.A.Name, "address", p.A.mac,
		"type", "veth", "peer", "name", p.B.IfName, "netns", p.B.Name, "address", p.B.mac); err != nil {
		return nil, err
	}
	for _, pr := range [][2]*NS{{p.A, p.B}, {p.B, p.A}} {
		if err := pr[0].configure(subnet.Bits(), pr[1]); err != nil {
			return nil, err
		}
	}
	for _, ns := range []*NS{p.A, p.B} {
		if err := ns.waitReady(5 * time.Second); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// waitReady waits until the veth end can transmit. A veth set up while its
// peer is down gets its queueing discipline only when the kernel's link
// watch handles the carrier coming on, asynchronously; until then (under
// load, a while) it has the noop discipline, which drops every packet.
func (ns *NS) waitReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		out, err := run(exec.Command("ip", "-n", ns.Name, "link", "show", "dev", ns.IfName)) //nolint:gosec,noctx // G204: arguments built by this package; ip runs briefly
		if err != nil {
			return err
		}
		if s := string(out); strings.Contains(s, "LOWER_UP") && !strings.Contains(s, "qdisc noop") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s in %s not ready after %v: %s", ns.IfName, ns.Name, d, bytes.TrimSpace(out))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (ns *NS) configure(bits int, peer *NS) error {
	addr := []string{"-n", ns.Name, "addr", "add", fmt.Sprintf("%v/%d", ns.Addr, bits), "dev", ns.IfName}
	if ns.Addr.Is6() {
		addr = append(addr, "nodad") // usable at once instead of tentative
	}
	for _, args := range [][]string{
		addr,
		{"-n", ns.Name, "neigh", "replace", peer.Addr.String(), "lladdr", peer.mac, "dev", ns.IfName, "nud", "permanent"},
		{"-n", ns.Name, "link", "set", "lo", "up"},
		{"-n", ns.Name, "link", "set", ns.IfName, "up"},
	} {
		if err := ip(args...); err != nil {
			return err
		}
	}
	return nil
}

func (ns *NS) remove() error {
	err := ip("netns", "del", ns.Name)
	if _, serr := os.Stat(ns.path()); !errors.Is(serr, os.ErrNotExist) {
		err = errors.Join(err, fmt.Errorf("%s still exists after deletion", ns.path()))
	}
	return err
}

func (ns *NS) path() string { return "/var/run/netns/" + ns.Name }

// disableIPv6 runs inside a namespace: /proc/sys/net resolves to the
// namespace of the opening thread.
func disableIPv6() error {
	for _, f := range []string{"all", "default"} {
		err := os.WriteFile("/proc/sys/net/ipv6/conf/"+f+"/disable_ipv6", []byte("1"), 0)
		if err != nil && !errors.Is(err, os.ErrNotExist) { // no IPv6 in kernel
			return err
		}
	}
	return nil
}
