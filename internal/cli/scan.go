package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/shipshape-dev/shipshape/internal/docker"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/layer"
	"github.com/shipshape-dev/shipshape/internal/misconfig/configfile"
	"github.com/shipshape-dev/shipshape/internal/sbomread"
	"github.com/shipshape-dev/shipshape/internal/source"
)

// imageFlags are the flags of commands that open images.
type imageFlags struct {
	platform    string
	insecure    bool
	username    string
	password    string
	registryCA  []string
	maxFileSize int64
	listOSOwned bool
	imageSrc    []string
	// scanners are the --scanners values of the command (set before scanning); they
	// decide which analyzers beyond the default ones run.
	scanners []string
	secret   secretFlags
	custom   configfile.Custom // custom Rego checks (--checks), see config.go
}

func (f *imageFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.platform, "platform", "", "platform to pick from a multi-platform image, as os/arch[/variant] (default: linux/<this machine>)")
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain HTTP and unverified TLS for the registry")
	fl.StringVar(&f.username, "username", "", "registry user name (default: docker config and credential helpers)")
	fl.StringVar(&f.password, "password", "", "registry password or token")
	fl.StringSliceVar(&f.registryCA, "registry-ca", nil, "PEM file of a CA to trust for the registry (repeatable)")
	fl.BoolVar(&f.listOSOwned, "list-os-owned", false, "also list language packages that an OS package installed (by default each is reported once, as the OS package)")
	fl.StringSliceVar(&f.imageSrc, "image-src", source.DefaultImageSources, "where a reference without a prefix is looked for, in order: path (a file or folder), docker (the local Docker Engine), registry")
	fl.Int64Var(&f.maxFileSize, "max-file-size", layer.DefaultLimits.MaxFileSize, "largest file (bytes) read for analysis; larger ones are skipped with a warning")
	f.secret.register(cmd)
}

func (f *imageFlags) sourceOptions(g *globals) (source.Options, error) {
	opts := source.Options{
		Platform: f.platform,
		Registry: source.RegistryOptions{
			Insecure:  f.insecure,
			Username:  f.username,
			Password:  f.password,
			UserAgent: "shipshape/" + Version(),
		},
		ImageSources: f.imageSrc,
		Engine:       docker.ImageSource{Engine: g.engine()},
	}
	if !g.noCache && g.cacheDir != "" {
		// With the layer cache, an Engine image whose layers are all cached is not read.
		opts.EngineCache = filepath.Join(g.cacheDir, "engine")
	}
	if err := source.ValidateImageSources(f.imageSrc); err != nil {
		return opts, err
	}
	if len(f.registryCA) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		for _, p := range f.registryCA {
			pem, err := os.ReadFile(p)
			if err != nil {
				return opts, fmt.Errorf("--registry-ca: %w", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return opts, fmt.Errorf("--registry-ca %s: no PEM certificate found in the file", p)
			}
		}
		opts.Registry.RootCAs = pool
	}
	return opts, nil
}

func (g *globals) scanner(f *imageFlags) *layer.Scanner {
	s := &layer.Scanner{
		Walker:   &layer.Walker{Analyzers: f.withMisconfig(f.analyzers()), Limits: layer.Limits{MaxFileSize: f.maxFileSize}},
		Parallel: g.parallel,
	}
	if !g.noCache && g.cacheDir != "" {
		s.Cache = &layer.Cache{Dir: g.cacheDir}
	}
	var ps multiProgress
	if !g.quiet {
		if p := newProgress(g.stderr); p != nil {
			ps = append(ps, p)
		}
	}
	if g.debug {
		ps = append(ps, &debugLog{w: g.stderr})
	}
	switch len(ps) {
	case 0:
	case 1:
		s.Progress = ps[0]
	default:
		s.Progress = ps
	}
	return s
}

// debugf prints a debug line when --debug is on.
func (g *globals) debugf(format string, args ...any) {
	if g.debug {
		fmt.Fprintf(g.stderr, "debug: "+format+"\n", args...)
	}
}

