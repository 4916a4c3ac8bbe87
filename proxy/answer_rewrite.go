package proxy

import (
	"encoding/json"
	"errors"
	"io"
)

// maxHeldAnswer bounds an answer xcsproxy reads whole before passing it on;
// the ones it holds (a create's, a swarm's description) are a few kilobytes.
const maxHeldAnswer = 1 << 20

var errAnswerTooLarge = errors.New("the daemon's answer is larger than xcsproxy reads whole")

// holdAnswer reads whole the successful answers xcsproxy must see before the
// client does, on either forwarding path: those its route rewrites (Route.
// Answer), and a create's, which names the object made (ex.ObjectID). held
// is false for every other answer, which streams as it comes.
func holdAnswer(ex *Exchange, status int, body io.Reader) (b []byte, held bool, err error) {
	if status/100 != 2 || body == nil || (ex.Route.Answer == nil && !creates[ex.Route.Name]) {
		return nil, false, nil
	}
	b, err = io.ReadAll(io.LimitReader(body, maxHeldAnswer+1))
	if err == nil && len(b) > maxHeldAnswer {
		err = errAnswerTooLarge
	}
	if err != nil {
		return nil, true, err
	}
	if ex.Route.Answer != nil {
		b = ex.Route.Answer(b)
	}
	if creates[ex.Route.Name] {
		ex.ObjectID = createdID(b)
	}
	return b, true, nil
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
