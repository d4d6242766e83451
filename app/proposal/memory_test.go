package proposal_test

import (
	"testing"

	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/app/proposal/proposaltest"
)

func TestMemoryContracts(t *testing.T) {
	t.Parallel()
	proposaltest.RunSettings(t, func(*testing.T) proposal.SettingsStore { return &proposal.MemorySettings{} })
	proposaltest.RunRegistry(t, func(*testing.T) proposal.Registry { return &proposal.MemoryRegistry{} })
}
