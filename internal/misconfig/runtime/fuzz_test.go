package runtime_test

import (
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/shipshape-dev/shipshape/internal/misconfig/runtime"
)

// FuzzSettings feeds arbitrary bind specs, security options and user strings (as a user
// may write them on `docker run`) to the checks: never a panic, every check answered.
func FuzzSettings(f *testing.F) {
	f.Add("/var/run/docker.sock:/var/run/docker.sock\n/etc:/host/etc:ro,rshared", "seccomp=unconfined\napparmor:unconfined\nno-new-privileges", "0:0")
	f.Add("relative:/x\n::\n/:/:z", "no-new-privileges=false\nlabel=disable", "nobody")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, binds, secopts, user string) {
		c := &container.InspectResponse{
			Name:       "/fuzz",
			Config:     &container.Config{User: user},
			HostConfig: &container.HostConfig{Binds: strings.Split(binds, "\n"), SecurityOpt: strings.Split(secopts, "\n")},
		}
		if got := runtime.Evaluate(c, true); len(got) != len(runtime.Checks()) {
			t.Fatalf("%d results for %d checks", len(got), len(runtime.Checks()))
		}
	})
}
