// Command logger is the benchmark image's only program: `logger MB`
// writes that many megabytes of log lines and exits; `logger sleep` waits.
package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "sleep" {
		time.Sleep(time.Hour)
		return
	}
	mb := 0
	if len(os.Args) > 1 {
		mb, _ = strconv.Atoi(os.Args[1])
	}
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	line := strings.Repeat("x", 99) + "\n"
	for i := 0; i < mb*1024*1024/len(line); i++ {
		w.WriteString(line)
	}
	w.Flush()
}
