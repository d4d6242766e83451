package tokenstore_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/tokenstore"
)

func TestConnectionRedacts(t *testing.T) {
	t.Parallel()
	c := tokenstore.Connection{
		Account:      "acme.amocrm.ru",
		AccountID:    29085046,
		ClientID:     "client-id-visible",
		ClientSecret: "client-secret-XYZ",
		AccessToken:  "access-token-XYZ",
		RefreshToken: "refresh-token-XYZ",
		Expiry:       time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	secrets := []string{c.ClientSecret, c.AccessToken, c.RefreshToken, "XYZ"}

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%T %v", "%10.3v"} {
		outputs = append(outputs,
			fmt.Sprintf(verb, c),
			fmt.Sprintf(verb, &c),
			fmt.Sprintf(verb, []tokenstore.Connection{c}),
			fmt.Sprintf(verb, map[string]*tokenstore.Connection{"k": &c}),
			fmt.Sprintf(verb, struct{ C tokenstore.Connection }{c}),
		)
	}
	outputs = append(outputs, fmt.Sprint(c), fmt.Sprintln(&c), c.String(), c.GoString(), fmt.Errorf("saving %v", c).Error())

	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("connected", "conn", c, "ptr", &c, slog.Any("any", c))
		outputs = append(outputs, buf.String())
	}

	for _, out := range outputs {
		for _, s := range secrets {
			assert.NotContains(t, out, s)
		}
	}
	assert.Contains(t, c.String(), "acme.amocrm.ru")
	assert.Contains(t, c.String(), "client-id-visible")
	assert.Contains(t, c.String(), "29085046")
	assert.Contains(t, c.String(), "ClientSecret:REDACTED")
	assert.Contains(t, c.String(), "2030-01-02T03:04:05Z")
	assert.Equal(t, fmt.Sprintf("%q", c.String()), fmt.Sprintf("%q", c))
	assert.Contains(t, outputs[len(outputs)-1], `"access_token":"REDACTED"`)
	assert.Contains(t, outputs[len(outputs)-1], `"account":"acme.amocrm.ru"`)

	// Empty secrets show as empty: "not set yet" and "set" must be told apart when debugging.
	empty := tokenstore.Connection{Account: "new.amocrm.ru", ClientSecret: "s"}
	assert.Contains(t, empty.String(), `ClientSecret:REDACTED AccessToken:"" RefreshToken:""`)

	// encoding/json is not a log: it keeps every field, which is what a store of its own needs.
	raw, err := json.Marshal(c)
	require.NoError(t, err)
	assert.Contains(t, string(raw), c.RefreshToken)
}

func ExampleConnection_String() {
	c := tokenstore.Connection{
		Account:      "acme.amocrm.ru",
		ClientID:     "8f4e1c2a",
		ClientSecret: "never printed",
		AccessToken:  "never printed",
		Expiry:       time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	fmt.Println(c)
	// Output:
	// tokenstore.Connection{Account:"acme.amocrm.ru" AccountID:0 ClientID:"8f4e1c2a" ClientSecret:REDACTED AccessToken:REDACTED RefreshToken:"" Expiry:2030-01-02T03:04:05Z RefreshedAt:0001-01-01T00:00:00Z ReauthRequired:false CreatedAt:0001-01-01T00:00:00Z UpdatedAt:0001-01-01T00:00:00Z}
}
