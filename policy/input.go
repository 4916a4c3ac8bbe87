package policy

// Input is the document a policy sees as `input`. It is built by the proxy
// from typed, canonical data (DESIGN §3) and converted to an OPA value without
// a JSON round trip.
type Input struct {
	Request Request
	Client  Client
	// Image and Target are facts looked up from the daemon; nil when the
	// request names no image or no existing object.
	Image  map[string]any
	Target map[string]any
	// Containers describes each container a create body refers to
	// (VolumesFrom, Links, container:<name> modes), keyed by the reference.
	Containers map[string]any
	// Mounts lists every mount a create or service spec asks for, with the
	// host path it resolves to.
	Mounts []any
	// Registry is the registry a login check (system.auth) would have the
	// daemon contact: its host, or why the address names none.
	Registry map[string]any
	// NewImages lists the names a request would give an image (a retag,
	// commit, import or build): {requested, ref}; nil for other requests.
	NewImages []any
	Proxy     Proxy
}

// Request is the canonical view of one HTTP request.
type Request struct {
	Method      string
	Path        string // canonical, without the /vX.Y prefix
	APIVersion  string // "" when the client sent an unversioned path
	Endpoint    string // route name such as "container.create", or "unknown"
	Params      map[string]string
	Query       map[string][]string
	Body        any // the canonical body decoded as generic JSON, or nil
	ContentType string
}

// Client is who sent the request, as established by the listener.
type Client struct {
	Transport string // "unix" or "tls"
	UID       int
	GID       int
	PID       int
	Cert      *Cert
	Listener  string
}

// Cert identifies a verified TLS client leaf certificate.
type Cert struct {
	SubjectCN string
	SANs      []string
	SHA256    string
}

// Map renders the client as the input's `client` document.
func (c Client) Map() map[string]any {
	m := map[string]any{
		"transport": c.Transport,
		"listener":  c.Listener,
	}
	if c.Transport == "unix" {
		m["uid"] = c.UID
		m["gid"] = c.GID
		m["pid"] = c.PID
	}
	if c.Cert != nil {
		m["cert"] = map[string]any{"subject_cn": c.Cert.SubjectCN, "sans": stringsToAny(c.Cert.SANs), "sha256": c.Cert.SHA256}
	}
	return m
}

// Proxy describes the running xcsproxy.
type Proxy struct {
	Version        string
	PolicyRevision string
	// Protected lists host paths no container may reach.
	Protected []string
	// ManagedLabel is the label that marks objects created through xcsproxy.
	ManagedLabel string
}

// Map renders the input as the generic JSON-shaped document OPA and the
// audit log consume.
func (in *Input) Map() map[string]any {
	params := make(map[string]any, len(in.Request.Params))
	for k, v := range in.Request.Params {
		params[k] = v
	}
	query := make(map[string]any, len(in.Request.Query))
	for k, vs := range in.Request.Query {
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		query[k] = list
	}
	doc := map[string]any{
		"request": map[string]any{
			"method":       in.Request.Method,
			"path":         in.Request.Path,
			"api_version":  in.Request.APIVersion,
			"endpoint":     in.Request.Endpoint,
			"params":       params,
			"query":        query,
			"body":         in.Request.Body,
			"content_type": in.Request.ContentType,
		},
		"client": in.Client.Map(),
		"proxy": map[string]any{
			"version":         in.Proxy.Version,
			"policy_revision": in.Proxy.PolicyRevision,
			"protected_paths": stringsToAny(in.Proxy.Protected),
			"managed_label":   in.Proxy.ManagedLabel,
		},
		"containers": orEmptyMap(in.Containers),
		"mounts":     orEmptyList(in.Mounts),
	}
	if in.Image != nil {
		doc["image"] = in.Image
	}
	if in.Target != nil {
		doc["target"] = in.Target
	}
	if in.Registry != nil {
		doc["registry"] = in.Registry
	}
	if in.NewImages != nil {
		doc["new_images"] = in.NewImages
	}
	return doc
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func orEmptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func orEmptyList(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}
