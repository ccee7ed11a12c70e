// Command trivy-config-compare runs `trivy config` (a peer scanner, used as a yardstick
// only, with its embedded checks) and `shipshape config` on the failing and passing fixture
// of every built-in Dockerfile, compose and Kubernetes check, and prints Markdown tables:
// which trivy check fires on which fixture, and so which trivy checks shipshape covers and
// which shipshape checks trivy lacks.
//
//	go run ./scripts/trivy-config-compare [-trivy PATH] [-keep DIR] > coverage.md
//	go run ./scripts/trivy-config-compare -list > checks.md   # every built-in check
//
// Each fixture is copied alone into a folder under the name both tools recognise
// (Dockerfile, docker-compose.yaml, manifest.yaml). A trivy check "covers" one of ours when
// it fails on our check's failing fixture and not on its passing fixture; a trivy check
// that fires on no fixture cannot be matched this way and is listed as not exercised.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/misconfig"
	"github.com/shipshape-dev/shipshape/internal/misconfig/compose"
	"github.com/shipshape-dev/shipshape/internal/misconfig/dockerfile"
	"github.com/shipshape-dev/shipshape/internal/misconfig/imageconfig"
	"github.com/shipshape-dev/shipshape/internal/misconfig/kubernetes"
)

type kind struct {
	name, dir, ext, file string
	metas                []misconfig.Meta
}

func kinds() []kind {
	return []kind{
		{"dockerfile", "internal/misconfig/dockerfile/testdata", ".Dockerfile", "Dockerfile", misconfig.Metas(dockerfile.Checks())},
		{"compose", "internal/misconfig/compose/testdata", ".yaml", "docker-compose.yaml", misconfig.Metas(compose.Checks())},
		{"kubernetes", "internal/misconfig/kubernetes/testdata", ".yaml", "manifest.yaml", misconfig.Metas(kubernetes.Checks())},
	}
}

type trivyReport struct {
	Results []struct {
		Target            string `json:"Target"`
		Type              string `json:"Type"`
		Misconfigurations []struct {
			ID       string `json:"ID"`
			Title    string `json:"Title"`
			Severity string `json:"Severity"`
			Status   string `json:"Status"`
		} `json:"Misconfigurations"`
	} `json:"Results"`
}

type trivyCheck struct{ id, title, severity, typ string }

func main() {
	trivy := flag.String("trivy", "/work/peers/bin/trivy", "trivy binary")
	keep := flag.String("keep", "", "keep the fixture tree and reports in this folder")
	list := flag.Bool("list", false, "print the table of every built-in check and exit")
	flag.Parse()
	if *list {
		printChecks(os.Stdout)
		return
	}
	if err := run(*trivy, *keep, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "trivy-config-compare:", err)
		os.Exit(2)
	}
}

func run(trivy, keep string, w io.Writer) error {
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "trivy-config-compare-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	// tree: <dir>/<kind>/<fail|pass>/<ID>/<file>
	for _, k := range kinds() {
		for _, m := range k.metas {
			for _, fp := range []string{"fail", "pass"} {
				data, err := os.ReadFile(filepath.Join(k.dir, fp, m.ID+k.ext))
				if err != nil {
					return err
				}
				dst := filepath.Join(dir, k.name, fp, m.ID, k.file)
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(dst, data, 0o644); err != nil {
					return err
				}
			}
		}
	}
	cmd := exec.Command(trivy, "config", "--skip-check-update", "--include-non-failures", "--format", "json", "--quiet", dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("trivy config: %w: %s", err, errb.String())
	}
	if keep != "" {
		_ = os.WriteFile(filepath.Join(keep, "trivy.json"), out.Bytes(), 0o644)
	}
	var rep trivyReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return fmt.Errorf("reading trivy's JSON: %w", err)
	}
	// fails[target folder] = trivy ids failing there; all trivy checks evaluated.
	fails := map[string]map[string]bool{}
	all := map[string]trivyCheck{}
	for _, r := range rep.Results {
		folder := filepath.ToSlash(filepath.Dir(r.Target))
		for _, m := range r.Misconfigurations {
			all[m.ID] = trivyCheck{m.ID, m.Title, m.Severity, r.Type}
			if m.Status == "FAIL" {
				if fails[folder] == nil {
					fails[folder] = map[string]bool{}
				}
				fails[folder][m.ID] = true
			}
		}
	}
	covers := map[string][]string{} // trivy id -> our ids
	ours := map[string][]string{}   // our id -> trivy ids
	fmt.Fprintf(w, "### Our checks and the trivy checks that fire on the same fixtures\n\n")
	fmt.Fprintf(w, "| our check | title | trivy check(s) failing on our failing fixture and not on our passing one |\n|---|---|---|\n")
	for _, k := range kinds() {
		for _, m := range k.metas {
			f := fails[k.name+"/fail/"+m.ID]
			p := fails[k.name+"/pass/"+m.ID]
			var ids []string
			for id := range f {
				if !p[id] {
					ids = append(ids, id)
				}
			}
			slices.Sort(ids)
			ours[m.ID] = ids
			for _, id := range ids {
				covers[id] = append(covers[id], m.ID)
			}
			t := "— (trivy has no equivalent that fires)"
			if len(ids) > 0 {
				var parts []string
				for _, id := range ids {
					parts = append(parts, id+" "+all[id].title)
				}
				t = strings.Join(parts, "; ")
			}
			fmt.Fprintf(w, "| %s | %s | %s |\n", m.ID, m.Title, t)
		}
	}
	var tids []string
	for id := range all {
		tids = append(tids, id)
	}
	slices.Sort(tids)
	fmt.Fprintf(w, "\n### trivy's checks (evaluated by `trivy config` on these fixtures) and ours\n\n")
	fmt.Fprintf(w, "| trivy check | type | severity | title | covered by |\n|---|---|---|---|---|\n")
	n := 0
	for _, id := range tids {
		c := all[id]
		by := "not exercised by our fixtures"
		if len(covers[id]) > 0 {
			by = strings.Join(covers[id], ", ")
			n++
		} else if firesAnywhere(fails, id) {
			by = "fires, but not only on one of our failing fixtures"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", id, c.typ, c.severity, c.title, by)
	}
	lacks := 0
	for _, ids := range ours {
		if len(ids) == 0 {
			lacks++
		}
	}
	total := 0
	for _, k := range kinds() {
		total += len(k.metas)
	}
	fmt.Fprintf(w, "\n%d trivy checks evaluated, %d matched to ours by the fixtures; %d of our %d file checks have no trivy check that fires on their fixtures.\n", len(tids), n, lacks, total)
	return nil
}

func firesAnywhere(fails map[string]map[string]bool, id string) bool {
	for _, f := range fails {
		if f[id] {
			return true
		}
	}
	return false
}

func printChecks(w io.Writer) {
	section := func(title string, metas []misconfig.Meta) {
		fmt.Fprintf(w, "\n### %s\n\n| id | title | severity | reference |\n|---|---|---|---|\n", title)
		for _, m := range metas {
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", m.ID, strings.ReplaceAll(m.Title, "|", "\\|"), m.Severity, strings.Join(m.References, "; "))
		}
	}
	section("Dockerfile", misconfig.Metas(dockerfile.Checks()))
	section("Compose", misconfig.Metas(compose.Checks()))
	section("Kubernetes", misconfig.Metas(kubernetes.Checks()))
	section("Image config and layers", append(misconfig.Metas(imageconfig.Checks()), imageconfig.LayerChecks()...))
}
