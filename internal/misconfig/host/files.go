package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// paths finds the files a check looks at. none is the pass message when there are none.
type paths func(a *audit) (files []string, none string, err error)

// owner checks a file's owner and group and returns what is wrong ("" when fine).
type owner func(uid, gid uint32) string

func groupName(gid uint32) string {
	if g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10)); err == nil {
		return g.Name
	}
	return strconv.FormatUint(uint64(gid), 10)
}

func userName(uid uint32) string {
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		return u.Username
	}
	return strconv.FormatUint(uint64(uid), 10)
}

func ownerRoot(uid, gid uint32) string {
	if uid == 0 && gid == 0 {
		return ""
	}
	return fmt.Sprintf("owned by %s:%s, want root:root", userName(uid), groupName(gid))
}

func ownerRootDocker(uid, gid uint32) string {
	if uid == 0 && (gid == 0 || groupName(gid) == "docker") {
		return ""
	}
	return fmt.Sprintf("owned by %s:%s, want root:docker", userName(uid), groupName(gid))
}

func fixed(p ...string) paths {
	return func(a *audit) ([]string, string, error) {
		var out []string
		for _, f := range p {
			if _, err := os.Lstat(a.path(f)); err == nil {
				out = append(out, f)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, "", err
			}
		}
		return out, strings.Join(p, ", ") + " not present", nil
	}
}

func unitPaths(name string) paths {
	return fixed("/etc/systemd/system/"+name, "/lib/systemd/system/"+name, "/usr/lib/systemd/system/"+name)
}

func socketPath(a *audit) ([]string, string, error) {
	if a.in.Socket == "" {
		return nil, "the Engine is not reached through a unix socket", nil
	}
	return fixed(a.in.Socket)(a)
}

func daemonJSONPath(a *audit) ([]string, string, error) {
	return fixed(a.in.DaemonJSON)(a)
}

// certsD lists the files under /etc/docker/certs.d (registry certificates).
func certsD(a *audit) ([]string, string, error) {
	root := a.path("/etc/docker/certs.d")
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipAll
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(a.in.Root, p)
			out = append(out, "/"+filepath.ToSlash(rel))
		}
		return nil
	})
	return out, "no registry certificates in /etc/docker/certs.d", err
}

// tlsFile is the file named by a TLS setting (tlscacert, tlscert, tlskey).
func tlsFile(name string) paths {
	return func(a *audit) ([]string, string, error) {
		if a.daemonErr != nil {
			return nil, "", a.daemonErr
		}
		v, _, ok := a.setting(name)
		if !ok || v == "" {
			return nil, "no " + name + " is configured", nil
		}
		return fixed(v)(a)
	}
}

// fileCheck makes a check of owner (when own is set) or mode (max, "or stricter") of the
// files find returns.
func fileCheck(id, cis, title string, own owner, max fs.FileMode, find paths) check {
	c := Check{ID: id, CIS: cis, Severity: Medium}
	if own != nil {
		c.Title = title + " is not as the benchmark asks"
		c.Description = "Files that configure or reach the Engine must be owned by root so no other user can change them."
		c.Resolution = "chown them as the message says (root:root; the socket root:docker)."
	} else {
		c.Title = title + " are too open"
		c.Description = fmt.Sprintf("Files that configure or reach the Engine must not be writable (or, for keys, readable) by other users; the benchmark asks for %04o or stricter.", max)
		c.Resolution = fmt.Sprintf("chmod %04o them (or stricter).", max)
	}
	c.Title = strings.ToUpper(title[:1]) + title[1:] + strings.TrimPrefix(c.Title, title)
	return check{c, func(a *audit) result {
		if !a.in.Local {
			return errorf("the files cannot be checked: %s", a.in.Remote)
		}
		files, none, err := find(a)
		if err != nil {
			return errorf("%v", err)
		}
		if len(files) == 0 {
			return pass(none)
		}
		var bad, good []string
		for _, f := range files {
			st, err := os.Lstat(a.path(f))
			if err != nil {
				return errorf("%v", err)
			}
			sys, ok := st.Sys().(*syscall.Stat_t)
			if !ok {
				return errorf("%s: no owner information on this system", f)
			}
			if own != nil {
				if msg := own(sys.Uid, sys.Gid); msg != "" {
					bad = append(bad, f+" "+msg)
				} else {
					good = append(good, fmt.Sprintf("%s owned by %s:%s", f, userName(sys.Uid), groupName(sys.Gid)))
				}
				continue
			}
			perm := st.Mode().Perm()
			if perm&^max != 0 {
				bad = append(bad, fmt.Sprintf("%s has mode %04o, want %04o or stricter", f, perm, max))
			} else {
				good = append(good, fmt.Sprintf("%s has mode %04o", f, perm))
			}
		}
		if len(bad) > 0 {
			return fail(strings.Join(bad, "; "))
		}
		return pass(strings.Join(good, "; "))
	}}
}
