package cwe

import (
	"strings"
	"testing"
)

// FuzzCWE feeds arbitrary bytes to the parser (JSON or XML by the first byte): it must not
// panic, and whatever it emits must be storable.
func FuzzCWE(f *testing.F) {
	f.Add([]byte(`{"79":{"Description":"d","attr":{"@_ID":"79","@_Name":"Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')","@_Status":"Stable"}}}`))
	f.Add([]byte(`<Weakness_Catalog><Weaknesses><Weakness ID="79" Name="XSS"><Description>d</Description></Weakness></Weaknesses></Weakness_Catalog>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parse(t, "fuzz", data)
		if err != nil && !strings.Contains(err.Error(), "fuzz") {
			t.Fatalf("error does not name the input: %v", err)
		}
		for _, c := range got {
			if !strings.HasPrefix(c.ID, "CWE-") || !numeric(strings.TrimPrefix(c.ID, "CWE-")) || c.Name == "" {
				t.Fatalf("bad entry: %+v", c)
			}
		}
	})
}
