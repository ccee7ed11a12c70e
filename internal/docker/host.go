package docker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

// HostFacts is what the host audit needs from the Engine and its machine.
type HostFacts struct {
	Info    *system.Info
	InfoErr error
	// BridgeICC is the default bridge network's enable_icc option ("" when unknown).
	BridgeICC string
	// Local is true when the Engine runs on this machine (a unix socket that exists
	// here); Remote says why the files cannot be checked otherwise.
	Local  bool
	Remote string
	Socket string
	// DockerdArgs is the command line of the dockerd process on this machine (nil when
	// none was found or /proc could not be read).
	DockerdArgs []string
}

// Host gathers HostFacts. e may be nil (the Engine could not be reached): then Info is
// nil and InfoErr says why, and the file checks still run for the default socket.
func Host(ctx context.Context, e *Engine, ep Endpoint, connErr error) HostFacts {
	var h HostFacts
	if e != nil {
		ep = e.Endpoint
		res, err := e.Client.Info(ctx, client.InfoOptions{})
		if err != nil {
			h.InfoErr = wrap("docker info", err)
		} else {
			h.Info = &res.Info
		}
		if n, err := e.Client.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{}); err == nil {
			h.BridgeICC = n.Network.Options["com.docker.network.bridge.enable_icc"]
		}
	} else {
		h.InfoErr = connErr
	}
	h.Socket = ep.socketPath()
	switch {
	case h.Socket != "":
		if _, err := os.Stat(h.Socket); err == nil || e == nil {
			h.Local = true
		} else {
			h.Remote = fmt.Sprintf("the socket %s is not on this machine", h.Socket)
		}
	default:
		h.Remote = fmt.Sprintf("the Engine at %s is reached over the network; run `shipshape host docker` on its machine to check its files", ep.Host)
	}
	if h.Local {
		h.DockerdArgs = dockerdArgs("/proc")
	}
	return h
}

// dockerdArgs finds a process named dockerd under procDir and returns its arguments
// (without the program name).
func dockerdArgs(procDir string) []string {
	ents, err := os.ReadDir(procDir)
	if err != nil {
		return nil
	}
	for _, ent := range ents {
		if _, err := strconv.Atoi(ent.Name()); err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join(procDir, ent.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "dockerd" {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join(procDir, ent.Name(), "cmdline"))
		if err != nil || len(cmd) == 0 {
			continue
		}
		parts := strings.Split(string(bytes.TrimRight(cmd, "\x00")), "\x00")
		return append([]string{}, parts[1:]...)
	}
	return nil
}
