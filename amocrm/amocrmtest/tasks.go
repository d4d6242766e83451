package amocrmtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Tasks (docs/amocrm-services.md#tasks): create and update in batches or one at a time, no
// delete; text and complete_till are required on create; result is [] until a task is completed
// with one; filter[entity_id] is refused without filter[entity_type]; both filter[task_type] and
// the official PHP SDK's filter[task_type_id] are read.

type task struct {
	id, createdBy, updatedBy, responsible, entityID, taskType, duration int64
	createdAt, updatedAt, completeTill                                  int64
	entityType, text, result                                            string
	completed                                                           bool
}

var taskEntityTypes = []string{"leads", "contacts", "companies", "customers"}

type taskWrite struct {
	requestID json.RawMessage
	label     string
	id        int64
	t         task
	has       map[string]bool
}

func (c *call) parseTask(raw json.RawMessage, update, one bool, ch *checker) taskWrite {
	w := taskWrite{has: map[string]bool{}}
	f, ok := ch.object(raw, "")
	if !ok {
		return w
	}
	w.requestID, w.label = f.requestID()
	if update && !one {
		f.require("id")
	}
	if !update {
		f.require("text", "complete_till")
	}
	if id, ok := f.int("id"); ok {
		w.id = id
		if c.crm().tasks[id] == nil {
			ch.add(codeNotSupported, "id", "Task not found")
		}
	}
	ints := map[string]*int64{"complete_till": &w.t.completeTill, "task_type_id": &w.t.taskType, "entity_id": &w.t.entityID,
		"responsible_user_id": &w.t.responsible, "duration": &w.t.duration, "created_by": &w.t.createdBy, "created_at": &w.t.createdAt,
		"updated_by": &w.t.updatedBy}
	for k, p := range ints {
		if v, ok := f.int(k); ok {
			*p, w.has[k] = v, true
		}
	}
	if v, ok := f.str("text"); ok {
		if strings.TrimSpace(v) == "" {
			ch.add(codeNotSupported, "text", "This value should not be blank.")
		}
		w.t.text, w.has["text"] = v, true
	}
	if v, ok := f.str("entity_type"); ok {
		if !slices.Contains(taskEntityTypes, v) {
			ch.add(codeNotSupported, "entity_type", detailChoice)
		}
		w.t.entityType, w.has["entity_type"] = v, true
	}
	if w.has["entity_id"] != w.has["entity_type"] && !update {
		ch.add(codeFieldMissing, "entity_type", "entity_id and entity_type go together")
	}
	if w.has["entity_id"] && w.t.entityType != "customers" && w.t.entityType != "" && c.entity(w.t.entityType, w.t.entityID) == nil {
		ch.add(codeNotSupported, "entity_id", "Entity not found")
	}
	if w.has["responsible_user_id"] && !c.isUser(w.t.responsible) {
		ch.add(codeNotSupported, "responsible_user_id", "User not found")
	}
	if w.has["task_type_id"] && w.t.taskType != 1 && w.t.taskType != 2 {
		ch.add(codeNotSupported, "task_type_id", detailChoice)
	}
	if update {
		if v, ok := f.boolean("is_completed"); ok {
			w.t.completed, w.has["is_completed"] = v, true
		}
		if r, ok := f.sub("result"); ok {
			text, _ := r.str("text")
			r.done()
			w.t.result, w.has["result"] = text, true
		}
	}
	f.done()
	return w
}

func (c *call) renderTask(t *task) obj {
	var result any = []any{}
	if t.result != "" {
		result = obj{"text": t.result}
	}
	return obj{
		"id": t.id, "created_by": t.createdBy, "updated_by": t.updatedBy, "created_at": t.createdAt, "updated_at": t.updatedAt,
		"responsible_user_id": t.responsible, "group_id": 0, "entity_id": nullable(t.entityID), "entity_type": nullable(t.entityType),
		"duration": t.duration, "is_completed": t.completed, "task_type_id": t.taskType, "text": t.text, "result": result,
		"complete_till": t.completeTill, "account_id": c.acct.ID, "_links": c.idHref("/api/v4/tasks", t.id),
	}
}

func (c *call) applyTask(t *task, w taskWrite) {
	n := w.t
	set := func(k string, dst *int64, v int64) {
		if w.has[k] {
			*dst = v
		}
	}
	set("complete_till", &t.completeTill, n.completeTill)
	set("task_type_id", &t.taskType, n.taskType)
	set("entity_id", &t.entityID, n.entityID)
	set("responsible_user_id", &t.responsible, n.responsible)
	set("duration", &t.duration, n.duration)
	if w.has["text"] {
		t.text = n.text
	}
	if w.has["entity_type"] {
		t.entityType = n.entityType
	}
	if w.has["is_completed"] {
		t.completed = n.completed
	}
	if w.has["result"] {
		t.result = n.result
	}
	t.updatedBy, t.updatedAt = c.userID, c.now
}

func createTasks(c *call) reply {
	writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (taskWrite, string) {
		w := c.parseTask(raw, false, false, ch)
		return w, w.label
	})
	if rep != nil {
		return *rep
	}
	out := make([]obj, 0, len(writes))
	for i, w := range writes {
		t := w.t
		t.id = c.st().Next("task")
		if t.taskType == 0 {
			t.taskType = 1
		}
		if t.responsible == 0 {
			t.responsible = c.userID
		}
		if t.createdBy == 0 {
			t.createdBy = c.userID
		}
		if t.createdAt == 0 {
			t.createdAt = c.now
		}
		t.updatedBy, t.updatedAt = c.userID, c.now
		c.crm().tasks[t.id] = &t
		out = append(out, obj{"id": t.id, "request_id": echoRequestID(w.requestID, i), "_links": c.idHref("/api/v4/tasks", t.id)})
	}
	return c.embeddedReply("tasks", out)
}

