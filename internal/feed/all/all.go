// Package all holds the one explicit list of feed parsers shipshape knows.
package all

import (
	"sort"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/feed/alpine"
	"github.com/shipshape-dev/shipshape/internal/feed/cwe"
	"github.com/shipshape-dev/shipshape/internal/feed/debian"
	"github.com/shipshape-dev/shipshape/internal/feed/endoflife"
	"github.com/shipshape-dev/shipshape/internal/feed/epss"
	"github.com/shipshape-dev/shipshape/internal/feed/friendsofphp"
	"github.com/shipshape-dev/shipshape/internal/feed/kev"
	"github.com/shipshape-dev/shipshape/internal/feed/nodejs"
	"github.com/shipshape-dev/shipshape/internal/feed/nvd"
	"github.com/shipshape-dev/shipshape/internal/feed/osv"
	"github.com/shipshape-dev/shipshape/internal/feed/redhat"
	"github.com/shipshape-dev/shipshape/internal/feed/rubysec"
	"github.com/shipshape-dev/shipshape/internal/feed/ubuntu"
)

// Feeds returns a fresh instance of every feed parser.
func Feeds() []feed.Feed {
	return []feed.Feed{
		osv.New(),
		alpine.New(),
		debian.New(),
		debian.NewTracker(),
		debian.NewDSA(),
		ubuntu.New(),
		redhat.New(),
		nvd.New(),
		epss.New(),
		kev.New(),
		cwe.New(),
		endoflife.New(),
		nodejs.New(),
		rubysec.New(),
		friendsofphp.New(),
	}
}

// ByName returns fresh feed parsers keyed by their names.
func ByName() map[string]feed.Feed {
	out := map[string]feed.Feed{}
	for _, f := range Feeds() {
		out[f.Name()] = f
	}
	return out
}

// Names lists the feed names, sorted.
func Names() []string {
	var out []string
	for _, f := range Feeds() {
		out = append(out, f.Name())
	}
	sort.Strings(out)
	return out
}
