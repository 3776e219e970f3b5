package main

// regen's one-VM driver (regen/vmdriver.go), played as the real Elixir
// plays it: `mix run --no-start FILE` of the driver's source (known by its
// marker) connects to the unix socket in REGEN_DRIVER_SOCKET, says hello,
// sends the repos' config (the repo query's lines), then serves regen's
// requests, one at a time, in this one process ("one BEAM"): check,
// reenable, run SEQ TASK ARGS (Mix.Task.rerun; the outcome after a sync
// line on stdout and stderr; stdin reads end of input), run-tty SEQ TASK
// ARGS (the same, reading stdin: regen relays the user's terminal), quit. A closed socket ends the process at
// once, even mid-task, as the driver's watcher halts the VM.
//
// Frames are a 4-byte big-endian length and one line of space-separated
// URI.encode_www_form fields ({:packet, 4}).
//
// MIXSIM_FAIL=driver: the driver cannot connect (as on an OTP without
// local sockets) and exits 87 before anything.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

const driverMarker = "regen-driver protocol 1"

func (s *session) serveDriver(path string) error {
	if s.faults.failBefore["driver"] || s.proj == nil {
		fmt.Fprintln(s.stderr, "regen-driver: cannot reach regen: {:error, :einval}")
		return &taskError{code: 87}
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		fmt.Fprintf(s.stderr, "regen-driver: cannot reach regen: %v\n", err)
		return &taskError{code: 87}
	}
	defer conn.Close()
	send := func(fields ...string) error {
		enc := make([]string, len(fields))
		for i, f := range fields {
			enc[i] = encodeWWWForm(f)
		}
		msg := strings.Join(enc, " ")
		frame := binary.BigEndian.AppendUint32(nil, uint32(len(msg)))
		_, err := conn.Write(append(frame, msg...))
		return err
	}
	if err := send("hello", "1", "25", "1.14.0-mixsim"); err != nil {
		return err
	}
	var answers bytes.Buffer
	out := s.stdout
	s.stdout = &answers
	s.printRepoAnswers("")
	s.stdout = out
	config := []string{"config"}
	for _, l := range strings.Split(strings.TrimSpace(answers.String()), "\n") {
		if l != "" {
			config = append(config, l)
		}
	}
	if err := send(config...); err != nil {
		return err
	}
	reqs := make(chan []string)
	go s.watchDriver(conn, reqs)
	for req := range reqs {
		switch req[0] {
		case "quit":
			return nil
		case "reenable":
			for _, t := range req[1:] {
				s.reenable(t)
			}
		case "check":
			if err := send(append([]string{"checked"}, s.mismatchLines(req[1:])...)...); err != nil {
				return err
			}
		case "run", "run-tty":
			if len(req) < 3 {
				return send("error", "bad run request")
			}
			seq, task := req[1], req[2]
			s.reenable(task)
			// Only run-tty's task reads stdin (what regen relays from the
			// user's terminal); any other reads end of input.
			s.in = nil
			if req[0] == "run-tty" {
				s.in = s.stdin
			}
			code := s.invoke(task, req[3:])
			s.in = nil
			fmt.Fprintf(s.stdout, "\x00regen-sync %s\n", seq)
			fmt.Fprintf(s.stderr, "\x00regen-sync %s\n", seq)
			outcome := []string{"done", seq, "ok"}
			if code != 0 {
				outcome = []string{"done", seq, "fail", strconv.Itoa(code)}
			}
			if err := send(outcome...); err != nil {
				return err
			}
		default:
			if err := send("error", "unknown request: "+strings.Join(req, " ")); err != nil {
				return err
			}
		}
	}
	return nil
}

// watchDriver reads regen's requests; regen gone (the socket closed
// without quit) ends the process at once, whatever it is doing.
func (s *session) watchDriver(conn net.Conn, reqs chan<- []string) {
	r := bufio.NewReader(conn)
	for {
		var n uint32
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			break
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			break
		}
		var req []string
		for _, f := range strings.Split(string(buf), " ") {
			v, err := url.QueryUnescape(f)
			if err != nil {
				v = f
			}
			req = append(req, v)
		}
		reqs <- req
		if req[0] == "quit" {
			return
		}
	}
	fmt.Fprintln(s.stderr, "regen-driver: regen went away; stopping this VM")
	os.Exit(1)
}
