package amocrmtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Pipelines and statuses (docs/amocrm-services.md#pipelines-and-statuses): lists are not
// paginated; writes are for administrators; pipelines and statuses change one at a time; every
// pipeline has its own unsorted stage (type 1) and the shared stages 142 and 143 (type 0), none of
// which can be changed or deleted; a stage's colour is one of 21; the server renumbers sort; the
// last pipeline and a pipeline with leads cannot be deleted, and a deleted stage's leads move to
// the first stage. The main pipeline is the account's own; leads can only be in it here.

var statusPalette = []string{
	"#fffeb2", "#fffd7f", "#fff000", "#ffeab2", "#ffdc7f", "#ffce5a", "#ffdbdb", "#ffc8c8", "#ff8f92",
	"#d6eaff", "#c1e0ff", "#98cbff", "#ebffb1", "#deff81", "#87f2c0", "#f9deff", "#f3beff", "#ccc8f9",
	"#eb93ff", "#f2f3f4", "#e6e8ea",
}

const (
	maxPipelines        = 50
	maxStatusesPipeline = 100
)

// pipelineByID returns the pipeline id and a pointer to its statuses; the main pipeline's
// statuses are the account's, which lead writes check.
func (c *call) pipelineByID(id int64) (*pipeline, *[]status) {
	if id == c.acct.PipelineID {
		ca := c.crm()
		p := &pipeline{ID: id, Name: "Воронка", Sort: 1, Main: true, UnsortedOn: true}
		if ca.MainName != "" {
			p.Name = ca.MainName
		}
		return p, &c.acct.Statuses
	}
	for _, p := range c.crm().Pipelines {
		if p.ID == id {
			return p, &p.Statuses
		}
	}
	return nil, nil
}

func (c *call) allPipelines() []*pipeline {
	main, _ := c.pipelineByID(c.acct.PipelineID)
	main.Statuses = c.acct.Statuses
	return append([]*pipeline{main}, c.crm().Pipelines...)
}

func (c *call) renderStatus(pipelineID int64, s status) obj {
	editable := s.Type == 0 && s.ID != statusWon && s.ID != statusLost
	return obj{
		"id": s.ID, "name": s.Name, "sort": s.Sort, "is_editable": editable, "pipeline_id": pipelineID,
		"color": s.Color, "type": s.Type, "account_id": c.acct.ID,
		"_links": c.idHref("/api/v4/leads/pipelines/"+strconv.FormatInt(pipelineID, 10)+"/statuses", s.ID),
	}
}

func (c *call) renderPipeline(p *pipeline) obj {
	sts := make([]obj, 0, len(p.Statuses))
	for _, s := range p.Statuses {
		sts = append(sts, c.renderStatus(p.ID, s))
	}
	return obj{
		"id": p.ID, "name": p.Name, "sort": p.Sort, "is_main": p.Main, "is_unsorted_on": p.UnsortedOn, "is_archive": false,
		"account_id": c.acct.ID, "_links": c.idHref("/api/v4/leads/pipelines", p.ID), "_embedded": obj{"statuses": sts},
	}
}

// unpaged is the answer of a list amoCRM does not paginate.
func (c *call) unpaged(key string, items []obj) reply {
	if len(items) == 0 {
		return noContent()
	}
	return okReply(obj{"_total_items": len(items), "_links": obj{"self": obj{"href": c.base + c.r.URL.Path}}, "_embedded": obj{key: items}})
}

func listPipelines(c *call) reply {
	var out []obj
	for _, p := range c.allPipelines() {
		out = append(out, c.renderPipeline(p))
	}
	return c.unpaged("pipelines", out)
}

func getPipeline(c *call) reply {
	p, sts := c.pipelineByID(c.pathID("id"))
	if p == nil {
		return problem(http.StatusNotFound, "Pipeline not found")
	}
	p.Statuses = *sts
	return okReply(c.renderPipeline(p))
}

// parseStatus reads a new stage: name and sort are required, color is from the palette.
func parseStatus(f *fields, create bool) (status, bool) {
	var s status
	if create {
		f.require("name", "sort")
	}
	if v, ok := f.str("name"); ok {
		if strings.TrimSpace(v) == "" {
			f.c.add(codeNotSupported, join(f.path, "name"), "This value should not be blank.")
		}
		s.Name = v
	}
	if v, ok := f.int("sort"); ok {
		s.Sort = int(v)
	}
	if v, ok := f.str("color"); ok {
		if !slices.Contains(statusPalette, v) {
			f.c.add(codeNotSupported, join(f.path, "color"), detailChoice)
		}
		s.Color = v
	}
	return s, !f.c.failed()
}

// addStatus places a new stage before the closed ones and renumbers the editable stages' sorts.
func addStatus(sts *[]status, s status, id int64) status {
	s.ID = id
	if s.Color == "" {
		s.Color = statusPalette[0]
	}
	cut := slices.IndexFunc(*sts, func(x status) bool { return x.ID == statusWon || x.ID == statusLost })
	if cut < 0 {
		cut = len(*sts)
	}
	*sts = slices.Insert(*sts, cut, s)
	renumber(*sts)
	i := slices.IndexFunc(*sts, func(x status) bool { return x.ID == id })
	return (*sts)[i]
}

func renumber(sts []status) {
	n := 0
	for i := range sts {
		if sts[i].ID != statusWon && sts[i].ID != statusLost {
			n++
			sts[i].Sort = 10 * n
		}
	}
}

func systemStatuses(c *call) []status {
	return []status{
		{ID: c.st().Next("status"), Name: "Неразобранное", Sort: 10, Type: 1, Color: "#c1c1c1"},
		{ID: statusWon, Name: "Успешно реализовано", Sort: 10000, Color: "#CCFF66"},
		{ID: statusLost, Name: "Закрыто и не реализовано", Sort: 11000, Color: "#D5D8DB"},
	}
}

func createPipelines(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	type pipeWrite struct {
		requestID json.RawMessage
		p         pipeline
		closed    map[int64]string
		extra     []status
	}
	writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (pipeWrite, string) {
		var w pipeWrite
		f, ok := ch.object(raw, "")
		if !ok {
			return w, ""
		}
		var label string
		w.requestID, label = f.requestID()
		f.require("name", "sort", "is_main", "is_unsorted_on")
		w.p.Name, _ = f.str("name")
		w.p.Sort, _ = f.int("sort")
		w.p.Main, _ = f.boolean("is_main")
		w.p.UnsortedOn, _ = f.boolean("is_unsorted_on")
		w.closed = map[int64]string{}
		if emb, ok := f.sub("_embedded"); ok {
			items, _ := emb.array("statuses")
			for i, it := range items {
				sf, ok := ch.object(it, "_embedded.statuses."+strconv.Itoa(i))
				if !ok {
					continue
				}
				if id, ok := sf.int("id"); ok {
					if id != statusWon && id != statusLost {
						ch.add(codeNotSupported, sf.path+".id", "Only the stages 142 and 143 can be named here")
					}
					name, _ := sf.str("name")
					w.closed[id] = name
					sf.done()
					continue
				}
				if s, ok := parseStatus(sf, true); ok {
					w.extra = append(w.extra, s)
				}
				sf.done()
			}
			emb.done()
		}
		f.done()
		return w, label
	})
	if rep != nil {
		return *rep
	}
	if len(c.allPipelines())+len(writes) > maxPipelines {
		return problem(http.StatusBadRequest, "An account has at most 50 pipelines")
	}
	out := make([]obj, 0, len(writes))
	for i, w := range writes {
		p := w.p
		p.ID = c.st().Next("pipeline")
		p.Main = false // the account's main pipeline stays main here
		p.Statuses = systemStatuses(c)
		for id, name := range w.closed {
			if name != "" {
				p.Statuses[slices.IndexFunc(p.Statuses, func(s status) bool { return s.ID == id })].Name = name
			}
		}
		for _, s := range w.extra {
			addStatus(&p.Statuses, s, c.st().Next("status"))
		}
		c.crm().Pipelines = append(c.crm().Pipelines, &p)
		o := c.renderPipeline(&p)
		o["request_id"] = echoRequestID(w.requestID, i)
		out = append(out, o)
	}
	rep2 := c.embeddedReply("pipelines", out)
	rep2.body.(obj)["_total_items"] = len(out)
	return rep2
}

