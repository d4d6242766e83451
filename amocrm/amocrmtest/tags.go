package amocrmtest

import (
	"encoding/json"
	"slices"
	"strings"
)

// Tags (docs/amocrm-services.md#tags): 204 when there are none; adding a name that exists answers
// with the existing id; only lead tags have a colour, one of 23 written without '#'. This fake
// keeps one list of tags per account for every kind of entity, where amoCRM keeps one per kind.

var tagPalette = []string{"EBEBEB", "D0D0D0", "F2DDF7", "D1A4DC", "FF8F92", "FFC8C8", "C7DB8C", "DDEBB5", "8699DA",
	"AABDFF", "FFCE5A", "FFE193", "90CDB0", "C6F4DE", "A9A5D7", "D8D5FF", "86C0FC", "832161", "6A0F49", "0C7C59",
	"10599D", "9D2B32", "247BA0"}

func (c *call) renderTag(kind string, id int64) obj {
	var color any
	if kind == "leads" {
		color = nullable(c.crm().TagColors[id])
	}
	return obj{"id": id, "name": c.acct.TagNames[id], "color": color}
}

func listTags(kind string) func(c *call) reply {
	return func(c *call) reply {
		q := c.r.URL.Query()
		lq, rep := c.s.parseList(q)
		if rep != nil {
			return *rep
		}
		if rep := c.refuseUnknown(q, []string{"id", "name"}, nil); rep != nil {
			return *rep
		}
		ids, _, err := intList(q, "filter[id]")
		if err != nil {
			return *filterError("filter[id]")
		}
		name := q.Get("filter[name]")
		var items []int64
		for id, n := range c.acct.TagNames {
			switch {
			case len(ids) > 0 && !slices.Contains(ids, id),
				name != "" && !strings.EqualFold(n, name),
				lq.query != "" && !lowerContains(n, lq.query):
				continue
			}
			items = append(items, id)
		}
		slices.Sort(items)
		return pageOf(c.r, lq, "tags", items, func(id int64) obj { return c.renderTag(kind, id) })
	}
}

func createTags(kind string) func(c *call) reply {
	return func(c *call) reply {
		type tw struct {
			rid         json.RawMessage
			name, color string
		}
		writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (tw, string) {
			var w tw
			f, ok := ch.object(raw, "")
			if !ok {
				return w, ""
			}
			var label string
			w.rid, label = f.requestID()
			f.require("name")
			w.name, _ = f.str("name")
			if strings.TrimSpace(w.name) == "" && f.has("name") {
				ch.add(codeNotSupported, "name", "This value should not be blank.")
			}
			if v, ok := f.str("color"); ok {
				if kind != "leads" || !slices.Contains(tagPalette, v) {
					ch.add(codeNotSupported, "color", detailChoice)
				}
				w.color = v
			}
			f.done()
			return w, label
		})
		if rep != nil {
			return *rep
		}
		out := make([]obj, 0, len(writes))
		for i, w := range writes {
			id := c.st().TagID(c.acct, 0, w.name)
			if w.color != "" {
				c.crm().TagColors[id] = w.color
			}
			o := c.renderTag(kind, id)
			o["request_id"] = echoRequestID(w.rid, i)
			out = append(out, o)
		}
		rep2 := c.embeddedReply("tags", out)
		rep2.body.(obj)["_total_items"] = len(out)
		return rep2
	}
}

func tagRoutes(m *mux) {
	for _, kind := range []string{"leads", "contacts", "companies"} {
		m.api("GET /api/v4/"+kind+"/tags", listTags(kind))
		m.api("POST /api/v4/"+kind+"/tags", createTags(kind))
	}
}
