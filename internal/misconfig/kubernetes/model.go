// Package kubernetes checks Kubernetes manifests against the Pod Security Standards
// (baseline and restricted) and a few best practices. Workloads (Pod, Deployment,
// StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob) are read from
// multi-document YAML or JSON, and from List objects, into a Manifest value: the input every
// check, built-in or Rego, sees. Line numbers come from yaml.v3 nodes.
package kubernetes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
)

// Manifest is one file of Kubernetes objects. Its JSON encoding is the input of Rego checks.
type Manifest struct {
	Path string `json:"path"`
	// Objects are the workloads found, in file order. Other kinds are not listed.
	Objects []Object `json:"objects"`
	docs    []misconfig.Doc
}

// Object is one workload.
type Object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace,omitempty"`
	// Document is the 0-based index of the YAML document holding the object; Prefix the
	// path of the object inside it ("" or "items[3]" for List members).
	Document int    `json:"document"`
	Prefix   string `json:"prefix,omitempty"`
	// PodPath is the path of the pod template inside the object: "" for a Pod,
	// "spec.template" for controllers, "spec.jobTemplate.spec.template" for CronJobs.
	PodPath string `json:"podPath"`
	// Annotations are the pod's annotations (the template's for controllers).
	Annotations map[string]string `json:"annotations,omitempty"`
	// Spec is the pod spec.
	Spec PodSpec `json:"spec"`
	// Raw is the whole object as decoded from YAML.
	Raw map[string]any `json:"raw"`
}

// PodSpec is the part of a pod spec the checks read (field names as in the Kubernetes API).
type PodSpec struct {
	HostNetwork                  bool                `json:"hostNetwork,omitempty" yaml:"hostNetwork"`
	HostPID                      bool                `json:"hostPID,omitempty" yaml:"hostPID"`
	HostIPC                      bool                `json:"hostIPC,omitempty" yaml:"hostIPC"`
	HostUsers                    *bool               `json:"hostUsers,omitempty" yaml:"hostUsers"`
	AutomountServiceAccountToken *bool               `json:"automountServiceAccountToken,omitempty" yaml:"automountServiceAccountToken"`
	SecurityContext              *PodSecurityContext `json:"securityContext,omitempty" yaml:"securityContext"`
	Containers                   []Container         `json:"containers,omitempty" yaml:"containers"`
	InitContainers               []Container         `json:"initContainers,omitempty" yaml:"initContainers"`
	EphemeralContainers          []Container         `json:"ephemeralContainers,omitempty" yaml:"ephemeralContainers"`
	Volumes                      []map[string]any    `json:"volumes,omitempty" yaml:"volumes"`
}

// PodSecurityContext holds pod-level security settings.
type PodSecurityContext struct {
	RunAsNonRoot    *bool           `json:"runAsNonRoot,omitempty" yaml:"runAsNonRoot"`
	RunAsUser       *int64          `json:"runAsUser,omitempty" yaml:"runAsUser"`
	SeccompProfile  *Profile        `json:"seccompProfile,omitempty" yaml:"seccompProfile"`
	AppArmorProfile *Profile        `json:"appArmorProfile,omitempty" yaml:"appArmorProfile"`
	SELinuxOptions  *SELinuxOptions `json:"seLinuxOptions,omitempty" yaml:"seLinuxOptions"`
	WindowsOptions  *WindowsOptions `json:"windowsOptions,omitempty" yaml:"windowsOptions"`
	Sysctls         []NameValue     `json:"sysctls,omitempty" yaml:"sysctls"`
	FSGroup         *int64          `json:"fsGroup,omitempty" yaml:"fsGroup"`
	SupplementalGID []int64         `json:"supplementalGroups,omitempty" yaml:"supplementalGroups"`
	RunAsGroup      *int64          `json:"runAsGroup,omitempty" yaml:"runAsGroup"`
}

// Container is one container, init container or ephemeral container.
type Container struct {
	Name            string           `json:"name" yaml:"name"`
	Image           string           `json:"image,omitempty" yaml:"image"`
	SecurityContext *SecurityContext `json:"securityContext,omitempty" yaml:"securityContext"`
	Ports           []Port           `json:"ports,omitempty" yaml:"ports"`
	Resources       Resources        `json:"resources,omitempty" yaml:"resources"`
	Env             []EnvVar         `json:"env,omitempty" yaml:"env"`
}

