package http1

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// response is the http.ResponseWriter of one request. A header that
// declares a Content-Length (or an answer that has no body) goes out as
// the handler writes it. Otherwise up to holdBeforeChunking bytes of body
// are held: a short answer then gets a Content-Length, and a longer or
// flushed one (a stream) is sent chunked.
type response struct {
	c   *conn
	req *http.Request

	header http.Header
	// raw are header fields adopted as bytes (AdoptFields), written ahead
	// of header's; rawLength is the length they declare.
	raw       []byte
	rawLength int64
	// sent is the header as of WriteHeader, when it goes out later: the
	// handler's changes after WriteHeader must not reach the wire.
	sent          http.Header
	status        int
	wroteHeader   bool
	committed     bool
	hijacked      bool
	contentLength int64 // declared by the handler; -1: none
	written       int64
	chunked       bool
	closeAfter    bool
	pending       []byte
}

const holdBeforeChunking = 2048

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	if w.wroteHeader || w.hijacked {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.writeInterim(code)
		return
	}
	w.wroteHeader, w.status = true, code
	if vs := w.header["Content-Length"]; len(vs) > 0 {
		n, err := strconv.ParseUint(vs[0], 10, 63)
		if err == nil && len(vs) == 1 {
			w.contentLength = int64(n)
		} else {
			delete(w.header, "Content-Length")
		}
	}
	if w.contentLength < 0 && w.raw != nil {
		w.contentLength = w.rawLength
	}
	if w.contentLength >= 0 || !w.bodyAllowed() {
		w.commit(false)
		return
	}
	w.sent = w.header.Clone()
}

// bodyAllowed reports whether the status lets the answer carry a body.
func (w *response) bodyAllowed() bool {
	return w.status >= 200 && w.status != http.StatusNoContent && w.status != http.StatusNotModified
}

func (w *response) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !w.bodyAllowed() {
		return 0, http.ErrBodyNotAllowed
	}
	if w.c.werr != nil {
		return 0, w.c.werr
	}
	if w.contentLength >= 0 && w.written+int64(len(p)) > w.contentLength {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if w.req.Method == http.MethodHead {
		return len(p), nil
	}
	if !w.committed {
		if len(w.pending)+len(p) <= holdBeforeChunking {
			w.pending = append(w.pending, p...)
			return len(p), nil
		}
		if err := w.commitPending(false); err != nil {
			return 0, err
		}
	}
	return w.writeBody(p)
}

// commitPending sends the header and the body held so far.
func (w *response) commitPending(final bool) error {
	w.commit(final)
	_, err := w.writeBody(w.pending)
	w.pending = nil
	return err
}

func (w *response) writeBody(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	bw := w.c.bw
	if w.chunked {
		var size [16]byte
		bw.Write(strconv.AppendInt(size[:0], int64(len(p)), 16))
		bw.WriteString("\r\n")
	}
	n, err := bw.Write(p)
	if w.chunked && err == nil {
		_, err = bw.WriteString("\r\n")
	}
	return n, err
}

// commit writes the status line and header, choosing the body's framing.
// final says the handler has returned, so the held body is all of it.
func (w *response) commit(final bool) {
	if w.committed {
		return
	}
	w.committed = true
	h := w.header
	if w.sent != nil {
		h = w.sent
	}
	delete(h, "Transfer-Encoding") // the framing is the server's to choose
	switch {
	case !w.bodyAllowed(), w.req.Method == http.MethodHead, w.contentLength >= 0:
	case final:
		w.contentLength = int64(len(w.pending))
		h["Content-Length"] = []string{strconv.Itoa(len(w.pending))}
	case w.req.ProtoAtLeast(1, 1):
		w.chunked = true
		h["Transfer-Encoding"] = []string{"chunked"}
	default:
		w.closeAfter = true // an HTTP/1.0 client reads to the connection's end
	}
	if w.wantsClose(h) {
		w.closeAfter = true
		h["Connection"] = []string{"close"}
	}
	if _, ok := h["Date"]; !ok && !hasField(w.raw, "Date") {
		h["Date"] = []string{time.Now().UTC().Format(http.TimeFormat)}
	}
	bw := w.c.bw
	if w.req.ProtoAtLeast(1, 1) {
		bw.WriteString("HTTP/1.1 ")
	} else {
		bw.WriteString("HTTP/1.0 ")
	}
	var code [8]byte
	bw.Write(strconv.AppendInt(code[:0], int64(w.status), 10))
	bw.WriteByte(' ')
	if text := http.StatusText(w.status); text != "" {
		bw.WriteString(text)
	} else {
		bw.WriteString("status code " + strconv.Itoa(w.status))
	}
	bw.WriteString("\r\n")
	if w.raw != nil {
		bw.Write(w.raw)
		// The length the fields declared, unless the header map carries
		// one (the handler's own, or the held body's).
		_, inMap := h["Content-Length"]
		if !inMap && w.contentLength >= 0 && (w.bodyAllowed() || w.req.Method == http.MethodHead && w.status >= 200) {
			var n [20]byte
			bw.WriteString("Content-Length: ")
			bw.Write(strconv.AppendInt(n[:0], w.contentLength, 10))
			bw.WriteString("\r\n")
		}
	}
	writeFields(bw, h)
	bw.WriteString("\r\n")
}

