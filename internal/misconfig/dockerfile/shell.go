package dockerfile

import "strings"

// command is one simple command of a RUN script, split into words with quotes removed.
type command struct {
	Words []string
	// Pipeline numbers the pipeline the command belongs to; commands joined by '|' share it.
	Pipeline int
}

// name returns the command name, skipping leading VAR=value assignments, sudo/env/exec
// wrappers and their options, and any path ("/usr/bin/apt-get" is "apt-get").
func (c command) name() (string, []string) {
	w := c.Words
	for len(w) > 0 {
		first := w[0]
		switch {
		case strings.Contains(first, "=") && !strings.HasPrefix(first, "-") && !strings.HasPrefix(first, "="):
			w = w[1:]
		case first == "sudo" || first == "env" || first == "exec" || first == "command" || first == "nohup":
			w = w[1:]
			for len(w) > 0 && strings.HasPrefix(w[0], "-") {
				w = w[1:]
			}
		default:
			if i := strings.LastIndexByte(first, '/'); i >= 0 {
				first = first[i+1:]
			}
			return first, w[1:]
		}
	}
	return "", nil
}

// maxScript bounds how much of one RUN is split into commands.
const maxScript = 1 << 20

// splitScript splits a shell script into simple commands. It understands quotes, escapes,
// comments and the separators ; & && || | and newlines; it does not expand anything, and a
// $(...) or `...` substitution stays inside the word it appears in.
func splitScript(s string) []command {
	if len(s) > maxScript {
		s = s[:maxScript]
	}
	var (
		out      []command
		words    []string
		cur      strings.Builder
		inWord   bool
		pipeline int
		depth    int // $( ... ) nesting, kept inside the word
	)
	endWord := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	endCmd := func(pipe bool) {
		endWord()
		if len(words) > 0 {
			out = append(out, command{Words: words, Pipeline: pipeline})
		}
		words = nil
		if !pipe {
			pipeline++
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			if s[i+1] == '\n' {
				i++
				continue
			}
			cur.WriteByte(s[i+1])
			inWord = true
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				cur.WriteString(s[i+1:])
				i = len(s)
			} else {
				cur.WriteString(s[i+1 : i+1+j])
				i += j + 1
			}
			inWord = true
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				j++
			}
			if j >= len(s) {
				cur.WriteString(s[i+1:])
				i = len(s)
			} else {
				cur.WriteString(s[i+1 : j])
				i = j
			}
			inWord = true
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			depth++
			cur.WriteString("$(")
			inWord = true
			i++
		case c == ')' && depth > 0:
			depth--
			cur.WriteByte(c)
		case depth > 0:
			cur.WriteByte(c)
		case c == '#' && !inWord:
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				i = len(s)
			} else {
				i += j - 1
			}
		case c == ' ' || c == '\t' || c == '\r':
			endWord()
		case c == '\n' || c == ';':
			endCmd(false)
		case c == '&':
			if i+1 < len(s) && s[i+1] == '&' {
				i++
			}
			endCmd(false)
		case c == '|':
			if i+1 < len(s) && s[i+1] == '|' {
				i++
				endCmd(false)
			} else {
				endCmd(true)
			}
		case c == '(' || c == ')' || c == '{' && !inWord || c == '}' && !inWord:
			endWord()
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	endCmd(false)
	return out
}

// script returns the shell text a RUN runs: the shell form, the -c script of an exec form
// that starts a shell, and heredocs.
func script(in Instruction) string {
	var s string
	if in.JSON {
		args := in.Args
		if len(args) >= 3 && isShell(args[0]) && args[1] == "-c" {
			s = strings.Join(args[2:], " ")
		} else {
			s = shellJoin(args)
		}
	} else {
		s = strings.Join(in.Args, " ")
	}
	for _, h := range in.Heredocs {
		s += "\n" + h
	}
	return s
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t'\"|&;") {
			q[i] = "'" + strings.ReplaceAll(a, "'", "") + "'"
		} else {
			q[i] = a
		}
	}
	return strings.Join(q, " ")
}

func isShell(s string) bool {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	switch s {
	case "sh", "bash", "ash", "dash", "zsh", "ksh", "busybox":
		return true
	}
	return false
}
