// Package secret finds leaked credentials in file contents: a table of rules (cloud keys,
// VCS and CI tokens, chat, payment and e-mail API keys, private keys, JWTs, database URLs
// with passwords, generic passwords in config files), a one-pass case-insensitive keyword
// prefilter that decides which rules' regular expressions run and where, entropy and allow
// rules against placeholders and documented example values, and masking so that a reported
// match never holds the secret in the clear.
//
// Nothing is compiled until the first scan: the rule table, the keyword automaton and each
// rule's regular expression are built on first use (sync.OnceValue).
package secret

import (
	"bytes"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// DefaultMaxSize is the largest file scanned unless Options.MaxSize says otherwise.
const DefaultMaxSize = 10 << 20

// binarySniff is how much of a file is looked at for a NUL byte to call it binary.
const binarySniff = 8 << 10

// Options tune a Scanner.
type Options struct {
	// MaxSize is the largest file (bytes) scanned; 0 means DefaultMaxSize, negative no limit.
	MaxSize int64
	// IncludeBinaries scans files with a NUL byte in their first 8 KiB too.
	IncludeBinaries bool
}

// Limit returns the effective size limit (0 for none).
func (o Options) Limit() int64 {
	switch {
	case o.MaxSize == 0:
		return DefaultMaxSize
	case o.MaxSize < 0:
		return 0
	}
	return o.MaxSize
}

// Rule describes one kind of secret.
type Rule struct {
	// ID is stable (e.g. aws-access-key-id); Category groups rules by provider.
	ID       string
	Category string
	Title    string
	// Severity is CRITICAL, HIGH, MEDIUM or LOW.
	Severity string
	// Keywords are matched case-insensitively; a rule's regular expression runs only on the
	// lines (or, for Multiline rules, the stretch after) where one of them occurs. Every
	// match of Regex must contain one of them.
	Keywords []string
	// Regex finds the secret; its group named "secret" (else the whole match) is the secret.
	Regex string
	// Multiline rules may match across lines, up to 64 KiB after the keyword.
	Multiline bool
	// Anchored rules' matches start at a keyword: the expression is tried only there (much
	// cheaper for keywords that occur often, such as "token" or "://").
	Anchored bool
	// MinEntropy, when set, is the least Shannon entropy (bits per byte) of the secret.
	MinEntropy float64
	// Paths, when set, is a regular expression the file path must match (e.g. config files
	// for the generic rules).
	Paths string
	// AllowValues are known example values that are never reported (e.g. the AWS docs' key).
	AllowValues []string
	// AllowMatch, when set, is a regular expression that drops a match it finds in the
	// whole matched text (e.g. URLs whose host is a documentation name such as example.com).
	AllowMatch string
}

// compiledRule is a Rule with its lazily compiled expressions.
type compiledRule struct {
	Rule
	re     func() *regexp.Regexp
	paths  func() *regexp.Regexp
	allow  func() *regexp.Regexp
	secret int // index of the "secret" group, 0 for the whole match
}

// ruleSet is the compiled table with its keyword automaton.
type ruleSet struct {
	rules   []*compiledRule
	m       *keywordMatcher
	kwRules [][]int32 // keyword index -> rule indices
}

var builtin = sync.OnceValue(func() *ruleSet { return compile(Rules()) })

func compile(rules []Rule) *ruleSet {
	rs := &ruleSet{}
	kwIndex := map[string]int{}
	var keywords []string
	for i, r := range rules {
		cr := &compiledRule{Rule: r}
		cr.re = sync.OnceValue(func() *regexp.Regexp {
			src := r.Regex
			if r.Anchored {
				src = `^(?:` + src + `)`
			}
			re := regexp.MustCompile(src)
			cr.secret = re.SubexpIndex("secret")
			if cr.secret < 0 {
				cr.secret = 0
			}
			return re
		})
		if r.Paths != "" {
			cr.paths = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(r.Paths) })
		}
		if r.AllowMatch != "" {
			cr.allow = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(r.AllowMatch) })
		}
		rs.rules = append(rs.rules, cr)
		for _, kw := range r.Keywords {
			kw = strings.ToLower(kw)
			k, ok := kwIndex[kw]
			if !ok {
				k = len(keywords)
				kwIndex[kw] = k
				keywords = append(keywords, kw)
				rs.kwRules = append(rs.kwRules, nil)
			}
			rs.kwRules[k] = append(rs.kwRules[k], int32(i))
		}
	}
	rs.m = newKeywordMatcher(keywords)
	return rs
}

// Scanner scans file contents with the built-in rules.
type Scanner struct {
	opts Options
	rs   *ruleSet
}

// New returns a scanner with the built-in rules.
func New(opts Options) *Scanner {
	return &Scanner{opts: opts}
}

func (s *Scanner) rules() *ruleSet {
	if s.rs == nil {
		return builtin()
	}
	return s.rs
}

// IsBinary reports whether data looks binary: a NUL byte in its first 8 KiB.
func IsBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), binarySniff)], 0) >= 0
}

// Skip says why a file is not scanned at all ("" when it is): too large, binary, or under
// an allowed path.
func (s *Scanner) Skip(path string, size int64) string {
	if lim := s.opts.Limit(); lim > 0 && size > lim {
		return "larger than the secret scanner's size limit"
	}
	if AllowedPath(path) {
		return "allowed path"
	}
	return ""
}

type region struct{ start, end int }

const multilineSpan = 64 << 10

