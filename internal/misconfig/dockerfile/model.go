// Package dockerfile checks Dockerfiles for misconfigurations. It parses them with moby
// buildkit's parser into a Dockerfile value (the input every check, built-in or Rego, sees)
// and lists its checks explicitly in Checks.
package dockerfile

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
)

// Dockerfile is a parsed Dockerfile. Its JSON encoding is the input of Rego checks.
type Dockerfile struct {
	// Path is the file as given.
	Path string `json:"path"`
	// GlobalArgs are the ARG instructions before the first FROM.
	GlobalArgs []Instruction `json:"globalArgs"`
	Stages     []Stage       `json:"stages"`
	// HasDockerignore says whether a .dockerignore (or <Dockerfile>.dockerignore) sits in
	// the build context next to the file.
	HasDockerignore bool `json:"hasDockerignore"`
	// Lines are the file's lines, for code excerpts.
	Lines []string `json:"-"`
}

// Stage is one FROM and the instructions that follow it.
type Stage struct {
	Index int `json:"index"`
	// Name is the AS alias, lower case, or empty.
	Name string `json:"name"`
	// From is the FROM instruction itself; Base its parsed image reference.
	From         Instruction   `json:"from"`
	Base         Image         `json:"base"`
	Instructions []Instruction `json:"instructions"`
}

// Image is the base image of a stage.
type Image struct {
	// Raw is the reference as written.
	Raw    string `json:"raw"`
	Name   string `json:"name"`
	Tag    string `json:"tag"`
	Digest string `json:"digest"`
	// Scratch is set for FROM scratch; Stage when the name is an earlier stage's alias;
	// Variable when the reference uses a build argument ($VAR), so it cannot be judged.
	Scratch  bool `json:"scratch"`
	Stage    bool `json:"stage"`
	Variable bool `json:"variable"`
}

// Instruction is one Dockerfile instruction.
type Instruction struct {
	// Cmd is the instruction in lower case: from, run, copy, ...
	Cmd string `json:"cmd"`
	// Flags are the --flags given to the instruction, as written (e.g. "--from=build").
	Flags []string `json:"flags"`
	// Args are the instruction's arguments as the parser split them. For ENV and LABEL
	// they come as key, value pairs in KeyValues instead.
	Args      []string   `json:"args"`
	KeyValues []KeyValue `json:"keyValues,omitempty"`
	// JSON is set for the exec (JSON array) form.
	JSON bool `json:"json"`
	// Heredocs hold the content of here-documents attached to the instruction.
	Heredocs  []string `json:"heredocs,omitempty"`
	Original  string   `json:"original"`
	StartLine int      `json:"startLine"`
	EndLine   int      `json:"endLine"`
	// Stage is the index of the stage holding it (-1 before the first FROM).
	Stage int `json:"stage"`
}

