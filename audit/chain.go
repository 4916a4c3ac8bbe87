package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
)

// hashField is how every sealed line ends: `,"hash":"<64 hex>"}`.
const hashPrefix = `,"hash":"`

const hashLen = 64

// chainHash is the hash of a record body chained to the previous hash.
func chainHash(prev string, body []byte) string {
	return string(newChainHasher().append(nil, prev, body))
}

// A chainHasher works out chain hashes one after another, reusing its
// hasher and its scratch bytes: bytes handed to a hash.Hash, or a sum taken
// from one, escape to the heap, and the writer seals a record for every
// request. One goroutine at a time (the writer's lock).
type chainHasher struct {
	h       hash.Hash
	scratch []byte
}

func newChainHasher() *chainHasher {
	return &chainHasher{h: sha256.New(), scratch: make([]byte, 0, hashLen+1)}
}

// append appends the hex digits of body's hash chained to prev.
func (c *chainHasher) append(dst []byte, prev string, body []byte) []byte {
	c.h.Reset()
	c.scratch = append(append(c.scratch[:0], prev...), '\n')
	c.h.Write(c.scratch)
	c.h.Write(body)
	c.scratch = c.h.Sum(c.scratch[:0])
	return hex.AppendEncode(dst, c.scratch)
}

// appendHash closes a record's bytes with its hash field and a newline.
func appendHash(line []byte, hash string) []byte {
	line = append(line, hashPrefix...)
	line = append(line, hash...)
	return append(line, '"', '}', '\n')
}

// sealedLine is one line split into what its hash covers and the hash.
type sealedLine struct {
	body     []byte // the bytes the hash covers
	hash     string // as written on the line
	prevHash string
	seq      uint64
	record   Record
}

var errTorn = errors.New("incomplete line")

// parseLine splits a line (without its newline) and decodes its record. A
// line that is not a complete sealed record returns errTorn.
func parseLine(line []byte) (*sealedLine, error) {
	if len(line) < len(hashPrefix)+hashLen+2 || !bytes.HasSuffix(line, []byte(`"}`)) {
		return nil, errTorn
	}
	cut := len(line) - 2 - hashLen - len(hashPrefix)
	if !bytes.Equal(line[cut:cut+len(hashPrefix)], []byte(hashPrefix)) {
		return nil, errTorn
	}
	s := &sealedLine{body: line[:cut], hash: string(line[cut+len(hashPrefix) : len(line)-2])}
	if err := json.Unmarshal(line, &s.record); err != nil {
		return nil, fmt.Errorf("%w: %v", errTorn, err)
	}
	s.prevHash, s.seq = s.record.PrevHash, s.record.Seq
	return s, nil
}

// valid reports whether the line's hash matches its bytes for prev.
func (s *sealedLine) valid() bool {
	return chainHash(s.prevHash, s.body) == s.hash
}
