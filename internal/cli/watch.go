package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/spf13/cobra"

	"github.com/shipshape-dev/shipshape/internal/docker/watch"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/source"
)

func newWatchCmd(g *globals) *cobra.Command {
	f := &imageFlags{}
	v := &vulnFlags{}
	var ruleFiles []string
	var noBuiltin, printRules bool
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Stream runtime alerts from the Docker Engine's events until interrupted",
		Long: `Follow the Docker Engine's container events and print an alert for each event a rule
matches, as readable lines (--format table, the default) or JSON lines (--format json).
Built-in rules: a shell exec'd with a terminal, a privileged container started, a
container with docker.sock mounted started, a container started from an image with
critical vulnerabilities (the image is scanned once, by image ID, against the
vulnerability DB), a command exec'd as root. Add or override rules with --rules FILE
(YAML, see docs/docker.md); --print-rules shows the built-in file. Stops on Ctrl-C.`,
		Example: `  shipshape watch
  shipshape watch --format json --rules my-rules.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if printRules {
				_, err := g.stdout.Write(watch.BuiltinYAML())
				return err
			}
			if g.format != "table" && g.format != "json" {
				return fmt.Errorf("watch writes table (readable lines) or json (JSON lines), not %q", g.format)
			}
			var rules []watch.Rule
			if !noBuiltin {
				b, err := watch.Builtin()
				if err != nil {
					return err
				}
				rules = b
			}
			extra, err := watch.Load(ruleFiles...)
			if err != nil {
				return err
			}
			rules = watch.Merge(rules, extra)
			if len(rules) == 0 {
				return errors.New("no rules: drop --no-builtin or give --rules FILE")
			}
			ctx := cmd.Context()
			e, err := g.engine().Get(ctx)
			if err != nil {
				return err
			}
			out := g.stdout
			w := &watch.Watcher{
				Engine: e, Rules: rules, Vulns: g.vulnCounter(f, v),
				Warn: func(s string) {
					if !g.quiet {
						fmt.Fprintf(g.stderr, "warning: %s\n", s)
					}
				},
				Ready: func() {
					if !g.quiet {
						fmt.Fprintf(g.stderr, "watching the Docker Engine at %s with %d rule(s); Ctrl-C stops\n", e.Endpoint, len(rules))
					}
				},
			}
			return w.Run(ctx, func(a watch.Alert) error {
				if g.format == "json" {
					b, err := json.Marshal(a)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(out, "%s\n", b)
					return err
				}
				_, err := fmt.Fprintln(out, a.String())
				return err
			})
		},
	}
	f.register(cmd)
	v.register(cmd)
	fl := cmd.Flags()
	fl.StringSliceVar(&ruleFiles, "rules", nil, "YAML rule file to add (repeatable); a rule with a built-in id replaces it")
	fl.BoolVar(&noBuiltin, "no-builtin", false, "use only the rules from --rules")
	fl.BoolVar(&printRules, "print-rules", false, "print the built-in rule file and exit")
	return cmd
}

// vulnCounter scans an image once per image ID (through the Engine) and counts its known
// vulnerabilities by severity; concurrent and later calls reuse the result.
func (g *globals) vulnCounter(f *imageFlags, v *vulnFlags) watch.VulnCounts {
	type entry struct {
		once   sync.Once
		counts map[string]int
		err    error
	}
	var mu sync.Mutex
	cache := map[string]*entry{}
	return func(ctx context.Context, imageID string) (map[string]int, error) {
		mu.Lock()
		en, ok := cache[imageID]
		if !ok {
			en = &entry{}
			cache[imageID] = en
		}
		mu.Unlock()
		en.once.Do(func() {
			en.counts, en.err = g.countVulns(ctx, imageID, f, v)
		})
		return en.counts, en.err
	}
}

func (g *globals) countVulns(ctx context.Context, imageID string, f *imageFlags, v *vulnFlags) (map[string]int, error) {
	ctx, cancel := g.withTimeout(ctx)
	defer cancel()
	quiet := g.quiet
	g.quiet = true // no progress bar between alert lines
	defer func() { g.quiet = quiet }()
	flags := *f
	flags.imageSrc = []string{source.SrcDocker}
	inv, err := g.scanImage(ctx, "docker://"+imageID, &flags)
	if inv == nil {
		return nil, err
	}
	if err := g.matchVulns(ctx, inv, v); err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, fd := range inv.Vulnerabilities {
		counts[fd.Severity]++
	}
	g.debugf("image %s: %d vulnerabilities", inventory.ShortDigest(imageID), len(inv.Vulnerabilities))
	return counts, nil
}
