package amocrmtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

// Sources (docs/amocrm-services.md#sources): administrators only; the list is not paginated and
// answers 204 when empty; at most 50 per write; external_id is required, at most 36 printable
// ASCII characters, unique and fixed; a batch delete of an unknown id is refused as a whole with
// errors[] rather than validation-errors.

const maxSourcesBatch = 50

func (c *call) renderSource(s *source) obj {
	services := s.Services
	if services == nil {
		services = json.RawMessage(`[]`)
	}
	return obj{"id": s.ID, "name": s.Name, "pipeline_id": s.PipelineID, "external_id": s.ExternalID, "default": s.Default,
		"origin_code": nil, "services": services, "_links": c.idHref("/api/v4/sources", s.ID)}
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

type sourceWrite struct {
	rid json.RawMessage
	s   source
	has map[string]bool
}

func (c *call) parseSource(raw json.RawMessage, create bool, ch *checker) (sourceWrite, string) {
	w := sourceWrite{has: map[string]bool{}}
	f, ok := ch.object(raw, "")
	if !ok {
		return w, ""
	}
	var label string
	w.rid, label = f.requestID()
	if create {
		f.require("name", "external_id")
	} else {
		f.require("id")
		if id, ok := f.int("id"); ok {
			w.s.ID = id
			if c.crm().Sources[id] == nil {
				ch.add(codeNotSupported, "id", "Source not found")
			}
		}
		if f.has("external_id") {
			ch.add(codeNotExpected, "external_id", "external_id cannot change")
		}
	}
	if v, ok := f.str("name"); ok {
		w.s.Name, w.has["name"] = v, true
	}
	if create {
		if v, ok := f.str("external_id"); ok {
			if v == "" || len(v) > 36 || !printableASCII(v) {
				ch.add(codeNotSupported, "external_id", "At most 36 printable ASCII characters")
			}
			for _, s := range c.crm().Sources {
				if s.ExternalID == v {
					ch.add(codeNotSupported, "external_id", "This external_id is taken")
				}
			}
			w.s.ExternalID = v
		}
	}
	if v, ok := f.int("pipeline_id"); ok {
		if p, _ := c.pipelineByID(v); p == nil {
			ch.add(codeNotSupported, "pipeline_id", "Pipeline not found")
		}
		w.s.PipelineID, w.has["pipeline_id"] = v, true
	}
	if v, ok := f.boolean("default"); ok {
		w.s.Default, w.has["default"] = v, true
	}
	if raw, ok := f.get("services"); ok {
		w.s.Services, w.has["services"] = raw, true
	}
	f.get("id")
	f.done()
	return w, label
}

func listSources(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	if rep := c.refuseUnknown(c.r.URL.Query(), []string{"external_id"}, nil); rep != nil {
		return *rep
	}
	ext, filtered := stringList(c.r.URL.Query(), "filter[external_id]")
	var items []*source
	for _, s := range c.crm().Sources {
		if !filtered || slices.Contains(ext, s.ExternalID) {
			items = append(items, s)
		}
	}
	sortByID(items, func(s *source) int64 { return s.ID })
	out := make([]obj, 0, len(items))
	for _, s := range items {
		out = append(out, c.renderSource(s))
	}
	return c.unpaged("sources", out)
}

func getSource(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	s := c.crm().Sources[c.pathID("id")]
	if s == nil {
		return notFound()
	}
	return okReply(c.renderSource(s))
}

func writeSources(create bool) func(c *call) reply {
	return func(c *call) reply {
		if rep := c.adminOnly(); rep != nil {
			return *rep
		}
		writes, rep := parseWrites(c.body, maxSourcesBatch, "Limit 50 per request", func(raw json.RawMessage, ch *checker) (sourceWrite, string) {
			return c.parseSource(raw, create, ch)
		})
		if rep != nil {
			return *rep
		}
		out := make([]obj, 0, len(writes))
		for i, w := range writes {
			s := c.crm().Sources[w.s.ID]
			if create {
				n := w.s
				n.ID = c.st().Next("source")
				s = &n
				c.crm().Sources[n.ID] = s
			} else {
				applySource(s, w)
			}
			o := c.renderSource(s)
			o["request_id"] = echoRequestID(w.rid, i)
			out = append(out, o)
		}
		rep2 := c.embeddedReply("sources", out)
		rep2.body.(obj)["_total_items"] = len(out)
		return rep2
	}
}

func applySource(s *source, w sourceWrite) {
	if w.has["name"] {
		s.Name = w.s.Name
	}
	if w.has["pipeline_id"] {
		s.PipelineID = w.s.PipelineID
	}
	if w.has["default"] {
		s.Default = w.s.Default
	}
	if w.has["services"] {
		s.Services = w.s.Services
	}
}

func updateSource(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	s := c.crm().Sources[c.pathID("id")]
	if s == nil {
		return notFound()
	}
	if rep := parseObjectBody(c.body); rep != nil {
		return *rep
	}
	var ch checker
	w, _ := c.parseSource(c.body, false, &ch)
	if w.s.ID != 0 && w.s.ID != s.ID {
		ch.add(codeNotSupported, "id", "id does not match the URL")
	}
	var errs batchErrors
	errs.add(0, "0", &ch)
	if len(errs) > 0 {
		return validationReply(errs)
	}
	applySource(s, w)
	return okReply(c.renderSource(s))
}

func deleteSources(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	items, rep := parseBatch(c.body, maxSourcesBatch, "Limit 50 per request")
	if rep != nil {
		return *rep
	}
	var ids []int64
	var missing []obj
	for i, raw := range items {
		var v struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal(raw, &v) != nil || c.crm().Sources[v.ID] == nil {
			missing = append(missing, obj{"request_id": strconv.Itoa(i), "errors": obj{"code": "EntityNotFound", "path": "id", "detail": "Source not found"}})
			continue
		}
		ids = append(ids, v.ID)
	}
	if len(missing) > 0 {
		return reply{status: http.StatusBadRequest, ctype: ctypeProblem, body: obj{
			"title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400,
			"detail": "Request validation failed", "errors": missing,
		}}
	}
	for _, id := range ids {
		delete(c.crm().Sources, id)
	}
	return noContent()
}

func deleteSource(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	id := c.pathID("id")
	if c.crm().Sources[id] == nil {
		return notFound()
	}
	delete(c.crm().Sources, id)
	return noContent()
}

func sourceRoutes(m *mux) {
	m.api("GET /api/v4/sources", listSources)
	m.api("POST /api/v4/sources", writeSources(true))
	m.api("PATCH /api/v4/sources", writeSources(false))
	m.api("DELETE /api/v4/sources", deleteSources)
	m.api("GET /api/v4/sources/{id}", getSource)
	m.api("PATCH /api/v4/sources/{id}", updateSource)
	m.api("DELETE /api/v4/sources/{id}", deleteSource)
}
