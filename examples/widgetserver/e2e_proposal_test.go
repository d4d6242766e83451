package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/internal/browsertest"
	"github.com/amokit/amokit/internal/pdftext"
)

// TestProposalOfTheWorkedExample: the administrator sets the shop's details; a manager saves the
// worked example and makes its proposal for the deal's company, twice; the deal has one PDF in
// its files and one note linking it, and the PDF reads 17 204, the client and the shop.
func TestProposalOfTheWorkedExample(t *testing.T) {
	t.Parallel()
	browser := browsertest.Context(t)
	s, base := startInProcessDemo(t)
	connectDemo(t, s)
	lead := s.demo.Seed().Leads[2] // a contact and a company
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
	defer cancel()

	// The shop's details, typed on the admin page.
	require.NoError(t, doWithin(ctx,
		chromedp.Navigate(base+"/admin?token="+testAdminTok),
		chromedp.WaitVisible(css("#proposal-link")),
		chromedp.Click(css("#proposal-link")),
		chromedp.WaitVisible(css("#name")),
		typeInPage("#name", "Стекольная мастерская «Грань»"),
		typeInPage("#inn", "7707083893"),
		typeInPage("#phone", "+7 495 000-11-22"),
		chromedp.Click(css(`button[type="submit"]`)),
		chromedp.WaitVisible(css(".ok")),
	))
	waitText(t, ctx, ".ok", "Сохранено", nil)

	// The worked example, saved; then its proposal for the company.
	require.NoError(t, doWithin(ctx, chromedp.Navigate(fmt.Sprintf("%s/demo/card?lead=%d", base, lead.ID))))
	frame, in := saveWorkedExample(t, ctx)
	waitText(t, ctx, "#proposal-party", "ООО «Ремстрой» (компания)", frame)
	require.NoError(t, doWithin(ctx, choose("#proposal-party", "company:"+fmt.Sprint(s.demo.Seed().Company.ID))))
	for range 2 { // a second press attaches nothing more
		require.NoError(t, doWithin(ctx, chromedp.Click(css("#proposal-make"), in)))
		waitText(t, ctx, `#proposal-status[data-state="saved"]`, "прикреплено к сделке", frame)
	}
	waitText(t, ctx, "#proposal-download", fmt.Sprintf("Скачать КП № %d-1", lead.ID), frame)
	browsertest.Screenshot(t, ctx, "card-proposal")

	files := s.demo.Fake().DriveFiles(s.demo.Seed().Account.ID)
	require.Len(t, files, 1)
	assert.Equal(t, []string{files[0].UUID}, s.demo.Fake().EntityFiles("leads", lead.ID), "in the lead's files")
	notes := 0
	for _, n := range s.demo.Fake().Notes("leads", lead.ID) {
		if n.NoteType == "attachment" && n.Params["file_uuid"] == files[0].UUID {
			notes++
		}
	}
	assert.Equal(t, 1, notes, "one note links it")
	text := strings.Join(strings.Fields(pdftext.Text(t, files[0].Data)), " ")
	for _, want := range []string{"Итого: 17 204,00 руб.", "Для: ООО «Ремстрой»", "Стекольная мастерская «Грань»", "ИНН 7707083893"} {
		assert.Contains(t, text, want)
	}
}