// SecurityContext holds container-level security settings.
type SecurityContext struct {
	Privileged               *bool           `json:"privileged,omitempty" yaml:"privileged"`
	AllowPrivilegeEscalation *bool           `json:"allowPrivilegeEscalation,omitempty" yaml:"allowPrivilegeEscalation"`
	RunAsNonRoot             *bool           `json:"runAsNonRoot,omitempty" yaml:"runAsNonRoot"`
	RunAsUser                *int64          `json:"runAsUser,omitempty" yaml:"runAsUser"`
	ReadOnlyRootFilesystem   *bool           `json:"readOnlyRootFilesystem,omitempty" yaml:"readOnlyRootFilesystem"`
	Capabilities             *Capabilities   `json:"capabilities,omitempty" yaml:"capabilities"`
	ProcMount                string          `json:"procMount,omitempty" yaml:"procMount"`
	SeccompProfile           *Profile        `json:"seccompProfile,omitempty" yaml:"seccompProfile"`
	AppArmorProfile          *Profile        `json:"appArmorProfile,omitempty" yaml:"appArmorProfile"`
	SELinuxOptions           *SELinuxOptions `json:"seLinuxOptions,omitempty" yaml:"seLinuxOptions"`
	WindowsOptions           *WindowsOptions `json:"windowsOptions,omitempty" yaml:"windowsOptions"`
}

// Capabilities are added and dropped Linux capabilities.
type Capabilities struct {
	Add  []string `json:"add,omitempty" yaml:"add"`
	Drop []string `json:"drop,omitempty" yaml:"drop"`
}

// Profile is a seccomp or AppArmor profile.
type Profile struct {
	Type             string `json:"type" yaml:"type"`
	LocalhostProfile string `json:"localhostProfile,omitempty" yaml:"localhostProfile"`
}

// SELinuxOptions are SELinux labels.
type SELinuxOptions struct {
	User  string `json:"user,omitempty" yaml:"user"`
	Role  string `json:"role,omitempty" yaml:"role"`
	Type  string `json:"type,omitempty" yaml:"type"`
	Level string `json:"level,omitempty" yaml:"level"`
}

// WindowsOptions are Windows-specific settings.
type WindowsOptions struct {
	HostProcess *bool `json:"hostProcess,omitempty" yaml:"hostProcess"`
}

// NameValue is a sysctl.
type NameValue struct {
	Name  string `json:"name" yaml:"name"`
	Value string `json:"value" yaml:"value"`
}

// Port is a container port.
type Port struct {
	ContainerPort int32  `json:"containerPort,omitempty" yaml:"containerPort"`
	HostPort      int32  `json:"hostPort,omitempty" yaml:"hostPort"`
	HostIP        string `json:"hostIP,omitempty" yaml:"hostIP"`
	Protocol      string `json:"protocol,omitempty" yaml:"protocol"`
}

// Resources are requests and limits, as written ("500m", "128Mi").
type Resources struct {
	Limits   map[string]string `json:"limits,omitempty" yaml:"limits"`
	Requests map[string]string `json:"requests,omitempty" yaml:"requests"`
}

// EnvVar is an environment variable; ValueFrom is set when it comes from elsewhere.
type EnvVar struct {
	Name      string         `json:"name" yaml:"name"`
	Value     string         `json:"value,omitempty" yaml:"value"`
	ValueFrom map[string]any `json:"valueFrom,omitempty" yaml:"valueFrom"`
}

// ObjectName is "Kind/name" (with the namespace when set).
func (o Object) ObjectName() string {
	if o.Namespace != "" {
		return o.Kind + "/" + o.Namespace + "/" + o.Name
	}
	return o.Kind + "/" + o.Name
}

// podPaths maps workload kinds to the path of their pod template.
var podPaths = map[string]string{
	"Pod":                   "",
	"Deployment":            "spec.template",
	"StatefulSet":           "spec.template",
	"DaemonSet":             "spec.template",
	"ReplicaSet":            "spec.template",
	"ReplicationController": "spec.template",
	"Job":                   "spec.template",
	"CronJob":               "spec.jobTemplate.spec.template",
	"PodTemplate":           "template",
}

// Looks reports whether data holds at least one YAML or JSON document with apiVersion and kind.
func Looks(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; i < 64; i++ {
		var top map[string]yaml.Node
		if err := dec.Decode(&top); err != nil {
			return false
		}
		if _, ok := top["apiVersion"]; ok {
			if k, ok := top["kind"]; ok && k.Kind == yaml.ScalarNode && k.Value != "" {
				return true
			}
		}
	}
	return false
}

