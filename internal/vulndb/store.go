package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// SchemaVersion is the version of the DB layout. Readers refuse other versions.
const SchemaVersion = 1

const schema = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE source (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE vulnerability (id TEXT NOT NULL, source TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (id, source));
CREATE TABLE alias (alias TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (alias, id));
CREATE TABLE affected (namespace TEXT NOT NULL, package TEXT NOT NULL, vuln_id TEXT NOT NULL, source TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE epss (cve TEXT PRIMARY KEY, score REAL NOT NULL, percentile REAL NOT NULL);
CREATE TABLE kev (cve TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE cwe (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE release (namespace TEXT PRIMARY KEY, data BLOB NOT NULL);
`

// indexes are created after the bulk load, which is faster than maintaining them row by row.
const indexes = `
CREATE INDEX affected_ns_pkg ON affected (namespace, package);
CREATE INDEX alias_id ON alias (id);
`

// Meta is the DB's metadata.
type Meta struct {
	SchemaVersion int          `json:"schemaVersion"`
	BuiltAt       time.Time    `json:"builtAt"`
	Sources       []SourceInfo `json:"sources"`
}

// DataDate returns the oldest data date among sources that have one, or BuiltAt.
func (m Meta) DataDate() time.Time {
	var oldest time.Time
	for _, s := range m.Sources {
		t, ok := parseDate(s.DataDate)
		if ok && (oldest.IsZero() || t.Before(oldest)) {
			oldest = t
		}
	}
	if oldest.IsZero() {
		return m.BuiltAt
	}
	return oldest
}

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Writer builds a new DB file. Rows go into one transaction; Finish indexes, commits and
// moves the file into place, so a failed build never leaves a half-written DB at path.
type Writer struct {
	path, tmp string
	db        *sql.DB
	tx        *sql.Tx
	stmts     map[string]*sql.Stmt
	sources   map[string]*SourceInfo
	seenVuln  map[string]bool
}

// Create starts a new DB that Finish will write to path.
func Create(path string) (*Writer, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".shipshape-db-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("creating the DB next to %s: %w", path, err)
	}
	tmp := f.Name()
	f.Close()
	db, err := sql.Open("sqlite", "file:"+tmp+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)")
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("opening %s: %w", tmp, err)
	}
	db.SetMaxOpenConns(1)
	w := &Writer{path: path, tmp: tmp, db: db, stmts: map[string]*sql.Stmt{}, sources: map[string]*SourceInfo{}, seenVuln: map[string]bool{}}
	if _, err := db.Exec(schema); err != nil {
		w.Abort()
		return nil, fmt.Errorf("creating the DB schema: %w", err)
	}
	if w.tx, err = db.Begin(); err != nil {
		w.Abort()
		return nil, fmt.Errorf("starting the DB transaction: %w", err)
	}
	for name, q := range map[string]string{
		"vuln":     `INSERT OR REPLACE INTO vulnerability (id, source, data) VALUES (?, ?, ?)`,
		"alias":    `INSERT OR IGNORE INTO alias (alias, id) VALUES (?, ?)`,
		"affected": `INSERT INTO affected (namespace, package, vuln_id, source, data) VALUES (?, ?, ?, ?, ?)`,
		"epss":     `INSERT OR REPLACE INTO epss (cve, score, percentile) VALUES (?, ?, ?)`,
		"kev":      `INSERT OR REPLACE INTO kev (cve, data) VALUES (?, ?)`,
		"cwe":      `INSERT OR REPLACE INTO cwe (id, name) VALUES (?, ?)`,
		"release":  `INSERT OR REPLACE INTO release (namespace, data) VALUES (?, ?)`,
	} {
		st, err := w.tx.Prepare(q)
		if err != nil {
			w.Abort()
			return nil, fmt.Errorf("preparing %s: %w", name, err)
		}
		w.stmts[name] = st
	}
	return w, nil
}

// Add stores one record from source (the feed name). It fills in Source fields left empty.
func (w *Writer) Add(source string, r Record) error {
	si := w.sources[source]
	if si == nil {
		si = &SourceInfo{Name: source}
		w.sources[source] = si
	}
	if v := r.Vulnerability; v != nil {
		if v.ID == "" {
			return errors.New("vulnerability without an id")
		}
		if v.Source == "" {
			v.Source = source
		}
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", v.ID, err)
		}
		if _, err := w.stmts["vuln"].Exec(v.ID, v.Source, data); err != nil {
			return fmt.Errorf("storing %s: %w", v.ID, err)
		}
		for _, a := range v.Aliases {
			if a == v.ID || a == "" {
				continue
			}
			if _, err := w.stmts["alias"].Exec(a, v.ID); err != nil {
				return fmt.Errorf("storing alias %s of %s: %w", a, v.ID, err)
			}
		}
	}
	for i := range r.Affected {
		a := r.Affected[i]
		if a.VulnID == "" || a.Namespace == "" || a.Package == "" {
			return fmt.Errorf("affected entry needs a vulnerability id, namespace and package (got %q %q %q)", a.VulnID, a.Namespace, a.Package)
		}
		if a.Source == "" {
			a.Source = source
		}
		if a.Status == "" {
			a.Status = StatusAffected
		}
		a.Namespace = strings.ToLower(a.Namespace)
		a.Package = NormalizePackage(a.Namespace, a.Package)
		data, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", a.VulnID, err)
		}
		if _, err := w.stmts["affected"].Exec(a.Namespace, a.Package, a.VulnID, a.Source, data); err != nil {
			return fmt.Errorf("storing %s for %s: %w", a.VulnID, a.Package, err)
		}
	}
	if e := r.EPSS; e != nil {
		if _, err := w.stmts["epss"].Exec(e.CVE, e.Score, e.Percentile); err != nil {
			return fmt.Errorf("storing EPSS of %s: %w", e.CVE, err)
		}
		if e.Date != "" && si.DataDate == "" {
			si.DataDate = e.Date
		}
	}
	if k := r.KEV; k != nil {
		data, err := json.Marshal(k)
		if err != nil {
			return err
		}
		if _, err := w.stmts["kev"].Exec(k.CVE, data); err != nil {
			return fmt.Errorf("storing KEV %s: %w", k.CVE, err)
		}
	}
	if rel := r.Release; rel != nil {
		if rel.Namespace == "" {
			return errors.New("release lifecycle entry without a namespace")
		}
		rel.Namespace = strings.ToLower(rel.Namespace)
		if rel.Source == "" {
			rel.Source = source
		}
		data, err := json.Marshal(rel)
		if err != nil {
			return err
		}
		if _, err := w.stmts["release"].Exec(rel.Namespace, data); err != nil {
			return fmt.Errorf("storing the lifecycle of %s: %w", rel.Namespace, err)
		}
	}
	if c := r.CWE; c != nil {
		if _, err := w.stmts["cwe"].Exec(c.ID, c.Name); err != nil {
			return fmt.Errorf("storing %s: %w", c.ID, err)
		}
	}
	si.Records++
	return nil
}

// SetSource records what is known about a feed (its data date, origin, licence); the
// record count is kept by Add.
func (w *Writer) SetSource(info SourceInfo) {
	si := w.sources[info.Name]
	if si == nil {
		si = &SourceInfo{Name: info.Name}
		w.sources[info.Name] = si
	}
	if info.DataDate != "" {
		si.DataDate = info.DataDate
	}
	if info.Origin != "" {
		si.Origin = info.Origin
	}
	if info.Licence != "" {
		si.Licence = info.Licence
	}
}

// Finish writes metadata, indexes, commits and renames the DB into place.
func (w *Writer) Finish(builtAt time.Time) error {
	meta := map[string]string{
		"schema_version": fmt.Sprint(SchemaVersion),
		"built_at":       builtAt.UTC().Format(time.RFC3339),
	}
	// Insert in sorted order so the same input gives the same file.
	for _, k := range sortedKeys(meta) {
		v := meta[k]
		if _, err := w.tx.Exec(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`, k, v); err != nil {
			w.Abort()
			return fmt.Errorf("writing DB metadata: %w", err)
		}
	}
	names := make([]string, 0, len(w.sources))
	for n := range w.sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		si := w.sources[n]
		data, _ := json.Marshal(si)
		if _, err := w.tx.Exec(`INSERT OR REPLACE INTO source (name, data) VALUES (?, ?)`, si.Name, data); err != nil {
			w.Abort()
			return fmt.Errorf("writing DB sources: %w", err)
		}
	}
	for _, st := range w.stmts {
		st.Close()
	}
	if err := w.tx.Commit(); err != nil {
		w.Abort()
		return fmt.Errorf("committing the DB: %w", err)
	}
	w.tx = nil
	if _, err := w.db.Exec(indexes); err != nil {
		w.Abort()
		return fmt.Errorf("indexing the DB: %w", err)
	}
	if _, err := w.db.Exec(`ANALYZE; VACUUM`); err != nil {
		w.Abort()
		return fmt.Errorf("compacting the DB: %w", err)
	}
	if err := w.db.Close(); err != nil {
		os.Remove(w.tmp)
		return fmt.Errorf("closing the DB: %w", err)
	}
	if err := os.Rename(w.tmp, w.path); err != nil {
		os.Remove(w.tmp)
		return fmt.Errorf("moving the DB into place at %s: %w", w.path, err)
	}
	return nil
}

