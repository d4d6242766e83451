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
		if c.crm().Tasks[id] == nil {
			ch.add(codeNotSupported, "id", "Task not found")
		}
	}
	ints := map[string]*int64{"complete_till": &w.t.CompleteTill, "task_type_id": &w.t.TaskType, "entity_id": &w.t.EntityID,
		"responsible_user_id": &w.t.Responsible, "duration": &w.t.Duration, "created_by": &w.t.CreatedBy, "created_at": &w.t.CreatedAt,
		"updated_by": &w.t.UpdatedBy}
	for k, p := range ints {
		if v, ok := f.int(k); ok {
			*p, w.has[k] = v, true
		}
	}
	if v, ok := f.str("text"); ok {
		if strings.TrimSpace(v) == "" {
			ch.add(codeNotSupported, "text", "This value should not be blank.")
		}
		w.t.Text, w.has["text"] = v, true
	}
	if v, ok := f.str("entity_type"); ok {
		if !slices.Contains(taskEntityTypes, v) {
			ch.add(codeNotSupported, "entity_type", detailChoice)
		}
		w.t.EntityType, w.has["entity_type"] = v, true
	}
	if w.has["entity_id"] != w.has["entity_type"] && !update {
		ch.add(codeFieldMissing, "entity_type", "entity_id and entity_type go together")
	}
	if w.has["entity_id"] && w.t.EntityType != "customers" && w.t.EntityType != "" && c.entity(w.t.EntityType, w.t.EntityID) == nil {
		ch.add(codeNotSupported, "entity_id", "Entity not found")
	}
	if w.has["responsible_user_id"] && !c.isUser(w.t.Responsible) {
		ch.add(codeNotSupported, "responsible_user_id", "User not found")
	}
	if w.has["task_type_id"] && w.t.TaskType != 1 && w.t.TaskType != 2 {
		ch.add(codeNotSupported, "task_type_id", detailChoice)
	}
	if update {
		if v, ok := f.boolean("is_completed"); ok {
			w.t.Completed, w.has["is_completed"] = v, true
		}
		if r, ok := f.sub("result"); ok {
			text, _ := r.str("text")
			r.done()
			w.t.Result, w.has["result"] = text, true
		}
	}
	f.done()
	return w
}

func (c *call) renderTask(t *task) obj {
	var result any = []any{}
	if t.Result != "" {
		result = obj{"text": t.Result}
	}
	return obj{
		"id": t.ID, "created_by": t.CreatedBy, "updated_by": t.UpdatedBy, "created_at": t.CreatedAt, "updated_at": t.UpdatedAt,
		"responsible_user_id": t.Responsible, "group_id": 0, "entity_id": nullable(t.EntityID), "entity_type": nullable(t.EntityType),
		"duration": t.Duration, "is_completed": t.Completed, "task_type_id": t.TaskType, "text": t.Text, "result": result,
		"complete_till": t.CompleteTill, "account_id": c.acct.ID, "_links": c.idHref("/api/v4/tasks", t.ID),
	}
}

func (c *call) applyTask(t *task, w taskWrite) {
	n := w.t
	set := func(k string, dst *int64, v int64) {
		if w.has[k] {
			*dst = v
		}
	}
	set("complete_till", &t.CompleteTill, n.CompleteTill)
	set("task_type_id", &t.TaskType, n.TaskType)
	set("entity_id", &t.EntityID, n.EntityID)
	if w.has["responsible_user_id"] && n.Responsible != t.Responsible {
		t.OldResponsible = t.Responsible
	}
	set("responsible_user_id", &t.Responsible, n.Responsible)
	set("duration", &t.Duration, n.Duration)
	if w.has["text"] {
		t.Text = n.Text
	}
	if w.has["entity_type"] {
		t.EntityType = n.EntityType
	}
	if w.has["is_completed"] {
		t.Completed = n.Completed
	}
	if w.has["result"] {
		t.Result = n.Result
	}
	t.UpdatedBy, t.UpdatedAt = c.userID, c.now
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
		t.ID = c.st().Next("task")
		if t.TaskType == 0 {
			t.TaskType = 1
		}
		if t.Responsible == 0 {
			t.Responsible = c.userID
		}
		if t.CreatedBy == 0 {
			t.CreatedBy = c.userID
		}
		if t.CreatedAt == 0 {
			t.CreatedAt = c.now
		}
		t.UpdatedBy, t.UpdatedAt = c.userID, c.now
		c.crm().Tasks[t.ID] = &t
		out = append(out, obj{"id": t.ID, "request_id": echoRequestID(w.requestID, i), "_links": c.idHref("/api/v4/tasks", t.ID)})
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
		t := c.crm().Tasks[w.id]
		c.applyTask(t, w)
		out = append(out, obj{"id": t.ID, "updated_at": t.UpdatedAt, "request_id": echoRequestID(w.requestID, i), "_links": c.idHref("/api/v4/tasks", t.ID)})
	}
	return c.embeddedReply("tasks", out)
}

func updateTask(c *call) reply {
	t := c.crm().Tasks[c.pathID("id")]
	if t == nil {
		return notFound()
	}
	if rep := parseObjectBody(c.body); rep != nil {
		return *rep
	}
	var ch checker
	w := c.parseTask(c.body, true, true, &ch)
	if w.id != 0 && w.id != t.ID {
		ch.add(codeNotSupported, "id", "id does not match the URL")
	}
	var errs batchErrors
	errs.add(0, w.label, &ch)
	if len(errs) > 0 {
		return validationReply(errs)
	}
	c.applyTask(t, w)
	return okReply(obj{"id": t.ID, "updated_at": t.UpdatedAt, "request_id": "0", "_links": c.idHref("/api/v4/tasks", t.ID)})
}

func getTask(c *call) reply {
	t := c.crm().Tasks[c.pathID("id")]
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
	for _, t := range c.crm().Tasks {
		switch {
		case len(ids) > 0 && !slices.Contains(ids, t.ID),
			len(resp) > 0 && !slices.Contains(resp, t.Responsible),
			len(types) > 0 && !slices.Contains(types, t.TaskType),
			entityType != "" && t.EntityType != entityType,
			hasEntityIDs && !slices.Contains(entityIDs, t.EntityID),
			hasCompleted && t.Completed != (completed[0] == "1"),
			updated.set && !updated.contains(t.UpdatedAt):
			continue
		}
		items = append(items, t)
	}
	sortBy(items, lq, func(t *task, field string) int64 {
		switch field {
		case "created_at":
			return t.CreatedAt
		case "complete_till":
			return t.CompleteTill
		}
		return t.ID
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
