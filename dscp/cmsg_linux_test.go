//go:build linux

package dscp

import (
	"bytes"
	"net"
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func TestCmsgSizes(t *testing.T) {
	if cmsgLenInt != syscall.CmsgLen(4) || cmsgSpaceInt != syscall.CmsgSpace(4) {
		t.Fatalf("CMSG_LEN/SPACE(int) = %d/%d, syscall says %d/%d",
			cmsgLenInt, cmsgSpaceInt, syscall.CmsgLen(4), syscall.CmsgSpace(4))
	}
	if oobSpace != 2*syscall.CmsgSpace(4) {
		t.Fatalf("oobSpace = %d", oobSpace)
	}
}

func skipUnless64BitLE(t *testing.T) {
	t.Helper()
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("hand-made buffers use the linux/amd64 and arm64 cmsghdr layout")
	}
}

// Hand-made control messages in the linux/amd64 layout: 8-byte length,
// 4-byte level, 4-byte type, data, padding to 8 bytes.
var (
	// IP_TOS as the kernel delivers it for IPv4: one data byte (CMSG_LEN(1) = 17).
	kernelIPTOS = []byte{
		17, 0, 0, 0, 0, 0, 0, 0, // len
		0, 0, 0, 0, // SOL_IP
		1, 0, 0, 0, // IP_TOS
		0xb8, 0, 0, 0, 0, 0, 0, 0, // EF, padding
	}
	// IPV6_TCLASS as an int (CMSG_LEN(4) = 20).
	kernelTClass = []byte{
		20, 0, 0, 0, 0, 0, 0, 0,
		41, 0, 0, 0, // SOL_IPV6
		67, 0, 0, 0, // IPV6_TCLASS
		0x89, 0, 0, 0, 0, 0, 0, 0, // AF41 with ECT(1), padding
	}
	// SO_TIMESTAMP with a 16-byte struct timeval.
	kernelTimestamp = []byte{
		32, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, // SOL_SOCKET
		29, 0, 0, 0, // SO_TIMESTAMP
		0x10, 0x20, 0x30, 0x40, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0,
	}
	// IP_TOS sent as an int, as appendTOS writes it.
	sendIPTOS = []byte{
		20, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0,
		1, 0, 0, 0,
		0xb8, 0, 0, 0, 0, 0, 0, 0,
	}
)

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func TestParseTOSKernelLayout(t *testing.T) {
	skipUnless64BitLE(t)
	hugeLen := append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, kernelIPTOS[8:]...)
	zeroLen := append([]byte{0, 0, 0, 0, 0, 0, 0, 0}, kernelIPTOS[8:]...)
	headerOnly := append([]byte{16, 0, 0, 0, 0, 0, 0, 0}, kernelIPTOS[8:16]...)

	for _, tc := range []struct {
		name string
		oob  []byte
		tos  uint8
		ok   bool
	}{
		{"empty", nil, 0, false},
		{"ipv4 one byte", kernelIPTOS, 0xb8, true},
		{"ipv4 without trailing padding", kernelIPTOS[:17], 0xb8, true},
		{"ipv4 int", sendIPTOS, 0xb8, true},
		{"ipv6 int", kernelTClass, 0x89, true},
		{"ipv4 then ipv6", cat(kernelIPTOS, kernelTClass), 0xb8, true},
		{"ipv6 then ipv4", cat(kernelTClass, kernelIPTOS), 0x89, true},
		{"timestamp first", cat(kernelTimestamp, kernelTClass), 0x89, true},
		{"timestamp only", kernelTimestamp, 0, false},
		{"truncated header", kernelIPTOS[:12], 0, false},
		{"truncated data", kernelIPTOS[:16], 0, false},
		{"ipv6 truncated", kernelTClass[:19], 0, false},
		{"huge length", hugeLen, 0, false},
		{"huge length after timestamp", cat(kernelTimestamp, hugeLen), 0, false},
		{"zero length", zeroLen, 0, false},
		{"header-only message then tos", cat(headerOnly, kernelTClass), 0x89, true},
		{"tos after truncated timestamp", cat(kernelTimestamp[:24], kernelIPTOS), 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tos, ok := parseTOS(tc.oob)
			if tos != tc.tos || ok != tc.ok {
				t.Errorf("parseTOS = %#x, %v; want %#x, %v", tos, ok, tc.tos, tc.ok)
			}
		})
	}
}

