package osv

import (
	"bytes"
	"encoding/json"

	"go.yaml.in/yaml/v3"
)

// advisory is the part of an OSV record shipshape reads. Fields that real feeds fill
// inconsistently are decoded leniently (text, textList, dbSpecific): a value of an
// unexpected type reads as empty instead of failing the whole advisory.
type advisory struct {
	ID               text          `json:"id" yaml:"id"`
	Modified         text          `json:"modified" yaml:"modified"`
	Published        text          `json:"published" yaml:"published"`
	Withdrawn        text          `json:"withdrawn" yaml:"withdrawn"`
	Aliases          textList      `json:"aliases" yaml:"aliases"`
	Summary          text          `json:"summary" yaml:"summary"`
	Details          text          `json:"details" yaml:"details"`
	Severity         []osvSeverity `json:"severity" yaml:"severity"`
	Affected         []osvAffected `json:"affected" yaml:"affected"`
	References       []reference   `json:"references" yaml:"references"`
	DatabaseSpecific dbSpecific    `json:"database_specific" yaml:"database_specific"`
}

type osvSeverity struct {
	Type  text `json:"type" yaml:"type"`
	Score text `json:"score" yaml:"score"`
}

type osvAffected struct {
	Package struct {
		Ecosystem text `json:"ecosystem" yaml:"ecosystem"`
		Name      text `json:"name" yaml:"name"`
	} `json:"package" yaml:"package"`
	Ranges   []osvRange `json:"ranges" yaml:"ranges"`
	Versions textList   `json:"versions" yaml:"versions"`
	// EcosystemSpecific is read for the Go vulnerability database's platform limits.
	EcosystemSpecific goSpecific `json:"ecosystem_specific" yaml:"ecosystem_specific"`
}

// goSpecific is the Go vulnerability database's ecosystem_specific object: the affected
// packages (import paths), each possibly limited to some GOOS and GOARCH values. Other
// sources put other things there, which read as empty.
type goSpecific struct {
	Imports []struct {
		GOOS   textList `json:"goos"`
		GOARCH textList `json:"goarch"`
	} `json:"imports"`
}

// goSpecificFields has goSpecific's fields without its decoding methods.
type goSpecificFields goSpecific

func (g *goSpecific) UnmarshalJSON(b []byte) error {
	var fields goSpecificFields
	if json.Unmarshal(b, &fields) == nil {
		*g = goSpecific(fields)
	}
	return nil
}

// UnmarshalYAML ignores the object: only the Go database (JSON) has platform limits.
func (g *goSpecific) UnmarshalYAML(*yaml.Node) error { return nil }

type osvRange struct {
	Type   text              `json:"type" yaml:"type"`
	Events []map[string]text `json:"events" yaml:"events"`
}

type reference struct {
	Type text `json:"type" yaml:"type"`
	URL  text `json:"url" yaml:"url"`
}

// dbSpecific is the GitHub Advisory Database's database_specific object; other sources
// put other things there, which are ignored.
type dbSpecific struct {
	Severity text     `json:"severity" yaml:"severity"`
	CWEIDs   textList `json:"cwe_ids" yaml:"cwe_ids"`
}

// dbSpecificFields has dbSpecific's fields without its decoding methods.
type dbSpecificFields dbSpecific

func (d *dbSpecific) UnmarshalJSON(b []byte) error {
	var fields dbSpecificFields
	if json.Unmarshal(b, &fields) == nil {
		*d = dbSpecific(fields)
	}
	return nil
}

func (d *dbSpecific) UnmarshalYAML(n *yaml.Node) error {
	var fields dbSpecificFields
	if n.Kind == yaml.MappingNode && n.Decode(&fields) == nil {
		*d = dbSpecific(fields)
	}
	return nil
}

// text is a string that tolerates other types: a JSON number keeps its literal text (so
// a version written 1.10 stays "1.10"), a YAML scalar its source text, anything else
// reads as "".
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if json.Unmarshal(b, &s) == nil {
			*t = text(s)
		}
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		*t = text(b)
	default:
		*t = ""
	}
	return nil
}

func (t *text) UnmarshalYAML(n *yaml.Node) error {
	n = resolveAlias(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
		*t = text(n.Value)
	} else {
		*t = ""
	}
	return nil
}

// textList is a list of strings that also accepts a single string; elements that are not
// strings (or numbers) are dropped.
type textList []text

func (l *textList) UnmarshalJSON(b []byte) error {
	*l = nil
	var raws []json.RawMessage
	if json.Unmarshal(b, &raws) != nil {
		var one text
		_ = one.UnmarshalJSON(b)
		if one != "" {
			*l = textList{one}
		}
		return nil
	}
	for _, r := range raws {
		var one text
		_ = one.UnmarshalJSON(r)
		if one != "" {
			*l = append(*l, one)
		}
	}
	return nil
}

func (l *textList) UnmarshalYAML(n *yaml.Node) error {
	*l = nil
	n = resolveAlias(n)
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	for _, item := range items {
		var one text
		_ = one.UnmarshalYAML(item)
		if one != "" {
			*l = append(*l, one)
		}
	}
	return nil
}

func (l textList) strings() []string {
	out := make([]string, 0, len(l))
	for _, t := range l {
		out = append(out, string(t))
	}
	return out
}

// resolveAlias follows YAML aliases (a bounded number of hops).
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; i < 16 && n != nil && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	if n == nil {
		return &yaml.Node{}
	}
	return n
}
