package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipshape-dev/shipshape/internal/docker"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/layer"
	"github.com/shipshape-dev/shipshape/internal/misconfig/runtime"
	"github.com/shipshape-dev/shipshape/internal/source"
)

func newContainerCmd(g *globals) *cobra.Command {
	f := &imageFlags{}
	v := &vulnFlags{}
	var all, stopped, passed, noDrift, noImage bool
	var labels []string
	cmd := &cobra.Command{
		Use:   "container NAME|ID...",
		Short: "Scan containers of the Docker Engine: runtime settings, image and filesystem changes",
		Long: `Scan containers of the local Docker Engine (DOCKER_HOST, DOCKER_CONTEXT and the TLS
settings are honoured). For each container shipshape reports
  its runtime settings checked against the CIS Docker Benchmark (section 5 and 4.1):
    privileged, added capabilities, sensitive host mounts, docker.sock, host namespaces,
    seccomp/AppArmor, no-new-privileges, root user, limits, published ports, restart
    policy, health check ...,
  the packages and vulnerabilities of its image, and
  the files added or changed since it started (docker diff), scanned as one more layer.
A container that cannot be read (removed, or gone mid-scan) is a warning; the others are
still reported. Several containers give one report each, one after another.`,
		Example: `  shipshape container web-1
  shipshape container --all --format json
  shipshape container web-1 --scanners none --include-passed`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := v.validate(); err != nil {
				return err
			}
			f.scanners = v.scanners
			if all == (len(args) > 0) {
				return errors.New("name containers, or pass --all for every running container")
			}
			ctx, cancel := g.withTimeout(cmd.Context())
			defer cancel()
			e, err := g.engine().Get(ctx)
			if err != nil {
				return err
			}
			if all {
				list, err := e.Containers(ctx, stopped, labels...)
				if err != nil {
					return err
				}
				for _, c := range list {
					args = append(args, c.ID)
				}
				if len(args) == 0 {
					fmt.Fprintln(g.stderr, "no matching containers (--stopped includes stopped ones)")
					return nil
				}
			}
			var invs []*inventory.Inventory
			var errs []error
			// Containers of one image share one read of it.
			images := imageCache{}
			defer images.Close()
			for _, ref := range args {
				inv, err := g.scanContainer(ctx, e, ref, f, containerOpts{passed: passed, drift: !noDrift, image: !noImage, images: images})
				if err != nil {
					errs = append(errs, err)
					if !g.quiet {
						fmt.Fprintf(g.stderr, "warning: %v\n", err)
					}
				}
				if inv == nil {
					continue
				}
				if v.enabled() && len(inv.Packages) > 0 {
					if err := g.matchVulns(ctx, inv, v); err != nil {
						return errors.Join(append(errs, err)...)
					}
				}
				// Ignore files, VEX and Rego policies apply to containers as to images.
				if err := g.applyPolicy(inv, &v.policy); err != nil {
					return errors.Join(append(errs, err)...)
				}
				if err := g.evalRegoPolicy(ctx, inv, &v.policy); err != nil {
					return errors.Join(append(errs, err)...)
				}
				invs = append(invs, inv)
			}
			if !g.quiet {
				for _, inv := range invs {
					for _, w := range inv.Warnings {
						fmt.Fprintf(g.stderr, "warning: %s: %s\n", inv.Target.Name, w)
					}
				}
			}
			if err := g.writeReports(invs, g.format); err != nil {
				return errors.Join(append(errs, err)...)
			}
			if len(errs) > 0 {
				return &exitError{code: ExitError, err: fmt.Errorf("%d of %d container(s) could not be scanned in full", len(errs), len(args))}
			}
			if v.exitCode != 0 {
				for _, inv := range invs {
					if gateCount(inv, v).Total() > 0 {
						return &exitError{code: v.exitCode}
					}
				}
			}
			return nil
		},
	}
	f.register(cmd)
	v.register(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&all, "all", false, "scan every running container")
	fl.BoolVar(&stopped, "stopped", false, "with --all, include stopped containers")
	fl.StringSliceVar(&labels, "label", nil, "with --all, only containers with this label (key or key=value; repeatable)")
	fl.BoolVar(&passed, "include-passed", false, "list the runtime checks that passed too")
	fl.BoolVar(&noDrift, "no-drift", false, "do not scan the files changed in the container")
	fl.BoolVar(&noImage, "no-image", false, "do not scan the container's image (runtime checks and changes only)")
	return cmd
}

type containerOpts struct {
	passed, drift, image bool
	// images, when set, keeps images opened for earlier containers, by image ID.
	images imageCache
}

// imageCache holds opened images by ID for the length of a command.
type imageCache map[string]*source.Image

// Close releases every image.
func (c imageCache) Close() error {
	var errs []error
	for _, img := range c {
		errs = append(errs, img.Close())
	}
	return errors.Join(errs...)
}