// Abort discards the DB being built.
func (w *Writer) Abort() {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx = nil
	}
	w.db.Close()
	os.Remove(w.tmp)
}

// DB is an open, read-only vulnerability database.
type DB struct {
	db   *sql.DB
	path string
	meta Meta
}

// ErrSchema is wrapped by errors about a DB of another schema version.
var ErrSchema = errors.New("unsupported DB schema version")

// Open opens the DB at path read-only and checks its schema version.
func Open(path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("opening the vulnerability DB: %w", err)
	}
	u := url.URL{Scheme: "file", Opaque: path, RawQuery: "mode=ro&_pragma=query_only(1)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("opening the vulnerability DB %s: %w", path, err)
	}
	d := &DB{db: db, path: path}
	if err := d.loadMeta(); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// Close closes the DB.
func (d *DB) Close() error { return d.db.Close() }

// Path is where the DB file is.
func (d *DB) Path() string { return d.path }

func (d *DB) loadMeta() error {
	rows, err := d.db.Query(`SELECT key, value FROM meta`)
	if err != nil {
		return fmt.Errorf("not a shipshape vulnerability DB (or a corrupt one): %w", err)
	}
	defer rows.Close()
	kv := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("reading DB metadata: %w", err)
		}
		kv[k] = v
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading DB metadata: %w", err)
	}
	if kv["schema_version"] != fmt.Sprint(SchemaVersion) {
		return fmt.Errorf("%w %q (this shipshape reads version %d; run `shipshape db update` or rebuild it)", ErrSchema, kv["schema_version"], SchemaVersion)
	}
	d.meta.SchemaVersion = SchemaVersion
	if t, ok := parseDate(kv["built_at"]); ok {
		d.meta.BuiltAt = t
	}
	srows, err := d.db.Query(`SELECT data FROM source ORDER BY name`)
	if err != nil {
		return fmt.Errorf("reading DB sources: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		var data []byte
		if err := srows.Scan(&data); err != nil {
			return fmt.Errorf("reading DB sources: %w", err)
		}
		var si SourceInfo
		if err := json.Unmarshal(data, &si); err != nil {
			return fmt.Errorf("reading DB sources: %w", err)
		}
		d.meta.Sources = append(d.meta.Sources, si)
	}
	return srows.Err()
}

