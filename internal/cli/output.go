package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mattn/go-isatty"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/cyclonedx"
	"github.com/shipshape-dev/shipshape/internal/report/gitlab"
	"github.com/shipshape-dev/shipshape/internal/report/gotemplate"
	"github.com/shipshape-dev/shipshape/internal/report/htmlreport"
	"github.com/shipshape-dev/shipshape/internal/report/jsonreport"
	"github.com/shipshape-dev/shipshape/internal/report/junit"
	"github.com/shipshape-dev/shipshape/internal/report/sarif"
	"github.com/shipshape-dev/shipshape/internal/report/spdx"
	"github.com/shipshape-dev/shipshape/internal/report/table"
)

type writerFunc func(io.Writer, *inventory.Inventory, report.Options) error

// writers maps --format names to report writers.
var writers = map[string]writerFunc{
	"table":     table.Write,
	"json":      jsonreport.Write,
	"cyclonedx": cyclonedx.Write,
	"spdx-json": spdx.Write,
	"sarif":     sarif.Write,
	"gitlab":    gitlab.Write,
	"junit":     junit.Write,
	"html":      htmlreport.Write,
	"template":  gotemplate.Write,
}

func formatNames() string {
	names := make([]string, 0, len(writers))
	for n := range writers {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// writeReport renders the report in memory first, so a failed write never leaves a partial
// output file behind, then writes it to --output (atomically) or standard output.
func (g *globals) writeReport(inv *inventory.Inventory, format string) error {
	w, ok := writers[format]
	if !ok {
		return fmt.Errorf("unknown --format %q (choose one of %s)", format, formatNames())
	}
	opts := report.Options{ToolName: "shipshape", ToolVersion: Version(), FindingOrder: g.findingOrder}
	if format == "table" && (g.output == "" || g.output == "-") && isTerminal(g.stdout) && os.Getenv("NO_COLOR") == "" {
		opts.Color = true
	}
	if format == "template" {
		if err := g.loadTemplate(); err != nil {
			return err
		}
		opts.Template, opts.TemplateName = g.templateSrc, g.templateName
	}
	switch format {
	case "spdx-json", "gitlab", "junit":
		// SPDX and GitLab require a creation time, and JUnit suites are stamped with it;
		// other formats stay byte-identical between runs.
		opts.Now = g.now
	}
	var buf bytes.Buffer
	if err := w(&buf, inv, opts); err != nil {
		return fmt.Errorf("writing the %s report: %w", format, err)
	}
	if g.output == "" || g.output == "-" {
		_, err := g.stdout.Write(buf.Bytes())
		return err
	}
	return writeFileAtomic(g.output, buf.Bytes())
}

// loadTemplate reads --template once: "@FILE" names a file, anything else is the template
// itself. The template is parsed here, so that a broken one is reported with its line
// before any scanning starts (see checkOutputFlags).
func (g *globals) loadTemplate() error {
	if g.templateLoaded {
		return nil
	}
	src, name := g.template, "--template"
	if file, ok := strings.CutPrefix(g.template, "@"); ok {
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("reading the --template file: %w", err)
		}
		src, name = string(data), file
	}
	if _, err := gotemplate.Parse(name, src); err != nil {
		return fmt.Errorf("--template %s: %w", name, err)
	}
	g.templateSrc, g.templateName, g.templateLoaded = src, name, true
	return nil
}

// checkOutputFlags refuses, before any work, a --template without --format template and a
// --format template whose template is missing or does not parse.
func (g *globals) checkOutputFlags() error {
	if g.format != "template" {
		if g.template != "" {
			return fmt.Errorf("--template needs --format template (the format is %q)", g.format)
		}
		return nil
	}
	return g.loadTemplate()
}

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".shipshape-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// isTerminal reports whether w is a terminal (colours and progress only go there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
