package amocrm

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTagsChangeHasThreeStates(t *testing.T) {
	t.Parallel()
	type body struct {
		Tags TagsChange `json:"tags,omitzero"`
	}
	cases := map[string]struct {
		change TagsChange
		want   string
	}{
		"leave alone":                   {TagsChange{}, `{}`},
		"replace":                       {ReplaceTags(TagNamed("vip"), TagWithID(7)), `{"tags":[{"name":"vip"},{"id":7}]}`},
		"clear":                         {ClearTags(), `{"tags":null}`},
		"replace with nothing is clear": {ReplaceTags(), `{"tags":null}`},
	}
	for name, tc := range cases {
		b, err := json.Marshal(body{tc.change})
		require.NoError(t, err, name)
		assert.Equal(t, tc.want, string(b), name)
	}
	assert.True(t, ClearTags().IsClear())
	assert.False(t, TagsChange{}.IsClear())
	assert.False(t, ReplaceTags(TagNamed("a")).IsClear())
	assert.Equal(t, []TagRef{{Name: "a"}}, ReplaceTags(TagNamed("a")).Tags())

	_, err := json.Marshal(body{ReplaceTags(TagRef{})})
	assert.ErrorContains(t, err, "needs an ID or a Name")
}
