// Command sqliteholder is the second process of the end-to-end tests: it
// holds a SQLite database open on one connection, as a dev server or an
// iex session does, and runs what the test writes on its stdin, one command
// a line, answering one line each:
//
//	state      the tables' states (JSON) as this connection sees them
//	exec SQL   runs SQL on the connection: "ok" or "error: ..."
//
// It exits at the end of its input. Only the tests use it.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/regen-tool/regen/migrator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sqliteholder:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: sqliteholder DB")
	}
	abs, err := filepath.Abs(os.Args[1])
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: abs}).EscapedPath()+"?mode=rw&_pragma=busy_timeout(20000)")
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx) // one connection, held to the end
	if err != nil {
		return err
	}
	defer conn.Close()
	// A first read caches the schema and pages, as a running app has them.
	if _, err := migrator.SQLiteConnTableStates(ctx, conn); err != nil {
		return err
	}
	fmt.Printf("ready %d\n", os.Getpid())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "state":
			st, err := migrator.SQLiteConnTableStates(ctx, conn)
			if err != nil {
				fmt.Printf("error: %v\n", err)
				continue
			}
			data, _ := json.Marshal(st)
			fmt.Println(string(data))
		case "exec":
			if _, err := conn.ExecContext(ctx, arg); err != nil {
				fmt.Printf("error: %v\n", strings.ReplaceAll(err.Error(), "\n", " "))
				continue
			}
			fmt.Println("ok")
		default:
			fmt.Printf("error: unknown command %q\n", cmd)
		}
	}
	return sc.Err()
}
