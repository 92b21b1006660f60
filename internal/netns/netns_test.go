//go:build linux

package netns_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/netns"
)

func TestPairUDP(t *testing.T) {
	p := netns.New(t)
	a := listenUDP(t, p.A)
	b := listenUDP(t, p.B)

	exchange(t, a, b, "ping")
	exchange(t, b, a, "pong")

	// The addresses exist only inside the namespaces.
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, ad := range addrs {
		if pfx, err := netip.ParsePrefix(ad.String()); err == nil && (pfx.Addr() == p.A.Addr || pfx.Addr() == p.B.Addr) {
			t.Errorf("root namespace has veth address %v", ad)
		}
	}
	if c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.A.Addr, 0))); err == nil {
		_ = c.Close()
		t.Errorf("root namespace can bind %v", p.A.Addr)
	}
}

func TestInterfaces(t *testing.T) {
	p := netns.New(t)
	ifs, err := p.A.Net().Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ifc := range ifs {
		names = append(names, ifc.Name)
	}
	if len(ifs) != 2 {
		t.Errorf("interfaces in A = %v, want lo and %s", names, p.A.IfName)
	}
	ifc, err := p.A.Net().InterfaceByName(p.A.IfName)
	if err != nil {
		t.Fatal(err)
	}
	if ifc.Flags&net.FlagUp == 0 {
		t.Errorf("%s is down", ifc.Name)
	}
	addrs, err := ifc.Addrs()
	if err != nil || len(addrs) != 1 || addrs[0].String() != p.A.Addr.String()+"/30" {
		t.Errorf("%s addrs = %v, %v; want only %v/30 (no IPv6 link-local)", ifc.Name, addrs, err, p.A.Addr)
	}
	if byIdx, err := p.A.Net().InterfaceByIndex(ifc.Index); err != nil || byIdx.Name != ifc.Name {
		t.Errorf("InterfaceByIndex(%d) = %v, %v", ifc.Index, byIdx, err)
	}
	if _, err := net.InterfaceByName(p.A.IfName); err == nil {
		t.Errorf("root namespace has %s", p.A.IfName)
	}

	out, err := p.B.Run(t.Context(), "ip", "-br", "addr", "show", "dev", p.B.IfName)
	if err != nil || !bytes.Contains(out, []byte(p.B.Addr.String()+"/30")) {
		t.Errorf("ip addr in B: %s, %v", out, err)
	}
}

func TestDo(t *testing.T) {
	p := netns.New(t)
	nsFile, err := os.Stat("/var/run/netns/" + p.A.Name)
	if err != nil {
		t.Fatal(err)
	}
	inside := func() error {
		self, err := os.Stat("/proc/thread-self/ns/net")
		if err != nil {
			return err
		}
		if !os.SameFile(self, nsFile) {
			return errors.New("thread is not in the namespace")
		}
		return nil
	}
	if err := p.A.Do(inside); err != nil {
		t.Error(err)
	}
	if err := inside(); err == nil {
		t.Error("caller's thread is in the namespace")
	}
	want := errors.New("boom")
	if err := p.A.Do(func() error { return want }); !errors.Is(err, want) {
		t.Errorf("Do = %v, want %v", err, want)
	}
}

func TestCleanup(t *testing.T) {
	var p *netns.Pair
	t.Run("pair", func(t *testing.T) { p = netns.New(t) })
	if p == nil {
		t.Skip("pair not created")
	}
	out, err := exec.CommandContext(t.Context(), "ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns list: %v: %s", err, out)
	}
	// Other test binaries may own rtcs- namespaces right now; ours must be gone.
	if prefix := "rtcs-" + strconv.Itoa(os.Getpid()) + "-"; strings.Contains(string(out), prefix) {
		t.Errorf("namespaces left behind:\n%s", out)
	}
	for _, ns := range []*netns.NS{p.A, p.B} {
		if _, err := os.Stat("/var/run/netns/" + ns.Name); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %v", ns.Name, err)
		}
	}
}

func TestNFTMissing(t *testing.T) {
	p := netns.New(t)
	t.Setenv("PATH", t.TempDir())
	if err := p.A.NFT(context.Background(), ""); !errors.Is(err, netns.ErrToolMissing) {
		t.Errorf("NFT without nft = %v, want ErrToolMissing", err)
	}
}

func listenUDP(t *testing.T, ns *netns.NS) *net.UDPConn {
	t.Helper()
	c, err := ns.Net().ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ns.Addr, 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*net.UDPConn)
}

func exchange(t *testing.T, from, to *net.UDPConn, msg string) {
	t.Helper()
	if _, err := from.WriteTo([]byte(msg), to.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_ = to.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, src, err := to.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); got != msg || src != from.LocalAddr().(*net.UDPAddr).AddrPort() {
		t.Errorf("got %q from %v, want %q from %v", got, src, msg, from.LocalAddr())
	}
}

func TestIPv6Subnet(t *testing.T) {
	p := netns.New(t, netns.WithSubnet(netip.MustParsePrefix("fd72:7463::/126")))
	if p.A.Addr != netip.MustParseAddr("fd72:7463::1") || p.B.Addr != netip.MustParseAddr("fd72:7463::2") {
		t.Fatalf("addresses %v, %v", p.A.Addr, p.B.Addr)
	}
	a, err := p.A.Net().ListenUDP("udp6", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.A.Addr, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = a.Close() }()
	b, err := p.B.Net().ListenUDP("udp6", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.B.Addr, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	exchange(t, a.(*net.UDPConn), b.(*net.UDPConn), "ping6")
}
