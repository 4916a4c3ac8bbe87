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
	return string(appendChainHash(nil, sha256.New(), prev, body))
}

// appendChainHash appends chainHash's hex digits using h, which it resets:
// the writer keeps one hasher instead of allocating one per record.
func appendChainHash(dst []byte, h hash.Hash, prev string, body []byte) []byte {
	h.Reset()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(body)
	var sum [sha256.Size]byte
	return hex.AppendEncode(dst, h.Sum(sum[:0]))
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