// scanImage opens ref and inventories it. A partial inventory comes back with an error
// when some layer could not be read.
func (g *globals) scanImage(ctx context.Context, ref string, f *imageFlags) (*inventory.Inventory, error) {
	if path, ok := strings.CutPrefix(ref, "sbom:"); ok {
		// An SBOM: its packages are matched as they are, nothing is analysed.
		inv, err := sbomread.ReadFile(path)
		if err != nil {
			return nil, err
		}
		inv.Target.Name = ref
		return inv, nil
	}
	sopts, err := f.sourceOptions(g)
	if err != nil {
		return nil, err
	}
	img, err := source.Open(ctx, ref, sopts)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	specs := make([]layer.Spec, len(img.Layers))
	for i, l := range img.Layers {
		specs[i] = layer.Spec{DiffID: l.DiffID, Digest: l.Digest, Size: l.Size, CreatedBy: l.CreatedBy, Open: l.Open}
	}
	g.debugf("opened %s as %s: image %s, %s, %d layer(s)", ref, img.Kind, inventory.ShortDigest(img.ImageID), img.Platform, len(img.Layers))
	s := g.scanner(f)
	start := time.Now()
	inv, err := s.ScanImage(ctx, specs)
	finishProgress(s.Progress)
	g.debugf("layers scanned in %s", time.Since(start).Round(time.Millisecond))
	if inv == nil {
		return nil, err
	}
	g.hideOSOwned(inv, f)
	if lerr := f.applyLicenses(inv); lerr != nil {
		return nil, lerr
	}
	inv.Target = inventory.Target{
		Name:           ref,
		Kind:           "image",
		ImageID:        img.ImageID,
		ManifestDigest: img.ManifestDigest,
		RepoTags:       img.RepoTags,
		RepoDigests:    img.RepoDigests,
		Platform:       img.Platform,
		Config:         imageConfig(img.Config),
	}
	g.imageMisconfig(inv, ref, img.Config, f)
	if err != nil {
		return inv, fmt.Errorf("%s: the scan is incomplete: %w", ref, err)
	}
	return inv, nil
}

func (g *globals) scanDir(ctx context.Context, dir, kind string, f *imageFlags) (*inventory.Inventory, error) {
	s := g.scanner(f)
	inv, err := s.ScanDir(ctx, dir)
	if inv == nil {
		return nil, err
	}
	g.hideOSOwned(inv, f)
	if lerr := f.applyLicenses(inv); lerr != nil {
		return nil, lerr
	}
	inv.Target = inventory.Target{Name: dir, Kind: kind}
	g.dirMisconfig(ctx, inv, dir, kind, f)
	return inv, err
}

// hideOSOwned drops language packages installed by OS packages unless --list-os-owned.
func (g *globals) hideOSOwned(inv *inventory.Inventory, f *imageFlags) {
	if f.listOSOwned {
		return
	}
	if n := inv.HideOSOwned(); n > 0 {
		g.debugf("%d language package(s) installed by OS packages are reported as those OS packages (--list-os-owned lists both)", n)
	}
}

func (g *globals) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if g.timeout > 0 {
		return context.WithTimeout(ctx, g.timeout)
	}
	return context.WithCancel(ctx)
}

// finishScan prints warnings, writes the report and turns a partial scan into the error
// exit code while keeping the report.
func (g *globals) finishScan(ctx context.Context, inv *inventory.Inventory, scanErr error, format string, v *vulnFlags) error {
	if inv == nil {
		return scanErr
	}
	if v != nil && v.enabled() {
		start := time.Now()
		if err := g.matchVulns(ctx, inv, v); err != nil {
			return errors.Join(scanErr, err)
		}
		g.debugf("matched %d package(s) against the vulnerability DB in %s: %d finding(s)", len(inv.Packages), time.Since(start).Round(time.Millisecond), len(inv.Vulnerabilities))
	}
	finishMisconfig(inv, v)
	if v != nil {
		if err := g.applyPolicy(inv, &v.policy); err != nil {
			return errors.Join(scanErr, err)
		}
		if err := g.evalRegoPolicy(ctx, inv, &v.policy); err != nil {
			return errors.Join(scanErr, err)
		}
	}
	if !g.quiet {
		for _, w := range inv.Warnings {
			fmt.Fprintf(g.stderr, "warning: %s\n", w)
		}
		if !inv.OS.Known() && inv.Target.Kind != "filesystem" {
			fmt.Fprintln(g.stderr, "warning: the operating system was not recognised (no os-release or similar file); OS packages may be missing")
		}
	}
	write := g.writeReport
	if v != nil && v.policy.fixPlan {
		write = func(inv *inventory.Inventory, format string) error {
			return g.writeFixPlan(ctx, inv, format, &v.policy)
		}
	}
	if err := write(inv, format); err != nil {
		return errors.Join(err, scanErr)
	}
	if scanErr != nil {
		return scanErr
	}
	if v != nil && v.exitCode != 0 && gateCount(inv, v).Total() > 0 {
		return &exitError{code: v.exitCode}
	}
	return nil
}