func TestAppendTOSKernelLayout(t *testing.T) {
	skipUnless64BitLE(t)
	sendTClass := cat(kernelTClass[:16], []byte{0xb8, 0, 0, 0, 0, 0, 0, 0})
	if got := appendTOS(nil, 0xb8, true, false); !bytes.Equal(got, sendIPTOS) {
		t.Errorf("v4:\n got % x\nwant % x", got, sendIPTOS)
	}
	if got := appendTOS(nil, 0xb8, false, true); !bytes.Equal(got, sendTClass) {
		t.Errorf("v6:\n got % x\nwant % x", got, sendTClass)
	}
	if got := appendTOS(nil, 0xb8, true, true); !bytes.Equal(got, cat(sendIPTOS, sendTClass)) {
		t.Errorf("both:\n got % x", got)
	}
	if got := appendTOS([]byte{}, 0xb8, false, false); len(got) != 0 {
		t.Errorf("neither: % x", got)
	}
	// Appending after existing bytes into a reused, dirty buffer must keep
	// the prefix and zero the padding.
	dirty := bytes.Repeat([]byte{0xff}, 64)[:3]
	got := appendTOS(dirty, 0xb8, true, false)
	if want := cat([]byte{0xff, 0xff, 0xff}, sendIPTOS); !bytes.Equal(got, want) {
		t.Errorf("dirty:\n got % x\nwant % x", got, want)
	}
}

func TestAppendParseRoundTrip(t *testing.T) {
	buf := make([]byte, 0, oobSpace)
	for tos := range 256 {
		for _, fam := range [][2]bool{{true, false}, {false, true}, {true, true}} {
			oob := appendTOS(buf[:0], uint8(tos), fam[0], fam[1])
			if len(oob) > oobSpace {
				t.Fatalf("%d bytes exceed oobSpace", len(oob))
			}
			if got, ok := parseTOS(oob); !ok || got != uint8(tos) {
				t.Fatalf("tos %#x v4=%v v6=%v: parsed %#x, %v", tos, fam[0], fam[1], got, ok)
			}
		}
	}
}

func TestCmsgAllocs(t *testing.T) {
	buf := make([]byte, 0, oobSpace)
	var oob []byte
	if n := testing.AllocsPerRun(100, func() { oob = appendTOS(buf[:0], 0xb8, true, true) }); n != 0 {
		t.Errorf("appendTOS allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = parseTOS(oob) }); n != 0 {
		t.Errorf("parseTOS allocates %v times", n)
	}
}

func FuzzParseTOS(f *testing.F) {
	f.Add(kernelIPTOS)
	f.Add(cat(kernelTimestamp, kernelTClass))
	f.Fuzz(func(_ *testing.T, oob []byte) { _, _ = parseTOS(oob) })
}

type udpCase struct {
	name           string
	recvNet, recvA string
	sendNet, sendA string
	dst            string // address to send to; the port is the receiver's
	// Control messages to enable and send, as conn.go would choose them.
	recvV4, recvV6, sendV4, sendV6 bool
	wantInet6, wantDual            bool // of the receiver
}

var udpCases = []udpCase{
	{
		name: "ipv4", recvNet: "udp4", recvA: "127.0.0.1:0", sendNet: "udp4", sendA: "127.0.0.1:0",
		dst: "127.0.0.1", recvV4: true, sendV4: true,
	},
	{
		name: "ipv6", recvNet: "udp6", recvA: "[::1]:0", sendNet: "udp6", sendA: "[::1]:0",
		dst: "::1", recvV6: true, sendV6: true, wantInet6: true,
	},
	{
		name: "dual-stack to v4-mapped", recvNet: "udp", recvA: ":0", sendNet: "udp", sendA: ":0",
		dst: "::ffff:127.0.0.1", recvV4: true, recvV6: true, sendV4: true, sendV6: true,
		wantInet6: true, wantDual: true,
	},
	{
		name: "dual-stack to ipv4 address", recvNet: "udp", recvA: ":0", sendNet: "udp", sendA: ":0",
		dst: "127.0.0.1", recvV4: true, recvV6: true, sendV4: true, sendV6: true,
		wantInet6: true, wantDual: true,
	},
	{
		name: "dual-stack to ::1", recvNet: "udp", recvA: ":0", sendNet: "udp", sendA: ":0",
		dst: "::1", recvV4: true, recvV6: true, sendV4: true, sendV6: true,
		wantInet6: true, wantDual: true,
	},
	{
		name: "dual-stack sender to ipv4 receiver", recvNet: "udp4", recvA: "127.0.0.1:0", sendNet: "udp", sendA: ":0",
		dst: "127.0.0.1", recvV4: true, sendV4: true, sendV6: true,
	},
}

// TOS bytes to send: EF, AF41 with ECT(1), LE with ECT(0), CS7 with CE, 0.
var loopbackTOS = []uint8{46 << 2, 34<<2 | 1, 1<<2 | 2, 56<<2 | 3, 0}

func listenUDP(t *testing.T, network, addr string) *net.UDPConn {
	t.Helper()
	a, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		t.Skipf("resolve %s %s: %v", network, addr, err)
	}
	c, err := net.ListenUDP(network, a)
	if err != nil {
		t.Skipf("listen %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })

	return c
}

func rawConn(t *testing.T, c *net.UDPConn) syscall.RawConn {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}

	return rc
}

func receive(t *testing.T, c *net.UDPConn, want []byte) (tos uint8, ok bool) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	oob := make([]byte, oobSpace)
	n, oobn, flags, _, err := c.ReadMsgUDPAddrPort(b, oob)
	if err != nil {
		t.Fatal(err)
	}
	if flags&syscall.MSG_CTRUNC != 0 {
		t.Fatalf("control data truncated in %d bytes", len(oob))
	}
	if !bytes.Equal(b[:n], want) {
		t.Fatalf("received %q, want %q", b[:n], want)
	}

	return parseTOS(oob[:oobn])
}

