package amocrmtest

import (
	"strconv"
)

// The state of the services beyond leads, contacts, companies, notes and catalogs: tasks, extra
// pipelines, roles, sources, field groups, tag colours and the event log. It hangs off state as
// one value so that the rest of the server does not depend on it. What each service emulates is
// written next to its handlers, with the page of docs/amocrm-services.md it follows.

// crmState holds those services' data per account.
type crmState struct {
	accounts map[int64]*crmAccount
}

type crmAccount struct {
	tasks     map[int64]*task
	pipelines []*pipeline // pipelines added through the API; the main one lives in account
	roles     map[int64]*role
	sources   map[int64]*source
	groups    map[string][]*fieldGroup // by owner ("leads")
	tagColors map[int64]string
	events    []Event
	mainName  string
}

// crm returns the account's part of crmState, creating it on first use.
func (c *call) crm() *crmAccount { return c.st().crmOf(c.acct.ID) }

func (st *state) crmOf(accountID int64) *crmAccount {
	if st.crm.accounts == nil {
		st.crm.accounts = map[int64]*crmAccount{}
	}
	ca := st.crm.accounts[accountID]
	if ca == nil {
		ca = &crmAccount{
			tasks: map[int64]*task{}, roles: map[int64]*role{}, sources: map[int64]*source{},
			groups: map[string][]*fieldGroup{}, tagColors: map[int64]string{},
		}
		st.crm.accounts[accountID] = ca
	}
	return ca
}

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
