package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipshape-dev/shipshape/internal/dbbuild"
	"github.com/shipshape-dev/shipshape/internal/dbupdate"
	"github.com/shipshape-dev/shipshape/internal/detect"
	"github.com/shipshape-dev/shipshape/internal/feed/all"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
	"github.com/shipshape-dev/shipshape/internal/vulndb/snapshot"
)

// vulnFlags are the flags of commands that match vulnerabilities.
type vulnFlags struct {
	scanners       []string
	checks         []string // custom Rego checks for --scanners misconfig (config.go)
	dbPath         string
	ignoreUnfixed  bool
	ignoreStatuses []string
	dbMaxAge       time.Duration
	skipDBUpdate   bool
	dbMirror       string
	severities     []string
	exitCode       int
	policy         policyFlags
}

func (f *vulnFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.scanners, "scanners", []string{"vuln"}, "what to look for: vuln, secret, license, misconfig (comma separated), or none for the inventory only")
	fl.StringVar(&f.dbPath, "db", "", "vulnerability DB file (default: <cache-dir>/db/shipshape.db, built from the embedded snapshot on first use)")
	fl.BoolVar(&f.ignoreUnfixed, "ignore-unfixed", false, "leave out vulnerabilities that have no fixed version")
	fl.StringSliceVar(&f.ignoreStatuses, "ignore-status", nil, "leave out findings with these statuses: fixed, affected, will-not-fix, end-of-life")
	fl.DurationVar(&f.dbMaxAge, "db-max-age", 0, "fail when the vulnerability data is older than this (e.g. 168h); 0 only warns after 7 days")
	fl.BoolVar(&f.skipDBUpdate, "skip-db-update", false, "do not update the vulnerability DB from --db-mirror before scanning")
	fl.StringVar(&f.dbMirror, "db-mirror", "", "mirror to update the DB from before scanning when it is over a day old (also SHIPSHAPE_DB_MIRROR)")
	fl.StringSliceVar(&f.severities, "severity", nil, "report only these severities (CRITICAL,HIGH,MEDIUM,LOW,NEGLIGIBLE,UNKNOWN); default all")
	fl.IntVar(&f.exitCode, "exit-code", 0, "exit with this code when any finding that is not suppressed is reported (after --severity and the ignore flags)")
	f.policy.register(cmd)
}

func (f *vulnFlags) enabled() bool {
	for _, s := range f.scanners {
		if strings.EqualFold(strings.TrimSpace(s), "vuln") {
			return true
		}
	}
	return false
}

func (f *vulnFlags) validate() error {
	for _, s := range f.scanners {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "vuln", "secret", "license", "none", "":
		case "misconfig":
		default:
			return fmt.Errorf("unknown scanner %q in --scanners (this version has: vuln, secret, license, misconfig, none)", s)
		}
	}
	for _, s := range f.severities {
		if vulndb.RatingRank(strings.TrimSpace(s)) == 0 && !strings.EqualFold(strings.TrimSpace(s), vulndb.Unknown) {
			return fmt.Errorf("unknown severity %q in --severity (choose from %s)", s, strings.Join(vulndb.Ratings, ","))
		}
	}
	if f.exitCode == ExitError {
		return fmt.Errorf("--exit-code %d is the code for errors; choose another (e.g. 1)", ExitError)
	}
	for _, s := range f.ignoreStatuses {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case vulndb.StatusFixed, vulndb.StatusAffected, vulndb.StatusWillNotFix, vulndb.StatusEndOfLife:
		default:
			return fmt.Errorf("unknown status %q in --ignore-status (choose from fixed, affected, will-not-fix, end-of-life)", s)
		}
	}
	return f.policy.load()
}

func (g *globals) defaultDBPath() string {
	return filepath.Join(g.cacheDir, "db", "shipshape.db")
}

// openDB opens the DB, building it from the embedded snapshot when there is none.
func (g *globals) openDB(ctx context.Context, path string) (*vulndb.DB, bool, error) {
	embedded := false
	if path == "" {
		path = g.defaultDBPath()
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if !g.quiet {
				fmt.Fprintf(g.stderr, "No vulnerability DB yet: building one from the snapshot inside shipshape (data as of %s) into %s ...\n", snapshot.DataDate(), path)
			}
			start := time.Now()
			if _, err := buildSnapshot(ctx, path, g.now); err != nil {
				return nil, false, fmt.Errorf("building the vulnerability DB from the embedded snapshot: %w", err)
			}
			if !g.quiet {
				fmt.Fprintf(g.stderr, "Built in %s. Run `shipshape db update` for newer data.\n", time.Since(start).Round(10*time.Millisecond))
			}
			embedded = true
		}
	}
	db, err := vulndb.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("%w (rebuild it with `shipshape db build` or delete it to use the embedded snapshot)", err)
	}
	for _, s := range db.Meta().Sources {
		if strings.HasPrefix(s.Origin, "embedded:") {
			embedded = true
		}
	}
	return db, embedded, nil
}