// hasField reports whether raw header fields include one named name.
func hasField(raw []byte, name string) bool {
	for len(raw) > len(name) {
		if raw[len(name)] == ':' && foldEqual(raw[:len(name)], name) {
			return true
		}
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			return false
		}
		raw = raw[i+1:]
	}
	return false
}

// writeFields writes a header's fields in the map's order: HTTP gives the
// order of differently named fields no meaning, and sorting them, as
// http.Header.Write does, was a twentieth of xcsproxy's CPU per request.
// Values are cleaned as Header.Write cleans them, so a value can never end
// the header early.
func writeFields(bw *bufio.Writer, h http.Header) {
	for k, vs := range h {
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				v = newlineToSpace.Replace(v)
			}
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(strings.Trim(v, " \t"))
			bw.WriteString("\r\n")
		}
	}
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

// foldEqual compares an ASCII name without regard to case.
func foldEqual(b []byte, s string) bool {
	for i := range b {
		x, y := b[i]|0x20, s[i]|0x20 // lower case, for letters
		if x != y || (x < 'a' || x > 'z') && b[i] != s[i] {
			return false
		}
	}
	return true
}

// AdoptFields makes fields, whole "Name: value\r\n" lines, the header of
// the answer w writes, declaring contentLength (-1: none), when w is (or
// wraps, through Unwrap) an http1 writer whose header is still empty and
// unsent. A handler passing on an answer header it read as bytes saves
// building a map: the fields are written as they are, so the caller must
// have checked them (names are tokens, values hold no line breaks) and
// left out framing and hop-by-hop fields. It reports whether fields were
// adopted.
func AdoptFields(w http.ResponseWriter, fields []byte, contentLength int64) bool {
	for {
		switch t := w.(type) {
		case *response:
			if t.wroteHeader || t.hijacked || len(t.header) > 0 || t.raw != nil {
				return false
			}
			if fields == nil {
				fields = []byte{}
			}
			t.raw, t.rawLength = fields, contentLength
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return false
		}
	}
}

// wantsClose reports whether the connection ends after this answer: the
// client or the handler said so, the server is shutting down, the client
// speaks HTTP/1.0 (no keep-alive here), or a large body the handler did
// not read is still on its way.
func (w *response) wantsClose(h http.Header) bool {
	if w.closeAfter || w.req.Close || !w.req.ProtoAtLeast(1, 1) || w.c.srv.closing.Load() {
		return true
	}
	if vs := h["Connection"]; len(vs) == 1 && vs[0] == "close" {
		return true
	}
	if b, ok := w.req.Body.(*requestBody); ok && (w.req.ContentLength < 0 || w.req.ContentLength > maxDrain) && b.unread() {
		return true
	}
	return false
}

// writeInterim sends a 1xx answer ahead of the final one.
func (w *response) writeInterim(code int) {
	bw := w.c.bw
	bw.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	writeFields(bw, w.header)
	bw.WriteString("\r\n")
	_ = bw.Flush()
}

// finish completes the answer once the handler has returned.
func (w *response) finish() {
	if w.hijacked {
		return
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		_ = w.commitPending(true)
	}
	bw := w.c.bw
	if w.chunked {
		bw.WriteString("0\r\n\r\n")
	}
	if w.bodyAllowed() && w.req.Method != http.MethodHead && w.contentLength >= 0 && w.written < w.contentLength {
		// Shorter than declared: only the connection's end tells the
		// client the answer broke off.
		w.closeAfter = true
	}
	if bw.Flush() != nil {
		w.closeAfter = true
	}
}

// FlushError sends what the handler wrote so far; http.ResponseController
// calls it.
func (w *response) FlushError() error {
	if w.hijacked {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		if err := w.commitPending(false); err != nil {
			return err
		}
	}
	return w.c.bw.Flush()
}

func (w *response) Flush() { _ = w.FlushError() }

// Hijack hands the connection to the handler, with anything already read
// past the request's header in the reader.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.wroteHeader {
		if err := w.FlushError(); err != nil {
			return nil, nil, err
		}
	}
	c := w.c
	c.wmu.Lock()
	c.stopWatchLocked()
	c.hijacked = true
	c.wmu.Unlock()
	w.hijacked = true
	s := c.srv
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.connState(c.nc, http.StateHijacked)
	return c.nc, bufio.NewReadWriter(c.br, c.bw), nil
}

// SetReadDeadline and SetWriteDeadline are http.ResponseController's.
func (w *response) SetReadDeadline(t time.Time) error  { return w.c.nc.SetReadDeadline(t) }
func (w *response) SetWriteDeadline(t time.Time) error { return w.c.nc.SetWriteDeadline(t) }

// EnableFullDuplex is a no-op: a handler may always read the body while it
// answers.
func (w *response) EnableFullDuplex() error { return nil }
