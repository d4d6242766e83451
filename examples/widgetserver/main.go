package main

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/app/admin"
	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/demo"
	"github.com/amokit/amokit/app/pricelist"
	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/internal/serve"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

// Timeouts of the http.Server. WriteTimeout bounds a whole request, so it must exceed the
// slowest save (three amoCRM writes, each with retries under the 7 rps limit).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 90 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// shutdownTimeout is how long SIGTERM waits for in-flight requests (saves) to finish.
	shutdownTimeout = 60 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "widgetserver:", err)
		os.Exit(1)
	}
}

// run is the whole server: it reads the configuration from args and getenv, prints the
// addresses a person needs to stdout, logs JSON lines to stderr, serves until ctx is done, and
// then shuts down gracefully, letting requests in flight (saves into amoCRM) finish.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	logger := serve.NewLogger(stderr, cfg.LogLevel)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (choose another address with -addr or %s)", cfg.Addr, err, envAddr)
	}
	defer ln.Close()
	public := cfg.PublicURL
	if public == "" {
		public = "http://" + browserAddr(ln.Addr())
	}

	app, err := build(ctx, cfg, public, logger)
	if err != nil {
		return err
	}
	defer app.close()

	if cfg.DatabaseURL == "" {
		logger.Warn("no DATABASE_URL: connections and calculations are kept in memory and are lost on restart; set DATABASE_URL to a PostgreSQL database for production")
	}
	if cfg.EncryptionKey == nil && !cfg.Demo {
		logger.Warn("no AMOKIT_ENCRYPTION_KEY: signing keys are random, so calculator sessions and pending OAuth consents end on restart")
	}
	logger.Info("widgetserver starting", slog.Any("config", cfg), slog.String("listen", ln.Addr().String()), slog.String("public_url", public))

	printWelcome(stdout, cfg, public, ln.Addr(), app)

	stopping := newShutdownSignal()
	srv := newHTTPServer(ctx, app.handler(stopping.begun), logger)
	return serveUntilDone(ctx, srv, ln, stopping, logger)
}

// shutdownSignal says that shutdown has begun, to /readyz (begun) and to whoever waits (C).
type shutdownSignal struct {
	once sync.Once
	ch   chan struct{}
}

func newShutdownSignal() *shutdownSignal { return &shutdownSignal{ch: make(chan struct{})} }

func (s *shutdownSignal) begin() { s.once.Do(func() { close(s.ch) }) }

// C is closed when shutdown begins.
func (s *shutdownSignal) C() <-chan struct{} { return s.ch }

func (s *shutdownSignal) begun() bool {
	select {
	case <-s.ch:
		return true
	default:
		return false
	}
}

