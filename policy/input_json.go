package policy

import (
	"strconv"

	"github.com/xcsproxy/xcsproxy/canonjson"
)

// AppendJSON appends the input document (the one Map builds) as canonical
// JSON, straight from the typed fields: the bytes the decision memo is keyed
// by and the audit log records. Keys are written in sorted order by hand;
// TestInputJSONIsMapJSON holds it to encoding/json's rendering of Map.
func (in *Input) AppendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"client":`...)
	dst = in.Client.appendJSON(dst)
	dst = append(dst, `,"containers":`...)
	if in.Containers == nil {
		dst = append(dst, "{}"...)
	} else if dst, err = canonjson.Append(dst, in.Containers); err != nil {
		return dst, err
	}
	if in.Image != nil {
		dst = append(dst, `,"image":`...)
		if dst, err = canonjson.Append(dst, in.Image); err != nil {
			return dst, err
		}
	}
	dst = append(dst, `,"mounts":`...)
	if in.Mounts == nil {
		dst = append(dst, "[]"...)
	} else if dst, err = canonjson.Append(dst, in.Mounts); err != nil {
		return dst, err
	}
	if in.NewImages != nil {
		dst = append(dst, `,"new_images":`...)
		if dst, err = canonjson.Append(dst, in.NewImages); err != nil {
			return dst, err
		}
	}
	dst = append(dst, `,"proxy":{"managed_label":`...)
	dst = canonjson.AppendString(dst, in.Proxy.ManagedLabel)
	dst = append(dst, `,"policy_revision":`...)
	dst = canonjson.AppendString(dst, in.Proxy.PolicyRevision)
	dst = append(dst, `,"protected_paths":`...)
	dst = appendStringList(dst, in.Proxy.Protected)
	dst = append(dst, `,"version":`...)
	dst = canonjson.AppendString(dst, in.Proxy.Version)
	dst = append(dst, '}')
	if in.Registry != nil {
		dst = append(dst, `,"registry":`...)
		if dst, err = canonjson.Append(dst, in.Registry); err != nil {
			return dst, err
		}
	}
	dst = append(dst, `,"request":`...)
	if dst, err = in.Request.appendJSON(dst); err != nil {
		return dst, err
	}
	if in.Target != nil {
		dst = append(dst, `,"target":`...)
		if dst, err = canonjson.Append(dst, in.Target); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func (r *Request) appendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"api_version":`...)
	dst = canonjson.AppendString(dst, r.APIVersion)
	dst = append(dst, `,"body":`...)
	if dst, err = canonjson.Append(dst, r.Body); err != nil {
		return dst, err
	}
	dst = append(dst, `,"content_type":`...)
	dst = canonjson.AppendString(dst, r.ContentType)
	dst = append(dst, `,"endpoint":`...)
	dst = canonjson.AppendString(dst, r.Endpoint)
	dst = append(dst, `,"method":`...)
	dst = canonjson.AppendString(dst, r.Method)
	dst = append(dst, `,"params":`...)
	if r.Params == nil {
		dst = append(dst, "{}"...)
	} else {
		dst = canonjson.AppendStringMap(dst, r.Params)
	}
	dst = append(dst, `,"path":`...)
	dst = canonjson.AppendString(dst, r.Path)
	dst = append(dst, `,"query":`...)
	if r.Query == nil {
		dst = append(dst, "{}"...)
	} else if dst, err = canonjson.Append(dst, r.Query); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

func (c Client) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	if c.Cert != nil {
		dst = append(dst, `"cert":{"sans":`...)
		dst = appendStringList(dst, c.Cert.SANs)
		dst = append(dst, `,"sha256":`...)
		dst = canonjson.AppendString(dst, c.Cert.SHA256)
		dst = append(dst, `,"subject_cn":`...)
		dst = canonjson.AppendString(dst, c.Cert.SubjectCN)
		dst = append(dst, "},"...)
	}
	unix := c.Transport == "unix"
	if unix {
		dst = append(dst, `"gid":`...)
		dst = appendInt(dst, c.GID)
		dst = append(dst, ',')
	}
	dst = append(dst, `"listener":`...)
	dst = canonjson.AppendString(dst, c.Listener)
	if unix {
		dst = append(dst, `,"pid":`...)
		dst = appendInt(dst, c.PID)
	}
	dst = append(dst, `,"transport":`...)
	dst = canonjson.AppendString(dst, c.Transport)
	if unix {
		dst = append(dst, `,"uid":`...)
		dst = appendInt(dst, c.UID)
	}
	return append(dst, '}')
}

// appendStringList writes nil as [] (Map renders lists with stringsToAny).
func appendStringList(dst []byte, l []string) []byte {
	if l == nil {
		return append(dst, "[]"...)
	}
	return canonjson.AppendStrings(dst, l)
}

func appendInt(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }
