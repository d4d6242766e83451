package amocrmtest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

func TestRoutes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	lead := e.acct.AddLead(amocrmtest.Lead{Name: "Зеркало"})
	note := e.acct.AddNote(amocrmtest.Note{EntityType: "leads", EntityID: lead.ID, NoteType: "common", Params: map[string]any{"text": "x"}})
	cases := []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/v4/leads/" + itoa(lead.ID), http.StatusOK},
		{"GET", "/api/v4/leads/" + itoa(lead.ID) + "/notes", http.StatusOK},
		{"GET", "/api/v4/leads/notes/" + itoa(note.ID), http.StatusOK},
		{"GET", "/api/v4/leads/" + itoa(lead.ID) + "/notes/" + itoa(note.ID), http.StatusOK},
		{"GET", "/api/v4/leads/" + itoa(lead.ID) + "/links", http.StatusNoContent},
		{"GET", "/api/v4/leads/" + itoa(lead.ID) + "/nothing", http.StatusNotFound},
		{"GET", "/api/v4/leads/abc", http.StatusNotFound},
		{"GET", "/api/v4/leads/notes/abc", http.StatusNotFound},
		{"GET", "/api/v4/leads/" + itoa(lead.ID) + "/notes/x1", http.StatusNotFound},
		{"GET", "/api/v4/nothing", http.StatusNotFound},
		{"DELETE", "/api/v4/leads", http.StatusMethodNotAllowed},
		{"PATCH", "/api/v4/leads/" + itoa(lead.ID) + "/notes", http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		r := e.do(tc.method, tc.path, nil)
		assert.Equal(t, tc.status, r.StatusCode, "%s %s: %s", tc.method, tc.path, r.body)
		if tc.status >= 400 {
			assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), "%s %s", tc.method, tc.path)
		}
		if tc.status == http.StatusMethodNotAllowed {
			assert.Contains(t, r.Header.Get("Allow"), "GET")
		}
	}
}