// newHTTPServer sets the timeouts and the error log. Requests do not inherit ctx: a SIGTERM
// must not cancel a save half-way; serve lets them finish instead.
func newHTTPServer(ctx context.Context, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

// serveUntilDone serves ln until ctx is done, then shuts down gracefully: /readyz turns 503 at once
// (stopping), the listener closes, and requests in flight get up to shutdownTimeout to
// finish.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, stopping *shutdownSignal, logger *slog.Logger) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	stopping.begin()
	logger.Info("shutting down: waiting for requests in flight", slog.Duration("timeout", shutdownTimeout))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Error("shutdown did not finish in time", slog.String("error", err.Error()))
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// browserAddr is the listener's address as a browser on this machine reaches it: an
// unspecified host (":8080", "0.0.0.0") becomes 127.0.0.1.
func browserAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// printWelcome tells a person where to go. The admin token is printed only when it was
// generated (nobody else knows it), or in demo mode, where the admin link carries it.
func printWelcome(w io.Writer, cfg config, public string, addr net.Addr, a *server) {
	if local := "http://" + browserAddr(addr); local == public {
		fmt.Fprintln(w, "amokit widgetserver listening on", public)
	} else {
		fmt.Fprintf(w, "amokit widgetserver listening on %s, public URL %s\n", local, public)
	}
	if cfg.Demo {
		fmt.Fprintln(w, "Demo mode: a fake amoCRM with the demo account runs in this process; nothing is connected yet.")
		fmt.Fprintln(w, "  1. Admin page (connect the demo account):", admin.LoginURL(public, a.adminToken))
		fmt.Fprintln(w, "  2. Demo deal card (price an order, save it):", a.demo.CardURL(a.demo.DefaultLead()))
		return
	}
	fmt.Fprintln(w, "Admin page:", public+"/admin")
	if cfg.AdminToken == "" {
		fmt.Fprintln(w, "Admin token (generated, shown once; set AMOKIT_ADMIN_TOKEN to keep one):", a.adminToken)
		fmt.Fprintln(w, "Open:", admin.LoginURL(public, a.adminToken))
	}
}

// server is everything run wires together.
type server struct {
	cfg        config
	public     string
	logger     *slog.Logger
	adminToken string
	store      tokenstore.Store
	calcs      calculator.CalculationStore
	// priceLists keeps published price lists, prices serves the current one.
	priceLists pricelist.Store
	prices     *pricelist.Live
	// proposalSettings and proposals keep the shop's details and the issued proposals.
	proposalSettings proposal.SettingsStore
	proposals        proposal.Registry
	db               serve.Pinger // nil for the memory store
	// pacer spaces the requests of every amoCRM client: shared by all replicas through
	// PostgreSQL when DATABASE_URL is set, else by the clients of this process.
	pacer   amocrm.Pacer
	widget  http.Handler
	admin   *admin.Page
	demo    *demo.Site // nil outside the demo
	closers []func()
}

func (s *server) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// build makes the stores, the keys, the fake amoCRM of the demo, the widget backend and the
// pages.
func build(ctx context.Context, cfg config, public string, logger *slog.Logger) (_ *server, err error) {
	s := &server{cfg: cfg, public: public, logger: logger}
	defer func() {
		if err != nil {
			s.close()
		}
	}()

	master := cfg.EncryptionKey
	if master == nil {
		master = make([]byte, encryptionKeySize)
		rand.Read(master)
	}
	s.adminToken = cfg.AdminToken
	if s.adminToken == "" {
		b := make([]byte, 32)
		rand.Read(b)
		s.adminToken = hex.EncodeToString(b)
	}

	if err := s.openStores(ctx, master); err != nil {
		return nil, err
	}
	if s.prices, err = pricelist.NewLive(s.priceLists, cfg.PriceList, pricelist.WithLogger(logger)); err != nil {
		return nil, err
	}

	archive := widgetArchive(public, cfg.SupportEmail)

	oc := oauth.Config{RedirectURL: public + widget.CallbackPath}
	var amoOpts []amocrm.Option
	var frameAncestors []string
	switch {
	case cfg.Demo:
		zip, err := archive()
		if err != nil {
			return nil, fmt.Errorf("building widget.zip: %w", err)
		}
		s.demo, err = demo.Start(public, zip, logger)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, s.demo.Close)
		// Every amoCRM host (steklo.amocrm.ru) goes to the fake; the browser reaches its consent
		// page directly.
		fakeClient := s.demo.Fake().Client()
		fakeClient.Timeout = 15 * time.Second
		oc.AuthURL = s.demo.Fake().URL + "/oauth"
		oc.HTTPClient = fakeClient
		amoOpts = append(amoOpts, amocrm.WithHTTPClient(fakeClient))
		frameAncestors = append(frameAncestors, public) // the demo card frames the calculator
	case cfg.AmoCRMBaseURL != "":
		oc.AuthURL = cfg.AmoCRMBaseURL + "/oauth"
		oc.BaseURL = cfg.AmoCRMBaseURL
		amoOpts = append(amoOpts, amocrm.WithBaseURL(cfg.AmoCRMBaseURL+"/"))
	}
	if s.pacer == nil {
		s.pacer = amocrm.NewLocalPacer(amocrm.DefaultRate * amocrm.DefaultPace)
	}
	amoOpts = append(amoOpts, amocrm.WithLogger(logger), amocrm.WithPacer(s.pacer))

	states, err := oauth.NewStates(deriveKey(master, "oauth state"), 0)
	if err != nil {
		return nil, err
	}
	// The token sources live as long as the process, not as long as a request.
	clients := calculator.NewAmoCRMClients(context.WithoutCancel(ctx), oc, s.store, amoOpts...)
	if idx, ok := s.calcs.(calculator.CatalogIndex); ok {
		clients.Catalogs = idx // the products catalog's ids, kept beside the calculations
	}
	page, err := calculator.NewPage(s.prices)
	if err != nil {
		return nil, err
	}
	s.widget, err = calculator.NewHandler(calculator.Config{
		Config: widget.Config{
			PublicURL:      public,
			TicketKey:      deriveKey(master, "widget ticket"),
			OAuth:          oc,
			States:         states,
			ConsentMode:    oauth.ModePopup,
			OAuthReturnURL: public + "/admin",
			OnConnect: func(ctx context.Context, r oauth.Result) {
				if r.Account != "" {
					clients.Forget(r.Account) // new tokens: start with a fresh client
				}
			},
			OnRevoke:       func(ctx context.Context, account string) { clients.Forget(account) },
			Connections:    s.store,
			AdminToken:     s.adminToken,
			Page:           page,
			FrameAncestors: frameAncestors,
			Logger:         logger,
			TicketTTL:      cfg.TicketTTL,
		},
		Calculations: s.calcs,
		Prices:       s.prices,
		CRMFor:       clients.CRM,
		Proposals:    &calculator.Proposals{Settings: s.proposalSettings, Registry: s.proposals},
	})
	if err != nil {
		return nil, err
	}

	ac := admin.Config{
		Token:            s.adminToken,
		Key:              deriveKey(master, "admin session"),
		PublicURL:        public,
		Connections:      s.store,
		Connect:          admin.WidgetConnector(s.widget, s.adminToken),
		Archive:          archive,
		PriceLists:       s.priceLists,
		Prices:           s.prices,
		ProposalSettings: s.proposalSettings,
		StoreLabel:       "память процесса",
		Logger:           logger,
		Zone:             admin.AmoCRMZone(clients.Client),
	}
	if s.db != nil {
		ac.StoreLabel = "PostgreSQL"
	}
	if s.demo != nil {
		integ := s.demo.Integration()
		ac.Demo = &admin.Demo{
			Domain: s.demo.Seed().Account.Host, ClientID: integ.ClientID, ClientSecret: integ.ClientSecret,
			CardURL: s.demo.CardURL(s.demo.DefaultLead()),
		}
	}
	if s.admin, err = admin.New(ac); err != nil {
		return nil, err
	}
	return s, nil
}

