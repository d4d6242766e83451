package amocrmtest

import (
	"strconv"

	"github.com/amokit/amokit/amocrm/amocrmtest/internal/backend"
)

// The services beyond leads, contacts, companies, notes and catalogs: tasks, extra pipelines,
// roles, sources, field groups, tag colours and the event log. Their data is the account's
// backend.Services. What each service emulates is written next to its handlers, with the page of
// docs/amocrm-services.md it follows.

// The handlers name the services' records by these short names.
type (
	task       = backend.Task
	pipeline   = backend.Pipeline
	role       = backend.Role
	source     = backend.Source
	fieldGroup = backend.FieldGroup
)

// crm returns the account's services' data, made on first use.
func (c *call) crm() *backend.Services { return c.st().Services(c.acct.ID) }

// idHref is the self link of an item under path.
func (c *call) idHref(path string, id int64) obj {
	return obj{"self": obj{"href": c.base + path + "/" + strconv.FormatInt(id, 10)}}
}

// nullable returns nil for the zero value, so that it renders as null.
func nullable[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func init() {
	registerRoutes(func(_ *Server, m *mux) {
		taskRoutes(m)
		pipelineRoutes(m)
		roleRoutes(m)
		sourceRoutes(m)
		fieldRoutes(m)
		tagRoutes(m)
		eventRoutes(m)
	})
}