// buildSnapshot builds a DB from the feeds embedded in the binary.
func buildSnapshot(ctx context.Context, out string, now func() time.Time) (*dbbuild.Summary, error) {
	return buildSnapshotWith(ctx, out, now, nil)
}

// buildSnapshotWith builds a DB from the embedded feeds followed by extra sources.
func buildSnapshotWith(ctx context.Context, out string, now func() time.Time, extra []dbbuild.Source) (*dbbuild.Summary, error) {
	feeds := all.ByName()
	var srcs []dbbuild.Source
	for _, f := range snapshot.Files() {
		fd, ok := feeds[f.Feed]
		if !ok {
			return nil, fmt.Errorf("embedded snapshot names feed %q, which this build lacks", f.Feed)
		}
		srcs = append(srcs, dbbuild.Source{Name: f.Source, Feed: fd, Location: f.Name, Open: f.Open,
			DataDate: f.DataDate, Licence: f.Licence, Origin: "embedded:" + f.Origin})
	}
	srcs = append(srcs, extra...)
	return dbbuild.Build(ctx, out, srcs, dbbuild.Options{Now: now})
}

// matchVulns matches inv against the DB and records the DB's identity and age in it.
func (g *globals) matchVulns(ctx context.Context, inv *inventory.Inventory, f *vulnFlags) error {
	path := f.dbPath
	if path == "" {
		path = g.defaultDBPath()
	}
	g.maybeUpdate(ctx, path, f)
	db, embedded, err := g.openDB(ctx, f.dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	meta := db.Meta()
	info := &inventory.DBInfo{SchemaVersion: meta.SchemaVersion, BuiltAt: meta.BuiltAt.Format(time.RFC3339),
		DataDate: meta.DataDate().Format("2006-01-02"), Embedded: embedded}
	for _, s := range meta.Sources {
		info.Sources = append(info.Sources, inventory.DBSourceInfo{Name: s.Name, DataDate: s.DataDate, Records: s.Records})
	}
	inv.DB = info
	age := g.now().Sub(meta.DataDate())
	if f.dbMaxAge > 0 && age > f.dbMaxAge {
		return fmt.Errorf("the vulnerability data is %d days old (as of %s), older than --db-max-age %s; run `shipshape db update`", int(age.Hours()/24), info.DataDate, f.dbMaxAge)
	}
	if age > 7*24*time.Hour {
		inv.Warnings = append(inv.Warnings, inventory.Warning{Message: fmt.Sprintf("the vulnerability data is %d days old (as of %s); run `shipshape db update` for newer data, or pass --db-max-age to fail instead", int(age.Hours()/24), info.DataDate)})
	}
	res, err := detect.Match(ctx, db, inv, detect.Options{IgnoreUnfixed: f.ignoreUnfixed, IgnoreStatuses: f.ignoreStatuses, Now: g.now})
	if err != nil {
		return fmt.Errorf("matching vulnerabilities: %w", err)
	}
	inv.Vulnerabilities = filterSeverities(res.Findings, f.severities)
	if inv.Vulnerabilities == nil {
		inv.Vulnerabilities = []inventory.Finding{}
	}
	inv.Warnings = append(inv.Warnings, res.Warnings...)
	inv.Sort()
	return nil
}

// filterSeverities keeps the findings whose severity is listed; an empty list keeps all.
func filterSeverities(fs []inventory.Finding, sev []string) []inventory.Finding {
	if len(sev) == 0 {
		return fs
	}
	keep := map[string]bool{}
	for _, s := range sev {
		keep[strings.ToUpper(strings.TrimSpace(s))] = true
	}
	var out []inventory.Finding
	for _, f := range fs {
		if keep[f.Severity] {
			out = append(out, f)
		}
	}
	return out
}

// maybeUpdate refreshes the DB at path from the mirror when it is over a day old. A
// failure is a warning: the scan goes on with the DB it has.
func (g *globals) maybeUpdate(ctx context.Context, path string, f *vulnFlags) {
	mirror := f.dbMirror
	if mirror == "" {
		mirror = os.Getenv("SHIPSHAPE_DB_MIRROR")
	}
	if mirror == "" || f.skipDBUpdate {
		return
	}
	if db, err := vulndb.Open(path); err == nil {
		built := db.Meta().BuiltAt
		db.Close()
		if g.now().Sub(built) < 24*time.Hour {
			return
		}
	}
	pk, err := publicKey(os.Getenv("SHIPSHAPE_DB_PUBLIC_KEY"))
	if err == nil {
		_, err = dbupdate.Update(ctx, path, dbupdate.Options{Mirror: mirror, PublicKey: pk})
	}
	if err != nil && !errors.Is(err, dbupdate.ErrUpToDate) && !g.quiet {
		fmt.Fprintf(g.stderr, "warning: could not update the vulnerability DB from %s: %v (scanning with the DB at hand)\n", mirror, err)
	}
}
