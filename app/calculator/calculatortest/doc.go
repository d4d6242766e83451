// Package calculatortest is the contract every calculator.CalculationStore must meet, as one
// test suite.
//
// A store's tests call Run with a function that returns a new, empty store:
//
//	func TestContract(t *testing.T) {
//		calculatortest.Run(t, func(t *testing.T) calculator.CalculationStore { return calculator.NewMemoryCalculations() })
//	}
//
// Run checks that a claim stores a calculation and hands out a lease, that a second claim waits
// for the lease to expire or be released, that an expired lease is taken over and the old one no
// longer writes, that a complete calculation is returned without a lease, that keys are scoped
// to the account and the lead, that bad input is refused, List's order and limit, that values
// are copies, and that concurrent claims grant one lease. Run under -race.
//
// RunCatalogIndex is the contract of calculator.CatalogIndex, which both stores implement beside
// their calculations: what is remembered per account, merged, replaced by another catalog,
// forgotten, and kept apart between accounts.
package calculatortest
