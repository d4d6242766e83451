package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/internal/httpx"
)

// Environment variables read by parseConfig. A flag given on the command line wins over its
// variable.
const (
	envAddr          = "ADDR"
	envPublicURL     = "PUBLIC_URL"
	envDatabaseURL   = "DATABASE_URL"
	envEncryptionKey = "AMOKIT_ENCRYPTION_KEY"
	envAdminToken    = "AMOKIT_ADMIN_TOKEN"
	envPriceList     = "PRICE_LIST"
	envLogLevel      = "LOG_LEVEL"
	envAmoCRMBaseURL = "AMOCRM_BASE_URL"
	envSupportEmail  = "SUPPORT_EMAIL"
)

// Defaults of the listen address: loopback for the demo, every interface for a real server
// (which usually sits behind a TLS-terminating proxy).
const (
	defaultDemoAddr = "127.0.0.1:8080"
	defaultAddr     = ":8080"
)

// minAdminTokenLen is the shortest admin token accepted from the configuration.
const minAdminTokenLen = 32

// encryptionKeySize is the size of AMOKIT_ENCRYPTION_KEY once decoded: an AES-256 key.
const encryptionKeySize = 32

// config is the server's validated configuration.
type config struct {
	Demo bool
	// Addr is the listen address, host:port; port 0 picks a free one.
	Addr string
	// PublicURL is scheme://host[:port] the browser and amoCRM reach this server at, without a
	// trailing slash. Empty in demo mode without -public-url: it is then http://<listen address>.
	PublicURL string
	// DatabaseURL is a PostgreSQL connection string; empty means the memory store.
	DatabaseURL string
	// EncryptionKey seals secrets in the token store and derives the server's signing keys.
	// Nil when none was configured: a random key is made at start.
	EncryptionKey []byte
	// AdminToken guards the admin page; empty means one is generated at start.
	AdminToken string
	// PriceList is the shop's price list (the embedded default when no file was named).
	PriceList *glass.PriceList
	// PriceListFile is the file PriceList was read from, "" for the default.
	PriceListFile string
	LogLevel      slog.Level
	// AmoCRMBaseURL sends every amoCRM request (API, token endpoint, consent page) to this
	// URL instead of the account's host: staging and tests only.
	AmoCRMBaseURL string
	// SupportEmail is the shop's support address, written into widget.zip's manifest; empty for
	// none.
	SupportEmail string
	// TicketTTL is how long a calculator session ticket lives before the card renews it; 0
	// means the widget package's default. Tests shorten it.
	TicketTTL time.Duration
}

// String describes c without its secrets, for the start-up log.
func (c config) String() string {
	return fmt.Sprintf("demo=%t addr=%s public_url=%s database=%t encryption_key=%t admin_token=%t price_list=%q log_level=%s amocrm_base_url=%q support_email=%q",
		c.Demo, c.Addr, c.PublicURL, c.DatabaseURL != "", c.EncryptionKey != nil, c.AdminToken != "", c.PriceListFile, c.LogLevel, c.AmoCRMBaseURL, c.SupportEmail)
}

// LogValue logs c without its secrets.
func (c config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("demo", c.Demo),
		slog.String("addr", c.Addr),
		slog.String("public_url", c.PublicURL),
		slog.Bool("database", c.DatabaseURL != ""),
		slog.Bool("encryption_key", c.EncryptionKey != nil),
		slog.Bool("admin_token_configured", c.AdminToken != ""),
		slog.String("price_list", c.PriceListFile),
		slog.String("price_list_version", c.PriceList.Version),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("amocrm_base_url", c.AmoCRMBaseURL),
		slog.String("support_email", c.SupportEmail),
	)
}

// configError is a configuration that cannot start: every problem, each saying what to fix.
type configError struct {
	problems []string
}

