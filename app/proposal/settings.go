package proposal

import (
	"bytes"
	"context"
	"errors"
	"image"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Settings are what the administrator sets once for every proposal: the
// shop's details and logo, the VAT line and how long a proposal is valid.
type Settings struct {
	Shop Shop `json:"shop"`
	// VATPercent is 0 («Без НДС») or the rate included in the prices.
	VATPercent int `json:"vat_percent"`
	// ValidDays is how many days after its date a proposal is valid.
	ValidDays int `json:"valid_days"`
}

// DefaultValidDays is the validity of a proposal until the administrator
// sets another.
const DefaultValidDays = 14

// MaxLogoBytes bounds the logo's file.
const MaxLogoBytes = 256 << 10

// Problem is one thing wrong with settings, keyed by the form field.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// SettingsError lists every problem with settings at once.
type SettingsError struct{ Problems []Problem }

func (e *SettingsError) Error() string {
	var b strings.Builder
	b.WriteString("proposal: настройки КП: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field + ": " + p.Message)
	}
	return b.String()
}

// Validate checks settings and returns a *SettingsError with every problem,
// in Russian, or nil.
func (s *Settings) Validate() error {
	var ps []Problem
	add := func(field, msg string) { ps = append(ps, Problem{field, msg}) }
	long := func(field, v string, max int) {
		if utf8.RuneCountInString(v) > max {
			add(field, "слишком длинно: не больше "+strconv.Itoa(max)+" символов")
		}
	}
	if strings.TrimSpace(s.Shop.Name) == "" {
		add("name", "укажите название магазина: оно стоит в шапке КП")
	}
	long("name", s.Shop.Name, 200)
	long("address", s.Shop.Address, 300)
	if inn := strings.TrimSpace(s.Shop.INN); inn != "" && !validINN(inn) {
		add("inn", "ИНН — 10 цифр для организации или 12 для ИП, с верной контрольной цифрой")
	}
	long("phone", s.Shop.Phone, 50)
	if e := strings.TrimSpace(s.Shop.Email); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			add("email", "адрес почты вида zakaz@example.ru")
		}
	}
	if s.VATPercent != 0 && s.VATPercent != 5 && s.VATPercent != 7 && s.VATPercent != 10 && s.VATPercent != 20 {
		add("vat_percent", "ставка НДС: без НДС, 5, 7, 10 или 20 %")
	}
	if s.ValidDays < 1 || s.ValidDays > 365 {
		add("valid_days", "срок действия — от 1 до 365 дней")
	}
	if len(s.Shop.Logo) > 0 {
		if len(s.Shop.Logo) > MaxLogoBytes {
			add("logo", "логотип больше 256 КБ: уменьшите картинку")
		} else if _, format, err := image.DecodeConfig(bytes.NewReader(s.Shop.Logo)); err != nil || (format != "png" && format != "jpeg") {
			add("logo", "логотип — картинка PNG или JPEG")
		}
	}
	if len(ps) > 0 {
		return &SettingsError{Problems: ps}
	}
	return nil
}

// validINN checks a Russian taxpayer number: 10 digits (an organisation)
// or 12 (a sole trader) with the check digits of the tax service's
// algorithm.
func validINN(s string) bool {
	d := make([]int, len(s))
	for i, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		d[i] = int(c - '0')
	}
	check := func(weights []int) int {
		sum := 0
		for i, w := range weights {
			sum += w * d[i]
		}
		return sum % 11 % 10
	}
	switch len(d) {
	case 10:
		return check([]int{2, 4, 10, 3, 5, 9, 4, 6, 8}) == d[9]
	case 12:
		return check([]int{7, 2, 4, 10, 3, 5, 9, 4, 6, 8}) == d[10] &&
			check([]int{3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8}) == d[11]
	}
	return false
}

// SettingsStore keeps the settings.
type SettingsStore interface {
	// Settings returns the saved settings, or ErrNoSettings.
	Settings(ctx context.Context) (Settings, error)
	// SaveSettings replaces them; the caller has validated them.
	SaveSettings(ctx context.Context, s Settings) error
}

// ErrNoSettings means the administrator has not filled in the shop's details.
var ErrNoSettings = errors.New("proposal: the shop's details are not set (admin page, «Коммерческое предложение»)")

// MemorySettings is a SettingsStore in process memory.
type MemorySettings struct {
	mu  sync.Mutex
	set *Settings
}

// Settings implements SettingsStore.
func (m *MemorySettings) Settings(context.Context) (Settings, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.set == nil {
		return Settings{}, ErrNoSettings
	}
	s := *m.set
	s.Shop.Logo = bytes.Clone(s.Shop.Logo)
	return s, nil
}

// SaveSettings implements SettingsStore.
func (m *MemorySettings) SaveSettings(_ context.Context, s Settings) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s.Shop.Logo = bytes.Clone(s.Shop.Logo)
	m.set = &s
	return nil
}