func updatePipeline(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	p, _ := c.pipelineByID(c.pathID("id"))
	if p == nil {
		return problem(http.StatusNotFound, "Pipeline not found")
	}
	if rep := parseObjectBody(c.body); rep != nil {
		return *rep
	}
	var ch checker
	f, ok := ch.object(c.body, "")
	if ok {
		name, hasName := f.str("name")
		sort, hasSort := f.int("sort")
		f.boolean("is_main")
		unsorted, hasUnsorted := f.boolean("is_unsorted_on")
		f.done()
		if !ch.failed() {
			if p.Main {
				if hasName {
					c.crm().MainName = name
				}
			} else {
				if hasName {
					p.Name = name
				}
				if hasSort {
					p.Sort = sort
				}
				if hasUnsorted {
					p.UnsortedOn = unsorted
				}
			}
		}
	}
	var errs batchErrors
	errs.add(0, "0", &ch)
	if len(errs) > 0 {
		return validationReply(errs)
	}
	p, sts := c.pipelineByID(p.ID)
	p.Statuses = *sts
	return okReply(c.renderPipeline(p))
}

func deletePipeline(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	id := c.pathID("id")
	p, _ := c.pipelineByID(id)
	switch {
	case p == nil:
		return problem(http.StatusNotFound, "Pipeline not found")
	case len(c.allPipelines()) == 1:
		return problem(http.StatusBadRequest, "The last pipeline cannot be deleted")
	case p.Main:
		return problem(http.StatusBadRequest, "The main pipeline cannot be deleted")
	}
	ca := c.crm()
	ca.Pipelines = slices.DeleteFunc(ca.Pipelines, func(x *pipeline) bool { return x.ID == id })
	return noContent()
}