// scanContainer inspects one container, checks its runtime settings, and scans its image
// with its filesystem changes on top. Whatever could be read comes back even with an error.
func (g *globals) scanContainer(ctx context.Context, e *docker.Engine, ref string, f *imageFlags, o containerOpts) (*inventory.Inventory, error) {
	c, err := e.InspectContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	name := runtime.Name(c)
	inv := &inventory.Inventory{}
	var errs []error
	var specs []layer.Spec
	var img *source.Image
	if o.image {
		sopts, err := f.sourceOptions(g)
		if err != nil {
			return nil, err
		}
		if cached, ok := o.images[c.Image]; ok {
			img = cached
		} else {
			img, err = source.OpenEngine(ctx, "image of container "+name, c.Image, sopts)
			if err == nil && o.images != nil {
				o.images[c.Image] = img
			}
		}
		if err != nil {
			errs = append(errs, err)
			inv.Warnings = append(inv.Warnings, inventory.Warning{Message: fmt.Sprintf("the image %s could not be read, so its packages are missing: %v", c.Config.Image, err)})
		} else {
			if o.images == nil {
				defer img.Close()
			}
			for _, l := range img.Layers {
				specs = append(specs, layer.Spec{DiffID: l.DiffID, Digest: l.Digest, Size: l.Size, CreatedBy: l.CreatedBy, Open: l.Open})
			}
		}
	}
	if o.drift {
		changes, err := e.Changes(ctx, c.ID)
		if err != nil {
			errs = append(errs, err)
			inv.Warnings = append(inv.Warnings, inventory.Warning{Message: fmt.Sprintf("the container's filesystem changes could not be listed: %v", err)})
		} else if len(changes) > 0 {
			g.debugf("container %s: %d changed path(s)", name, len(changes))
			specs = append(specs, layer.Spec{
				// No diffID: the changes are never cached.
				CreatedBy: fmt.Sprintf("changes in container %s since it started (docker diff)", name),
				Open: func(ctx context.Context) (io.ReadCloser, error) {
					return e.ChangesLayer(ctx, c.ID, changes)
				},
			})
		}
	}
	if len(specs) > 0 {
		s := g.scanner(f)
		scanned, err := s.ScanImage(ctx, specs)
		finishProgress(s.Progress)
		if scanned != nil {
			scanned.Warnings = append(scanned.Warnings, inv.Warnings...)
			inv = scanned
			g.hideOSOwned(inv, f)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	inv.Target = inventory.Target{Name: name, Kind: "container", ImageID: c.Image}
	if img != nil {
		inv.Target.RepoDigests, inv.Target.Platform = img.RepoDigests, img.Platform
	}
	if ref := c.Config.Image; ref != "" && !strings.HasPrefix(ref, "sha256:") && !strings.HasPrefix(strings.TrimPrefix(c.Image, "sha256:"), ref) {
		// The image name the container was created from (the save by ID carries no tag).
		inv.Target.RepoTags = []string{ref}
	}
	inv.Misconfigurations = runtime.Evaluate(c, o.passed)
	if img != nil {
		// --scanners misconfig: the image config's checks, as for `shipshape image`.
		g.imageMisconfig(inv, c.Config.Image, img.Config, f)
	}
	inv.Sort()
	if err := errors.Join(errs...); err != nil {
		return inv, fmt.Errorf("container %s: %w", name, err)
	}
	return inv, nil
}

// writeReports renders one report per inventory (through writeReport, so every format
// and its options behave as for images), one after another, and writes them at once
// (atomically to --output). The table lists runtime and host checks with their status
// where the table report leaves them out.
func (g *globals) writeReports(invs []*inventory.Inventory, format string) error {
	hostTable := func(inv *inventory.Inventory) bool { return format == "table" && inv.Target.Kind == "host" }
	if len(invs) == 1 && !hostTable(invs[0]) {
		return g.writeReport(invs[0], format)
	}
	var buf bytes.Buffer
	stdout, output := g.stdout, g.output
	g.stdout, g.output = &buf, ""
	defer func() { g.stdout, g.output = stdout, output }()
	for i, inv := range invs {
		if format == "table" {
			if i > 0 {
				buf.WriteString("\n")
			}
			if len(invs) > 1 {
				fmt.Fprintf(&buf, "== %s %s ==\n", inv.Target.Kind, inv.Target.Name)
			}
		}
		start := buf.Len()
		if !hostTable(inv) {
			if err := g.writeReport(inv, format); err != nil {
				return fmt.Errorf("%s: %w", inv.Target.Name, err)
			}
		}
		// Until the table report renders checks itself, list them after it.
		if format == "table" && len(inv.Misconfigurations) > 0 && !bytes.Contains(buf.Bytes()[start:], []byte(inv.Misconfigurations[0].ID)) {
			writeChecks(&buf, inv.Misconfigurations)
		}
	}
	g.stdout, g.output = stdout, output
	if output == "" || output == "-" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	return writeFileAtomic(output, buf.Bytes())
}

// writeChecks lists runtime or host checks as readable text: a summary line, then each
// check with its status (or severity when it failed), id, benchmark item, title, what was
// found and the fix.
func writeChecks(w io.Writer, ms []inventory.Misconfiguration) {
	counts := map[string]int{}
	for _, m := range ms {
		counts[m.Status]++
	}
	fmt.Fprintf(w, "\n%s (%s): %d failed, %d passed, %d could not be evaluated\n", ms[0].Target, ms[0].Kind,
		counts[inventory.CheckFail], counts[inventory.CheckPass], counts[inventory.CheckError])
	for _, m := range ms {
		status := m.Severity
		if m.Status != inventory.CheckFail {
			status = strings.ToUpper(m.Status)
		}
		ref := ""
		if len(m.References) > 0 {
			ref = " [" + strings.TrimPrefix(m.References[0], "CIS Docker Benchmark v1.6.0 ") + "]"
		}
		fmt.Fprintf(w, "  %-8s %-10s %s%s\n", status, m.ID, m.Title, ref)
		if m.Message != "" {
			fmt.Fprintf(w, "  %-8s %-10s %s\n", "", "", m.Message)
		}
		if m.Status == inventory.CheckFail && m.Resolution != "" {
			fmt.Fprintf(w, "  %-8s %-10s fix: %s\n", "", "", m.Resolution)
		}
	}
}
