// Package pricelist keeps a glass shop's price lists as published versions
// and serves the current one to the calculator.
//
// An administrator edits prices on the admin page, checks every problem and
// the worked example's total with the new prices (Preview), and publishes a
// new version (Store.Publish). Versions are immutable and keep their author
// and time; a saved calculation names the version it was priced with, so
// reopening it prices it again with exactly those prices (Live.Version).
//
// Live hands the calculator the current version. It asks the store at most
// once per refresh interval (two seconds by default) whether a newer version
// exists, so every replica of a server on one PostgreSQL database prices with
// a new version within seconds of its publication, without a restart. Until
// anything is published the fallback (the embedded default, or a file named
// at start) is current.
//
// Versions are stored in the JSON format package glass reads
// (pricelist_default.json), byte for byte as published, so import and export
// are that file. Stores: NewMemory, and PostgreSQL in package
// app/pricelist/postgres; both pass the contract suite in
// app/pricelist/pricelisttest.
package pricelist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/amokit/amokit/app/glass"
)

// Version is one published price list.
type Version struct {
	// ID orders versions: a later publication has a larger ID.
	ID int64
	// Name is the price list's own "version" field, unique in a store.
	Name string
	// Author is who published it, as typed on the admin page.
	Author string
	// PublishedAt is when it was published.
	PublishedAt time.Time
	// JSON is the price list exactly as published.
	JSON []byte
}

// PriceList decodes the version's JSON.
func (v *Version) PriceList() (*glass.PriceList, error) {
	return glass.LoadPriceList(bytes.NewReader(v.JSON))
}

// Store keeps published versions. Implementations are safe for concurrent
// use by several processes sharing one database.
type Store interface {
	// Publish stores a new version and returns it with its ID and time. The
	// caller has validated data; Publish returns ErrVersionExists when a
	// version with that name is already published.
	Publish(ctx context.Context, name, author string, data []byte) (Version, error)
	// Latest returns the newest version, or ErrNoVersion.
	Latest(ctx context.Context) (Version, error)
	// LatestID returns the newest version's ID, 0 when there is none. It is
	// what Live polls, so it must be cheap.
	LatestID(ctx context.Context) (int64, error)
	// Get returns the version with the given name, or ErrNoVersion.
	Get(ctx context.Context, name string) (Version, error)
	// List returns up to limit versions, newest first, without their JSON.
	List(ctx context.Context, limit int) ([]Version, error)
}

// Errors of stores and of Publish.
var (
	ErrNoVersion     = errors.New("pricelist: no such version")
	ErrVersionExists = errors.New("pricelist: a version with this name is already published")
)

// MaxAuthorLen is the longest author name Publish accepts, in characters.
const MaxAuthorLen = 100

// Publish validates data as a price list and publishes it to s under the
// name in its "version" field. Every problem comes back at once as a
// *glass.PriceListError with Russian messages; a name already published and
// a missing author are problems too, so nothing is half-published.
func Publish(ctx context.Context, s Store, author string, data []byte) (Version, error) {
	pl, err := glass.LoadPriceList(bytes.NewReader(data))
	var perr *glass.PriceListError
	if err != nil && !errors.As(err, &perr) {
		return Version{}, err
	}
	var problems []glass.FieldError
	if perr != nil {
		problems = perr.Problems
	}
	author = strings.TrimSpace(author)
	switch {
	case author == "":
		problems = append(problems, glass.FieldError{Path: "author", Code: glass.CodeMissing,
			Message: "укажите, кто публикует прайс-лист", MessageEN: "say who publishes the price list"})
	case utf8.RuneCountInString(author) > MaxAuthorLen:
		problems = append(problems, glass.FieldError{Path: "author", Code: glass.CodeTooLarge,
			Message: fmt.Sprintf("имя автора длиннее %d символов", MaxAuthorLen), MessageEN: "the author's name is too long"})
	}
	// The name is checked even when the rest has problems, so that they
	// all come back at once.
	var named struct{ Version string }
	if json.Unmarshal(data, &named) == nil && strings.TrimSpace(named.Version) != "" {
		if _, err := s.Get(ctx, named.Version); err == nil {
			problems = append(problems, versionTaken(named.Version))
		} else if !errors.Is(err, ErrNoVersion) {
			return Version{}, err
		}
	}
	if len(problems) > 0 {
		return Version{}, &glass.PriceListError{Problems: problems}
	}
	v, err := s.Publish(ctx, pl.Version, author, data)
	if errors.Is(err, ErrVersionExists) { // published meanwhile by someone else
		return Version{}, &glass.PriceListError{Problems: []glass.FieldError{versionTaken(pl.Version)}}
	}
	return v, err
}

func versionTaken(name string) glass.FieldError {
	return glass.FieldError{Path: "version", Code: CodeVersionTaken,
		Message:   "версия «" + name + "» уже опубликована: дайте новой версии другое название",
		MessageEN: "version " + name + " is already published: give the new one another name"}
}

// CodeVersionTaken is the problem code of a version name already published.
const CodeVersionTaken = "version_taken"

// Memory is a Store in process memory, for the demo and tests.
type Memory struct {
	mu       sync.Mutex
	versions []Version
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{} }

// Publish implements Store.
func (m *Memory) Publish(_ context.Context, name, author string, data []byte) (Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if slices.ContainsFunc(m.versions, func(v Version) bool { return v.Name == name }) {
		return Version{}, ErrVersionExists
	}
	v := Version{ID: int64(len(m.versions) + 1), Name: name, Author: author,
		PublishedAt: time.Now().UTC(), JSON: bytes.Clone(data)}
	m.versions = append(m.versions, v)
	return clone(v), nil
}

// Latest implements Store.
func (m *Memory) Latest(context.Context) (Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.versions) == 0 {
		return Version{}, ErrNoVersion
	}
	return clone(m.versions[len(m.versions)-1]), nil
}

// LatestID implements Store.
func (m *Memory) LatestID(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.versions)), nil
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, name string) (Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.versions {
		if v.Name == name {
			return clone(v), nil
		}
	}
	return Version{}, ErrNoVersion
}

// List implements Store.
func (m *Memory) List(_ context.Context, limit int) ([]Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Version
	for i := len(m.versions) - 1; i >= 0 && len(out) < limit; i-- {
		v := m.versions[i]
		v.JSON = nil
		out = append(out, v)
	}
	return out, nil
}

func clone(v Version) Version {
	v.JSON = bytes.Clone(v.JSON)
	return v
}