func setupPair(t *testing.T, tc udpCase) (recv, send *net.UDPConn, dst netip.AddrPort) {
	t.Helper()
	recv = listenUDP(t, tc.recvNet, tc.recvA)
	send = listenUDP(t, tc.sendNet, tc.sendA)
	inet6, dual, err := socketFamily(rawConn(t, recv))
	if err != nil {
		t.Fatal(err)
	}
	if tc.wantDual && !dual {
		t.Skip("no dual-stack sockets here")
	}
	if inet6 != tc.wantInet6 || dual != tc.wantDual {
		t.Fatalf("socketFamily = %v, %v; want %v, %v", inet6, dual, tc.wantInet6, tc.wantDual)
	}
	if err := enableRecvTOS(rawConn(t, recv), tc.recvV4, tc.recvV6); err != nil {
		t.Fatal(err)
	}
	port := recv.LocalAddr().(*net.UDPAddr).Port
	dst = netip.AddrPortFrom(netip.MustParseAddr(tc.dst), uint16(port))

	return recv, send, dst
}

func TestLoopbackPerPacketTOS(t *testing.T) {
	for _, tc := range udpCases {
		t.Run(tc.name, func(t *testing.T) {
			recv, send, dst := setupPair(t, tc)
			oob := make([]byte, 0, oobSpace)
			for _, tos := range loopbackTOS {
				msg := []byte{'p', tos}
				if _, _, err := send.WriteMsgUDPAddrPort(msg, appendTOS(oob[:0], tos, tc.sendV4, tc.sendV6), dst); err != nil {
					if tc.dst == "::1" {
						t.Skipf("no IPv6 loopback: %v", err)
					}
					t.Fatal(err)
				}
				got, ok := receive(t, recv, msg)
				if !ok || got != tos {
					t.Errorf("sent tos %#x, received %#x (found %v)", tos, got, ok)
				}
			}
		})
	}
}

func TestLoopbackSocketTOS(t *testing.T) {
	for _, tc := range udpCases {
		t.Run(tc.name, func(t *testing.T) {
			recv, send, dst := setupPair(t, tc)
			for _, tos := range loopbackTOS {
				if err := setTOS(rawConn(t, send), tos, tc.sendV4, tc.sendV6); err != nil {
					t.Fatal(err)
				}
				msg := []byte{'s', tos}
				if _, err := send.WriteToUDPAddrPort(msg, dst); err != nil {
					if tc.dst == "::1" {
						t.Skipf("no IPv6 loopback: %v", err)
					}
					t.Fatal(err)
				}
				got, ok := receive(t, recv, msg)
				if !ok || got != tos {
					t.Errorf("socket tos %#x, received %#x (found %v)", tos, got, ok)
				}
			}
		})
	}
}

func TestSocketFamilyTCP(t *testing.T) {
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	defer func() { _ = ln.Close() }()
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if inet6, dual, err := socketFamily(rc); err != nil || inet6 || dual {
		t.Fatalf("tcp4 listener: %v, %v, %v", inet6, dual, err)
	}
}
