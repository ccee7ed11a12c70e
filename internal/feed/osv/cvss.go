package osv

import (
	"strings"

	cvss20 "github.com/pandatix/go-cvss/20"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"

	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// scoreSeverity turns one OSV severity[] entry into a Severity with Source "osv". CVSS
// vectors get their base score and its rating computed (the Vector is kept as given); a vector that does not parse is kept
// with neither. The "Ubuntu" type (a bare priority) becomes a rating with Source
// "ubuntu". Other types are dropped (ok false).
func scoreSeverity(typ, score string) (vulndb.Severity, bool) {
	typ = strings.ToUpper(strings.TrimSpace(typ))
	if score == "" {
		return vulndb.Severity{}, false
	}
	s := vulndb.Severity{Source: "osv", Type: typ, Vector: score}
	switch typ {
	case "CVSS_V2":
		vec := strings.TrimSuffix(strings.TrimPrefix(score, "("), ")")
		vec = strings.TrimPrefix(vec, "CVSS:2.0/")
		if c, err := cvss20.ParseVector(vec); err == nil {
			s.Score = c.BaseScore()
			s.Rating = ratingV2(s.Score)
		}
	case "CVSS_V3":
		switch {
		case strings.HasPrefix(score, "CVSS:3.1/"):
			if c, err := cvss31.ParseVector(score); err == nil {
				s.Score = c.BaseScore()
				s.Rating = rating(cvss31.Rating(s.Score))
			}
		case strings.HasPrefix(score, "CVSS:3.0/"):
			if c, err := cvss30.ParseVector(score); err == nil {
				s.Score = c.BaseScore()
				s.Rating = rating(cvss30.Rating(s.Score))
			}
		}
	case "CVSS_V4":
		if c, err := cvss40.ParseVector(baseV4(score)); err == nil {
			s.Score = c.Score()
			s.Rating = rating(cvss40.Rating(s.Score))
		}
	case "UBUNTU":
		r := strings.ToUpper(score)
		if vulndb.RatingRank(r) == 0 {
			return vulndb.Severity{}, false
		}
		return vulndb.Severity{Source: "ubuntu", Rating: r}, true
	default:
		return vulndb.Severity{}, false
	}
	return s, true
}

// v4Base lists the CVSS v4 base metrics.
var v4Base = map[string]bool{
	"AV": true, "AC": true, "AT": true, "PR": true, "UI": true,
	"VC": true, "VI": true, "VA": true, "SC": true, "SI": true, "SA": true,
}

// baseV4 keeps only the base metrics of a CVSS v4 vector, so that its score is the base
// score (CVSS-B) as for v2 and v3, not one lowered by threat (E:U) or environmental
// metrics. A vector that is not v4 is returned as is, for the parser to reject.
func baseV4(vector string) string {
	rest, ok := strings.CutPrefix(vector, "CVSS:4.0/")
	if !ok {
		return vector
	}
	var b strings.Builder
	b.WriteString("CVSS:4.0")
	for _, m := range strings.Split(rest, "/") {
		if k, _, _ := strings.Cut(m, ":"); v4Base[k] {
			b.WriteByte('/')
			b.WriteString(m)
		}
	}
	return b.String()
}

// rating maps a CVSS v3/v4 qualitative rating to shipshape's: "NONE" (score 0) becomes
// NEGLIGIBLE.
func rating(r string, err error) string {
	if err != nil {
		return ""
	}
	if r == "NONE" {
		return vulndb.Negligible
	}
	return r
}

// ratingV2 is the NVD's rating of a CVSS v2 base score (v2 itself defines none): LOW
// below 4, MEDIUM below 7, HIGH from 7; a score of 0 is NEGLIGIBLE as in v3.
func ratingV2(score float64) string {
	switch {
	case score >= 7:
		return vulndb.High
	case score >= 4:
		return vulndb.Medium
	case score > 0:
		return vulndb.Low
	}
	return vulndb.Negligible
}
