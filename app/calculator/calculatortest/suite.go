package calculatortest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/glass"
)

// t0 is the time of the suite's claims.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// calc returns a calculation of a real quote: n shower screens of 900 × 2000 mm.
func calc(t *testing.T, account string, lead int64, key string, n int) calculator.Calculation {
	t.Helper()
	order := glass.Order{Pieces: []glass.Piece{{Material: "float", ThicknessMM: 8, WidthMM: 900, HeightMM: 2000,
		Quantity: n, Edge: glass.EdgePolish, Tempered: true, Holes: []int{12, 12}, Cutouts: 1}},
		Hardware: []glass.HardwareItem{{Code: "hinge_wall_glass", Count: 2}}, Installation: true}
	q, err := glass.DefaultPriceList().Quote(order)
	require.NoError(t, err)
	return calculator.Calculation{
		ID: fmt.Sprintf("calc-%s-%d-%s", account, lead, key), Account: account, AccountID: 31, LeadID: lead, UserID: 7,
		UserName: "Ирина Смирнова", TimeZone: "Asia/Yekaterinburg",
		IdempotencyKey: key, Order: order, Quote: *q, Parts: calculator.PendingParts(), CreatedAt: t0,
	}
}

// Run runs the contract suite as parallel subtests of t. newStore must return a new, empty
// store each time it is called; it may register cleanups on the t it is given.
func Run(t *testing.T, newStore func(t *testing.T) calculator.CalculationStore) {
	t.Helper()
	t.Run("ClaimNewStoresAndLeases", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := calc(t, "acme.amocrm.ru", 10, "k1", 1)
		got, lease, err := s.Claim(t.Context(), c, t0, time.Minute)
		require.NoError(t, err)
		assert.NotEmpty(t, lease)
		assert.Equal(t, c.ID, got.ID)
		assert.Equal(t, c.Order, got.Order)
		assert.Equal(t, c.Quote.Lines, got.Quote.Lines)
		assert.Equal(t, c.Quote.Total, got.Quote.Total)
		assert.Equal(t, int64(17204), got.Quote.LeadPrice)
		assert.Equal(t, c.Quote.NoteText(), got.Quote.NoteText(), "the stored quote describes the pieces like the original")
		assert.Equal(t, calculator.PendingParts(), got.Parts)
		assert.True(t, got.CreatedAt.Equal(t0))
		assert.Equal(t, int64(7), got.UserID)
		assert.Equal(t, "Ирина Смирнова", got.UserName)
		assert.Equal(t, "Asia/Yekaterinburg", got.TimeZone)
		assert.Equal(t, int64(31), got.AccountID)
		list, err := s.List(t.Context(), c.Account, c.LeadID, 0)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, "Ирина Смирнова", list[0].UserName, "List gives the name too")
		assert.Equal(t, "Asia/Yekaterinburg", list[0].TimeZone)
	})

	t.Run("SecondClaimWhileLeasedIsRefused", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := calc(t, "acme.amocrm.ru", 10, "k1", 1)
		_, lease, err := s.Claim(t.Context(), c, t0, time.Minute)
		require.NoError(t, err)
		require.NotEmpty(t, lease)
		_, _, err = s.Claim(t.Context(), c, t0.Add(59*time.Second), time.Minute)
		assert.ErrorIs(t, err, calculator.ErrSaveInProgress)
		var busy *calculator.SaveInProgressError
		require.ErrorAs(t, err, &busy)
		assert.True(t, busy.Until.Equal(t0.Add(time.Minute)), "the refusal says when the lease runs out: %v", busy.Until)
	})

	t.Run("ExtendedLeaseHoldsLonger", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := calc(t, "acme.amocrm.ru", 10, "k1", 1)
		_, lease, err := s.Claim(t.Context(), c, t0, 10*time.Second)
		require.NoError(t, err)
		require.NoError(t, s.Extend(t.Context(), c.Key(), lease, t0.Add(8*time.Second), t0.Add(18*time.Second)))
		_, _, err = s.Claim(t.Context(), c, t0.Add(15*time.Second), 10*time.Second)
		var busy *calculator.SaveInProgressError
		require.ErrorAs(t, err, &busy, "the extended lease still holds")
		assert.True(t, busy.Until.Equal(t0.Add(18*time.Second)), "%v", busy.Until)

		assert.ErrorIs(t, s.Extend(t.Context(), c.Key(), "not-the-lease", t0.Add(15*time.Second), t0.Add(25*time.Second)), calculator.ErrLeaseLost)
		assert.ErrorIs(t, s.Extend(t.Context(), c.Key(), lease, t0.Add(18*time.Second), t0.Add(28*time.Second)), calculator.ErrLeaseLost,
			"an expired lease is not brought back: another request may have found it free")
		got, again, err := s.Claim(t.Context(), c, t0.Add(18*time.Second), 10*time.Second)
		require.NoError(t, err, "once it has run out it is free")
		assert.NotEmpty(t, again)
		assert.Equal(t, c.ID, got.ID)
	})

	t.Run("ExpiredLeaseIsTakenOver", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := calc(t, "acme.amocrm.ru", 10, "k1", 1)
		_, first, err := s.Claim(t.Context(), c, t0, time.Minute)
		require.NoError(t, err)
		require.NoError(t, s.SetPart(t.Context(), c.Key(), first, calculator.PartPrice, calculator.PartDone))

		other := calc(t, "acme.amocrm.ru", 10, "k1", 3) // same key, different content: ignored
		other.ID = "another-id"
		got, second, err := s.Claim(t.Context(), other, t0.Add(time.Minute), time.Minute)
		require.NoError(t, err)
		assert.NotEmpty(t, second)
		assert.NotEqual(t, first, second)
		assert.Equal(t, c.ID, got.ID, "the stored calculation is returned, not the one offered")
		assert.Equal(t, c.Order, got.Order)
		assert.Equal(t, calculator.PartDone, got.Parts.Price)
		assert.Equal(t, calculator.PartPending, got.Parts.Note)

		assert.ErrorIs(t, s.SetPart(t.Context(), c.Key(), first, calculator.PartNote, calculator.PartDone), calculator.ErrLeaseLost,
			"the old lease no longer writes")
		assert.ErrorIs(t, s.Release(t.Context(), c.Key(), first), calculator.ErrLeaseLost)
		require.NoError(t, s.SetPart(t.Context(), c.Key(), second, calculator.PartNote, calculator.PartFailed))
		list, err := s.List(t.Context(), c.Account, c.LeadID, 0)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, calculator.Parts{Price: calculator.PartDone, Note: calculator.PartFailed, Products: calculator.PartPending}, list[0].Parts)
	})

	t.Run("ReleasedLeaseIsFreeAtOnce", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := calc(t, "acme.amocrm.ru", 10, "k1", 1)
		_, lease, err := s.Claim(t.Context(), c, t0, time.Hour)
		require.NoError(t, err)
		require.NoError(t, s.SetPart(t.Context(), c.Key(), lease, calculator.PartNote, calculator.PartFailed))
		require.NoError(t, s.Release(t.Context(), c.Key(), lease))
		got, again, err := s.Claim(t.Context(), c, t0.Add(time.Second), time.Hour)
		require.NoError(t, err)
		assert.NotEmpty(t, again)
		assert.Equal(t, calculator.PartFailed, got.Parts.Note)
	})

	t.Run("CompleteIsReturnedWithoutLease", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := calc(t, "acme.amocrm.ru", 10, "k1", 1)
		_, lease, err := s.Claim(t.Context(), c, t0, time.Minute)
		require.NoError(t, err)
		for _, p := range calculator.AllParts() {
			require.NoError(t, s.SetPart(t.Context(), c.Key(), lease, p, calculator.PartDone))
		}
		// Even while the lease is still held, a complete calculation is simply returned.
		got, again, err := s.Claim(t.Context(), c, t0.Add(time.Second), time.Minute)
		require.NoError(t, err)
		assert.Empty(t, again)
		assert.True(t, got.Complete())
		require.NoError(t, s.Release(t.Context(), c.Key(), lease))
	})

	t.Run("KeysAreScopedToAccountAndLead", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, c := range []calculator.Calculation{
			calc(t, "acme.amocrm.ru", 10, "k1", 1),
			calc(t, "acme.amocrm.ru", 11, "k1", 2),
			calc(t, "other.amocrm.ru", 10, "k1", 3),
		} {
			got, lease, err := s.Claim(t.Context(), c, t0, time.Minute)
			require.NoError(t, err, c.Key())
			assert.NotEmpty(t, lease, c.Key())
			assert.Equal(t, c.ID, got.ID, "a new calculation per account and lead")
		}
	})

	t.Run("SetPartValidates", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := calc(t, "acme.amocrm.ru", 10, "k1", 1)
		_, lease, err := s.Claim(t.Context(), c, t0, time.Minute)
		require.NoError(t, err)
		assert.Error(t, s.SetPart(t.Context(), c.Key(), lease, "colour", calculator.PartDone))
		assert.Error(t, s.SetPart(t.Context(), c.Key(), lease, calculator.PartNote, "maybe"))
		assert.ErrorIs(t, s.SetPart(t.Context(), c.Key(), "", calculator.PartNote, calculator.PartDone), calculator.ErrLeaseLost)
		missing := c.Key()
		missing.IdempotencyKey = "nope"
		assert.ErrorIs(t, s.SetPart(t.Context(), missing, lease, calculator.PartNote, calculator.PartDone), calculator.ErrLeaseLost)
	})

	t.Run("ClaimValidates", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := calc(t, "acme.amocrm.ru", 10, "k1", 1)
		noKey := c
		noKey.IdempotencyKey = ""
		_, _, err := s.Claim(t.Context(), noKey, t0, time.Minute)
		assert.Error(t, err)
		noID := c
		noID.ID = ""
		_, _, err = s.Claim(t.Context(), noID, t0, time.Minute)
		assert.Error(t, err)
		_, _, err = s.Claim(t.Context(), c, t0, 0)
		assert.Error(t, err)
	})

	t.Run("ListNewestFirstWithLimit", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for i, key := range []string{"a", "b", "c", "d"} {
			c := calc(t, "acme.amocrm.ru", 10, key, i+1)
			c.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
			if key == "d" {
				c.CreatedAt = t0.Add(2 * time.Minute) // the same time as "c", saved later
			}
			_, _, err := s.Claim(t.Context(), c, t0, time.Minute)
			require.NoError(t, err)
		}
		_, _, err := s.Claim(t.Context(), calc(t, "acme.amocrm.ru", 99, "x", 1), t0, time.Minute)
		require.NoError(t, err)

		all, err := s.List(t.Context(), "acme.amocrm.ru", 10, 0)
		require.NoError(t, err)
		keys := make([]string, len(all))
		for i, c := range all {
			keys[i] = c.IdempotencyKey
		}
		assert.Equal(t, []string{"d", "c", "b", "a"}, keys)
		assert.Equal(t, 4, all[0].Order.Pieces[0].Quantity)

		two, err := s.List(t.Context(), "acme.amocrm.ru", 10, 2)
		require.NoError(t, err)
		assert.Len(t, two, 2)

		none, err := s.List(t.Context(), "nobody.amocrm.ru", 10, 0)
		require.NoError(t, err)
		assert.Empty(t, none)
	})

	t.Run("ValuesAreCopies", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := calc(t, "acme.amocrm.ru", 10, "k1", 1)
		got, _, err := s.Claim(t.Context(), c, t0, time.Minute)
		require.NoError(t, err)
		got.Order.Pieces[0].Holes[0] = 99
		got.Quote.Lines[0].Amount = 1
		c.Order.Pieces[0].Holes[1] = 98
		list, err := s.List(t.Context(), c.Account, c.LeadID, 0)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, []int{12, 12}, list[0].Order.Pieces[0].Holes)
		assert.NotEqual(t, int64(1), list[0].Quote.Lines[0].Amount)
	})

	t.Run("ConcurrentClaimsGrantOneLease", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := calc(t, "acme.amocrm.ru", 10, "k1", 1)
		const n = 8
		leases := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, leases[i], errs[i] = s.Claim(t.Context(), c, t0, time.Minute) })
		}
		wg.Wait()
		granted := 0
		for i := range n {
			switch {
			case errs[i] == nil:
				assert.NotEmpty(t, leases[i])
				granted++
			default:
				assert.True(t, errors.Is(errs[i], calculator.ErrSaveInProgress), "%v", errs[i])
			}
		}
		assert.Equal(t, 1, granted)
	})
}