// widgetArchive builds the calculator's widget.zip for the server at public, with the support address support
// (if any) in its manifest. The archive's version is derived from its content: the same server
// gives the same widget.zip across restarts, and any change to it gives a new version, as amoCRM
// wants for every upload.
func widgetArchive(public, support string) func() ([]byte, error) {
	build := func(version string) ([]byte, error) {
		ac := widget.ArchiveConfig{
			Version: version, SupportEmail: support,
			Text: calculator.WidgetText(), Logo: calculator.WidgetLogo,
		}
		if strings.HasPrefix(public, "https://") {
			ac.ServerURL = public // amoCRM pages only reach https servers
		}
		var buf bytes.Buffer
		if err := widget.BuildArchive(&buf, ac); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return func() ([]byte, error) {
		probe, err := build("0")
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(probe)
		return build("1." + strconv.FormatUint(uint64(binary.BigEndian.Uint32(sum[:4])), 10))
	}
}

// openStores opens the connection and calculation stores: PostgreSQL when DATABASE_URL is set,
// memory otherwise.
func (s *server) openStores(ctx context.Context, master []byte) error {
	if s.cfg.DatabaseURL == "" {
		s.store = tokenstore.NewMemory()
		s.calcs = calculator.NewMemoryCalculations()
		s.priceLists = pricelist.NewMemory()
		s.proposalSettings, s.proposals = &proposal.MemorySettings{}, &proposal.MemoryRegistry{}
		return nil
	}
	return s.openPostgres(ctx, master)
}

// deriveKey derives the key for one purpose ("sealing", "widget ticket", "oauth state", "admin
// session") from the master key with HKDF-SHA256 (RFC 5869), so that no two purposes share a
// key and no key reveals another or the master.
func deriveKey(master []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, master, nil, "amokit widgetserver key: "+purpose, 32)
	if err != nil { // only for an output longer than 255 hashes
		panic("widgetserver: deriving a key: " + err.Error())
	}
	return k
}

// handler is the server's routing: the widget backend under /widget/ and /oauth/, the admin
// page, the demo, health checks and the static files of the pages.
func (s *server) handler(shuttingDown func() bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/widget/", s.widget)
	mux.Handle("/oauth/", s.widget)
	mux.Handle("/admin", s.admin)
	mux.Handle("/admin/", s.admin)
	if s.demo != nil {
		mux.Handle("/demo/", s.demo)
	}
	mux.HandleFunc("GET /healthz", serve.Healthz)
	mux.HandleFunc("GET /readyz", serve.Readyz(s.db, shuttingDown, s.logger))
	mux.Handle("GET /static/", http.StripPrefix("/static/", serve.Static(admin.Assets(), calculator.Assets(), demo.Assets())))
	if s.demo != nil {
		mux.HandleFunc("GET /{$}", s.demo.Home) // where to start, without the admin token
	} else {
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/admin", http.StatusSeeOther)
		})
	}
	return serve.WithRequestID(s.logger, serve.SecurityHeaders(mux))
}