func listStatuses(c *call) reply {
	p, sts := c.pipelineByID(c.pathID("id"))
	if p == nil {
		return problem(http.StatusNotFound, "Pipeline not found")
	}
	var out []obj
	for _, s := range *sts {
		out = append(out, c.renderStatus(p.ID, s))
	}
	return c.unpaged("statuses", out)
}

func getStatus(c *call) reply {
	p, sts := c.pipelineByID(c.pathID("id"))
	if p == nil {
		return problem(http.StatusNotFound, "Pipeline not found")
	}
	for _, s := range *sts {
		if s.ID == c.pathID("status_id") {
			return okReply(c.renderStatus(p.ID, s))
		}
	}
	return problem(http.StatusNotFound, "Status not found")
}

func createStatuses(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	p, sts := c.pipelineByID(c.pathID("id"))
	if p == nil {
		return problem(http.StatusNotFound, "Pipeline not found")
	}
	type stWrite struct {
		requestID json.RawMessage
		s         status
	}
	writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (stWrite, string) {
		var w stWrite
		f, ok := ch.object(raw, "")
		if !ok {
			return w, ""
		}
		var label string
		w.requestID, label = f.requestID()
		w.s, _ = parseStatus(f, true)
		f.done()
		return w, label
	})
	if rep != nil {
		return *rep
	}
	if len(*sts)+len(writes) > maxStatusesPipeline {
		return problem(http.StatusBadRequest, "A pipeline has at most 100 stages")
	}
	out := make([]obj, 0, len(writes))
	for i, w := range writes {
		s := addStatus(sts, w.s, c.st().Next("status"))
		o := c.renderStatus(p.ID, s)
		o["request_id"] = echoRequestID(w.requestID, i)
		out = append(out, o)
	}
	rep2 := c.embeddedReply("statuses", out)
	rep2.body.(obj)["_total_items"] = len(out)
	return rep2
}

// editableStatus finds the stage of the path, refusing the system ones.
func (c *call) editableStatus() (*pipeline, *[]status, int, *reply) {
	p, sts := c.pipelineByID(c.pathID("id"))
	if p == nil {
		rep := problem(http.StatusNotFound, "Pipeline not found")
		return nil, nil, 0, &rep
	}
	i := slices.IndexFunc(*sts, func(s status) bool { return s.ID == c.pathID("status_id") })
	if i < 0 {
		rep := problem(http.StatusNotFound, "Status not found")
		return nil, nil, 0, &rep
	}
	if s := (*sts)[i]; s.Type != 0 || s.ID == statusWon || s.ID == statusLost {
		rep := problem(http.StatusBadRequest, "A system stage cannot be changed")
		return nil, nil, 0, &rep
	}
	return p, sts, i, nil
}

func updateStatus(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	p, sts, i, rep := c.editableStatus()
	if rep != nil {
		return *rep
	}
	if rep := parseObjectBody(c.body); rep != nil {
		return *rep
	}
	var ch checker
	if f, ok := ch.object(c.body, ""); ok {
		n, _ := parseStatus(f, false)
		f.done()
		if !ch.failed() {
			s := &(*sts)[i]
			if n.Name != "" {
				s.Name = n.Name
			}
			if n.Color != "" {
				s.Color = n.Color
			}
		}
	}
	var errs batchErrors
	errs.add(0, "0", &ch)
	if len(errs) > 0 {
		return validationReply(errs)
	}
	return okReply(c.renderStatus(p.ID, (*sts)[i]))
}

func deleteStatus(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	p, sts, i, rep := c.editableStatus()
	if rep != nil {
		return *rep
	}
	gone := (*sts)[i].ID
	*sts = slices.Delete(*sts, i, i+1)
	if p.Main {
		for _, e := range c.st().Entities("leads") {
			if e.AccountID == c.acct.ID && e.StatusID == gone {
				e.StatusID = c.acct.DefaultStatus()
			}
		}
	}
	return noContent()
}

func pipelineRoutes(m *mux) {
	m.api("GET /api/v4/leads/pipelines", listPipelines)
	m.api("POST /api/v4/leads/pipelines", createPipelines)
	m.api("GET /api/v4/leads/pipelines/{id}", getPipeline)
	m.api("PATCH /api/v4/leads/pipelines/{id}", updatePipeline)
	m.api("DELETE /api/v4/leads/pipelines/{id}", deletePipeline)
	m.api("GET /api/v4/leads/pipelines/{id}/statuses", listStatuses)
	m.api("POST /api/v4/leads/pipelines/{id}/statuses", createStatuses)
	m.api("GET /api/v4/leads/pipelines/{id}/statuses/{status_id}", getStatus)
	m.api("PATCH /api/v4/leads/pipelines/{id}/statuses/{status_id}", updateStatus)
	m.api("DELETE /api/v4/leads/pipelines/{id}/statuses/{status_id}", deleteStatus)
}
