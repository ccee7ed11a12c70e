package misconfig

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Doc is one YAML document with its source lines, used to turn a Hit's Path into lines.
type Doc struct {
	Root  *yaml.Node
	Lines []string
}

// SplitPath splits a dotted path such as `spec.containers[0].securityContext` or
// `metadata.annotations["a.b/c"]` into keys and indexes (as strings; indexes are marked by a
// leading '#').
func SplitPath(p string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '.':
			flush()
		case '[':
			flush()
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				cur.WriteString(p[i:])
				i = len(p)
				continue
			}
			inner := p[i+1 : i+j]
			if len(inner) >= 2 && inner[0] == '"' && inner[len(inner)-1] == '"' {
				out = append(out, inner[1:len(inner)-1])
			} else {
				out = append(out, "#"+inner)
			}
			i += j
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// Locate fills h's lines from h.Path: the deepest node of the path that exists in the
// document gives StartLine (its key's line), EndLine (the last line of its value) and Code.
func (d Doc) Locate(h Hit) Hit {
	if h.StartLine > 0 || d.Root == nil || h.Path == "" {
		return WithCode(d.Lines, h)
	}
	key, val, complete := d.find(SplitPath(h.Path))
	if val == nil {
		return h
	}
	start := val.Line
	if key != nil {
		start = key.Line
	}
	end := start
	if complete {
		// The whole offending attribute; when only a parent exists (the attribute is
		// missing), just the parent's first line.
		end = max(lastLine(val), start)
	}
	h.StartLine, h.EndLine = start, end
	if start >= 1 && end <= len(d.Lines) {
		h.Code = strings.Join(d.Lines[start-1:end], "\n")
	}
	return h
}

// find walks the path as far as it goes and returns the last key node and value node met,
// and whether the whole path was found.
func (d Doc) find(path []string) (key, val *yaml.Node, complete bool) {
	n := d.Root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	val = n
	for _, seg := range path {
		n = resolve(n)
		switch {
		case strings.HasPrefix(seg, "#") && n.Kind == yaml.SequenceNode:
			i, err := strconv.Atoi(seg[1:])
			if err != nil || i < 0 || i >= len(n.Content) {
				return key, val, false
			}
			key, val = nil, n.Content[i]
			n = val
		case n.Kind == yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg {
					key, val = n.Content[i], n.Content[i+1]
					n = val
					found = true
					break
				}
			}
			if !found {
				return key, val, false
			}
		default:
			return key, val, false
		}
	}
	return key, val, true
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func lastLine(n *yaml.Node) int {
	max := n.Line
	if n.Kind == yaml.AliasNode {
		return max
	}
	for _, c := range n.Content {
		if l := lastLine(c); l > max {
			max = l
		}
	}
	if n.Kind == yaml.ScalarNode && (n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle) {
		max += strings.Count(strings.TrimRight(n.Value, "\n"), "\n") + 1
	}
	return max
}