func (e *configError) Error() string {
	var b strings.Builder
	b.WriteString("the configuration cannot start the server:")
	for _, p := range e.problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// flagSpec is one setting: its flag, its environment variable (may be empty) and help.
type flagSpec struct {
	name, env, help string
}

// settingSpecs lists every setting but -demo, in the order of -h.
func settingSpecs() []flagSpec {
	return []flagSpec{
		{name: "addr", env: envAddr, help: "listen address host:port; port 0 picks a free port (default " + defaultAddr + ", " + defaultDemoAddr + " with -demo)"},
		{name: "public-url", env: envPublicURL, help: "the https URL amoCRM and browsers reach this server at, e.g. https://calc.example.com; the OAuth redirect URI and the revoke hook derive from it (required unless -demo)"},
		{name: "", env: envDatabaseURL, help: "PostgreSQL connection string for connections and calculations; empty keeps them in memory, lost on restart"},
		{name: "encryption-key", env: envEncryptionKey, help: "base64 of 32 random bytes (openssl rand -base64 32): encrypts secrets in the database and signs tickets; required with " + envDatabaseURL + " (prefer the variable: flags show in ps)"},
		{name: "admin-token", env: envAdminToken, help: "the admin page's password, at least 32 characters (openssl rand -hex 24); generated and printed once when unset (prefer the variable: flags show in ps)"},
		{name: "price-list", env: envPriceList, help: "a JSON price list file (format of app/glass/pricelist_default.json); default: the embedded price list"},
		{name: "log-level", env: envLogLevel, help: "debug, info, warn or error (default info)"},
		{name: "support-email", env: envSupportEmail, help: "optional: the shop's support e-mail, shown by amoCRM with the widget (widget.zip's manifest), e.g. help@calc.example.com"},
		{name: "amocrm-base-url", env: envAmoCRMBaseURL, help: "staging and tests only: send all amoCRM traffic (API, tokens, consent page) to this URL"},
	}
}

// usage writes the -h text: every flag with its environment variable.
func usage(w io.Writer) {
	fmt.Fprint(w, `widgetserver: the glass calculator for amoCRM deal cards, its admin page and a demo.

Usage:
  widgetserver -demo [-addr 127.0.0.1:8080]     run with a fake amoCRM, no database, no account
  widgetserver -public-url https://calc.example.com [flags]

Flags (a flag wins over its environment variable):
  -demo
        start an in-process fake amoCRM with a demo account and a demo deal card
`)
	for _, s := range settingSpecs() {
		switch {
		case s.name == "":
			fmt.Fprintf(w, "  %s (environment only)\n", s.env)
		case s.env == "":
			fmt.Fprintf(w, "  -%s\n", s.name)
		default:
			fmt.Fprintf(w, "  -%s, %s\n", s.name, s.env)
		}
		fmt.Fprintf(w, "        %s\n", s.help)
	}
}

// parseConfig reads the configuration from args (without the program name) and the
// environment (getenv), checks all of it, and returns every problem at once in a *configError.
// -h and -help return flag.ErrHelp after writing the usage to out.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	fs := flag.NewFlagSet("widgetserver", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	demo := fs.Bool("demo", false, "")
	values := map[string]*string{}
	for _, s := range settingSpecs() {
		if s.name != "" {
			values[s.name] = fs.String(s.name, "", "")
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(out)
			return config{}, flag.ErrHelp
		}
		return config{}, &configError{problems: []string{err.Error() + " (see -h)"}}
	}

	// get returns the flag's value when given on the command line, else the variable's.
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	get := func(name, env string) (value, source string) {
		if name != "" && given[name] {
			return strings.TrimSpace(*values[name]), "-" + name
		}
		if env != "" {
			return strings.TrimSpace(getenv(env)), env
		}
		return "", "-" + name
	}

	var p []string
	if fs.NArg() > 0 {
		p = append(p, fmt.Sprintf("unexpected argument %q: every setting is a flag (see -h)", fs.Arg(0)))
	}
	c := config{Demo: *demo}

	addr, src := get("addr", envAddr)
	if addr == "" {
		addr = defaultAddr
		if c.Demo {
			addr = defaultDemoAddr
		}
	}
	if err := checkAddr(addr); err != nil {
		p = append(p, fmt.Sprintf("%s %q: %v; write host:port, e.g. 127.0.0.1:8080 or :8080", src, addr, err))
	}
	c.Addr = addr

	public, src := get("public-url", envPublicURL)
	if public == "" && !c.Demo {
		p = append(p, "-public-url (or "+envPublicURL+") is required: the https address amoCRM reaches this server at, e.g. https://calc.example.com (or run with -demo)")
	} else if public != "" {
		u, err := checkPublicURL(public, c.Demo)
		if err != nil {
			p = append(p, fmt.Sprintf("%s %q: %v", src, public, err))
		}
		c.PublicURL = u
	}

	c.DatabaseURL = strings.TrimSpace(getenv(envDatabaseURL))
	if c.DatabaseURL != "" {
		if err := checkDatabaseURL(c.DatabaseURL); err != nil {
			p = append(p, fmt.Sprintf("%s: %v", envDatabaseURL, err))
		}
	}

	key, src := get("encryption-key", envEncryptionKey)
	if key != "" {
		k, err := decodeKey(key)
		if err != nil {
			p = append(p, fmt.Sprintf("%s: %v; make one with: openssl rand -base64 32", src, err))
		}
		c.EncryptionKey = k
	} else if c.DatabaseURL != "" && !c.Demo {
		p = append(p, "-encryption-key (or "+envEncryptionKey+") is required with "+envDatabaseURL+": it encrypts client secrets and tokens at rest; make one with: openssl rand -base64 32, and keep it (losing it means connecting every account again)")
	}

	tok, src := get("admin-token", envAdminToken)
	if tok != "" {
		if len(tok) < minAdminTokenLen {
			p = append(p, fmt.Sprintf("%s is %d characters long; use at least %d, e.g. openssl rand -hex 24", src, len(tok), minAdminTokenLen))
		} else if strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			p = append(p, src+" contains spaces or control characters; use printable characters only, e.g. openssl rand -hex 24")
		}
	}
	c.AdminToken = tok

	c.PriceList = glass.DefaultPriceList()
	if file, src := get("price-list", envPriceList); file != "" {
		pl, err := loadPriceList(file)
		if err != nil {
			p = append(p, fmt.Sprintf("%s %q: %v", src, file, err))
		} else {
			c.PriceList, c.PriceListFile = pl, file
		}
	}

	if lvl, src := get("log-level", envLogLevel); lvl != "" {
		if err := c.LogLevel.UnmarshalText([]byte(lvl)); err != nil {
			p = append(p, fmt.Sprintf("%s %q: write debug, info, warn or error", src, lvl))
		}
	}

	if base, src := get("amocrm-base-url", envAmoCRMBaseURL); base != "" {
		if _, ok := httpx.BaseURL(base); !ok {
			p = append(p, fmt.Sprintf("%s %q: write an absolute http(s) URL such as https://amocrm.staging.example.com", src, base))
		} else {
			c.AmoCRMBaseURL = strings.TrimRight(base, "/")
		}
		if c.Demo {
			p = append(p, src+" cannot be used with -demo: the demo runs its own fake amoCRM")
		}
	}

	if email, src := get("support-email", envSupportEmail); email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			p = append(p, fmt.Sprintf("%s %q: write a plain e-mail address such as help@calc.example.com, without a name or brackets", src, email))
		} else {
			c.SupportEmail = email
		}
	}

	if len(p) > 0 {
		return config{}, &configError{problems: p}
	}
	return c, nil
}

