// Package endoflife parses distribution release lifecycles in the formats of the
// endoflife.date API into vulndb.Release records, so that a scan can say when an image's
// distribution release no longer gets security fixes. Both API versions are read:
// v1 (https://endoflife.date/api/v1/products/<product>: a document whose result.releases
// have name, codename, eolFrom and eoesFrom) and v0 (https://endoflife.date/api/<product>.json:
// an array of cycles with cycle, codename, eol and extendedSupport).
//
// The product is the file's base name (debian, debian.json, alpine.json ...). The end-of-life date
// stored is the end of the security support whose advisories the DB's distro feeds carry:
// eol for every product, except Debian, whose LTS team publishes into the same security
// tracker until extendedSupport.
package endoflife

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed parses endoflife.date product files. It holds no state and is safe for concurrent use.
type Feed struct{}

var _ feed.Feed = (*Feed)(nil)

// New returns the endoflife.date parser.
func New() *Feed { return &Feed{} }

// Name is "endoflife".
func (*Feed) Name() string { return "endoflife" }

// Info describes the data for the DB's metadata and NOTICE.
func (*Feed) Info() feed.Info {
	return feed.Info{
		Licence:     "MIT",
		Attribution: "Release lifecycles in the format of endoflife.date (https://endoflife.date, MIT), from the distributions' published release and security-support pages.",
		UpstreamURL: "https://endoflife.date/api/v1/products/",
	}
}

// products maps an endoflife.date product to the family part of a DB namespace.
var products = map[string]string{
	"debian":       "debian",
	"ubuntu":       "ubuntu",
	"alpine":       "alpine",
	"alpine-linux": "alpine",
	"rhel":         "rhel",
	"centos":       "centos",
	"rocky-linux":  "rocky",
	"almalinux":    "almalinux",
	"oracle-linux": "ol",
	"amazon-linux": "amzn",
	"fedora":       "fedora",
}

// Match accepts <product>.json for the products above.
func (*Feed) Match(name string) bool {
	_, ok := products[product(name)]
	return ok
}

func product(name string) string {
	base := strings.ToLower(path.Base(name))
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst"} {
		base = strings.TrimSuffix(base, ext)
	}
	return strings.TrimSuffix(base, ".json")
}

// cycle is one release in either API version. The v0 eol and extendedSupport are a date,
// or a boolean (true: ended on an unknown date; false: not announced); the v1 *From fields
// are a date or null.
type cycle struct {
	Cycle           json.RawMessage `json:"cycle"`
	Name            json.RawMessage `json:"name"`
	Codename        *string         `json:"codename"`
	EOL             json.RawMessage `json:"eol"`
	ExtendedSupport json.RawMessage `json:"extendedSupport"`
	EOLFrom         json.RawMessage `json:"eolFrom"`
	EOESFrom        json.RawMessage `json:"eoesFrom"`
}

// v1 is the v1 product document.
type v1 struct {
	Result *struct {
		Releases []cycle `json:"releases"`
	} `json:"result"`
}

// Parse implements feed.Feed.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	prod := product(in.Name)
	family, ok := products[prod]
	if !ok {
		return fmt.Errorf("%s: not an endoflife.date product file this parser knows (name it after the product, e.g. debian.json)", in.Name)
	}
	var raw json.RawMessage
	if err := json.NewDecoder(in.R).Decode(&raw); err != nil {
		return fmt.Errorf("%s: not JSON: %w", in.Name, err)
	}
	var cycles []cycle
	if err := json.Unmarshal(raw, &cycles); err != nil {
		var doc v1
		if err := json.Unmarshal(raw, &doc); err != nil || doc.Result == nil {
			return fmt.Errorf("%s: not an endoflife.date product (neither a v1 document with result.releases nor a v0 array of cycles)", in.Name)
		}
		cycles = doc.Result.Releases
	}
	for i, c := range cycles {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := scalar(c.Cycle)
		if name == "" {
			name = scalar(c.Name)
		}
		if name == "" {
			return fmt.Errorf("%s: release %d has neither a \"name\" nor a \"cycle\" field", in.Name, i+1)
		}
		eol := max(date(c.EOL), date(c.EOLFrom))
		if family == "debian" {
			eol = max(eol, date(c.ExtendedSupport), date(c.EOESFrom))
		}
		display := titles[family] + " " + name
		if c.Codename != nil && *c.Codename != "" {
			display += " (" + *c.Codename + ")"
		}
		rel := &vulndb.Release{Namespace: family + ":" + name, Name: display, EOL: eol}
		if err := emit(vulndb.Record{Release: rel}); err != nil {
			return err
		}
	}
	return nil
}

var titles = map[string]string{
	"debian": "Debian", "ubuntu": "Ubuntu", "alpine": "Alpine Linux", "rhel": "Red Hat Enterprise Linux",
	"centos": "CentOS", "rocky": "Rocky Linux", "almalinux": "AlmaLinux", "ol": "Oracle Linux",
	"amzn": "Amazon Linux", "fedora": "Fedora",
}

// scalar returns a JSON string or number as text.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// date returns a YYYY-MM-DD field, or "" for booleans, null and anything else.
func date(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return ""
	}
	return s
}
