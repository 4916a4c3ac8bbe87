package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

var errShortBody = fmt.Errorf("the daemon's answer ended before its declared length: %w", io.ErrUnexpectedEOF)

// lengthBody is a body of a declared length; ending early is an error.
type lengthBody struct {
	br   *bufio.Reader
	left int64
}

func (b *lengthBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.br.Read(p)
	b.left -= int64(n)
	if err == io.EOF {
		return n, errShortBody
	}
	return n, err
}

// chunkedBody decodes a chunked body and, at its end, reads the trailer
// section (dropped, as net/http's proxy drops it), so the connection is
// left at the next answer.
type chunkedBody struct {
	br   *bufio.Reader
	r    io.Reader
	done bool
}

func (b *chunkedBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if err == io.EOF {
		if terr := b.skipTrailer(); terr != nil {
			return n, fmt.Errorf("reading the daemon's chunked trailer: %w", terr)
		}
		b.done = true
	}
	return n, err
}

// skipTrailer reads the trailer section as net/http does: most often just
// a blank line; otherwise fields, which must end in a blank line within
// the reader's buffer.
func (b *chunkedBody) skipTrailer() error {
	buf, _ := b.br.Peek(2)
	if string(buf) == "\r\n" {
		_, err := b.br.Discard(2)
		return err
	}
	if len(buf) < 2 {
		return io.ErrUnexpectedEOF
	}
	for size := 4; ; size++ {
		buf, err := b.br.Peek(size)
		if bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
			break
		}
		if err != nil {
			return errors.New("a trailer without its end")
		}
	}
	budget := maxAnswerHeader
	for {
		line, err := readAnswerLine(b.br, &budget)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if _, _, err := splitField(line); err != nil {
			return err
		}
	}
}