func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("not host:port")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if strings.ContainsAny(host, "/ ") {
		return fmt.Errorf("host %q is not a host name or IP address", host)
	}
	return nil
}

// checkPublicURL returns the URL without a trailing slash. Outside the demo it must be https:
// amoCRM pages are https and block plain-http frames and requests.
func checkPublicURL(s string, demo bool) (string, error) {
	u, ok := httpx.AbsoluteURL(s)
	if !ok {
		return "", errors.New("write an absolute URL such as https://calc.example.com")
	}
	if u.Scheme != "https" && !demo {
		return "", errors.New("must start with https://: amoCRM loads the calculator into its https pages and browsers block plain http there (put the server behind a TLS proxy)")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", errors.New("must not carry user info, a query or a fragment")
	}
	if u.Path != "" && u.Path != "/" {
		return "", errors.New("must be the server's root (no path such as /calc): the redirect URI and the pages live at fixed paths")
	}
	return u.Scheme + "://" + u.Host, nil
}

// checkDatabaseURL accepts postgres:// and postgresql:// URLs and key=value connection strings.
func checkDatabaseURL(s string) error {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		if _, err := url.Parse(s); err != nil {
			return errors.New("not a valid URL; write postgres://user:password@host:5432/dbname")
		}
		return nil
	}
	if strings.Contains(s, "=") {
		return nil
	}
	return errors.New("write a PostgreSQL URL such as postgres://user:password@host:5432/dbname")
}

// decodeKey reads a 32-byte key in standard or URL-safe base64, with or without padding. Its
// errors never contain the key.
func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != encryptionKeySize {
				return nil, fmt.Errorf("the key decodes to %d bytes, want %d", len(k), encryptionKeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("the key is not base64")
}

func loadPriceList(file string) (*glass.PriceList, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("no such file")
		}
		return nil, err
	}
	pl, err := glass.LoadPriceList(bytes.NewReader(data))
	if err != nil {
		var pe *glass.PriceListError
		if errors.As(err, &pe) {
			var b strings.Builder
			b.WriteString("the price list has problems:")
			for _, fe := range pe.Problems {
				b.WriteString(" ")
				if fe.Path != "" {
					b.WriteString(fe.Path + ": ")
				}
				b.WriteString(fe.MessageEN + ";")
			}
			return nil, errors.New(strings.TrimSuffix(b.String(), ";"))
		}
		return nil, err
	}
	return pl, nil
}