// Scan returns the secrets in data, a file at path (slash separated, used by path rules and
// reported as given). Binary data is skipped unless Options.IncludeBinaries is set.
func (s *Scanner) Scan(path string, data []byte) []inventory.Secret {
	if len(data) == 0 || (!s.opts.IncludeBinaries && IsBinary(data)) {
		return nil
	}
	rs := s.rules()
	// One pass of the keyword automaton: where each rule's regular expression must look.
	var regions map[int32][]region
	rs.m.scan(data, func(kw, start int) {
		end := start + rs.m.lens[kw]
		for _, ri := range rs.kwRules[kw] {
			r := rs.rules[ri]
			rg := r.region(data, start, end)
			if regions == nil {
				regions = map[int32][]region{}
			}
			rr := regions[ri]
			if n := len(rr); n > 0 && !r.Anchored && rr[n-1].end >= rg.start {
				// Hits arrive in order of position: extend the last region.
				rr[n-1].end = max(rr[n-1].end, rg.end)
				continue
			}
			regions[ri] = append(rr, rg)
		}
	})
	if len(regions) == 0 {
		return nil
	}
	ids := make([]int32, 0, len(regions))
	for ri := range regions {
		ids = append(ids, ri)
	}
	slices.Sort(ids)
	var out []inventory.Secret
	// A secret found by an earlier (more specific) rule is not reported again by a later one.
	taken := map[int]bool{}
	for _, ri := range ids {
		r := rs.rules[ri]
		if r.paths != nil && !r.paths().MatchString(path) {
			continue
		}
		re := r.re()
		for _, rg := range regions[ri] {
			chunk := data[rg.start:rg.end]
			n := -1
			if r.Anchored {
				n = 1
			}
			for _, loc := range re.FindAllSubmatchIndex(chunk, n) {
				ms, me := loc[0], loc[1]
				ss, se := loc[2*r.secret], loc[2*r.secret+1]
				if ss < 0 {
					continue
				}
				abs := rg.start + ss
				if taken[abs] {
					continue
				}
				value := string(chunk[ss:se])
				if !r.accept(value) || r.allow != nil && r.allow().Match(chunk[ms:me]) {
					continue
				}
				taken[abs] = true
				out = append(out, inventory.Secret{
					RuleID:    r.ID,
					Category:  r.Category,
					Title:     r.Title,
					Severity:  r.Severity,
					Path:      path,
					StartLine: 1 + bytes.Count(data[:abs], []byte{'\n'}),
					EndLine:   1 + bytes.Count(data[:rg.start+se], []byte{'\n'}),
					Match:     maskedMatch(chunk[ms:ss], value),
				})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b inventory.Secret) int {
		if a.StartLine != b.StartLine {
			return a.StartLine - b.StartLine
		}
		return strings.Compare(a.RuleID, b.RuleID)
	})
	return out
}

// accept applies the rule's entropy threshold and the allow rules to a candidate value.
func (r *compiledRule) accept(v string) bool {
	if slices.Contains(r.AllowValues, v) {
		return false
	}
	if r.MinEntropy > 0 && Entropy(v) < r.MinEntropy {
		return false
	}
	return !Placeholder(v)
}

// Bounds of the stretch a rule's expression looks at around a keyword found at
// [start, end): anchored rules from the keyword on, others from up to maxBefore bytes before
// it (moved back to a word boundary) to maxAfter bytes after it, within the line.
const (
	maxBefore = 256
	maxAfter  = 1024
)

func (r *compiledRule) region(data []byte, start, end int) region {
	ls := lineStart(data, start)
	var rg region
	switch {
	case r.Anchored:
		rg.start = start
	default:
		rg.start = max(ls, start-maxBefore)
		for i := 0; i < maxBefore && rg.start > ls && isWord(data[rg.start-1]); i++ {
			rg.start--
		}
	}
	if r.Multiline {
		rg.end = min(len(data), end+multilineSpan)
	} else {
		rg.end = min(lineEnd(data, end), end+maxAfter)
	}
	return rg
}

func isWord(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_' || b == '-' || b == '+' || b == '/' || b == '='
}

func lineStart(data []byte, i int) int {
	return bytes.LastIndexByte(data[:i], '\n') + 1
}

func lineEnd(data []byte, i int) int {
	if j := bytes.IndexByte(data[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(data)
}

// Entropy is the Shannon entropy of s in bits per byte.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// Mask shows a few leading characters of a secret and replaces the rest with asterisks
// (at most 16, so the length of a long secret is not shown either).
func Mask(s string) string {
	keep := min(4, len(s)/4)
	// Never cut a multi-byte character.
	for keep > 0 && keep < len(s) && s[keep]&0xC0 == 0x80 {
		keep--
	}
	return s[:keep] + strings.Repeat("*", min(16, max(1, len(s)-keep)))
}

// maskedMatch renders what a finding shows: the text of the match before the secret (on
// one line, at most 60 bytes of it) followed by the masked secret.
func maskedMatch(before []byte, secret string) string {
	p := strings.Join(strings.Fields(strings.ReplaceAll(string(before), `\n`, " ")), " ")
	// A lone boundary character before a token says nothing.
	if len(p) == 1 {
		p = ""
	}
	if len(p) > 60 {
		p = p[len(p)-60:]
		for len(p) > 0 && p[0]&0xC0 == 0x80 {
			p = p[1:]
		}
	}
	if p != "" && !strings.HasSuffix(p, "=") && !strings.HasSuffix(p, ":") && !strings.HasSuffix(p, "/") &&
		!strings.HasSuffix(p, `"`) && !strings.HasSuffix(p, "'") && strings.ContainsAny(string(before), " \t\r\n") {
		p += " "
	}
	return p + Mask(secret)
}