// maxDocs bounds the documents read from one file.
const maxDocs = 10000

// Parse reads every document of a manifest file.
func Parse(path string, data []byte) (*Manifest, error) {
	m := &Manifest{Path: path, Objects: []Object{}}
	lines := strings.Split(string(data), "\n")
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		if i >= maxDocs {
			return nil, fmt.Errorf("%s: more than %d YAML documents", path, maxDocs)
		}
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d is not valid YAML: %w", path, i+1, err)
		}
		m.docs = append(m.docs, misconfig.Doc{Root: &doc, Lines: lines})
		root := &doc
		if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
			root = root.Content[0]
		}
		if root.Kind != yaml.MappingNode {
			continue
		}
		if err := m.addObject(root, i, ""); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i+1, err)
		}
	}
	return m, nil
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func walk(n *yaml.Node, path string) *yaml.Node {
	if path == "" {
		return n
	}
	for _, k := range strings.Split(path, ".") {
		n = child(n, k)
	}
	return n
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func (m *Manifest) addObject(root *yaml.Node, doc int, prefix string) error {
	kind := scalar(child(root, "kind"))
	if kind == "List" || strings.HasSuffix(kind, "List") {
		items := child(root, "items")
		if items != nil && items.Kind == yaml.SequenceNode {
			for i, it := range items.Content {
				if it.Kind == yaml.MappingNode {
					if err := m.addObject(it, doc, joinPath(prefix, "items["+strconv.Itoa(i)+"]")); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	podPath, ok := podPaths[kind]
	if !ok {
		return nil
	}
	o := Object{APIVersion: scalar(child(root, "apiVersion")), Kind: kind, Document: doc, Prefix: prefix, PodPath: podPath}
	meta := child(root, "metadata")
	o.Name = scalar(child(meta, "name"))
	o.Namespace = scalar(child(meta, "namespace"))
	if err := root.Decode(&o.Raw); err != nil {
		return fmt.Errorf("%s %s: %w", kind, o.Name, err)
	}
	pod := walk(root, podPath)
	if pod == nil {
		m.Objects = append(m.Objects, o)
		return nil
	}
	if spec := child(pod, "spec"); spec != nil && spec.Kind == yaml.MappingNode {
		if err := spec.Decode(&o.Spec); err != nil {
			return fmt.Errorf("%s %s: the pod spec does not match the Kubernetes API: %w", kind, o.Name, err)
		}
	}
	if ann := child(child(pod, "metadata"), "annotations"); ann != nil && ann.Kind == yaml.MappingNode {
		_ = ann.Decode(&o.Annotations)
	}
	m.Objects = append(m.Objects, o)
	return nil
}

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case strings.HasPrefix(b, "["):
		return a + b
	}
	return a + "." + b
}

// specPath returns the path of a pod spec field inside the object's document.
func (o Object) specPath(field string) string {
	return joinPath(joinPath(o.Prefix, joinPath(o.PodPath, "spec")), field)
}

// metaPath returns the path of a pod metadata field.
func (o Object) metaPath(field string) string {
	return joinPath(joinPath(o.Prefix, joinPath(o.PodPath, "metadata")), field)
}

// Scan parses and checks one manifest file. A file that cannot be parsed gives one error result.
func Scan(path string, data []byte) []inventory.Misconfiguration {
	m, err := Parse(path, data)
	if err != nil {
		return []inventory.Misconfiguration{misconfig.ParseError(inventory.CheckKubernetes, path, err)}
	}
	return misconfig.Run(inventory.CheckKubernetes, path, m, Checks(), m.Locate)
}

// Locate turns a hit's path into lines. Hit paths of this package start with "#<doc>/".
func (m *Manifest) Locate(h misconfig.Hit) misconfig.Hit {
	docStr, rest, ok := strings.Cut(h.Path, "/")
	if !ok || !strings.HasPrefix(docStr, "#") || h.StartLine > 0 {
		if len(m.docs) > 0 {
			return misconfig.WithCode(m.docs[0].Lines, h)
		}
		return h
	}
	i, err := strconv.Atoi(docStr[1:])
	if err != nil || i < 0 || i >= len(m.docs) {
		return h
	}
	hh := h
	hh.Path = rest
	hh = m.docs[i].Locate(hh)
	hh.Path = h.Path
	return hh
}
