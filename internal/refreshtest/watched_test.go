package refreshtest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// stubSource hands out the tokens in next, one per call, then fails.
type stubSource struct{ next []string }

func (s *stubSource) Token() (*oauth2.Token, error) {
	if len(s.next) == 0 {
		return nil, errors.New("no more tokens")
	}
	tok := &oauth2.Token{AccessToken: s.next[0]}
	s.next = s.next[1:]
	return tok, nil
}

func (s *stubSource) Refresh(context.Context, *oauth2.Token) (*oauth2.Token, error) { return s.Token() }

func TestWatchedSourceSaysEachTokenOnce(t *testing.T) {
	t.Parallel()
	var said []string
	ws := &watchedSource{
		Refresher: &stubSource{next: []string{"b-token", "b-token", "a-token", "b-token"}},
		say:       func(a ...any) { said = append(said, fmt.Sprintln(a...)) },
		seen:      map[string]bool{},
	}
	for range 3 {
		_, err := ws.Token()
		require.NoError(t, err)
	}
	tok, err := ws.Refresh(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, "b-token", tok.AccessToken)
	_, err = ws.Token()
	assert.EqualError(t, err, "no more tokens", "a failure passes through")

	a, b := amocrmtest.Fingerprint("a-token"), amocrmtest.Fingerprint("b-token")
	assert.Equal(t, []string{"TOKEN " + b + "\n", "TOKEN " + a + "\n"}, said)
	want := []string{a, b}
	if b < a {
		want = []string{b, a}
	}
	assert.Equal(t, want, ws.tokens())
}
