package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// answer is a daemon's reply as the Forwarder reads it: the status, the
// header fields to pass on kept as the bytes they arrived in, and a reader
// for exactly the body. xcsproxy passes the daemon's header on and needs
// only its framing, so no header map is built: parsing the daemon's header
// into one (http.ReadResponse) and writing it out again were a tenth of
// xcsproxy's CPU per request.
type answer struct {
	status int
	// fields are whole "Name: value\r\n" lines: the daemon's end-to-end
	// fields, checked, with its framing (Content-Length, Transfer-Encoding)
	// and hop-by-hop fields left out.
	fields []byte
	// contentLength is the declared length (-1: none). An answer to a
	// HEAD keeps it, though no body follows.
	contentLength int64
	// close says the connection cannot carry another request: the daemon
	// said so, or the body runs to the connection's end.
	close bool
	body  io.Reader // nil: the answer has no body
}

// maxAnswerHeader bounds a daemon's answer header; dockerd's are a few
// hundred bytes.
const maxAnswerHeader = 1 << 20

var errAnswerHeaderTooLarge = errors.New("the daemon's answer header is larger than 1 MiB")

// readAnswer reads the daemon's answer header from br, passing over
// interim 1xx answers (the daemon sends none on this path, but a proxy
// must not take one for the answer). A protocol switch belongs to the
// tunnel routes only. It accepts what net/http's ReadResponse accepts,
// except folded header lines, header lines longer than br's buffer, and
// HTTP versions other than 1.0 and 1.1, which dockerd never sends and
// which are refused rather than guessed at.
func readAnswer(br *bufio.Reader, method string) (*answer, error) {
	for {
		a, err := readAnswerHead(br, method)
		if err != nil {
			return nil, err
		}
		if a.status >= 200 {
			return a, nil
		}
		if a.status == http.StatusSwitchingProtocols {
			return nil, errors.New("the daemon switched protocols on a route that does not tunnel")
		}
	}
}

func readAnswerHead(br *bufio.Reader, method string) (*answer, error) {
	budget := maxAnswerHeader
	line, err := readAnswerLine(br, &budget)
	if err == io.EOF {
		return nil, fmt.Errorf("the daemon closed the connection without answering: %w", io.ErrUnexpectedEOF)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the daemon's answer: %w", err)
	}
	// One allocation for the fields: what is buffered is the rest of the
	// header, and usually the body after it.
	a := &answer{contentLength: -1, fields: make([]byte, 0, min(br.Buffered(), 4096))}
	var http10 bool
	if a.status, http10, err = parseStatusLine(line); err != nil {
		return nil, err
	}
	var (
		lengthSeen, chunked bool
		connTokens          []string
	)
	for {
		line, err := readAnswerLine(br, &budget)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, fmt.Errorf("reading the daemon's answer header: %w", err)
		}
		if len(line) == 0 {
			break
		}
		name, value, err := splitField(line)
		if err != nil {
			return nil, err
		}
		switch {
		case asciiEqualFold(name, "Content-Length"):
			n, ok := parseLength(value)
			if !ok {
				return nil, fmt.Errorf("the daemon's answer has a bad Content-Length %q", value)
			}
			if lengthSeen && a.contentLength != n {
				return nil, errors.New("the daemon's answer has conflicting Content-Length fields")
			}
			lengthSeen, a.contentLength = true, n
		case asciiEqualFold(name, "Transfer-Encoding"):
			if chunked || !asciiEqualFold(value, "chunked") {
				return nil, fmt.Errorf("the daemon's answer has an unsupported Transfer-Encoding %q", value)
			}
			chunked = true
		case asciiEqualFold(name, "Connection"):
			for _, tok := range strings.Split(string(value), ",") {
				if tok = strings.TrimSpace(tok); strings.EqualFold(tok, "close") {
					a.close = true
				} else if tok != "" {
					connTokens = append(connTokens, tok)
				}
			}
		case hopByHopName(name):
		default:
			a.fields = appendField(a.fields, name, value)
		}
	}
	if len(connTokens) > 0 {
		a.fields = dropFields(a.fields, connTokens)
	}
	if http10 {
		// No keep-alive with an HTTP/1.0 daemon, and no transfer codings:
		// as for net/http, a Transfer-Encoding means nothing in HTTP/1.0.
		a.close, chunked = true, false
	}
	switch {
	case a.status < 200, a.status == http.StatusNoContent, a.status == http.StatusNotModified:
		a.contentLength = -1
	case method == http.MethodHead:
		// The declared length describes the body a GET would get.
	case chunked:
		a.contentLength = -1
		a.body = &chunkedBody{br: br, r: httputil.NewChunkedReader(br)}
	case a.contentLength == 0:
	case a.contentLength > 0:
		a.body = &lengthBody{br: br, left: a.contentLength}
	default:
		a.close = true
		a.body = br
	}
	return a, nil
}

