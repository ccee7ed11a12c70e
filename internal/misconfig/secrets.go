package misconfig

import (
	"regexp"
	"strings"
	"sync"
)

// secretKeywords are name parts that mark a variable or label as holding a secret.
var secretKeywords = []string{
	"password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key",
	"access_key", "accesskey", "private_key", "privatekey", "credential", "auth_key",
	"client_secret", "session_key", "signing_key", "encryption_key", "db_pass", "jwt",
}

// notSecretSuffixes mark a name that points at a secret rather than holding one.
var notSecretSuffixes = []string{"_file", "_path", "_dir", "_length", "_len", "_min", "_max", "_url_file", "_endpoint", "_type", "_id_file", "_hint", "_name"}

// SecretName reports whether a variable, argument or label name suggests a secret.
func SecretName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range notSecretSuffixes {
		if strings.HasSuffix(n, s) {
			return false
		}
	}
	for _, k := range secretKeywords {
		if k == "pwd" {
			// PWD alone is the working directory.
			if n == "pwd" || n == "oldpwd" {
				continue
			}
			if strings.HasSuffix(n, "_pwd") || strings.HasPrefix(n, "pwd_") {
				return true
			}
			continue
		}
		if strings.Contains(n, k) {
			return true
		}
	}
	return false
}

type valuePattern struct {
	name string
	re   *regexp.Regexp
}

var valuePatterns = sync.OnceValue(func() []valuePattern {
	return []valuePattern{
		{"AWS access key id", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
		{"private key", regexp.MustCompile(`-----BEGIN[ A-Z]*PRIVATE KEY-----`)},
		{"GitHub token", regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b`)},
		{"GitLab token", regexp.MustCompile(`\bglpat-[A-Za-z0-9_\-]{20,}\b`)},
		{"Slack token", regexp.MustCompile(`\bxox[baprs]-[A-Za-z0-9-]{10,}\b`)},
		{"Stripe key", regexp.MustCompile(`\b[sr]k_live_[A-Za-z0-9]{20,}\b`)},
		{"Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}\b`)},
		{"URL with a password", regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:[^/\s@$]{3,}@[^\s]+`)},
	}
})

// SecretValue returns the kind of secret a value looks like, or "".
func SecretValue(v string) string {
	if len(v) > 1<<16 {
		v = v[:1<<16]
	}
	for _, p := range valuePatterns() {
		if p.re.MatchString(v) {
			return p.name
		}
	}
	return ""
}

// Placeholder reports whether a value is empty, a variable reference or an obvious
// placeholder rather than a real secret.
func Placeholder(v string) bool {
	t := strings.TrimSpace(strings.Trim(v, `"'`))
	if t == "" {
		return true
	}
	if strings.HasPrefix(t, "$") || strings.HasPrefix(t, "/run/secrets") {
		return true
	}
	l := strings.ToLower(t)
	switch l {
	case "changeme", "change_me", "xxx", "xxxx", "none", "null", "false", "true", "<secret>", "<password>", "...", "todo", "example", "placeholder":
		return true
	}
	return false
}

// Mask hides all of a secret value except a few leading characters.
func Mask(v string) string {
	if len(v) <= 4 {
		return strings.Repeat("*", len(v))
	}
	n := 2
	if len(v) >= 12 {
		n = 4
	}
	return v[:n] + strings.Repeat("*", min(len(v)-n, 16))
}
