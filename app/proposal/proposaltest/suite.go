// Package proposaltest is the contract every proposal.SettingsStore and
// proposal.Registry passes.
package proposaltest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/proposal"
)

// RunSettings runs the settings contract against stores made by newStore.
func RunSettings(t *testing.T, newStore func(t *testing.T) proposal.SettingsStore) {
	t.Run("EmptyThenSavedThenReplaced", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Settings(t.Context())
		assert.ErrorIs(t, err, proposal.ErrNoSettings)
		first := proposal.Settings{Shop: proposal.Shop{Name: "ООО «Стекло»", INN: "7707083893", Logo: []byte{0x89, 'P', 'N', 'G'}},
			VATPercent: 20, ValidDays: 14}
		require.NoError(t, s.SaveSettings(t.Context(), first))
		got, err := s.Settings(t.Context())
		require.NoError(t, err)
		assert.Equal(t, first, got)
		got.Shop.Logo[0] = 0
		again, err := s.Settings(t.Context())
		require.NoError(t, err)
		assert.Equal(t, first.Shop.Logo, again.Shop.Logo, "what Settings returns is a copy")
		second := proposal.Settings{Shop: proposal.Shop{Name: "ИП Иванов"}, ValidDays: 7}
		require.NoError(t, s.SaveSettings(t.Context(), second))
		got, err = s.Settings(t.Context())
		require.NoError(t, err)
		assert.Equal(t, second.Shop.Name, got.Shop.Name)
		assert.Empty(t, got.Shop.Logo)
	})
}

// RunRegistry runs the registry contract against registries made by newRegistry.
func RunRegistry(t *testing.T, newRegistry func(t *testing.T) proposal.Registry) {
	rec := proposal.Issued{Account: "a.amocrm.ru", LeadID: 10, CalculationID: "c1", Party: "contact:1",
		Number: "10-1", FileName: "КП-10-1.pdf", PDF: []byte("%PDF-1.3 …"), CreatedAt: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	t.Run("RecordFindAndResume", func(t *testing.T) {
		t.Parallel()
		r := newRegistry(t)
		ctx := t.Context()
		_, err := r.Find(ctx, rec.Account, rec.LeadID, rec.CalculationID, rec.Party)
		assert.ErrorIs(t, err, proposal.ErrNotIssued)
		require.NoError(t, r.Record(ctx, rec))
		got, err := r.Find(ctx, rec.Account, rec.LeadID, rec.CalculationID, rec.Party)
		require.NoError(t, err)
		assert.Equal(t, rec.PDF, got.PDF)
		assert.True(t, rec.CreatedAt.Equal(got.CreatedAt))
		assert.False(t, got.Complete())

		got.FileUUID, got.VersionUUID, got.Linked = "f", "v", true
		require.NoError(t, r.Record(ctx, got))
		got, err = r.ByNumber(ctx, rec.Account, rec.LeadID, "10-1")
		require.NoError(t, err)
		assert.Equal(t, "f", got.FileUUID)
		assert.True(t, got.Linked)
		assert.False(t, got.Noted)
		n, err := r.Count(ctx, rec.Account, rec.LeadID)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "recording again replaces")
	})
	t.Run("ScopedByAccountAndLead", func(t *testing.T) {
		t.Parallel()
		r := newRegistry(t)
		ctx := t.Context()
		require.NoError(t, r.Record(ctx, rec))
		_, err := r.ByNumber(ctx, "b.amocrm.ru", rec.LeadID, rec.Number)
		assert.ErrorIs(t, err, proposal.ErrNotIssued, "another account's lead with the same id")
		_, err = r.Find(ctx, "b.amocrm.ru", rec.LeadID, rec.CalculationID, rec.Party)
		assert.ErrorIs(t, err, proposal.ErrNotIssued)
		n, err := r.Count(ctx, rec.Account, 11)
		require.NoError(t, err)
		assert.Zero(t, n)
		other := rec
		other.Account = "b.amocrm.ru"
		require.NoError(t, r.Record(ctx, other), "numbers are per account and lead")
	})
	t.Run("NumbersUniquePerLead", func(t *testing.T) {
		t.Parallel()
		r := newRegistry(t)
		require.NoError(t, r.Record(t.Context(), rec))
		dup := rec
		dup.Party = "company:2"
		assert.ErrorIs(t, r.Record(t.Context(), dup), proposal.ErrNumberTaken)
	})
}
