package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
)

// ContainerEventsSince streams the Engine's container events, from since (a Unix time
// "seconds.nanoseconds"; empty: from now on). The error channel says why the stream ended.
func (e *Engine) ContainerEventsSince(ctx context.Context, since string) (<-chan events.Message, <-chan error) {
	res := e.Client.Events(ctx, client.EventsListOptions{Since: since, Filters: client.Filters{}.Add("type", string(events.ContainerEventType))})
	return res.Messages, res.Err
}

// ExecInspect returns an exec's process settings (TTY, user, privileged, command), which
// the moby client's ExecInspect leaves out: it asks the API directly over the client's
// own connection (same endpoint, TLS and API version).
func (e *Engine) ExecInspect(ctx context.Context, execID string) (*container.ExecInspectResponse, error) {
	dial := e.Client.Dialer()
	hc := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
			DisableKeepAlives: true,
		},
	}
	u := "http://" + client.DummyHost + "/v" + e.Client.ClientVersion() + "/exec/" + url.PathEscape(execID) + "/json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("inspecting exec %s: %w: %v", execID, ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("exec %s: %w", execID, ErrNotFound)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("inspecting exec %s: the Engine answered %s: %s", execID, resp.Status, msg)
	}
	var out container.ExecInspectResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("inspecting exec %s: %w", execID, err)
	}
	return &out, nil
}
