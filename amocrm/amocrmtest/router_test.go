package amocrmtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPatternMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern string
		path    string
		match   bool
		vals    map[string]string
	}{
		{"/api/v4/leads", "/api/v4/leads", true, nil},
		{"/api/v4/leads", "/api/v4/leads/", false, nil},
		{"/api/v4/leads/{id}", "/api/v4/leads/42", true, map[string]string{"id": "42"}},
		{"/api/v4/leads/{id}", "/api/v4/leads/", false, nil},
		{"/api/v4/leads/{id}", "/api/v4/leads/42/notes", false, nil},
		{"/api/v4/leads/{#id}", "/api/v4/leads/notes", false, nil},
		{"/api/v4/{type}/{#id}/notes", "/api/v4/contacts/7/notes", true, map[string]string{"type": "contacts", "id": "7"}},
		{"/api/v4/{rest...}", "/api/v4/leads/1/notes", true, map[string]string{"rest": "leads/1/notes"}},
		{"/api/v4/{rest...}", "/api/v4/", true, map[string]string{"rest": ""}},
		{"/api/v4/", "/api/v4/account", true, nil},
		{"/api/v4/", "/api/v4", false, nil},
		{"/", "/anything/at/all", true, nil},
		{"/{$}", "/", true, nil},
		{"/{$}", "/x", false, nil},
		{"/api/v4/leads/{$}", "/api/v4/leads/", true, nil},
		{"/api/v4/leads/{$}", "/api/v4/leads", false, nil},
		{"/api/v4/leads*", "/api/v4/leadsXYZ", true, nil},
		{"/api/v4/leads*", "/api/v4/lead", false, nil},
		{"", "/whatever", true, nil},
	}
	for _, tc := range cases {
		p, err := parsePattern(tc.pattern)
		require.NoError(t, err, tc.pattern)
		vals, ok := p.match(tc.path)
		assert.Equal(t, tc.match, ok, "%s vs %s", tc.pattern, tc.path)
		if tc.match && tc.vals != nil {
			assert.Equal(t, tc.vals, vals, "%s vs %s", tc.pattern, tc.path)
		}
	}
	for _, bad := range []string{"api", "/a/{", "/a/{}", "/a/{x...}/b", "/a{b}", "/a{$}"} {
		_, err := parsePattern(bad)
		assert.Error(t, err, bad)
	}
}

func TestRouterHasNoShadowedRoutes(t *testing.T) {
	t.Parallel()
	s := NewUnstartedServer()
	defer s.Close()
	seen := map[string]bool{}
	for _, r := range s.routes.routes {
		key := r.method + " " + r.pat.raw
		assert.False(t, seen[key], "duplicate route %s", key)
		seen[key] = true
	}
	assert.Greater(t, len(seen), 60)
}
