package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipshape-dev/shipshape/internal/docker"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig/host"
)

func newHostCmd(g *globals) *cobra.Command {
	var daemonJSON string
	var failedOnly bool
	var exitCode int
	cmd := &cobra.Command{
		Use:   "host docker",
		Short: "Audit the Docker host: daemon settings and files (CIS Docker Benchmark sections 2-3)",
		Long: `Audit the Docker host against the CIS Docker Benchmark v1.6.0 sections 2 (daemon
configuration) and 3 (daemon configuration files): docker info, daemon.json and dockerd's
command line (icc, userns-remap, live-restore, logging, TLS on TCP sockets, authorization
plugins, insecure registries, experimental ...), and the owner and mode of docker.sock,
daemon.json, /etc/docker, the TLS files and the systemd units. Every check is listed as
pass, fail or error (could not be evaluated, with the reason). Reading the files needs
the rights to stat them, so run it on the Engine's machine, usually as root.`,
		Example: `  shipshape host docker
  shipshape host docker --format json --failed-only`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] != "docker" {
				return fmt.Errorf("unknown host kind %q: this version audits \"docker\"", args[0])
			}
			if exitCode == ExitError {
				return fmt.Errorf("--exit-code %d is the code for errors; choose another (e.g. 1)", ExitError)
			}
			ctx, cancel := g.withTimeout(cmd.Context())
			defer cancel()
			if !filepath.IsAbs(daemonJSON) {
				abs, err := filepath.Abs(daemonJSON)
				if err != nil {
					return fmt.Errorf("--daemon-json %s: %w", daemonJSON, err)
				}
				daemonJSON = abs
			}
			ep, err := docker.ResolveEndpoint(nil)
			if err != nil {
				return err
			}
			e, connErr := g.engine().Get(ctx)
			if connErr != nil && !g.quiet {
				fmt.Fprintf(g.stderr, "warning: %v; the checks that need the Engine are marked error\n", connErr)
			}
			facts := docker.Host(ctx, e, ep, connErr)
			checks := host.Run(host.Input{
				Target: "docker host " + ep.Host, Info: facts.Info, InfoErr: facts.InfoErr, BridgeICC: facts.BridgeICC,
				Local: facts.Local, Remote: facts.Remote, Socket: facts.Socket, DockerdArgs: facts.DockerdArgs,
				DaemonJSON: daemonJSON, PlainTCP: plainTCP(e),
			})
			fails := 0
			var kept []inventory.Misconfiguration
			for _, c := range checks {
				if c.Status == inventory.CheckFail {
					fails++
				}
				if !failedOnly || c.Status != inventory.CheckPass {
					kept = append(kept, c)
				}
			}
			inv := &inventory.Inventory{
				Target:            inventory.Target{Name: "docker host " + ep.Host, Kind: "host"},
				Packages:          []inventory.Package{},
				Misconfigurations: kept,
			}
			if facts.Info != nil {
				inv.Target.Name = "docker host " + facts.Info.Name + " (" + ep.Host + ")"
				for i := range inv.Misconfigurations {
					inv.Misconfigurations[i].Target = inv.Target.Name
				}
			}
			if connErr != nil {
				inv.Warnings = append(inv.Warnings, inventory.Warning{Message: connErr.Error()})
			}
			inv.Sort()
			if err := g.writeReports([]*inventory.Inventory{inv}, g.format); err != nil {
				return err
			}
			if connErr != nil {
				return &exitError{code: ExitError, err: errors.New("the audit is incomplete: the Engine could not be reached")}
			}
			if exitCode != 0 && fails > 0 {
				return &exitError{code: exitCode}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&daemonJSON, "daemon-json", "/etc/docker/daemon.json", "the daemon configuration file to audit")
	cmd.Flags().BoolVar(&failedOnly, "failed-only", false, "list only failed checks and those that could not be evaluated")
	cmd.Flags().IntVar(&exitCode, "exit-code", 0, "exit with this code when any check fails")
	return cmd
}

// plainTCP is the Engine's address when this audit reached it over TCP without TLS.
func plainTCP(e *docker.Engine) string {
	if e != nil && strings.HasPrefix(e.Endpoint.Host, "tcp://") && !e.Endpoint.TLS {
		return e.Endpoint.Host
	}
	return ""
}
