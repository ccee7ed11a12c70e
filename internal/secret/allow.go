package secret

import (
	"regexp"
	"strings"
	"sync"
)

// allowedPaths are folders and files whose secrets are fixtures, documentation or examples
// by convention. They are matched against the slash-separated path relative to the scanned
// root (or image root).
var allowedPaths = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(?:^|/)(?:testdata|test-?fixtures|__fixtures__|examples?|samples?|docs?)/|` +
		`(?:^|/)usr/share/(?:doc|man|info|licenses)/|` +
		`(?:^|/)\.git/|` +
		`(?:^|/)(?:tests?|spec|__tests__)/|_test\.(?:go|py|rb|js|ts)$|\.(?:test|spec)\.(?:js|ts)$`)
})

// AllowedPath reports whether path lies under a folder whose content is not scanned
// (testdata/, fixtures, examples/, samples/, docs/, tests/, spec/, test sources such as
// *_test.go, /usr/share/doc, man and info pages, .git).
func AllowedPath(path string) bool {
	return allowedPaths().MatchString(path)
}

// placeholderWords mark values that are placeholders rather than secrets.
var placeholderWords = []string{
	"example", "xxxxxx", "placeholder", "changeme", "change_me", "change-me", "changeit",
	"your_", "your-", "yourkey", "yoursecret", "yourpassword", "<", ">", "${", "{{", "$(",
	"dummy", "redacted", "sample", "insert", "replace", "secret_here", "token_here",
	"key_here", "password_here", "****", "....", "0000000000", "1234567890", "abcdefghij",
	"notreal", "not_real", "not-real", "fake",
}

// placeholderValues are whole values never taken for a secret.
var placeholderValues = map[string]bool{
	"password": true, "passwd": true, "secret": true, "pass": true, "token": true,
	"null": true, "none": true, "nil": true, "true": true, "false": true, "undefined": true,
	"empty": true, "test": true, "testing": true, "admin": true, "root": true, "user": true,
	"username": true, "xxx": true, "required": true, "optional": true, "string": true,
}

// Placeholder reports whether v looks like a placeholder, a variable reference or a
// documented example rather than a real secret.
func Placeholder(v string) bool {
	l := strings.ToLower(v)
	if placeholderValues[l] {
		return true
	}
	for _, w := range placeholderWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	// Variable references: $VAR, %(name)s, %VAR%, process.env.X, os.environ[...].
	if strings.HasPrefix(v, "$") || strings.HasPrefix(v, "%") || strings.Contains(l, "process.env") ||
		strings.Contains(l, "environ") || strings.Contains(l, "getenv") {
		return true
	}
	// One repeated character (aaaa…, 0000…).
	if len(v) > 1 && strings.Count(v, v[:1]) == len(v) {
		return true
	}
	return false
}
