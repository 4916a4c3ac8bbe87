package proxy

import (
	"encoding/json"
	"errors"
	"io"
)

// maxRewrittenAnswer bounds an answer xcsproxy reads whole to rewrite; the
// ones it rewrites are a few kilobytes.
const maxRewrittenAnswer = 1 << 20

var errAnswerTooLarge = errors.New("the daemon's answer is larger than xcsproxy reads whole to rewrite")

// readAnswerWhole reads an answer body that is to be rewritten.
func readAnswerWhole(body io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, maxRewrittenAnswer+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxRewrittenAnswer {
		return nil, errAnswerTooLarge
	}
	return b, nil
}

// hideJoinTokens blanks the join tokens in a swarm's description: the
// manager's lets any machine join the swarm as a manager, with the cluster
// in its hands, and the worker's joins a node that runs its tasks. The
// Container Service only asks whether the daemon is in a swarm. An answer
// that is not a JSON object becomes an empty one rather than pass unread.
func hideJoinTokens(body []byte) []byte {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil || doc == nil {
		return []byte("{}")
	}
	if _, ok := doc["JoinTokens"]; !ok {
		return body
	}
	doc["JoinTokens"] = json.RawMessage(`{"Worker":"","Manager":""}`)
	out, err := json.Marshal(doc)
	if err != nil {
		return []byte("{}")
	}
	return out
}
