package amocrm_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// rivalOf adds the account "rival" to acct's fake and returns a client holding its
// administrator's valid token: another tenant, for the tests that must not reach acct's data.
func rivalOf(t *testing.T, acct *amocrmtest.Account) *amocrm.Client {
	t.Helper()
	c, err := acct.Server().AddAccount("rival").NewClient()
	require.NoError(t, err)
	return c
}