// Meta returns the DB's metadata.
func (d *DB) Meta() Meta { return d.meta }

// Affected returns what the DB says about package in namespace.
func (d *DB) Affected(ctx context.Context, namespace, pkg string) ([]Affected, error) {
	namespace = strings.ToLower(namespace)
	rows, err := d.db.QueryContext(ctx, `SELECT data FROM affected WHERE namespace = ? AND package = ?`, namespace, NormalizePackage(namespace, pkg))
	if err != nil {
		return nil, fmt.Errorf("querying %s %s: %w", namespace, pkg, err)
	}
	defer rows.Close()
	var out []Affected
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("querying %s %s: %w", namespace, pkg, err)
		}
		var a Affected
		if err := json.Unmarshal(data, &a); err != nil {
			return nil, fmt.Errorf("decoding an affected row of %s %s: %w", namespace, pkg, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AffectedMany returns what the DB says about each of pkgs in namespace, keyed by the
// package name as given. One query per 500 names keeps large inventories fast.
func (d *DB) AffectedMany(ctx context.Context, namespace string, pkgs []string) (map[string][]Affected, error) {
	namespace = strings.ToLower(namespace)
	norm := map[string][]string{} // normalised -> distinct names as given
	given := map[string]bool{}
	var keys []string
	for _, p := range pkgs {
		if given[p] {
			// The same name asked for again (two versions of a package in one image) must
			// not repeat its rows in the answer: callers loop over them per package.
			continue
		}
		given[p] = true
		n := NormalizePackage(namespace, p)
		if _, ok := norm[n]; !ok {
			keys = append(keys, n)
		}
		norm[n] = append(norm[n], p)
	}
	out := map[string][]Affected{}
	for _, chunk := range chunks(keys, 500) {
		args := append([]any{namespace}, anys(chunk)...)
		rows, err := d.db.QueryContext(ctx, `SELECT package, data FROM affected WHERE namespace = ? AND package IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("querying %s: %w", namespace, err)
		}
		for rows.Next() {
			var pkg string
			var data []byte
			if err := rows.Scan(&pkg, &data); err != nil {
				rows.Close()
				return nil, fmt.Errorf("querying %s: %w", namespace, err)
			}
			var a Affected
			if err := json.Unmarshal(data, &a); err != nil {
				rows.Close()
				return nil, fmt.Errorf("decoding an affected row of %s %s: %w", namespace, pkg, err)
			}
			for _, name := range norm[pkg] {
				out[name] = append(out[name], a)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HasNamespace reports whether the DB holds any data for namespace.
func (d *DB) HasNamespace(ctx context.Context, namespace string) (bool, error) {
	var one int
	err := d.db.QueryRowContext(ctx, `SELECT 1 FROM affected WHERE namespace = ? LIMIT 1`, strings.ToLower(namespace)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("querying namespace %s: %w", namespace, err)
	}
	return true, nil
}

// Release returns the lifecycle of a distribution release, or nil when the DB has none
// (also for DBs built before the release table existed).
func (d *DB) Release(ctx context.Context, namespace string) (*Release, error) {
	var data []byte
	err := d.db.QueryRowContext(ctx, `SELECT data FROM release WHERE namespace = ?`, strings.ToLower(namespace)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) || err != nil && strings.Contains(err.Error(), "no such table") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("querying the lifecycle of %s: %w", namespace, err)
	}
	var r Release
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decoding the lifecycle of %s: %w", namespace, err)
	}
	return &r, nil
}

// Namespaces lists every namespace with data, sorted.
func (d *DB) Namespaces(ctx context.Context) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT DISTINCT namespace FROM affected ORDER BY namespace`)
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ns string
		if err := rows.Scan(&ns); err != nil {
			return nil, err
		}
		out = append(out, ns)
	}
	return out, rows.Err()
}

// Vulnerabilities returns every source's record for each id, sorted by source.
func (d *DB) Vulnerabilities(ctx context.Context, ids []string) (map[string][]Vulnerability, error) {
	out := map[string][]Vulnerability{}
	for _, chunk := range chunks(ids, 500) {
		q := `SELECT data FROM vulnerability WHERE id IN (` + placeholders(len(chunk)) + `) ORDER BY id, source`
		rows, err := d.db.QueryContext(ctx, q, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("querying vulnerabilities: %w", err)
		}
		for rows.Next() {
			var data []byte
			if err := rows.Scan(&data); err != nil {
				rows.Close()
				return nil, err
			}
			var v Vulnerability
			if err := json.Unmarshal(data, &v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("decoding a vulnerability: %w", err)
			}
			out[v.ID] = append(out[v.ID], v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Aliases returns, for each id, the ids that name it as an alias, and the aliases it names.
func (d *DB) Aliases(ctx context.Context, id string) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id FROM alias WHERE alias = ? UNION SELECT alias FROM alias WHERE id = ?`, id, id)
	if err != nil {
		return nil, fmt.Errorf("querying aliases of %s: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out, rows.Err()
}

// EPSS returns the scores known for cves.
func (d *DB) EPSS(ctx context.Context, cves []string) (map[string]EPSS, error) {
	out := map[string]EPSS{}
	for _, chunk := range chunks(cves, 500) {
		rows, err := d.db.QueryContext(ctx, `SELECT cve, score, percentile FROM epss WHERE cve IN (`+placeholders(len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("querying EPSS: %w", err)
		}
		for rows.Next() {
			var e EPSS
			if err := rows.Scan(&e.CVE, &e.Score, &e.Percentile); err != nil {
				rows.Close()
				return nil, err
			}
			out[e.CVE] = e
		}
		rows.Close()
	}
	return out, nil
}

// KEV returns the KEV entries known for cves.
func (d *DB) KEV(ctx context.Context, cves []string) (map[string]KEV, error) {
	out := map[string]KEV{}
	for _, chunk := range chunks(cves, 500) {
		rows, err := d.db.QueryContext(ctx, `SELECT data FROM kev WHERE cve IN (`+placeholders(len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("querying KEV: %w", err)
		}
		for rows.Next() {
			var data []byte
			var k KEV
			if err := rows.Scan(&data); err != nil {
				rows.Close()
				return nil, err
			}
			if err := json.Unmarshal(data, &k); err != nil {
				rows.Close()
				return nil, err
			}
			out[k.CVE] = k
		}
		rows.Close()
	}
	return out, nil
}

// CWENames returns the names of the given CWE ids ("CWE-79").
func (d *DB) CWENames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, chunk := range chunks(ids, 500) {
		rows, err := d.db.QueryContext(ctx, `SELECT id, name FROM cwe WHERE id IN (`+placeholders(len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("querying CWE names: %w", err)
		}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = name
		}
		rows.Close()
	}
	return out, nil
}

// Counts returns the number of rows per table, for `db info`.
func (d *DB) Counts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, t := range []string{"vulnerability", "affected", "alias", "epss", "kev", "cwe", "release"} {
		var n int
		err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n)
		if err != nil && t == "release" && strings.Contains(err.Error(), "no such table") {
			continue // a DB built before release lifecycles were stored
		}
		if err != nil {
			return nil, fmt.Errorf("counting %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

func chunks(ss []string, n int) [][]string {
	var out [][]string
	for len(ss) > n {
		out = append(out, ss[:n])
		ss = ss[n:]
	}
	if len(ss) > 0 {
		out = append(out, ss)
	}
	return out
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