// readAnswerLine reads one line of an answer header without its line end,
// counting it against the header's budget. The line is only valid until
// the next read.
func readAnswerLine(br *bufio.Reader, budget *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("a line of the daemon's answer header is longer than the %d bytes xcsproxy reads at once", br.Size())
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if *budget -= len(line); *budget < 0 {
		return nil, errAnswerHeaderTooLarge
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// parseStatusLine reads "HTTP/1.x NNN reason".
func parseStatusLine(line []byte) (status int, http10 bool, err error) {
	bad := func() (int, bool, error) {
		return 0, false, fmt.Errorf("the daemon's answer has a malformed status line %q", line)
	}
	if len(line) < 12 || line[8] != ' ' || len(line) > 12 && line[12] != ' ' {
		return bad()
	}
	switch string(line[:8]) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		http10 = true
	default:
		return bad()
	}
	for _, b := range line[9:12] {
		if b < '0' || b > '9' {
			return bad()
		}
		status = status*10 + int(b-'0')
	}
	if status < 100 {
		return bad()
	}
	return status, http10, nil
}

// splitField splits "Name: value", checking both as net/http's reader
// does; the value comes without surrounding blanks.
func splitField(line []byte) (name, value []byte, err error) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, nil, fmt.Errorf("the daemon's answer has a malformed header line %q", line)
	}
	name, value = line[:colon], bytes.Trim(line[colon+1:], " \t")
	for _, b := range name {
		if !httpguts.IsTokenRune(rune(b)) {
			return nil, nil, fmt.Errorf("the daemon's answer has a malformed header name %q", name)
		}
	}
	for _, b := range value {
		if b < ' ' && b != '\t' || b == 0x7f {
			return nil, nil, fmt.Errorf("the daemon's answer has a control character in header %s", name)
		}
	}
	return name, value, nil
}

// parseLength reads a Content-Length value: digits only, as net/http
// reads it.
func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, b := range v {
		if b < '0' || b > '9' {
			return 0, false
		}
		n = n*10 + int64(b-'0')
	}
	return n, true
}

// hopByHopName is hopByHop for a name as it came, in any case.
func hopByHopName(name []byte) bool {
	for _, h := range hopByHopFields {
		if asciiEqualFold(name, h) {
			return true
		}
	}
	return false
}

func appendField(dst, name, value []byte) []byte {
	dst = append(dst, name...)
	dst = append(dst, ':', ' ')
	dst = append(dst, value...)
	return append(dst, '\r', '\n')
}

// dropFields leaves out the fields a Connection header named.
func dropFields(fields []byte, names []string) []byte {
	var out []byte
	for len(fields) > 0 {
		end := bytes.Index(fields, []byte("\r\n")) + 2
		line := fields[:end]
		fields = fields[end:]
		name, _, _ := bytes.Cut(line, []byte(":"))
		named := false
		for _, n := range names {
			named = named || asciiEqualFold(name, n)
		}
		if !named {
			out = append(out, line...)
		}
	}
	return out
}

func asciiEqualFold(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// setHeader copies the answer's fields into h, for a writer that cannot
// take them as bytes.
func (a *answer) setHeader(h http.Header) {
	fields := a.fields
	for len(fields) > 0 {
		end := bytes.Index(fields, []byte("\r\n"))
		name, value, _ := bytes.Cut(fields[:end], []byte(": "))
		h.Add(string(name), string(value))
		fields = fields[end+2:]
	}
	if a.contentLength >= 0 {
		h.Set("Content-Length", strconv.FormatInt(a.contentLength, 10))
	}
}

// answerFrom is an answer net/http has read (the tunnel's, when the daemon
// did not switch protocols).
func answerFrom(resp *http.Response) *answer {
	a := &answer{status: resp.StatusCode, contentLength: resp.ContentLength, close: resp.Close, body: resp.Body}
	if resp.Body == http.NoBody {
		a.body = nil
	}
	dropped := connectionTokens(resp.Header)
	for k, vs := range resp.Header {
		if hopByHop(k) || k == "Content-Length" || dropped[k] {
			continue
		}
		for _, v := range vs {
			a.fields = appendField(a.fields, []byte(k), []byte(v))
		}
	}
	return a
}
