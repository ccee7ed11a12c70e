// Package cli wires shipshape's commands, flags, environment variables and output files to
// the scanning stages. It holds no scanning logic of its own.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shipshape-dev/shipshape/internal/docker"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Exit codes.
const (
	ExitOK = 0
	// ExitError means the command could not do what was asked, or did it only in part
	// (e.g. a layer could not be read); any report was still written.
	ExitError = 2
)

// version is set at build time with -ldflags "-X github.com/shipshape-dev/shipshape/internal/cli.version=v1.2.3".
var version = ""

// Version returns shipshape's version.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// globals are the flags every command shares.
type globals struct {
	format   string
	output   string
	quiet    bool
	debug    bool
	cacheDir string
	noCache  bool
	parallel int
	timeout  time.Duration

	stdout, stderr io.Writer
	// dockerEngine connects to the Docker Engine on first use (see engine()).
	dockerEngine *docker.Lazy
	// now is the clock; tests replace it.
	now func() time.Time
	// template is --template (for --format template); templateSrc and templateName what
	// it loaded (output.go).
	template, templateSrc, templateName string
	templateLoaded                      bool
	// findingOrder, when set (--sort-by), orders vulnerability findings in reports.
	findingOrder func(a, b inventory.Finding) int
}

func defaultCacheDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "shipshape")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "shipshape")
	}
	return filepath.Join(os.TempDir(), "shipshape-cache")
}

// Main runs the CLI with args and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr, now: time.Now}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root.ExecuteContext(ctx)
	g.dockerEngine.Close()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "shipshape: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "shipshape: %v\n", err)
	return ExitError
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit code %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "shipshape",
		Short: "Scan container images, root filesystems and source trees",
		Long: `shipshape finds what is inside container images, root filesystems and source trees:
the operating system, its packages and the layer that brought each one in, and writes
it as a table, shipshape JSON, CycloneDX, SPDX, SARIF, a GitLab container-scanning report,
JUnit XML, a self-contained HTML page, or through a Go template (docs/formats.md).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			return g.checkOutputFlags()
		},
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&g.format, "format", "f", "table", "output format: "+formatNames())
	pf.StringVarP(&g.output, "output", "o", "", "write the report to this file instead of standard output")
	pf.StringVar(&g.template, "template", "", "Go template for --format template: @FILE or the template itself")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "print no progress and no warnings")
	pf.BoolVar(&g.debug, "debug", false, "print debug information to standard error")
	pf.StringVar(&g.cacheDir, "cache-dir", defaultCacheDir(), "folder for the layer cache")
	pf.BoolVar(&g.noCache, "no-cache", false, "neither read nor write the layer cache")
	pf.IntVar(&g.parallel, "parallel", runtime.GOMAXPROCS(0), "layers scanned at once")
	pf.DurationVar(&g.timeout, "timeout", 10*time.Minute, "give up after this long")

	root.AddCommand(newImageCmd(g), newRootfsCmd(g), newFSCmd(g), newSBOMCmd(g), newDBCmd(g), newVersionCmd(g))
	root.AddCommand(newContainerCmd(g), newHostCmd(g), newWatchCmd(g))
	root.AddCommand(newCompareCmd(g))
	root.AddCommand(newConfigCmd(g))
	return root
}

// applyEnv sets every flag the user did not give from SHIPSHAPE_<FLAG_NAME> in the
// environment (dashes become underscores, upper case), e.g. SHIPSHAPE_CACHE_DIR.
func applyEnv(cmd *cobra.Command) error {
	var errs []error
	set := func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		key := "SHIPSHAPE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("environment variable %s=%q: %w", key, v, err))
			}
		}
	}
	cmd.Flags().VisitAll(set)
	cmd.InheritedFlags().VisitAll(set)
	return errors.Join(errs...)
}

// engine returns the Docker Engine connection, made on first use.
func (g *globals) engine() *docker.Lazy {
	if g.dockerEngine == nil {
		g.dockerEngine = &docker.Lazy{Options: docker.Options{UserAgent: "shipshape/" + Version()}}
	}
	return g.dockerEngine
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print shipshape's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(g.stdout, "shipshape %s (%s, %s/%s)\n", Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
