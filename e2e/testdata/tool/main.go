// Command tool is the one binary inside the e2e test image. It acts by the
// name it is called under (busybox style): echo, cat, read, sleep, tick, both,
// err, sh, plant, mknod and euid for what a job running as root can leave on
// the host, raw for what it can send on its network, and dial for what a
// host service's socket answers it.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(filepath.Base(os.Args[0]), os.Args[1:]))
}

func run(name string, args []string) int {
	switch name {
	case "echo":
		fmt.Println(strings.Join(args, " "))
	case "both":
		// both OUT ERR [SECONDS]: one line to each stream, then stay up.
		fmt.Println(first(args, "out"))
		fmt.Fprintln(os.Stderr, second(args, "err"))
		if len(args) > 2 {
			n, _ := strconv.ParseFloat(args[2], 64)
			time.Sleep(time.Duration(n * float64(time.Second)))
		}
	case "err":
		fmt.Fprintln(os.Stderr, strings.Join(args, " "))
	case "cat":
		io.Copy(os.Stdout, os.Stdin)
	case "read":
		// read FILE: the file's bytes, so a test can see what a bind reached.
		b, err := os.ReadFile(first(args, ""))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		os.Stdout.Write(b)
	case "plant":
		// plant FILE: a copy of this program, set-user-ID to its owner (the
		// container's root), called euid so that it says who it runs as.
		if err := plant(first(args, "")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	case "mknod":
		// mknod FILE: a character device anyone may open (the kernel's
		// null, harmless; a disk's would be just as easy).
		if err := syscall.Mknod(first(args, ""), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		// The umask took bits off; the owner may put them back.
		if err := syscall.Chmod(first(args, ""), 0o666); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	case "raw":
		// raw: open a raw socket, as a job forging packets on its bridge
		// would (it needs CAP_NET_RAW).
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_ICMP)
		if err != nil {
			fmt.Println("raw socket:", err)
			return 1
		}
		syscall.Close(fd)
		fmt.Println("raw socket open")
	case "dial":
		// dial SOCKET: what a unix socket's listener says on connecting.
		c, err := net.Dial("unix", first(args, ""))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer c.Close()
		io.Copy(os.Stdout, c)
	case "euid":
		fmt.Printf("euid %d\n", os.Geteuid())
	case "sleep":
		n, _ := strconv.ParseFloat(first(args, "3600"), 64)
		time.Sleep(time.Duration(n * float64(time.Second)))
	case "tick":
		// tick COUNT MILLIS: one line per interval, so a follower can see
		// lines arrive while the container runs.
		n, _ := strconv.Atoi(first(args, "5"))
		ms, _ := strconv.Atoi(second(args, "200"))
		for i := 0; i < n; i++ {
			fmt.Printf("tick %d\n", i)
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
	case "sh":
		if len(args) == 2 && args[0] == "-c" {
			words := strings.Fields(args[1])
			if len(words) == 0 {
				return 0
			}
			return run(words[0], words[1:])
		}
		fmt.Fprintln(os.Stderr, "sh: only -c LINE is supported")
		return 2
	default:
		fmt.Fprintf(os.Stderr, "tool: unknown command %q\n", name)
		return 127
	}
	return 0
}

func plant(dst string) error {
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, self, 0o755); err != nil {
		return err
	}
	// os.Chmod takes Go's mode bits; the kernel's set-user-ID bit is 04000.
	return syscall.Chmod(dst, 0o4755)
}

func first(a []string, def string) string {
	if len(a) > 0 {
		return a[0]
	}
	return def
}

func second(a []string, def string) string {
	if len(a) > 1 {
		return a[1]
	}
	return def
}
