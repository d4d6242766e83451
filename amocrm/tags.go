package amocrm

import (
	"encoding/json"
	"errors"
)

// Tag is a tag on a lead, contact or company.
type Tag struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"` // "" when the tag has no colour (null on the wire)
}

// TagRef names a tag in a request, by ID or by Name. A name that does not exist yet creates the
// tag.
type TagRef struct {
	ID   int64  `json:"id,omitzero"`
	Name string `json:"name,omitempty"`
}

// TagNamed refers to a tag by its name.
func TagNamed(name string) TagRef { return TagRef{Name: name} }

// TagWithID refers to a tag by its id.
func TagWithID(id int64) TagRef { return TagRef{ID: id} }

func checkTagRefs(refs []TagRef) error {
	for _, r := range refs {
		if r.ID == 0 && r.Name == "" {
			return errors.New("amocrm: a tag needs an ID or a Name")
		}
	}
	return nil
}

// TagsChange is what an update does to an entity's whole tag set through _embedded.tags. It has
// three states: the zero TagsChange leaves the tags alone, ReplaceTags sets them to exactly the
// given list, and ClearTags removes them all (sending null, docs/amocrm-reference.md#writing-leads). For
// adding or removing a few tags use the request's TagsToAdd and TagsToDelete instead.
type TagsChange struct {
	set  bool
	tags []TagRef
}

// ReplaceTags replaces all of an entity's tags with tags. With no tags it is ClearTags.
func ReplaceTags(tags ...TagRef) TagsChange {
	return TagsChange{set: true, tags: append([]TagRef(nil), tags...)}
}

// ClearTags removes all of an entity's tags.
func ClearTags() TagsChange { return TagsChange{set: true} }

// IsZero reports whether the change leaves the tags alone, so that `json:",omitzero"` skips it.
func (t TagsChange) IsZero() bool { return !t.set }

// Tags returns the tags a replacement sets; nil for ClearTags and for the zero TagsChange.
func (t TagsChange) Tags() []TagRef { return append([]TagRef(nil), t.tags...) }

// IsClear reports whether the change removes all tags.
func (t TagsChange) IsClear() bool { return t.set && len(t.tags) == 0 }

// MarshalJSON writes the list, or null for ClearTags.
func (t TagsChange) MarshalJSON() ([]byte, error) {
	if len(t.tags) == 0 {
		return []byte("null"), nil
	}
	if err := checkTagRefs(t.tags); err != nil {
		return nil, err
	}
	return json.Marshal(t.tags)
}
