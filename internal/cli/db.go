package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipshape-dev/shipshape/internal/dbbuild"
	"github.com/shipshape-dev/shipshape/internal/dbupdate"
	"github.com/shipshape-dev/shipshape/internal/feed/all"
)

func newDBCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Build, inspect and update the vulnerability database",
	}
	cmd.AddCommand(newDBBuildCmd(g), newDBInfoCmd(g), newDBUpdateCmd(g), newDBExportCmd(g), newDBImportCmd(g), newDBKeygenCmd(g))
	return cmd
}

// publicKey returns the key DB signatures are checked with: --public-key (a file holding
// a base64 key), or the one compiled into shipshape.
func publicKey(file string) (ed25519.PublicKey, error) {
	if file == "" {
		return dbupdate.ParsePublicKey(dbupdate.DefaultPublicKey)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--public-key: %w", err)
	}
	k, err := dbupdate.ParsePublicKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("--public-key %s: %w", file, err)
	}
	return k, nil
}

func newDBUpdateCmd(g *globals) *cobra.Command {
	var dbPath, mirror, pubFile string
	var force bool
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download a newer prebuilt DB from a mirror, verify its signature and digest, and swap it in",
		Long: `Download the DB a mirror publishes (<mirror>/v1/metadata.json, its ed25519 signature
metadata.json.sig, and shipshape.db.zst), check the signature with the compiled-in key (or
--public-key), the schema version, the size and the sha256 digest, then replace the local
DB atomically. On any failure the previous DB stays as it was.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if mirror == "" {
				mirror = os.Getenv("SHIPSHAPE_DB_MIRROR")
			}
			pk, err := publicKey(pubFile)
			if err != nil {
				return err
			}
			if dbPath == "" {
				dbPath = g.defaultDBPath()
			}
			ctx, cancel := g.withTimeout(cmd.Context())
			defer cancel()
			md, err := dbupdate.Update(ctx, dbPath, dbupdate.Options{Mirror: mirror, PublicKey: pk, Force: force})
			if errors.Is(err, dbupdate.ErrUpToDate) {
				fmt.Fprintf(g.stderr, "%s is up to date (built %s).\n", dbPath, md.BuiltAt.Format(time.RFC3339))
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "Updated %s: built %s, data as of %s.\n", dbPath, md.BuiltAt.Format(time.RFC3339), md.DataDate)
			return nil
		},
	}
	cmd.Flags().StringVar(&dbPath, "db", "", "DB file to replace (default: <cache-dir>/db/shipshape.db)")
	cmd.Flags().StringVar(&mirror, "mirror", "", "base URL of the DB mirror (or SHIPSHAPE_DB_MIRROR)")
	cmd.Flags().StringVar(&pubFile, "public-key", "", "file with the base64 ed25519 key the DB must be signed with (default: the compiled-in key)")
	cmd.Flags().BoolVar(&force, "force", false, "download even if the local DB is as new")
	return cmd
}

func newDBExportCmd(g *globals) *cobra.Command {
	var dbPath, keyFile string
	cmd := &cobra.Command{
		Use:   "export BUNDLE.tar",
		Short: "Write the DB as a bundle to carry to an air-gapped host",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dbPath == "" {
				dbPath = g.defaultDBPath()
			}
			var key ed25519.PrivateKey
			if keyFile != "" {
				k, err := dbupdate.LoadPrivateKey(keyFile)
				if err != nil {
					return err
				}
				key = k
			}
			if err := dbupdate.Export(dbPath, args[0], key); err != nil {
				return fmt.Errorf("exporting %s: %w", dbPath, err)
			}
			fmt.Fprintf(g.stderr, "Wrote %s.\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&dbPath, "db", "", "DB file to export (default: <cache-dir>/db/shipshape.db)")
	cmd.Flags().StringVar(&keyFile, "sign", "", "sign the bundle with this private key (from `shipshape db keygen`)")
	return cmd
}

func newDBImportCmd(g *globals) *cobra.Command {
	var dbPath, pubFile string
	var allowUnsigned bool
	cmd := &cobra.Command{
		Use:   "import BUNDLE.tar",
		Short: "Install a DB bundle made by `db export`, after checking it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dbPath == "" {
				dbPath = g.defaultDBPath()
			}
			pk, err := publicKey(pubFile)
			if err != nil {
				return err
			}
			md, err := dbupdate.Import(cmd.Context(), args[0], dbPath, pk, allowUnsigned)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "Imported %s into %s: built %s, data as of %s.\n", args[0], dbPath, md.BuiltAt.Format(time.RFC3339), md.DataDate)
			return nil
		},
	}
	cmd.Flags().StringVar(&dbPath, "db", "", "DB file to replace (default: <cache-dir>/db/shipshape.db)")
	cmd.Flags().StringVar(&pubFile, "public-key", "", "file with the base64 ed25519 key the bundle must be signed with")
	cmd.Flags().BoolVar(&allowUnsigned, "allow-unsigned", false, "accept a bundle exported without --sign (digest and schema are still checked)")
	return cmd
}

func newDBKeygenCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "keygen KEYFILE",
		Short: "Create an ed25519 key pair for signing DBs (KEYFILE and KEYFILE.pub)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := dbupdate.GenerateKey(args[0], args[0]+".pub"); err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "Wrote %s (keep it secret) and %s.\n", args[0], args[0]+".pub")
			return nil
		},
	}
}

func newDBBuildCmd(g *globals) *cobra.Command {
	var feeds []string
	var embedded, fromUpstream, includeRestricted, allowPartial bool
	var signKey, artifact string
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Compile vulnerability feeds (files, folders, archives or URLs) into a DB",
		Long: `Compile vulnerability feeds into a shipshape DB. Each --feed is KIND=LOCATION or
KIND:NAME=LOCATION, where KIND is a feed format (see below), NAME the source name stored
in the DB (default: KIND), and LOCATION a file, a folder, a zip/tar(.gz|.bz2|.zst)
archive, a .gz/.bz2/.zst file, or an http(s) URL. --embedded adds the snapshot built into
shipshape. The DB is written atomically to --output (default: the DB scans use).

--from-upstream fetches the upstream feeds themselves: OSV (Go, PyPI, crates.io, RubyGems,
Packagist, npm, Maven, NuGet), the Alpine secdb (3.17 to 3.21 and edge), Debian OVAL
(buster to trixie) and the Debian security tracker, CISA KEV, EPSS and the CWE catalog.
--include-restricted adds Ubuntu USN OVAL (jammy, noble; GPL-3.0) and Red Hat OVAL (RHEL 9),
whose terms keep them out of the embedded snapshot: mind them before you pass such a DB on.
NVD is not fetched (its API is paged and slow without a key): add it with --feed nvd=FOLDER.

Every URL is downloaded first (into a temporary folder next to the output); if one cannot
be fetched the build fails naming it and no DB is written. --allow-partial leaves such a
source out with a warning instead. With --from-upstream, --timeout defaults to 1h.

Feed kinds: ` + strings.Join(all.Names(), ", "),
		Example: `  shipshape db build --feed osv:go-vulndb=./vulndb.zip --feed alpine-secdb=./secdb/ \
      --feed debian-oval=./oval-definitions-bookworm.xml.bz2 -o shipshape.db
  shipshape db build --embedded --feed nvd=./nvd-pages/ -o shipshape.db
  shipshape db build --from-upstream --feed nvd=./nvd-pages/ -o shipshape.db
  shipshape db build --from-upstream --include-restricted --allow-partial`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if includeRestricted && !fromUpstream {
				return fmt.Errorf("--include-restricted adds to --from-upstream; give both")
			}
			if _, env := os.LookupEnv("SHIPSHAPE_TIMEOUT"); fromUpstream && !env && !cmd.Flags().Changed("timeout") {
				g.timeout = time.Hour // the downloads alone can take longer than the default
			}
			ctx, cancel := g.withTimeout(cmd.Context())
			defer cancel()
			out := g.output
			if out == "" {
				out = g.defaultDBPath()
			}
			byName := all.ByName()
			var srcs []dbbuild.Source
			for _, spec := range feeds {
				kind, loc, ok := strings.Cut(spec, "=")
				if !ok || loc == "" {
					return fmt.Errorf("--feed %q: want KIND=LOCATION (kinds: %s)", spec, strings.Join(all.Names(), ", "))
				}
				kind, name, _ := strings.Cut(kind, ":")
				fd, ok := byName[kind]
				if !ok {
					return fmt.Errorf("--feed %q: unknown feed kind %q (kinds: %s)", spec, kind, strings.Join(all.Names(), ", "))
				}
				srcs = append(srcs, dbbuild.Source{Name: name, Feed: fd, Location: loc, Origin: loc})
			}
			if fromUpstream {
				srcs = append(srcs, dbbuild.Upstream()...)
				if includeRestricted {
					srcs = append(srcs, dbbuild.UpstreamRestricted()...)
				}
			}
			if len(srcs) == 0 && !embedded {
				return fmt.Errorf("nothing to build: give at least one --feed KIND=LOCATION, --from-upstream or --embedded")
			}
			start := time.Now()
			downloads := 0
			for _, s := range srcs {
				if dbbuild.IsURL(s.Location) {
					downloads++
				}
			}
			prog := newDownloadProgress(g.stderr, downloads, g.quiet)
			fopts := dbbuild.FetchOptions{AllowPartial: allowPartial}
			if prog != nil {
				fopts.Progress = prog.reader
			}
			sum, err := dbbuild.FetchAndBuild(ctx, out, srcs, fopts, func(ctx context.Context, out string, srcs []dbbuild.Source) (*dbbuild.Summary, error) {
				prog.finish()
				if downloads > 0 && !g.quiet {
					fmt.Fprintf(g.stderr, "Downloads done in %s; compiling the DB.\n", time.Since(start).Round(time.Second))
				}
				if embedded {
					return buildSnapshotWith(ctx, out, g.now, srcs)
				}
				return dbbuild.Build(ctx, out, srcs, dbbuild.Options{Now: g.now})
			})
			prog.finish()
			if err != nil {
				return err
			}
			if signKey != "" {
				key, err := dbupdate.LoadPrivateKey(signKey)
				if err != nil {
					return err
				}
				if artifact == "" {
					artifact = out + ".published"
				}
				if _, err := dbupdate.Publish(out, artifact, key); err != nil {
					return fmt.Errorf("signing the DB: %w", err)
				}
				fmt.Fprintf(g.stderr, "Signed artifact for `db update` in %s/%s/.\n", artifact, dbupdate.Prefix)
			}
			if !g.quiet {
				for _, w := range sum.Warnings {
					fmt.Fprintf(g.stderr, "warning: %s\n", w)
				}
				fmt.Fprintf(g.stderr, "Built %s from %d file(s) in %s.\n", out, sum.Files, time.Since(start).Round(10*time.Millisecond))
				writeSources(g.stderr, sum)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&feeds, "feed", nil, "KIND[:NAME]=LOCATION of a feed to compile (repeatable)")
	cmd.Flags().BoolVar(&embedded, "embedded", false, "include the snapshot embedded in shipshape")
	cmd.Flags().BoolVar(&fromUpstream, "from-upstream", false, "fetch and compile the upstream feeds (OSV, Alpine, Debian, KEV, EPSS, CWE)")
	cmd.Flags().BoolVar(&includeRestricted, "include-restricted", false, "with --from-upstream: also Ubuntu and Red Hat OVAL, which may not be redistributable")
	cmd.Flags().BoolVar(&allowPartial, "allow-partial", false, "leave out, with a warning, a URL source that cannot be fetched instead of failing")
	cmd.Flags().StringVar(&signKey, "sign", "", "also write the signed artifact `db update` consumes, signed with this private key")
	cmd.Flags().StringVar(&artifact, "artifact-dir", "", "folder for the signed artifact (default: <output>.published); serve it as the mirror root")
	return cmd
}

// downloadProgress draws one status line on a terminal while feeds download: bytes, a bar
// when the sizes are known, and files done. Nil (drawing nothing) when standard error is
// not a terminal, CI is set, or --quiet is given.
type downloadProgress struct {
	w       io.Writer
	files   int
	read    atomic.Int64 // bytes of every download
	known   atomic.Int64 // bytes of the downloads whose size is known
	total   atomic.Int64 // the sum of those sizes
	done    atomic.Int32
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

func newDownloadProgress(w io.Writer, files int, quiet bool) *downloadProgress {
	if files == 0 || quiet || !isTerminal(w) || os.Getenv("CI") != "" {
		return nil
	}
	p := &downloadProgress{w: w, files: files, stop: make(chan struct{}), stopped: make(chan struct{})}
	go p.loop()
	return p
}

// reader is a dbbuild.FetchOptions.Progress.
func (p *downloadProgress) reader(_ string, size int64, r io.Reader) io.Reader {
	if size >= 0 {
		p.total.Add(size)
	}
	return &downloadReader{r: r, p: p, sized: size >= 0}
}

type downloadReader struct {
	r           io.Reader
	p           *downloadProgress
	sized, done bool
}

func (d *downloadReader) Read(b []byte) (int, error) {
	n, err := d.r.Read(b)
	d.p.read.Add(int64(n))
	if d.sized {
		d.p.known.Add(int64(n))
	}
	if err == io.EOF && !d.done {
		d.done = true
		d.p.done.Add(1)
	}
	return n, err
}

func (p *downloadProgress) loop() {
	defer close(p.stopped)
	t := time.NewTicker(150 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-t.C:
			p.draw()
		}
	}
}

func (p *downloadProgress) draw() {
	read, known, total := p.read.Load(), p.known.Load(), p.total.Load()
	files := fmt.Sprintf("%d of %d file(s)", p.done.Load(), p.files)
	if total == 0 {
		fmt.Fprintf(p.w, "\r\033[Kdownloading feeds: %s, %s", human(read), files)
		return
	}
	// The bar covers the downloads started so far whose size the server told.
	pct := min(float64(known)/float64(total)*100, 100)
	const width = 24
	fill := int(pct / 100 * width)
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	fmt.Fprintf(p.w, "\r\033[Kdownloading feeds [%s] %3.0f%% %s, %s", bar, pct, human(read), files)
}

// finish clears the line; it may be called more than once, and on nil.
func (p *downloadProgress) finish() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		close(p.stop)
		<-p.stopped
	})
}

func writeSources(w io.Writer, sum *dbbuild.Summary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tDATA DATE\tRECORDS")
	for _, s := range sum.Sources {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", s.Name, orDash(s.DataDate), s.Records)
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newDBInfoCmd(g *globals) *cobra.Command {
	var dbPath string
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show the vulnerability DB's schema, build time, and each source with its data date and record count",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, embedded, err := g.openDB(cmd.Context(), dbPath)
			if err != nil {
				return err
			}
			defer db.Close()
			counts, err := db.Counts(cmd.Context())
			if err != nil {
				return err
			}
			meta := db.Meta()
			age := g.now().Sub(meta.DataDate())
			if g.format == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{
					"path": db.Path(), "schemaVersion": meta.SchemaVersion, "builtAt": meta.BuiltAt.Format(time.RFC3339),
					"dataDate": meta.DataDate().Format("2006-01-02"), "ageDays": int(age.Hours() / 24),
					"embedded": embedded, "sources": meta.Sources, "counts": counts,
				})
			}
			w := g.stdout
			fmt.Fprintf(w, "Path:       %s\n", db.Path())
			fmt.Fprintf(w, "Schema:     %d\n", meta.SchemaVersion)
			fmt.Fprintf(w, "Built at:   %s\n", meta.BuiltAt.Format(time.RFC3339))
			fmt.Fprintf(w, "Data as of: %s (%d days old)\n", meta.DataDate().Format("2006-01-02"), int(age.Hours()/24))
			if embedded {
				fmt.Fprintln(w, "Origin:     the snapshot embedded in shipshape")
			}
			keys := make([]string, 0, len(counts))
			for k := range counts {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var parts []string
			for _, k := range keys {
				parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
			}
			fmt.Fprintf(w, "Rows:       %s\n\n", strings.Join(parts, ", "))
			writeSources(w, &dbbuild.Summary{Sources: meta.Sources})
			return nil
		},
	}
	cmd.Flags().StringVar(&dbPath, "db", "", "vulnerability DB file (default: <cache-dir>/db/shipshape.db)")
	return cmd
}
