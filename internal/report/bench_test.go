package report_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/cyclonedx"
	"github.com/shipshape-dev/shipshape/internal/report/gitlab"
	"github.com/shipshape-dev/shipshape/internal/report/gotemplate"
	"github.com/shipshape-dev/shipshape/internal/report/htmlreport"
	"github.com/shipshape-dev/shipshape/internal/report/jsonreport"
	"github.com/shipshape-dev/shipshape/internal/report/junit"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
	"github.com/shipshape-dev/shipshape/internal/report/sarif"
	"github.com/shipshape-dev/shipshape/internal/report/table"
)

// large is a big image scan built from the DebianChecks fixture: its findings repeated over
// n packages, so that every writer's cost per finding shows.
func large(n int) *inventory.Inventory {
	base := reporttest.DebianChecks()
	inv := *base
	inv.Packages = nil
	inv.Vulnerabilities = nil
	for i := range n {
		for _, p := range base.Packages {
			p.Name = fmt.Sprintf("%s-%d", p.Name, i)
			p.PURL = ""
			inv.Packages = append(inv.Packages, p)
		}
		for _, f := range base.Vulnerabilities {
			f.PkgName = fmt.Sprintf("%s-%d", f.PkgName, i)
			f.PkgPURL = ""
			inv.Vulnerabilities = append(inv.Vulnerabilities, f)
		}
	}
	return &inv
}

// BenchmarkWriters writes a scan of 9,000 packages and 7,000 vulnerability findings in
// every format.
func BenchmarkWriters(b *testing.B) {
	inv := large(1000)
	opts := reporttest.Options(true)
	opts.Template = "{{range .Vulnerabilities}}{{.ID}} {{.PkgName}} {{.Severity}}\n{{end}}"
	for _, w := range []struct {
		name  string
		write func(io.Writer, *inventory.Inventory, report.Options) error
	}{
		{"table", table.Write}, {"json", jsonreport.Write}, {"cyclonedx", cyclonedx.Write}, {"sarif", sarif.Write},
		{"gitlab", gitlab.Write}, {"junit", junit.Write}, {"html", htmlreport.Write}, {"template", gotemplate.Write},
	} {
		b.Run(w.name, func(b *testing.B) {
			for b.Loop() {
				if err := w.write(io.Discard, inv, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
