// Command refreshstorm is the refresh-storm benchmark: several processes, each with many
// goroutines calling the amoCRM API, share one PostgreSQL token store while the access token
// expires a few times. amoCRM is played by an in-process amocrmtest server in strict single-use
// mode: a refresh token works once, and a refresh ends the access token it replaced. The targets
// are exactly one refresh per expiry and no failed call: a refresh token rotated by one process
// and lost by another would lock the account out until a person authorises it again.
//
//	go run ./bench/refreshstorm -dsn postgres://user@host/db -procs 4 -goroutines 64 -expiries 3
//
// -dsn defaults to $AMOKIT_POSTGRES_URL. The program creates the token table in that database if
// it is missing, uses an account of its own (deleted at the end), and runs itself again as each
// process. Access tokens live -ttl (3 s) and are refreshed -skew (500 ms) before they expire, so
// three expiries take about seven seconds. It exits with status 1 when a target is missed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/amokit/amokit/internal/refreshtest"
)

func main() {
	if os.Getenv(refreshtest.EnvMode) != "" {
		os.Exit(child(os.Stdin, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "refreshstorm:", err)
		}
		os.Exit(1)
	}
}

// run parses the flags, runs the storm with this program as the child processes, and prints the
// figures. It fails when a target is missed.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("refreshstorm", flag.ContinueOnError)
	cfg := config{}
	fs.StringVar(&cfg.dsn, "dsn", os.Getenv("AMOKIT_POSTGRES_URL"), "PostgreSQL connection string (default $AMOKIT_POSTGRES_URL)")
	fs.IntVar(&cfg.procs, "procs", 4, "processes sharing the store")
	fs.IntVar(&cfg.goroutines, "goroutines", 64, "goroutines per process, each making API calls in a loop")
	fs.IntVar(&cfg.expiries, "expiries", 3, "access-token expiries during the run")
	fs.DurationVar(&cfg.ttl, "ttl", 3*time.Second, "access-token lifetime at the fake (whole seconds, as amoCRM's expires_in)")
	fs.DurationVar(&cfg.skew, "skew", 500*time.Millisecond, "how long before expiry the token source refreshes")
	fs.Float64Var(&cfg.perSecond, "rate", 0, "API calls per second per process; 0 leaves them unpaced")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	res, err := storm(ctx, cfg, exe)
	if err != nil {
		return err
	}
	res.print(out)
	if !res.ok() {
		return errors.New("a target was missed")
	}
	return nil
}

// child is one process of the storm, as one replica of a service: its own pool, store, token
// source and client (see refreshtest.RunChild). It returns the exit status.
func child(stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := refreshtest.ConfigFromEnv(os.Getenv)
	if err == nil {
		err = refreshtest.RunChild(context.Background(), cfg, stdin, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "refreshstorm child:", err)
		return 1
	}
	return 0
}