func updateTasks(c *call) reply {
	writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (taskWrite, string) {
		w := c.parseTask(raw, true, false, ch)
		return w, w.label
	})
	if rep != nil {
		return *rep
	}
	out := make([]obj, 0, len(writes))
	for i, w := range writes {
		t := c.crm().tasks[w.id]
		c.applyTask(t, w)
		out = append(out, obj{"id": t.id, "updated_at": t.updatedAt, "request_id": echoRequestID(w.requestID, i), "_links": c.idHref("/api/v4/tasks", t.id)})
	}
	return c.embeddedReply("tasks", out)
}

func updateTask(c *call) reply {
	t := c.crm().tasks[c.pathID("id")]
	if t == nil {
		return notFound()
	}
	if rep := parseObjectBody(c.body); rep != nil {
		return *rep
	}
	var ch checker
	w := c.parseTask(c.body, true, true, &ch)
	if w.id != 0 && w.id != t.id {
		ch.add(codeNotSupported, "id", "id does not match the URL")
	}
	var errs batchErrors
	errs.add(0, w.label, &ch)
	if len(errs) > 0 {
		return validationReply(errs)
	}
	c.applyTask(t, w)
	return okReply(obj{"id": t.id, "updated_at": t.updatedAt, "request_id": "0", "_links": c.idHref("/api/v4/tasks", t.id)})
}

func getTask(c *call) reply {
	t := c.crm().tasks[c.pathID("id")]
	if t == nil {
		return notFound()
	}
	return okReply(c.renderTask(t))
}

func listTasks(c *call) reply {
	q := c.r.URL.Query()
	lq, rep := c.s.parseList(q, "created_at", "complete_till", "id")
	if rep != nil {
		return *rep
	}
	if rep := c.refuseUnknown(q, []string{"id", "responsible_user_id", "task_type", "task_type_id", "is_completed",
		"entity_type", "entity_id", "updated_at"}, nil); rep != nil {
		return *rep
	}
	ids, _, err := intList(q, "filter[id]")
	if err != nil {
		return *filterError("filter[id]")
	}
	resp, _, err := intList(q, "filter[responsible_user_id]")
	if err != nil {
		return *filterError("filter[responsible_user_id]")
	}
	types, _, err := intList(q, "filter[task_type]")
	if err != nil {
		return *filterError("filter[task_type]")
	}
	typeIDs, _, err := intList(q, "filter[task_type_id]")
	if err != nil {
		return *filterError("filter[task_type_id]")
	}
	types = append(types, typeIDs...)
	entityIDs, hasEntityIDs, err := intList(q, "filter[entity_id]")
	if err != nil {
		return *filterError("filter[entity_id]")
	}
	entityType := q.Get("filter[entity_type]")
	if hasEntityIDs && entityType == "" {
		return problem(http.StatusBadRequest, "filter[entity_id] requires filter[entity_type]")
	}
	if entityType != "" && !slices.Contains(taskEntityTypes, entityType) {
		return *filterError("filter[entity_type]")
	}
	completed, hasCompleted := stringList(q, "filter[is_completed]")
	if hasCompleted && (len(completed) != 1 || (completed[0] != "0" && completed[0] != "1")) {
		return *filterError("filter[is_completed]")
	}
	updated, err := rangeFilter(q, "filter[updated_at]")
	if err != nil {
		return *filterError("filter[updated_at]")
	}
	if v := q.Get("filter[updated_at]"); v != "" && updated.set {
		updated = intRange{set: true, hasFrom: true, from: updated.from} // a single value means "changed after"
	}
	var items []*task
	for _, t := range c.crm().tasks {
		switch {
		case len(ids) > 0 && !slices.Contains(ids, t.id),
			len(resp) > 0 && !slices.Contains(resp, t.responsible),
			len(types) > 0 && !slices.Contains(types, t.taskType),
			entityType != "" && t.entityType != entityType,
			hasEntityIDs && !slices.Contains(entityIDs, t.entityID),
			hasCompleted && t.completed != (completed[0] == "1"),
			updated.set && !updated.contains(t.updatedAt):
			continue
		}
		items = append(items, t)
	}
	sortBy(items, lq, func(t *task, field string) int64 {
		switch field {
		case "created_at":
			return t.createdAt
		case "complete_till":
			return t.completeTill
		}
		return t.id
	})
	return pageOf(c.r, lq, "tasks", items, c.renderTask)
}

func taskRoutes(m *mux) {
	m.api("GET /api/v4/tasks", listTasks)
	m.api("POST /api/v4/tasks", createTasks)
	m.api("PATCH /api/v4/tasks", updateTasks)
	m.api("GET /api/v4/tasks/{id}", getTask)
	m.api("PATCH /api/v4/tasks/{id}", updateTask)
}