// KeyValue is one name=value of ENV or LABEL (ARG keeps "name=value" in Args).
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Flag returns the value of --name=value (or "true" for a bare --name) and whether it is set.
func (in Instruction) Flag(name string) (string, bool) {
	for _, f := range in.Flags {
		f = strings.TrimPrefix(f, "--")
		if f == name {
			return "true", true
		}
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// Text is the instruction's arguments joined by spaces, plus its heredocs.
func (in Instruction) Text() string {
	s := strings.Join(in.Args, " ")
	for _, h := range in.Heredocs {
		s += "\n" + h
	}
	return s
}

// Last returns the last instruction of the stage with the given cmd, and whether there is one.
func (s Stage) Last(cmd string) (Instruction, bool) {
	for i := len(s.Instructions) - 1; i >= 0; i-- {
		if s.Instructions[i].Cmd == cmd {
			return s.Instructions[i], true
		}
	}
	return Instruction{}, false
}

// All returns the stage's instructions with the given cmd.
func (s Stage) All(cmd string) []Instruction {
	var out []Instruction
	for _, in := range s.Instructions {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// Final returns the last stage (the image that is built by default).
func (d *Dockerfile) Final() (Stage, bool) {
	if len(d.Stages) == 0 {
		return Stage{}, false
	}
	return d.Stages[len(d.Stages)-1], true
}

// maxSize is the largest Dockerfile parsed.
const maxSize = 4 << 20

// Parse parses a Dockerfile. path names it in results; hasDockerignore says whether the
// build context has a .dockerignore.
func Parse(path string, data []byte, hasDockerignore bool) (*Dockerfile, error) {
	if len(data) > maxSize {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a Dockerfile may have here; is it really a Dockerfile?", path, len(data), maxSize)
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid Dockerfile: %w", path, err)
	}
	d := &Dockerfile{Path: path, HasDockerignore: hasDockerignore, Lines: strings.Split(string(data), "\n")}
	aliases := map[string]bool{}
	for _, n := range res.AST.Children {
		in := instruction(n)
		if in.Cmd == "from" {
			st := Stage{Index: len(d.Stages), From: in}
			st.From.Stage = st.Index
			args := in.Args
			if len(args) >= 3 && strings.EqualFold(args[len(args)-2], "as") {
				st.Name = strings.ToLower(args[len(args)-1])
			}
			if len(args) > 0 {
				st.Base = parseImage(args[0], aliases)
			}
			if st.Name != "" {
				aliases[st.Name] = true
			}
			d.Stages = append(d.Stages, st)
			continue
		}
		if len(d.Stages) == 0 {
			in.Stage = -1
			if in.Cmd == "arg" {
				d.GlobalArgs = append(d.GlobalArgs, in)
			}
			continue
		}
		in.Stage = len(d.Stages) - 1
		st := &d.Stages[len(d.Stages)-1]
		st.Instructions = append(st.Instructions, in)
	}
	return d, nil
}

func instruction(n *parser.Node) Instruction {
	in := Instruction{
		Cmd:       strings.ToLower(n.Value),
		Flags:     append([]string{}, n.Flags...),
		Args:      []string{},
		JSON:      n.Attributes["json"],
		Original:  n.Original,
		StartLine: n.StartLine,
		EndLine:   n.EndLine,
	}
	for _, h := range n.Heredocs {
		in.Heredocs = append(in.Heredocs, h.Content)
	}
	switch in.Cmd {
	case "env", "label":
		for kv := n.Next; kv != nil; {
			k := kv.Value
			v := ""
			next := kv.Next
			if next != nil {
				v = next.Value
				next = next.Next
				if next != nil { // separator
					next = next.Next
				}
			}
			in.KeyValues = append(in.KeyValues, KeyValue{Key: unquote(k), Value: unquote(v)})
			in.Args = append(in.Args, unquote(k)+"="+unquote(v))
			kv = next
		}
	default:
		for a := n.Next; a != nil; a = a.Next {
			in.Args = append(in.Args, a.Value)
		}
	}
	return in
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// parseImage splits an image reference into name, tag and digest.
func parseImage(raw string, aliases map[string]bool) Image {
	img := Image{Raw: raw}
	if strings.EqualFold(raw, "scratch") {
		img.Scratch = true
		img.Name = "scratch"
		return img
	}
	if aliases[strings.ToLower(raw)] {
		img.Stage = true
		img.Name = raw
		return img
	}
	if strings.Contains(raw, "$") {
		img.Variable = true
	}
	name := raw
	if i := strings.Index(name, "@"); i >= 0 {
		img.Digest = name[i+1:]
		name = name[:i]
	}
	// A tag follows the last ':' after the last '/' (a ':' before it is a registry port).
	slash := strings.LastIndex(name, "/")
	if i := strings.LastIndex(name, ":"); i > slash {
		img.Tag = name[i+1:]
		name = name[:i]
	}
	img.Name = name
	return img
}

// Location is where a Dockerfile result points.
func (d *Dockerfile) hit(in Instruction, msg string) misconfig.Hit {
	code := in.Original
	if in.StartLine >= 1 && in.EndLine >= in.StartLine && in.EndLine <= len(d.Lines) {
		code = strings.TrimRight(strings.Join(d.Lines[in.StartLine-1:in.EndLine], "\n"), "\r\n ")
	}
	return misconfig.Hit{Message: msg, StartLine: in.StartLine, EndLine: in.EndLine, Code: code}
}

// Scan parses and checks one Dockerfile. A file that cannot be parsed gives one error result.
func Scan(path string, data []byte, hasDockerignore bool) []inventory.Misconfiguration {
	d, err := Parse(path, data, hasDockerignore)
	if err != nil {
		return []inventory.Misconfiguration{misconfig.ParseError(inventory.CheckDockerfile, path, err)}
	}
	return misconfig.Run(inventory.CheckDockerfile, path, d, Checks(), nil)
}
