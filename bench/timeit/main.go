// Command timeit runs a command several times and prints its median wall time, the range,
// the peak resident set size and the median user+system CPU time, measured by the Go
// runtime around fork/exec and from the kernel's rusage: no shell or /usr/bin/time sits
// between the clock and the command. bench/run uses it.
//
//	timeit [-runs N] [-prepare 'SHELL COMMAND'] -label LABEL -- COMMAND [ARG...]
//
// It prints one line: LABEL MEDIAN_MS MIN_MS MAX_MS PEAK_RSS_KB MEDIAN_CPU_MS. The command's
// standard output is discarded; its standard error is shown when it fails. One untimed run
// comes first (warm-up: page cache, a warm shipshape cache); -prepare runs (untimed, with
// sh -c) before every run, warm-up included.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"syscall"
	"time"
)

func main() {
	runs := flag.Int("runs", 5, "timed runs")
	prepare := flag.String("prepare", "", "shell command run before each run, untimed")
	label := flag.String("label", "", "label printed first")
	flag.Parse()
	if flag.NArg() == 0 || *runs < 1 {
		fmt.Fprintln(os.Stderr, "usage: timeit [-runs N] [-prepare CMD] -label LABEL -- COMMAND [ARG...]")
		os.Exit(2)
	}
	var walls, cpus []float64
	var peak int64
	for i := 0; i <= *runs; i++ {
		if *prepare != "" {
			if out, err := exec.Command("sh", "-c", *prepare).CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "timeit %s: prepare: %v\n%s", *label, err, out)
				os.Exit(1)
			}
		}
		cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if err != nil {
			fmt.Fprintf(os.Stderr, "timeit %s: %v\n%s", *label, err, stderr.Bytes())
			os.Exit(1)
		}
		if i == 0 {
			continue // warm-up
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		walls = append(walls, float64(wall.Microseconds())/1000)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		cpus = append(cpus, float64(cpu.Microseconds())/1000)
		peak = max(peak, ru.Maxrss) // KiB on Linux
	}
	sort.Float64s(walls)
	fmt.Printf("%s %.1f %.1f %.1f %d %.0f\n", *label, median(walls), walls[0], walls[len(walls)-1], peak, median(cpus))
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
