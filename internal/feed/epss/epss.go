// Package epss parses FIRST's Exploit Prediction Scoring System scores
// (https://www.first.org/epss/) in the CSV form published daily,
// epss_scores-YYYY-MM-DD.csv.gz:
//
//	#model_version:v2023.03.01,score_date:2023-06-06T00:00:00+0000
//	cve,epss,percentile
//	CVE-1999-0001,0.00383,0.73075
//
// Each row becomes one vulndb.EPSS record dated with the file's score_date, which is also
// the feed's data date: after a successful Parse it is available from (*Feed).DataDate.
package epss

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed parses EPSS score files. It remembers the score date of the last file it parsed;
// it is safe for concurrent use.
type Feed struct {
	mu       sync.Mutex
	dataDate string
}

var _ feed.Feed = (*Feed)(nil)

// New returns an EPSS parser.
func New() *Feed { return &Feed{} }

// Name is "epss".
func (f *Feed) Name() string { return "epss" }

// Info describes the EPSS data for the DB's metadata and NOTICE. FIRST publishes the
// scores for free use and asks for attribution.
func (f *Feed) Info() feed.Info {
	return feed.Info{
		Licence:     "FIRST EPSS usage terms (free to use, with attribution)",
		Attribution: "EPSS scores by the Forum of Incident Response and Security Teams (FIRST), https://www.first.org/epss/.",
		UpstreamURL: "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
	}
}

// DataDate returns the score date of the last file parsed successfully, as a date
// ("2025-02-20"), or "" before any or when the file did not say.
func (f *Feed) DataDate() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dataDate
}

// Match accepts *.csv files outside dot directories.
func (f *Feed) Match(name string) bool {
	name = trimCompression(name)
	for _, part := range strings.Split(path.Dir(name), "/") {
		if strings.HasPrefix(part, ".") && part != "." && part != ".." {
			return false
		}
	}
	return strings.EqualFold(path.Ext(name), ".csv")
}

// isCVE reports whether s is a CVE id, CVE-YYYY-NNNN[N...] (a regular expression
// would do, at a quarter of the parse speed).
func isCVE(s string) bool {
	if len(s) < 13 || s[:4] != "CVE-" || s[8] != '-' {
		return false
	}
	for i := 4; i < len(s); i++ {
		if i != 8 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// maxLine bounds one line; EPSS lines are about 30 bytes. A longer line is skipped.
const maxLine = 64 << 10

// Parse reads one score file. Comment lines (#...) before the header may carry
// score_date. The header names the columns: cve and epss are needed, percentile is
// optional (the first EPSS files lack it); a file whose first line is already a row is
// read as cve,epss,percentile. A row that does not parse (a CVE id, then scores between 0
// and 1) is skipped; the file is an error only when no row parses.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	p := parser{name: in.Name, emit: emit, cols: columns{cve: -1, epss: -1, percentile: -1}}
	r := bufio.NewReaderSize(in.R, 64<<10)
	header := false
	for n := 1; ; n++ {
		line, tooLong, err := readLine(r)
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s: line %d: %w", in.Name, n, err)
		}
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
		switch {
		case tooLong:
			p.bad++
		case line == "":
		case strings.HasPrefix(line, "#"):
			if !header {
				if d := scoreDate(line); d != "" {
					p.date = d
				}
			}
		case !header:
			header = true
			p.cols = parseHeader(line)
			if p.cols.cve < 0 && isCVE(strings.ToUpper(field(strings.Split(line, ","), 0))) {
				p.cols = columns{cve: 0, epss: 1, percentile: 2}
				if err := p.row(line); err != nil {
					return err
				}
			}
		default:
			if err := p.row(line); err != nil {
				return err
			}
		}
		if err == io.EOF {
			break
		}
	}
	if p.good == 0 {
		switch {
		case !header:
			return fmt.Errorf("%s: no EPSS rows: no header and no data", in.Name)
		case p.cols.cve < 0 || p.cols.epss < 0:
			return fmt.Errorf("%s: no EPSS rows: the header names no cve and epss columns", in.Name)
		}
		return fmt.Errorf("%s: no EPSS rows could be read (%d malformed)", in.Name, p.bad)
	}
	f.mu.Lock()
	f.dataDate = p.date
	f.mu.Unlock()
	return nil
}

// columns are the indexes of the fields, -1 when absent.
type columns struct{ cve, epss, percentile int }

func parseHeader(line string) columns {
	c := columns{cve: -1, epss: -1, percentile: -1}
	for i, name := range strings.Split(line, ",") {
		switch strings.ToLower(strings.Trim(strings.TrimSpace(name), `"`)) {
		case "cve":
			c.cve = i
		case "epss":
			c.epss = i
		case "percentile":
			c.percentile = i
		}
	}
	return c
}

type parser struct {
	name      string
	emit      func(vulndb.Record) error
	cols      columns
	date      string
	good, bad int
}

// row emits one data row, or counts it as malformed.
func (p *parser) row(line string) error {
	if p.cols.cve < 0 || p.cols.epss < 0 {
		p.bad++
		return nil
	}
	fields := strings.Split(line, ",")
	e := vulndb.EPSS{CVE: strings.ToUpper(field(fields, p.cols.cve)), Date: p.date}
	var ok bool
	if !isCVE(e.CVE) {
		p.bad++
		return nil
	}
	if e.Score, ok = probability(field(fields, p.cols.epss)); !ok {
		p.bad++
		return nil
	}
	if p.cols.percentile >= 0 {
		if e.Percentile, ok = probability(field(fields, p.cols.percentile)); !ok {
			p.bad++
			return nil
		}
	}
	p.good++
	if err := p.emit(vulndb.Record{EPSS: &e}); err != nil {
		return fmt.Errorf("%s: %s: %w", p.name, e.CVE, err)
	}
	return nil
}

func field(fields []string, i int) string {
	if i < 0 || i >= len(fields) {
		return ""
	}
	return strings.Trim(strings.TrimSpace(fields[i]), `"`)
}

// probability parses a number between 0 and 1.
func probability(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
		return 0, false
	}
	return v, true
}

// scoreDate returns the score_date of a "#model_version:...,score_date:..." line as a
// date ("2023-06-06"), as written when it is not a time this package knows, or "".
func scoreDate(line string) string {
	for _, kv := range strings.Split(strings.TrimPrefix(line, "#"), ",") {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(k) != "score_date" {
			continue
		}
		v = strings.TrimSpace(v)
		for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC().Format(time.DateOnly)
			}
		}
		return v
	}
	return ""
}

// readLine returns the next line without its end; tooLong is set (and the line dropped)
// when it exceeds maxLine.
func readLine(r *bufio.Reader) (line string, tooLong bool, err error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(b)+len(chunk) <= maxLine {
			b = append(b, chunk...)
		} else {
			tooLong = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if tooLong {
			return "", true, err
		}
		return strings.TrimRight(string(b), "\r\n"), false, err
	}
}

// trimCompression drops a compression suffix from a file name.
func trimCompression(name string) string {
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst"} {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return name[:len(name)-len(ext)]
		}
	}
	return name
}