func newImageCmd(g *globals) *cobra.Command {
	f := &imageFlags{}
	v := &vulnFlags{}
	cmd := &cobra.Command{
		Use:   "image REF",
		Short: "Scan a container image: a docker-archive or OCI tarball, an OCI layout, or a registry reference",
		Long: `Scan a container image. REF may be
  a file from "docker save" (any Docker version, also gzip or zstd compressed) or an OCI tarball,
  oci:DIR[:TAG|@DIGEST]      an OCI image layout folder (nested indexes, --platform),
  archive:FILE               a docker-archive, explicitly,
  docker://REF               an image of the local Docker Engine (DOCKER_HOST, DOCKER_CONTEXT honoured),
  registry://REF             a registry reference such as 127.0.0.1:5000/app:1.2,
  sbom:FILE                  a CycloneDX or SPDX JSON SBOM, matched without analysing anything.
A REF without a prefix is looked for in the --image-src order: an existing file or folder,
then the local Docker Engine, then the registry.`,
		Example: `  shipshape image alpine.tar
  shipshape image oci:./layout:1.0 --platform linux/arm64
  shipshape image myapp:latest                 # from the Docker Engine when it has it
  shipshape image 127.0.0.1:5000/app:1.2 --format json -o app.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := v.validate(); err != nil {
				return err
			}
			ctx, cancel := g.withTimeout(cmd.Context())
			defer cancel()
			f.scanners = v.scanners
			if err := loadScanChecks(ctx, f, v); err != nil {
				return err
			}
			inv, err := g.scanImage(ctx, args[0], f)
			v.policy.imageFlags = f
			return g.finishScan(ctx, inv, err, g.format, v)
		},
	}
	f.register(cmd)
	v.register(cmd)
	v.registerChecks(cmd)
	return cmd
}

func newRootfsCmd(g *globals) *cobra.Command {
	return newDirCmd(g, "rootfs", "rootfs DIR", "Scan an unpacked root filesystem folder", "")
}

func newFSCmd(g *globals) *cobra.Command {
	return newDirCmd(g, "filesystem", "fs DIR", "Scan a source tree (language dependency files)",
		`Scan a source tree: OS package databases and the language lock files and manifests
the analyzers know.`)
}

// newDirCmd makes a command that scans a folder on disk as one layer.
func newDirCmd(g *globals, kind, use, short, long string) *cobra.Command {
	f := &imageFlags{}
	v := &vulnFlags{}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := v.validate(); err != nil {
				return err
			}
			ctx, cancel := g.withTimeout(cmd.Context())
			defer cancel()
			f.scanners = v.scanners
			if err := loadScanChecks(ctx, f, v); err != nil {
				return err
			}
			inv, err := g.scanDir(ctx, args[0], kind, f)
			return g.finishScan(ctx, inv, err, g.format, v)
		},
	}
	f.register(cmd)
	v.register(cmd)
	v.registerChecks(cmd)
	return cmd
}

func newSBOMCmd(g *globals) *cobra.Command {
	f := &imageFlags{}
	cmd := &cobra.Command{
		Use:   "sbom TARGET",
		Short: "Write a software bill of materials (CycloneDX, SPDX or shipshape JSON) for an image or folder",
		Long: `Write an SBOM. TARGET is anything "shipshape image" accepts, or a folder (scanned
as a root filesystem). --format is cyclonedx (default), spdx-json or json.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format := g.format
			if !cmd.Flags().Changed("format") && os.Getenv("SHIPSHAPE_FORMAT") == "" {
				format = "cyclonedx"
			}
			if format == "table" {
				return fmt.Errorf("sbom writes cyclonedx, spdx-json or json; use `shipshape image` for a table")
			}
			ctx, cancel := g.withTimeout(cmd.Context())
			defer cancel()
			var inv *inventory.Inventory
			var err error
			if st, serr := os.Stat(args[0]); serr == nil && st.IsDir() && !isLayout(args[0]) {
				inv, err = g.scanDir(ctx, args[0], "rootfs", f)
			} else {
				inv, err = g.scanImage(ctx, args[0], f)
			}
			return g.finishScan(ctx, inv, err, format, nil)
		},
	}
	f.register(cmd)
	return cmd
}

func isLayout(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "index.json"))
	return err == nil
}

// finishProgress stops any progress bar among p.
func finishProgress(p layer.Progress) {
	switch v := p.(type) {
	case *progress:
		v.finish()
	case multiProgress:
		for _, q := range v {
			finishProgress(q)
		}
	}
}

// imageConfig keeps the policy-relevant part of an image's configuration.
func imageConfig(cf *v1.ConfigFile) *inventory.ImageConfig {
	if cf == nil {
		return nil
	}
	c := cf.Config
	out := &inventory.ImageConfig{
		User:       c.User,
		WorkingDir: c.WorkingDir,
		Entrypoint: c.Entrypoint,
		Cmd:        c.Cmd,
		Labels:     c.Labels,
	}
	for p := range c.ExposedPorts {
		out.ExposedPorts = append(out.ExposedPorts, p)
	}
	slices.Sort(out.ExposedPorts)
	if hc := c.Healthcheck; hc != nil && len(hc.Test) > 0 && !strings.EqualFold(hc.Test[0], "NONE") {
		out.Healthcheck = true
	}
	if !cf.Created.IsZero() {
		out.Created = cf.Created.UTC().Format(time.RFC3339)
	}
	return out
}
