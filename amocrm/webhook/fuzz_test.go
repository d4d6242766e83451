package webhook_test

import (
	"testing"

	"github.com/amokit/amokit/amocrm/webhook"
)

// FuzzParse feeds the decoder arbitrary bodies, starting from every documented payload. It must
// never panic, and whatever it accepts must be events a caller can act on.
func FuzzParse(f *testing.F) {
	for _, p := range allPayloads(f) {
		f.Add(p)
	}
	f.Add([]byte("leads[delete]=1&account[id]=1"))
	f.Add([]byte("task[update][0][0][id]=1&task[update][0][0][date_create]=2017-07-20+15%3A00%3A00"))
	f.Add([]byte("contacts%5Bnote%5D%5B0%5D%5Bnote%5D%5Belement_id%5D=5&contacts%5Bnote%5D%5B0%5D%5Btype%5D=company"))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := webhook.Parse(body)
		if err != nil {
			return
		}
		for _, ev := range d.Events {
			if ev.ID <= 0 {
				t.Fatalf("event %s without an id", ev.Name())
			}
			set := 0
			for _, p := range []bool{ev.Lead != nil, ev.Contact != nil, ev.Task != nil, ev.Note != nil} {
				if p {
					set++
				}
			}
			if set != 1 {
				t.Fatalf("event %s has %d of Lead, Contact, Task, Note set", ev.Name(), set)
			}
			switch ev.Entity {
			case webhook.EntityLead, webhook.EntityContact, webhook.EntityCompany, webhook.EntityTask:
			default:
				t.Fatalf("event with entity %q", ev.Entity)
			}
		}
	})
}
