package refreshtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Command is how to run a child process: a program and its arguments. A program runs itself again
// (os.Executable); a test runs its test binary (os.Args[0]) with -test.run naming the test that
// calls RunChild.
type Command struct {
	Path string
	Args []string
}

// Child is a running child process.
type Child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // stdout, line by line; closed at EOF
	exited chan struct{}
	err    error        // cmd.Wait's result, once exited is closed
	stderr bytes.Buffer // complete once exited is closed
}

// Start starts cmd as a child process with c in its environment. The child dies with ctx, and its
// lines are dropped once ctx is done.
func Start(ctx context.Context, cmd Command, c Config) (*Child, error) {
	ec := exec.CommandContext(ctx, cmd.Path, cmd.Args...)
	ec.Env = append(os.Environ(), c.Env()...)
	ch := &Child{cmd: ec, lines: make(chan string, 256), exited: make(chan struct{})}
	ec.Stderr = &ch.stderr
	var err error
	if ch.stdin, err = ec.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := ec.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := ec.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case ch.lines <- sc.Text():
			case <-ctx.Done():
			}
		}
		close(ch.lines)
		ch.err = ec.Wait()
		close(ch.exited)
	}()
	return ch, nil
}

// Go tells a ready child to start.
func (c *Child) Go() error {
	_, err := io.WriteString(c.stdin, "go\n")
	return err
}

// Stop closes the child's stdin: a storm child stops calling and reports, a kill child exits.
func (c *Child) Stop() error { return c.stdin.Close() }

// Await reads the child's lines until one starts with prefix, and returns the rest of it.
func (c *Child) Await(prefix string, timeout time.Duration) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				<-c.exited
				return "", fmt.Errorf("child exited (%v) before %s; stderr: %s", c.err, prefix, c.stderr.String())
			}
			if rest, found := strings.CutPrefix(line, prefix); found {
				return strings.TrimSpace(rest), nil
			}
		case <-deadline.C:
			return "", fmt.Errorf("no %s from the child within %v", prefix, timeout)
		}
	}
}

// Wait waits for the child to exit; a failure comes with what the child wrote on stderr.
func (c *Child) Wait() error {
	<-c.exited
	if c.err != nil {
		return fmt.Errorf("%v; stderr: %s", c.err, c.stderr.String())
	}
	return nil
}

// Kill ends the child with SIGKILL (os.Process.Kill) and waits for it.
func (c *Child) Kill() { c.KillAndDrain() }

// KillAndDrain ends the child with SIGKILL and returns what it printed and nobody read yet.
func (c *Child) KillAndDrain() []string {
	_ = c.cmd.Process.Kill()
	var lines []string
	for l := range c.lines {
		lines = append(lines, l)
	}
	<-c.exited
	return lines
}
